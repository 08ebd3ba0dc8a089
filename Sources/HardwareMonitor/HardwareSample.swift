import Foundation

/// One hardware sample; `nil` where the machine does not expose the reading.
public struct HardwareSample: Sendable, Codable, Equatable {
    public var time: Double
    public var step: Int?
    public var cpuPercent: Double?
    public var ramUsedBytes: Int64?
    public var ramPercent: Double?
    public var processRSSBytes: Int64?
    /// The anonymous part of the RSS (RssAnon: heap, stacks; not mapped files): the memory a
    /// process needs for itself, where RSS also counts pages of files it maps and reads.
    public var processRSSAnonBytes: Int64?
    public var cpuTemperatureC: Double?
    public var gpus: [GPUSample]
    /// Where it was taken: the machine, and the process's rank among data-parallel training
    /// processes (0 for a training run of one process; nil where nobody said).
    public var host: String?
    public var rank: Int?
    /// The phase of the run it was taken in (`scrape`, `tokenize`, `train`, ...; nil outside
    /// phases and where nobody said).
    public var phase: String?

    // `processRssAnonBytes` so that snake-case coders round-trip it (`process_rss_anon_bytes`).
    enum CodingKeys: String, CodingKey {
        case time, step, cpuPercent, ramUsedBytes, ramPercent, processRSSBytes, processRSSAnonBytes = "processRssAnonBytes"
        case cpuTemperatureC, gpus, host, rank, phase
    }

    public init(time: Double = Date().timeIntervalSince1970, step: Int? = nil, cpuPercent: Double? = nil,
                ramUsedBytes: Int64? = nil, ramPercent: Double? = nil, processRSSBytes: Int64? = nil,
                cpuTemperatureC: Double? = nil, gpus: [GPUSample] = [], host: String? = nil, rank: Int? = nil,
                processRSSAnonBytes: Int64? = nil, phase: String? = nil) {
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
        self.processRSSAnonBytes = processRSSAnonBytes
        self.phase = phase
    }
}
