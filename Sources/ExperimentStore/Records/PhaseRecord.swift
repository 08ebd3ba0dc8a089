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
