import Foundation
import GRDB

/// The ledger of what was pushed where (`qdrant_pushes`): an item of a run is recorded for a
/// (server URL, collection) once Qdrant has acknowledged it (`wait=true`), so a push that
/// stops halfway sends only the rest next time. API keys are never part of it.
extension ExperimentStore {
    /// The items of `runID` already pushed to `collection` at `url`.
    public func pushedItems(runID: Int64, url: String, collection: String) throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT item_id FROM qdrant_pushes WHERE run_id = ? AND url = ? AND collection = ?",
                                    arguments: [runID, url, collection]))
        }
    }

    /// Records that `points` (item id → point id) of `runID` are stored in `collection`, in one transaction.
    public func recordPushes(runID: Int64, url: String, collection: String, points: [(itemID: String, pointID: String)]) throws {
        guard mode == .readWrite else { throw StoreError.invalid("the store \(path) was opened read-only") }
        let now = Date().timeIntervalSince1970
        try write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO qdrant_pushes (run_id, url, collection, item_id, point_id, pushed_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, url, collection, item_id) DO UPDATE SET point_id = excluded.point_id, pushed_at = excluded.pushed_at
                """)
            for point in points {
                try statement.execute(arguments: [runID, url, collection, point.itemID, point.pointID, now])
            }
        }
    }

    /// Forgets every push of `runID` to `collection` at `url` (the collection was recreated,
    /// or a full re-push was asked for). Returns how many entries were dropped.
    @discardableResult
    public func forgetPushes(runID: Int64, url: String, collection: String) throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM qdrant_pushes WHERE run_id = ? AND url = ? AND collection = ?",
                           arguments: [runID, url, collection])
            return db.changesCount
        }
    }
}
