public struct Param: Codable, Sendable, Equatable {
    public var key: String
    public var value: String?
    public var type: String
}
