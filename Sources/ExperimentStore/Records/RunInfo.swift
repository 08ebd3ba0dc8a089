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
    /// Processes that trained the run together (data-parallel ranks; 1 for everything else).
    public var worldSize: Int

    /// Seconds from start to end, or to the last heartbeat while running or after a crash.
    public var durationSeconds: Double { (endedAt ?? heartbeatAt) - startedAt }
}
