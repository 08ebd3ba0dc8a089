import Foundation

/// Reads this machine's hardware: CPU use (from /proc/stat, since the previous reading),
/// RAM (/proc/meminfo), this process's RSS (/proc/self/statm), the CPU temperature where
/// /sys/class/thermal exposes one, and each NVIDIA GPU through `nvidia-smi` when present.
/// Readings the machine does not expose are nil, never made up.
public final class HardwareMonitor: @unchecked Sendable {
    private var previousCPU: (busy: UInt64, total: UInt64)?
    private let lock = NSLock()
    private let nvidiaSMI: String?
    private let thermalZone: String?

    public init() {
        nvidiaSMI = Self.findExecutable("nvidia-smi")
        thermalZone = Self.findCPUThermalZone()
        previousCPU = Self.readCPUTimes()
    }

    /// One sample, tagged with `step`.
    public func sample(step: Int? = nil) -> HardwareSample {
        let memory = Self.memory()
        let cpu: Double? = lock.withLock {
            guard let now = Self.readCPUTimes() else { return nil }
            defer { previousCPU = now }
            guard let before = previousCPU, now.total > before.total else { return nil }
            return 100 * Double(now.busy - before.busy) / Double(now.total - before.total)
        }
        var ramUsed: Int64?
        var ramPercent: Double?
        if let memory {
            ramUsed = memory.total - memory.available
            ramPercent = 100 * Double(memory.total - memory.available) / Double(memory.total)
        }
        let process = Self.processMemory()
        return HardwareSample(step: step, cpuPercent: cpu, ramUsedBytes: ramUsed, ramPercent: ramPercent,
                              processRSSBytes: process?.rss, cpuTemperatureC: cpuTemperature(), gpus: gpus(),
                              processRSSAnonBytes: process?.anonymous)
    }

    /// This machine's host name (gethostname), read once.
    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Total and available RAM in bytes, from /proc/meminfo.
    public static func memory() -> (total: Int64, available: Int64)? {
        guard let text = ProcFile.read("/proc/meminfo") else { return nil }
        var total: Int64?
        var available: Int64?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int64(fields[1]) else { continue }
            if fields[0] == "MemTotal:" { total = kib * 1024 }
            if fields[0] == "MemAvailable:" { available = kib * 1024 }
        }
        guard let total, let available, total > 0 else { return nil }
        return (total, available)
    }

    /// This process's resident set size in bytes.
    public static func processRSS() -> Int64? { processMemory()?.rss }

    /// This process's resident set size and its anonymous part (RssAnon), in bytes, from
    /// /proc/self/statm: resident pages, and resident minus shared (file-backed and shared
    /// memory) pages.
    public static func processMemory() -> (rss: Int64, anonymous: Int64)? {
        guard let text = ProcFile.read("/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 3, let resident = Int64(fields[1]), let shared = Int64(fields[2]) else { return nil }
        let page = Int64(sysconf(Int32(_SC_PAGESIZE)))
        return (resident * page, max(0, resident - shared) * page)
    }

    /// The peak resident set size of this process so far (VmHWM), in bytes.
    public static func peakRSS() -> Int64? {
        guard let text = ProcFile.read("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int64(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    private static func readCPUTimes() -> (busy: UInt64, total: UInt64)? {
        guard let text = ProcFile.read("/proc/stat"),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 4 else { return nil }
        // user nice system idle iowait irq softirq steal ...; idle + iowait are not busy.
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        let total = values.prefix(8).reduce(0, +)
        return (total - idle, total)
    }

    private func cpuTemperature() -> Double? {
        guard let thermalZone, let text = ProcFile.read(thermalZone + "/temp"),
              let milli = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return milli / 1000
    }

    private static func findCPUThermalZone() -> String? {
        let base = "/sys/class/thermal"
        guard let zones = try? FileManager.default.contentsOfDirectory(atPath: base) else { return nil }
        let preferred = ["x86_pkg_temp", "coretemp", "cpu", "soc", "acpitz"]
        var best: (rank: Int, path: String)?
        for zone in zones.sorted() where zone.hasPrefix("thermal_zone") {
            let path = "\(base)/\(zone)"
            guard let type = ProcFile.read(path + "/type")?.lowercased(),
                  FileManager.default.isReadableFile(atPath: path + "/temp") else { continue }
            if let rank = preferred.firstIndex(where: { type.contains($0) }), rank < (best?.rank ?? .max) {
                best = (rank, path)
            }
        }
        return best?.path
    }

    private func gpus() -> [GPUSample] {
        guard let nvidiaSMI else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nvidiaSMI)
        process.arguments = ["--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw",
                             "--format=csv,noheader,nounits"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return Self.parseNvidiaSMI(String(decoding: data, as: UTF8.self))
    }

    /// Parses `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total,
    /// temperature.gpu,power.draw --format=csv,noheader,nounits` (memory in MiB).
    public static func parseNvidiaSMI(_ text: String) -> [GPUSample] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 7, let index = Int(fields[0]) else { return nil }
            let mib = { (text: String) in Double(text).map { Int64($0 * 1_048_576) } }
            return GPUSample(index: index, name: fields[1], utilizationPercent: Double(fields[2]),
                             memoryUsedBytes: mib(fields[3]), memoryTotalBytes: mib(fields[4]),
                             temperatureC: Double(fields[5]), powerWatts: Double(fields[6]))
        }
    }

    static func findExecutable(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A thread that takes a sample every `interval` seconds and hands it to `onSample`,
/// tagged with the step `currentStep` reports at that moment.
public final class HardwareSampler: @unchecked Sendable {
    private let interval: TimeInterval
    private let monitor: HardwareMonitor
    private let currentStep: @Sendable () -> Int?
    private let onSample: @Sendable (HardwareSample) -> Void
    private let stopSignal = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    public init(interval: TimeInterval, monitor: HardwareMonitor = HardwareMonitor(),
                currentStep: @escaping @Sendable () -> Int?, onSample: @escaping @Sendable (HardwareSample) -> Void) {
        precondition(interval > 0, "the sampling interval must be positive")
        self.interval = interval
        self.monitor = monitor
        self.currentStep = currentStep
        self.onSample = onSample
    }

    /// Takes a first sample at once, then one every interval until `stop`.
    public func start() {
        precondition(!started)
        started = true
        let thread = Thread { [self] in
            repeat {
                onSample(monitor.sample(step: currentStep()))
            } while stopSignal.wait(timeout: .now() + interval) == .timedOut
            onSample(monitor.sample(step: currentStep()))
            done.signal()
        }
        thread.name = "blocklab-hardware-sampler"
        thread.start()
    }

    /// Takes a last sample and stops the thread.
    public func stop() {
        guard started else { return }
        started = false
        stopSignal.signal()
        done.wait()
    }
}
