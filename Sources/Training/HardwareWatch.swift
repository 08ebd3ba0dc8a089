import ExperimentStore
import Foundation
import HardwareMonitor

/// A rank's hardware sampler and what the training loop reads from it: the latest reading
/// (for the memory thresholds) and the peaks (for the report). Every sample carries this
/// machine's host name and the rank. Rank 0 logs its samples to the run; another rank has
/// no run, so its samples wait in an outbox until the loop sends them to rank 0 (`takeOutbox`).
/// The sampler's thread writes, the loop reads; a lock sits between them.
final class HardwareWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var _step: Int
    private var latest: HardwareSample?
    private var _peaks = HardwarePeaks()
    private var outbox: [HardwareSample] = []
    private var sampler: HardwareSampler?

    /// Takes one reading now, so the thresholds hold from the first step, then starts the
    /// sampler: one reading every `interval` seconds, each also logged to `run` (or, without
    /// a run, put in the outbox) when `log`.
    init(interval: TimeInterval, step: Int, run: RunHandle?, log: Bool, rank: Int) {
        _step = step
        let stamp = { @Sendable (sample: HardwareSample) -> HardwareSample in
            var s = sample
            s.host = HardwareMonitor.hostName
            s.rank = rank
            return s
        }
        record(stamp(HardwareMonitor().sample(step: step)), keep: false)
        // The sampler holds this watch until `stop` lets go of it.
        sampler = HardwareSampler(interval: interval, currentStep: { self.step }, onSample: { s in
            let sample = stamp(s)
            self.record(sample, keep: log && run == nil)
            if log { run?.logHardware(sample) }
        })
        sampler?.start()
    }

    /// The step the loop is at: samples are tagged with it.
    var step: Int {
        get { lock.withLock { _step } }
        set { lock.withLock { _step = newValue } }
    }

    var peaks: HardwarePeaks { lock.withLock { _peaks } }

    private func record(_ sample: HardwareSample, keep: Bool) {
        lock.withLock {
            latest = sample
            _peaks.add(sample)
            if keep { outbox.append(sample) }
        }
    }

    /// The samples taken since the last call, for a rank without a run to send to rank 0.
    func takeOutbox() -> [HardwareSample] {
        lock.withLock {
            defer { outbox = [] }
            return outbox
        }
    }

    /// Highest memory use in percent in the latest reading: RAM, or any GPU's memory.
    func memoryPercent() -> Double? {
        guard let s = lock.withLock({ latest }) else { return nil }
        var worst = s.ramPercent
        for g in s.gpus {
            if let used = g.memoryUsedBytes, let total = g.memoryTotalBytes, total > 0 {
                worst = max(worst ?? 0, 100 * Double(used) / Double(total))
            }
        }
        return worst
    }

    /// Takes a last reading and stops the sampler's thread.
    func stop() {
        sampler?.stop()
        sampler = nil
    }
}
