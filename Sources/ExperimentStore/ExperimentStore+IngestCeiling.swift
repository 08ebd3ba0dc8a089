import Foundation
import GRDBSQLite

extension ExperimentStore {
    /// The raw-SQLite ceiling of metric ingest: the rows a run's points become, written into a
    /// new store's schema through one prepared statement in one transaction, on a plain SQLite
    /// connection with the store's durability (WAL, `synchronous = FULL`). No interning, no
    /// summaries, no writer thread: what the store's ingest would cost if it did nothing else.
    /// `blocklab bench store` times `insert(steps:)` beside the run API.
    ///
    ///     let ceiling = try ExperimentStore.IngestCeiling(path: "ceiling.db", keys: ["loss"])
    ///     try ceiling.insert(steps: 1000)  // 1,000 rows: step s of key k has 1 / (1 + s) + k
    public final class IngestCeiling {
        public let path: String
        public let keys: [String]
        /// The run the rows belong to (made through the store, so the file is a real store).
        public let runID: Int64
        private var db: OpaquePointer?

        /// Creates the store at `path` (which must not hold one yet), a finished run, and `keys`.
        public init(path: String, keys: [String]) throws {
            let store = try ExperimentStore.open(at: path)
            let run = try store.startRun(RunSpec(name: "ingest-ceiling"))
            try run.finish()
            (self.path, self.keys, self.runID) = (path, keys, run.id)
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { throw failure("open") }
            try execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL")
            guard try count("SELECT count(*) FROM metric_keys") == 0 else {
                throw StoreError.invalid("the ingest ceiling needs a new store; \(path) already has metric keys")
            }
            let insert = try prepare("INSERT INTO metric_keys (id, key) VALUES (?, ?)")
            defer { sqlite3_finalize(insert) }
            for (index, key) in keys.enumerated() {
                sqlite3_reset(insert)
                sqlite3_bind_int64(insert, 1, Int64(index + 1))
                sqlite3_bind_text(insert, 2, key, -1, SQLITE_TRANSIENT_DESTRUCTOR)
                guard sqlite3_step(insert) == SQLITE_DONE else { throw failure("insert metric key \(key)") }
            }
        }

        deinit { sqlite3_close_v2(db) }

        /// Writes steps 0..<steps for every key (`steps × keys.count` rows) in one transaction;
        /// returns when it is committed and durable.
        public func insert(steps: Int) throws {
            let statement = try prepare("INSERT INTO metrics (run_id, key_id, step, value, wall_time, epoch) VALUES (?, ?, ?, ?, ?, ?)")
            defer { sqlite3_finalize(statement) }
            try execute("BEGIN IMMEDIATE")
            let wall = Date().timeIntervalSince1970
            for step in 0..<steps {
                for k in 0..<keys.count {
                    sqlite3_reset(statement)
                    sqlite3_bind_int64(statement, 1, runID)
                    sqlite3_bind_int64(statement, 2, Int64(k + 1))
                    sqlite3_bind_int64(statement, 3, Int64(step))
                    sqlite3_bind_double(statement, 4, 1.0 / Double(1 + step) + Double(k))
                    sqlite3_bind_double(statement, 5, wall)
                    sqlite3_bind_null(statement, 6)
                    guard sqlite3_step(statement) == SQLITE_DONE else {
                        let error = failure("insert step \(step)")
                        try? execute("ROLLBACK")
                        throw error
                    }
                }
            }
            try execute("COMMIT")
        }

        private func execute(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw failure(sql) }
        }

        private func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw failure(sql) }
            return statement
        }

        private func count(_ sql: String) throws -> Int64 {
            let statement = try prepare(sql)
            defer { sqlite3_finalize(statement) }
            guard sqlite3_step(statement) == SQLITE_ROW else { throw failure(sql) }
            return sqlite3_column_int64(statement, 0)
        }

        /// SQLite's own message for the call that failed.
        private func failure(_ what: String) -> StoreError {
            .sqlite(path: path, message: "\(what): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open")")
        }
    }
}

/// SQLite copies the bound text (the Swift string's buffer is temporary).
private let SQLITE_TRANSIENT_DESTRUCTOR = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
