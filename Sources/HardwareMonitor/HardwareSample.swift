import Foundation

/// One hardware sample; `nil` where the machine does not expose the reading.
public struct HardwareSample: Sendable, Codable, Equatable {
    public var time: Double
    public var step: Int?
    public var cpuPercent: Double?
    public var ramUsedBytes: Int64?
    public var ramPercent: Double?
    public var processRSSBytes: Int64?
    public var cpuTemperatureC: Double?
    public var gpus: [GPUSample]
    /// Where it was taken: the machine, and the process's rank among data-parallel training
    /// processes (0 for a training run of one process; nil where nobody said).
    public var host: String?
    public var rank: Int?

    public init(time: Double = Date().timeIntervalSince1970, step: Int? = nil, cpuPercent: Double? = nil,
                ramUsedBytes: Int64? = nil, ramPercent: Double? = nil, processRSSBytes: Int64? = nil,
                cpuTemperatureC: Double? = nil, gpus: [GPUSample] = [], host: String? = nil, rank: Int? = nil) {
        self.time = time
        self.step = step
        self.cpuPercent = cpuPercent
        self.ramUsedBytes = ramUsedBytes
        self.ramPercent = ramPercent
        self.processRSSBytes = processRSSBytes
        self.cpuTemperatureC = cpuTemperatureC
        self.gpus = gpus
        self.host = host
        self.rank = rank
    }
}
