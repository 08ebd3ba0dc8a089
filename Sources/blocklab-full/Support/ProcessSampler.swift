import ExperimentStore
import Foundation
import HardwareMonitor

/// `ingest --pid PID`: hardware samples of the program being tracked, not of ingest. The
/// machine's readings (CPU, RAM, GPUs) are as `HardwareMonitor` takes them; the process RSS
/// is PID's, read from /proc/PID/statm (nil once the process is gone). Each sample carries
/// the step the run's records had reached (`step`, set by the reader).
final class ProcessSampler: @unchecked Sendable {
    let step = Mutexed<Int?>(nil)
    private var sampler: HardwareSampler!

    init(pid: Int32, interval: TimeInterval, run: RunHandle) {
        sampler = HardwareSampler(interval: interval, currentStep: { [step] in step.value }) { sample in
            var sample = sample
            sample.processRSSBytes = Self.residentBytes(of: pid)
            run.logHardware(sample)
        }
    }

    func start() { sampler.start() }

    /// Takes a last sample and stops.
    func stop() { sampler.stop() }

    static func residentBytes(of pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
