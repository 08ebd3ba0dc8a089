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
    /// Seconds between the writer's flushes (each one commits what `log` buffered and
    /// updates the heartbeat). Longer means fewer transactions; what is buffered is still
    /// written by `finish`, including after SIGINT or SIGTERM.
    public var flushInterval: TimeInterval = RunHandle.defaultFlushInterval
    /// Processes that train the run together (data-parallel ranks); 1 for everything else.
    public var worldSize = 1

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
