/// The status a phase of a run ends with, or is in.
public enum PhaseStatus: String, Sendable, Codable, CaseIterable {
    case running, finished, failed, skipped
}
