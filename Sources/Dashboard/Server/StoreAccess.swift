import ExperimentStore
import Foundation
import Synchronization

/// The dashboard's read-only handle on the store file, checked on every request: a file that
/// was deleted is a clear 503, a file that was replaced (another inode) is opened afresh, so
/// the server never serves a vanished file's stale pages. Reads go through the store's
/// read-only WAL connection pool, each in its own short read transaction: they never block a
/// writer. Tags and notes, the only writes, open a read-write store for one transaction.
final class StoreAccess: Sendable {
    let path: String
    private let current = Mutex<(identity: FileIdentity, store: ExperimentStore)?>(nil)

    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    init(path: String) { self.path = path }

    /// The store as the file stands now.
    func store() throws -> ExperimentStore {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DashboardError(status: 503, "the store \(path) no longer exists (it was moved or deleted while the dashboard ran): put it back, or restart `blocklab ui --store FILE` on another store")
        }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if let open = current.withLock({ $0 }), open.identity == identity { return open.store }
        let store = try ExperimentStore.open(at: path, mode: .readOnlyConcurrent)
        current.withLock { $0 = (identity, store) }
        return store
    }

    /// Runs `body` on a read-write store opened for this one change.
    func write<T>(_ body: (ExperimentStore) throws -> T) throws -> T {
        _ = try store()  // the same existence check and message
        return try body(try ExperimentStore.open(at: path, mode: .readWrite))
    }
}
