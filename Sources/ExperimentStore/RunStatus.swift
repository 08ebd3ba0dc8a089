/// The status a run ends with, or is in.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, finished, failed, crashed, killed
}
