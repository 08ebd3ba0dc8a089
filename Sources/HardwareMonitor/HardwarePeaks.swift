/// The highest reading of each hardware measure over a run, and how many samples it saw.
/// The trainer folds samples into it as they come (`add`); the store computes the same
/// figures from its rows. `nil` where no sample had the reading.
public struct HardwarePeaks: Codable, Sendable, Equatable {
    public var samples = 0
    public var cpuPercent: Double?
    public var ramUsedBytes: Int64?
    public var ramPercent: Double?
    public var processRSSBytes: Int64?
    public var processRSSAnonBytes: Int64?
    public var cpuTemperatureC: Double?
    public var gpuUtilizationPercent: Double?
    public var gpuMemoryUsedBytes: Int64?
    public var gpuTemperatureC: Double?
    public var gpuPowerWatts: Double?

    // `processRssBytes` so that snake-case coders round-trip it (`process_rss_bytes`).
    enum CodingKeys: String, CodingKey {
        case samples, cpuPercent, ramUsedBytes, ramPercent, processRSSBytes = "processRssBytes"
        case processRSSAnonBytes = "processRssAnonBytes", cpuTemperatureC
        case gpuUtilizationPercent, gpuMemoryUsedBytes, gpuTemperatureC, gpuPowerWatts
    }

    public init(samples: Int = 0, cpuPercent: Double? = nil, ramUsedBytes: Int64? = nil, ramPercent: Double? = nil,
                processRSSBytes: Int64? = nil, cpuTemperatureC: Double? = nil, gpuUtilizationPercent: Double? = nil,
                gpuMemoryUsedBytes: Int64? = nil, gpuTemperatureC: Double? = nil, gpuPowerWatts: Double? = nil,
                processRSSAnonBytes: Int64? = nil) {
        self.samples = samples
        self.cpuPercent = cpuPercent
        self.ramUsedBytes = ramUsedBytes
        self.ramPercent = ramPercent
        self.processRSSBytes = processRSSBytes
        self.cpuTemperatureC = cpuTemperatureC
        self.gpuUtilizationPercent = gpuUtilizationPercent
        self.gpuMemoryUsedBytes = gpuMemoryUsedBytes
        self.gpuTemperatureC = gpuTemperatureC
        self.gpuPowerWatts = gpuPowerWatts
        self.processRSSAnonBytes = processRSSAnonBytes
    }

    /// Folds one sample in: each reading it has raises its peak; GPU readings peak over all GPUs.
    public mutating func add(_ sample: HardwareSample) {
        samples += 1
        cpuPercent = Self.higher(cpuPercent, sample.cpuPercent)
        ramUsedBytes = Self.higher(ramUsedBytes, sample.ramUsedBytes)
        ramPercent = Self.higher(ramPercent, sample.ramPercent)
        processRSSBytes = Self.higher(processRSSBytes, sample.processRSSBytes)
        processRSSAnonBytes = Self.higher(processRSSAnonBytes, sample.processRSSAnonBytes)
        cpuTemperatureC = Self.higher(cpuTemperatureC, sample.cpuTemperatureC)
        for gpu in sample.gpus {
            gpuUtilizationPercent = Self.higher(gpuUtilizationPercent, gpu.utilizationPercent)
            gpuMemoryUsedBytes = Self.higher(gpuMemoryUsedBytes, gpu.memoryUsedBytes)
            gpuTemperatureC = Self.higher(gpuTemperatureC, gpu.temperatureC)
            gpuPowerWatts = Self.higher(gpuPowerWatts, gpu.powerWatts)
        }
    }

    private static func higher<T: Comparable>(_ peak: T?, _ reading: T?) -> T? {
        guard let reading else { return peak }
        guard let peak else { return reading }
        return max(peak, reading)
    }
}
