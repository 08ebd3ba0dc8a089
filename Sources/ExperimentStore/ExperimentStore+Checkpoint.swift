import Foundation
import GRDB
import GRDBSQLite

extension ExperimentStore {
    /// How long `checkpoint` waits for other processes that hold the store (seconds).
    public static let checkpointWait: TimeInterval = 3

    /// Copies every committed transaction from the write-ahead log (`-wal`) into the store
    /// file and empties the log, so the `.db` file alone holds everything: a copy of it alone
    /// is complete. Every command that writes calls it before it ends (`RunHandle.finish` does
    /// for a run).
    ///
    /// Another process that holds the store (a dashboard reading, another run writing) can
    /// keep the log from being emptied: the checkpoint waits for it at most `checkpointWait`,
    /// then copies what it can and leaves the rest in the log, where every reader still finds
    /// it, and the last process to close the store copies it. It never fails or blocks a command
    /// beyond that wait. Returns whether the log was emptied; does nothing read-only.
    @discardableResult
    public func checkpoint() -> Bool {
        guard mode == .readWrite else { return false }
        do {
            return try database.writeWithoutTransaction { db in
                let connection = db.sqliteConnection
                sqlite3_busy_timeout(connection, Int32(Self.checkpointWait * 1000))
                defer { sqlite3_busy_timeout(connection, Int32(Self.busyTimeout * 1000)) }
                return try db.checkpoint(.truncate).walFrameCount == 0
            }
        } catch {
            return false
        }
    }
}
