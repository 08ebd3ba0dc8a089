import Foundation
import Qdrant

/// Which commits a search may return, by the payload stored with each vector: the author's
/// name (exact), and the author time within [`since`, `until`). The same filter runs in the
/// store's exact search and, as a payload filter, in Qdrant, so both give the same commits.
///
///     let filter = try CommitFilter.parse(author: "Armin Ronacher", since: "2019-01-01", until: "2019-12-31")
///
/// A date without a time is midnight UTC; as `until`, it means the end of that day (until
/// the next midnight UTC), so `--until 2019-12-31` includes the 31st. A time needs its zone:
/// `2019-06-01T12:00:00Z` or `2019-06-01T14:00:00+02:00`.
public struct CommitFilter: Sendable, Equatable {
    public var author: String?
    public var since: Date?
    public var until: Date?

    public init(author: String? = nil, since: Date? = nil, until: Date? = nil) {
        self.author = author
        self.since = since
        self.until = until
    }

    /// From the command line's text; throws naming the text and the accepted forms.
    public static func parse(author: String?, since: String?, until: String?) throws -> CommitFilter {
        let filter = CommitFilter(author: author, since: try since.map { try instant($0, endOfDay: false) },
                                  until: try until.map { try instant($0, endOfDay: true) })
        if let since = filter.since, let until = filter.until, since >= until {
            throw EmbeddingError("--since (\(rfc3339(since))) must come before --until (\(rfc3339(until)))")
        }
        return filter
    }

    public var isEmpty: Bool { author == nil && since == nil && until == nil }

    /// Whether the commit whose payload is `payloadJSON` passes (its `author` and `time`).
    public func matches(payloadJSON: String) -> Bool {
        if isEmpty { return true }
        guard let payload = (try? JSONSerialization.jsonObject(with: Data(payloadJSON.utf8))) as? [String: Any] else { return false }
        if let author, payload["author"] as? String != author { return false }
        if since != nil || until != nil {
            guard let text = payload["time"] as? String, let time = Self.parseTimestamp(text) else { return false }
            if let since, time < since { return false }
            if let until, time >= until { return false }
        }
        return true
    }

    /// The same conditions as Qdrant's payload filter (nil when there are none).
    public var qdrantFilter: QdrantFilter? {
        var must: [QdrantFilter.Condition] = []
        if let author { must.append(.matches(key: "author", value: author)) }
        if since != nil || until != nil {
            must.append(.datetimeRange(key: "time", gte: since.map(Self.rfc3339), lt: until.map(Self.rfc3339)))
        }
        return must.isEmpty ? nil : QdrantFilter(must: must)
    }

    /// `YYYY-MM-DD` (midnight UTC; with `endOfDay`, the next midnight) or an RFC 3339 time with its zone.
    static func instant(_ text: String, endOfDay: Bool) throws -> Date {
        if text.count == 10, let day = parseTimestamp(text + "T00:00:00Z") {
            return endOfDay ? day.addingTimeInterval(86_400) : day
        }
        if let time = parseTimestamp(text) { return time }
        throw EmbeddingError("'\(text)' is not a date: write YYYY-MM-DD (UTC) or a time with its zone, e.g. 2024-03-01T09:00:00Z or 2024-03-01T09:00:00+01:00")
    }

    /// An RFC 3339 time with its zone (what the payload's `time` holds), fractions allowed.
    static func parseTimestamp(_ text: String) -> Date? {
        ISO8601DateFormatter.cached.date(from: text) ?? ISO8601DateFormatter.cachedFractional.date(from: text)
    }

    static func rfc3339(_ date: Date) -> String { ISO8601DateFormatter.cached.string(from: date) }
}

private extension ISO8601DateFormatter {
    nonisolated(unsafe) static let cached = ISO8601DateFormatter()
    nonisolated(unsafe) static let cachedFractional: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
