/// One GPU's readings in a hardware sample; `nil` where the driver does not report one.
public struct GPUSample: Sendable, Codable, Equatable {
    public var index: Int
    public var name: String?
    public var utilizationPercent: Double?
    public var memoryUsedBytes: Int64?
    public var memoryTotalBytes: Int64?
    public var temperatureC: Double?
    public var powerWatts: Double?

    public init(index: Int, name: String? = nil, utilizationPercent: Double? = nil, memoryUsedBytes: Int64? = nil,
                memoryTotalBytes: Int64? = nil, temperatureC: Double? = nil, powerWatts: Double? = nil) {
        self.index = index
        self.name = name
        self.utilizationPercent = utilizationPercent
        self.memoryUsedBytes = memoryUsedBytes
        self.memoryTotalBytes = memoryTotalBytes
        self.temperatureC = temperatureC
        self.powerWatts = powerWatts
    }
}
