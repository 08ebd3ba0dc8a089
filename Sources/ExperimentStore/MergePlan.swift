/// What `merge` would import from another store: its runs this store lacks (by uuid), with
/// their metric points; `skipped` counts the runs already here.
public struct MergePlan: Codable, Sendable, Equatable {
    public struct Run: Codable, Sendable, Equatable {
        /// The run's id in the other store.
        public var id: Int64
        public var uuid: String
        public var name: String
        public var status: String
        public var metricPoints: Int
    }

    /// The other store and the store merged into, as absolute paths.
    public var source: String
    public var target: String
    public var runs: [Run]
    public var metricPoints: Int
    public var skipped: Int
}
