import Foundation

/// What a run is started with. Everything but `name` has a sensible default.
public struct RunSpec: Sendable {
    public var name: String
    public var experiment: String
    public var tags: [String: String]
    public var config: ConfigSnapshot?
    public var sourceRepository: String?
    public var sourceCommit: String?
    public var commandLine: [String]
    public var parentRunID: Int64?
    /// Reused when importing a run; a new one is made otherwise.
    public var uuid: String?

    public init(name: String, experiment: String = "default", tags: [String: String] = [:],
                config: ConfigSnapshot? = nil, sourceRepository: String? = nil,
                sourceCommit: String? = nil, commandLine: [String] = CommandLine.arguments,
                parentRunID: Int64? = nil, uuid: String? = nil) {
        self.name = name
        self.experiment = experiment
        self.tags = tags
        self.config = config
        self.sourceRepository = sourceRepository
        self.sourceCommit = sourceCommit
        self.commandLine = commandLine
        self.parentRunID = parentRunID
        self.uuid = uuid
    }
}

/// The status a run ends with, or is in.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, finished, failed, crashed, killed
}

public enum PhaseStatus: String, Sendable, Codable, CaseIterable {
    case running, finished, failed, skipped
}

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

    public init(time: Double = Date().timeIntervalSince1970, step: Int? = nil, cpuPercent: Double? = nil,
                ramUsedBytes: Int64? = nil, ramPercent: Double? = nil, processRSSBytes: Int64? = nil,
                cpuTemperatureC: Double? = nil, gpus: [GPUSample] = []) {
        self.time = time
        self.step = step
        self.cpuPercent = cpuPercent
        self.ramUsedBytes = ramUsedBytes
        self.ramPercent = ramPercent
        self.processRSSBytes = processRSSBytes
        self.cpuTemperatureC = cpuTemperatureC
        self.gpus = gpus
    }
}

public struct GPUSample: Sendable, Codable, Equatable {
    public var index: Int
    public var name: String?
    public var utilizationPercent: Double?
    public var memoryUsedBytes: Int64?
    public var memoryTotalBytes: Int64?
    public var temperatureC: Double?
    public var powerWatts: Double?

    public init(index: Int, name: String? = nil, utilizationPercent: Double? = nil, memoryUsedBytes: Int64? = nil,
                memoryTotalBytes: Int64? = nil, temperatureC: Double? = nil, powerWatts: Double? = nil) {
        self.index = index
        self.name = name
        self.utilizationPercent = utilizationPercent
        self.memoryUsedBytes = memoryUsedBytes
        self.memoryTotalBytes = memoryTotalBytes
        self.temperatureC = temperatureC
        self.powerWatts = powerWatts
    }
}
