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
