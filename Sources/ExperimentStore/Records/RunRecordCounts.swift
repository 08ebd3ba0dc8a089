/// How many records of each kind one run has (what `delete` removes with it).
public struct RunRecordCounts: Codable, Sendable, Equatable {
    public var metricPoints: Int
    public var hardwareSamples: Int
    public var checkpoints: Int
    public var artifacts: Int
    public var phases: Int
    public var tags: Int
    public var params: Int
    public var embeddings: Int
    public var qdrantPushes: Int
}
