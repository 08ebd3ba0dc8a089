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
