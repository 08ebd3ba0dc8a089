/// Sampling settings of `blocklab generate`. `temperature` 0 is greedy decoding.
public struct SamplingOptions: Sendable {
    public var maxTokens = 64
    public var temperature = 1.0
    public var topK: Int?
    public var topP: Double?
    public var seed: UInt64 = 42
    public var stopTokenID: Int?
    public init() {}
}
