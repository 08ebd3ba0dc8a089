/// A Qdrant payload filter (`filter` of `POST /points/query`): every condition must hold.
///
///     QdrantFilter(must: [.matches(key: "author", value: "Ada"),
///                         .datetimeRange(key: "time", gte: "2024-01-01T00:00:00Z", lt: nil)])
///
/// Keyword matches and datetime ranges are what BlockLab's commit payloads are indexed for
/// (`author` keyword, `time` datetime); Qdrant compares datetimes as instants.
public struct QdrantFilter: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        /// The payload's `key` equals `value`.
        case matches(key: String, value: String)
        /// The payload's datetime `key` is at or after `gte` and before `lt` (RFC 3339; nil: open).
        case datetimeRange(key: String, gte: String?, lt: String?)
    }

    public var must: [Condition]
    public init(must: [Condition]) { self.must = must }

    /// The filter as Qdrant's JSON takes it.
    var json: [String: Any] {
        ["must": must.map { condition -> [String: Any] in
            switch condition {
            case .matches(let key, let value):
                return ["key": key, "match": ["value": value]]
            case .datetimeRange(let key, let gte, let lt):
                var range: [String: Any] = [:]
                if let gte { range["gte"] = gte }
                if let lt { range["lt"] = lt }
                return ["key": key, "range": range]
            }
        }]
    }
}
