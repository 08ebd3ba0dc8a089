import Foundation
import GRDB

/// The experiment store: one SQLite file (WAL, foreign keys on, STRICT tables) holding every
/// run, config snapshot, metric, hardware sample, checkpoint, artifact and phase.
///
///     let store = try ExperimentStore.open(at: "blocklab.db")
///     let run = try store.startRun(RunSpec(name: "demo"))
///     run.log(step: 1, ["train/loss": 2.5]); try run.finish()
///
/// Any number of processes may open one file at once; writers wait on each other (busy
/// timeout), readers never block writers.
public final class ExperimentStore: Sendable {
    public enum Mode: Sendable {
        /// Creates the file (owner-only permissions) and migrates it when needed.
        case readWrite
        /// The file must exist and be a BlockLab store; nothing is written. One connection,
        /// opened once: what a command that reads and exits needs.
        case readOnly
        /// As `.readOnly`, through a pool of read-only connections, so many threads read at
        /// once (a server answering requests in parallel).
        case readOnlyConcurrent

        /// Whether this mode writes nothing.
        public var isReadOnly: Bool { self != .readWrite }
    }

    /// The file this store lives in, as an absolute path (what every message names).
    public let path: String
    public let mode: Mode
    /// Whether this open made the store: the file was missing, empty (0 bytes), or an SQLite
    /// file with no schema object at all (see `StoreContents`). Commands say so on stderr.
    public let created: Bool
    /// A pool (one writer, concurrent readers) in `.readWrite` and `.readOnlyConcurrent` mode; in
    /// `.readOnly` mode one read-only connection, opened once: a pool opens three (its writer, a
    /// reader, and the version check's), which was a fifth of a reading command's start-up.
    let database: any DatabaseWriter

    /// How long a writer waits for another process's transaction before giving up.
    public static let busyTimeout: TimeInterval = 60

    /// Opens (and in `.readWrite` mode creates and migrates) the store at `path`.
    ///
    /// Nothing is written to a file that is not a BlockLab store: a file that is not SQLite
    /// (`notADatabase`), another program's SQLite database (`notABlockLabStore`), and a store
    /// whose write-ahead log holds transactions SQLite would drop (`damagedWAL`) are refused in
    /// every mode, unchanged. A new store is made only where no file is, in an empty file, or
    /// in an SQLite file with no schema object; reading such a file is `noRuns`.
    public static func open(at path: String, mode: Mode = .readWrite) throws -> ExperimentStore {
        try ExperimentStore(path: path, mode: mode)
    }

    private init(path given: String, mode: Mode) throws {
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        self.path = path
        self.mode = mode
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            throw StoreError.notADatabase(path: path)
        }
        var created = false
        switch mode {
        case .readOnly, .readOnlyConcurrent:
            guard exists else { throw StoreError.notFound(path: path) }
        case .readWrite:
            if !exists { created = try Self.createOwnerOnlyFile(at: path) }
        }
        let isEmptyFile = try Self.checkHeader(path: path)
        if !OpenStores.contains(path), let damage = WriteAheadLog.damage(ofStoreAt: path) {
            throw StoreError.damagedWAL(path: path, detail: damage)
        }

        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Self.busyTimeout)
        config.readonly = mode.isReadOnly
        config.label = "ExperimentStore"
        config.prepareDatabase { db in
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            switch mode {
            case .readWrite:
                // Read what the file holds before the pool switches it to WAL and migrates it.
                if !isEmptyFile {
                    switch try StoreContents.inspect(path: path, configuration: config) {
                    case .foreign(let tables): throw StoreError.notABlockLabStore(path: path, tables: tables)
                    case .empty: created = true
                    case .store: break
                    }
                } else {
                    created = true
                }
                let pool = try DatabasePool(path: path, configuration: config)
                try Migrator.migrate(pool)
                database = pool
            case .readOnly:
                if isEmptyFile { throw StoreError.noRuns(path: path) }
                try Self.upgradeIfOlder(try StoreContents.inspect(path: path, configuration: config), path: path, configuration: config)
                database = try DatabaseQueue(path: path, configuration: config)
            case .readOnlyConcurrent:
                if isEmptyFile { throw StoreError.noRuns(path: path) }
                try Self.upgradeIfOlder(try StoreContents.inspect(path: path, configuration: config), path: path, configuration: config)
                database = try DatabasePool(path: path, configuration: config)
            }
        } catch let error as StoreError {
            throw error.withPath(path)
        } catch {
            throw StoreError.from(error, path: path)
        }
        self.created = created
        if mode == .readWrite { OpenStores.insert(path) }
    }

    deinit {
        if mode == .readWrite { OpenStores.remove(path) }
    }

    /// A store written by an older BlockLab, opened by a command that only reads: its missing
    /// migrations are applied first (each in its own transaction, as a writing command would),
    /// so reading works after an upgrade. A file that cannot be written is named, with the fix.
    /// A store of a newer BlockLab is refused (`newerSchema`), another program's database too.
    private static func upgradeIfOlder(_ contents: StoreContents, path: String, configuration: Configuration) throws {
        let applied: Int
        switch contents {
        case .foreign(let tables): throw StoreError.notABlockLabStore(path: path, tables: tables)
        case .empty, .store(version: 0): throw StoreError.noRuns(path: path)
        case .store(let version): applied = version
        }
        if applied > Migrator.latestVersion {
            throw StoreError.newerSchema(path: path, found: applied, supported: Migrator.latestVersion)
        }
        guard applied < Migrator.latestVersion else { return }
        var writable = configuration
        writable.readonly = false
        do {
            try Migrator.migrate(try DatabasePool(path: path, configuration: writable))
        } catch {
            throw StoreError.readOnly(path: path, detail: "it was written by an older BlockLab (schema version \(applied)) and "
                                      + "must be upgraded to version \(Migrator.latestVersion) once, which failed: \(error)")
        }
    }

    /// Creates an empty file readable and writable by its owner only (the store may hold
    /// private source code). SQLite gives the -wal and -shm files the same permissions.
    /// Returns whether this process made it (false: another process made it first).
    private static func createOwnerOnlyFile(at path: String) throws -> Bool {
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd); return true }
        if errno == EEXIST { return false }  // another process created it first
        throw StoreError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
    }

    /// A non-empty file must start with SQLite's magic header. Returns whether the file is empty.
    private static func checkHeader(path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.readOnly(path: path, detail: "the file cannot be read")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return true }
        if head != Data("SQLite format 3\0".utf8) { throw StoreError.notADatabase(path: path) }
        return false
    }

    /// Runs `body` in one write transaction, mapping SQLite errors to `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.write(body) } catch { throw StoreError.from(error, path: path) }
    }

    /// Runs `body` on a read snapshot, mapping SQLite errors to `StoreError`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch { throw StoreError.from(error, path: path) }
    }

    /// Runs PRAGMA integrity_check; returns "ok" or SQLite's list of problems.
    public func integrityCheck() throws -> String {
        try read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
        }
    }

    /// The schema version of this file (the highest applied migration).
    public func schemaVersion() throws -> Int {
        try read { db in try Migrator.appliedVersion(db) }
    }
}

extension StoreError {
    func withPath(_ path: String) -> StoreError {
        switch self {
        case .newerSchema(_, let found, let supported): return .newerSchema(path: path, found: found, supported: supported)
        case .notADatabase: return .notADatabase(path: path)
        default: return self
        }
    }
}
