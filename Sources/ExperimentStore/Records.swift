import Foundation

/// One run as read back, with its status as it stands now (see `ExperimentStore.effectiveStatus`).
public struct RunInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var uuid: String
    public var name: String
    public var experiment: String
    /// `crashed` when the row says running but its process is gone; else the recorded status.
    public var status: RunStatus
    public var recordedStatus: RunStatus
    public var startedAt: Double
    public var endedAt: Double?
    public var heartbeatAt: Double
    public var pid: Int64?
    public var hostname: String?
    public var commandLine: String?
    public var blocklabVersion: String?
    public var sourceRepo: String?
    public var sourceCommit: String?
    public var parentRunID: Int64?
    public var error: String?
    public var note: String?
    public var tags: [String: String]

    /// Seconds from start to end, or to the last heartbeat while running or after a crash.
    public var durationSeconds: Double { (endedAt ?? heartbeatAt) - startedAt }
}

/// The running summary of one metric key of one run.
public struct MetricSummary: Codable, Sendable, Equatable {
    public var key: String
    public var count: Int
    public var min: Double?
    public var minStep: Int?
    public var max: Double?
    public var maxStep: Int?
    public var last: Double?
    public var lastStep: Int
}

public struct MetricPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var value: Double?
    public var epoch: Double?
    public var wallTime: Double
}

public struct CheckpointRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var step: Int
    public var epoch: Double?
    public var path: String
    public var sha256: String
    public var bytes: Int64
    public var format: String
    public var isBest: Bool
    public var metrics: [String: Double]
    public var createdAt: Double
}

public struct ArtifactRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var kind: String
    public var name: String
    public var path: String
    public var sha256: String
    public var bytes: Int64
    public var createdAt: Double
}

public struct PhaseRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var status: PhaseStatus
    public var startedAt: Double
    public var endedAt: Double?
    public var stats: JSONValue
    public var error: String?
    public var durationSeconds: Double? { endedAt.map { $0 - startedAt } }
}

/// The highest reading of each hardware measure over a run.
public struct HardwarePeaks: Codable, Sendable, Equatable {
    public var samples: Int
    public var cpuPercent: Double?
    public var ramUsedBytes: Int64?
    public var ramPercent: Double?
    public var processRSSBytes: Int64?
    public var cpuTemperatureC: Double?
    public var gpuUtilizationPercent: Double?
    public var gpuMemoryUsedBytes: Int64?
    public var gpuTemperatureC: Double?
    public var gpuPowerWatts: Double?
}

public struct Param: Codable, Sendable, Equatable {
    public var key: String
    public var value: String?
    public var type: String
}
