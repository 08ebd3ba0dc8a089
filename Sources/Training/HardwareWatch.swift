import ExperimentStore
import Foundation
import HardwareMonitor

/// A run's hardware sampler and what the training loop reads from it: the latest reading
/// (for the memory thresholds) and the peaks (for the report). The sampler's thread writes,
/// the loop reads; a lock sits between them.
final class HardwareWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var _step: Int
    private var latest: HardwareSample?
    private var _peaks = HardwarePeaks()
    private var sampler: HardwareSampler?

    /// Takes one reading now, so the thresholds hold from the first step, then starts the
    /// sampler: one reading every `interval` seconds, each also logged to `run` when `log`.
    init(interval: TimeInterval, step: Int, run: RunHandle, log: Bool) {
        _step = step
        record(HardwareMonitor().sample(step: step))
        // The sampler holds this watch until `stop` lets go of it.
        sampler = HardwareSampler(interval: interval, currentStep: { self.step },
                                  onSample: { s in self.record(s); if log { run.logHardware(s) } })
        sampler?.start()
    }

    /// The step the loop is at: samples are tagged with it.
    var step: Int {
        get { lock.withLock { _step } }
        set { lock.withLock { _step = newValue } }
    }

    var peaks: HardwarePeaks { lock.withLock { _peaks } }

    private func record(_ sample: HardwareSample) {
        lock.withLock {
            latest = sample
            _peaks.add(sample)
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
