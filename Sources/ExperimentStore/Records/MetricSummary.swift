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
