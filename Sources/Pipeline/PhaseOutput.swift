/// A file or directory a phase wrote: recorded as an artifact of the run (with its sha256)
/// and listed in the phase's stats (`outputs`), so a later run with the same inputs can
/// check that it is still there, unchanged, and reuse it.
public struct PhaseOutput: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    /// The artifact kind: dataset, tokenizer, model, report.
    public var kind: String
    /// Set once hashed.
    public var sha256: String?
    /// Whether the phase recorded the artifact itself (the trainer records its report).
    public var recordedByPhase: Bool

    public init(name: String, path: String, kind: String, sha256: String? = nil, recordedByPhase: Bool = false) {
        self.name = name
        self.path = path
        self.kind = kind
        self.sha256 = sha256
        self.recordedByPhase = recordedByPhase
    }

    enum CodingKeys: String, CodingKey {
        case name, path, kind, sha256, recordedByPhase = "recorded_by_phase"
    }
}
