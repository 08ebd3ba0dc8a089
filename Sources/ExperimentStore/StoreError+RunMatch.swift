import Foundation

extension StoreError {
    /// One run an ambiguous reference names: what a person needs to pick the one they meant.
    public struct RunMatch: Sendable, Equatable, Codable {
        public var id: Int64
        public var name: String
        public var status: RunStatus
        public var startedAt: Double
        public var uuid: String

        public init(_ run: RunInfo) {
            id = run.id
            name = run.name
            status = run.status
            startedAt = run.startedAt
            uuid = run.uuid
        }

        /// `  3  demo  finished  2025-06-01T12:34:56Z  1a2b3c4d`: the start in UTC as `blocklab
        /// runs` shows it, the uuid's first 8 characters (enough to pick one in any real store).
        var line: String {
            "  \(id)  \(name)  \(status.rawValue)  \(Date(timeIntervalSince1970: startedAt.rounded(.down)).ISO8601Format())  \(uuid.prefix(8))"
        }
    }
}
