import Synchronization

/// The store files this process has open for writing, by absolute path (counted: one file
/// may be open several times). Reading a write-ahead log for damage skips these: a frame this
/// process is writing at that moment is not damage.
enum OpenStores {
    private static let counts = Mutex([String: Int]())

    static func insert(_ path: String) { counts.withLock { $0[path, default: 0] += 1 } }

    static func remove(_ path: String) {
        counts.withLock { counts in
            let left = (counts[path] ?? 1) - 1
            counts[path] = left > 0 ? left : nil
        }
    }

    static func contains(_ path: String) -> Bool { counts.withLock { $0[path] != nil } }
}
