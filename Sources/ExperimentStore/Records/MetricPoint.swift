public struct MetricPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var value: Double?
    public var epoch: Double?
    public var wallTime: Double
}
