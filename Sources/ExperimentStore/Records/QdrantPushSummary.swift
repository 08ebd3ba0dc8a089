/// What the push ledger holds for one run and one Qdrant collection.
public struct QdrantPushSummary: Codable, Sendable, Equatable {
    public var url: String
    public var collection: String
    /// Items Qdrant acknowledged.
    public var points: Int
    public var firstPushedAt: Double
    public var lastPushedAt: Double
}
