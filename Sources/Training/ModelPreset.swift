/// Named model sizes.
public enum ModelPreset: String, CaseIterable, Sendable {
    case tiny, gpt2, gpt2Medium = "gpt2-medium"
    public var nLayer: Int { switch self { case .tiny: 2; case .gpt2: 12; case .gpt2Medium: 24 } }
    public var nHead: Int { switch self { case .tiny: 2; case .gpt2: 12; case .gpt2Medium: 16 } }
    public var nEmbd: Int { switch self { case .tiny: 64; case .gpt2: 768; case .gpt2Medium: 1024 } }
}
