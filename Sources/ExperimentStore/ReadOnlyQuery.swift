import Foundation
import GRDBSQLite

/// Runs people's SQL against a store, read-only twice over: the connection is opened
/// read-only, and an authorizer denies every write, ATTACH/DETACH, transaction control, and
/// any PRAGMA that could change something. What is refused leaves the file untouched.
///
/// Every statement of the text runs in order and each one that returns columns is answered
/// (`SELECT 1; SELECT 2` gives two results, as the sqlite3 shell does), all within one set of
/// `Limits`: a row cap and a byte cap over the whole answer, a bound on one value's size, and
/// a time limit enforced by SQLite's progress handler. `blocklab sql` and the dashboard's
/// `/api/sql` both come here, with their own limits.
public struct ReadOnlyQuery {
    /// One statement's answer.
    public struct Statement: Sendable {
        public var columns: [String]
        public var rows: [[JSONValue]]
    }

    /// Why an answer holds fewer rows than the query gives.
    public enum Stop: Sendable, Equatable {
        /// `Limits.maxRows` rows were answered and more existed.
        case rows(Int)
        /// The next row would have taken the answer past `Limits.maxResultBytes`.
        case bytes(Int)
    }

    public struct Result: Sendable {
        /// Every statement that returns columns, in order; the last may be cut short (`stop`),
        /// and statements after a cut are not run.
        public var statements: [Statement]
        public var stop: Stop?

        /// The last statement's columns and rows: the whole answer of a one-statement query.
        public var columns: [String] { statements.last?.columns ?? [] }
        public var rows: [[JSONValue]] { statements.last?.rows ?? [] }
        /// True when a limit left rows out.
        public var truncated: Bool { stop != nil }
    }

    /// How much of the store file a query maps into memory (SQLite's `mmap_size`).
    static let mappedBytes = 1 << 30

    /// Runs `sql` with at most `maxRows` rows (0 means no cap) and no time limit.
    public static func run(_ sql: String, storePath: String, maxRows: Int) throws -> Result {
        try run(sql, storePath: storePath, limits: Limits(maxRows: maxRows == 0 ? nil : maxRows))
    }

    /// Runs every statement of `sql` within `limits`. Throws `StoreError.invalid` for an
    /// empty query, an SQL error, a refused statement, the time limit or a value too large.
    public static func run(_ sql: String, storePath: String, limits: Limits) throws -> Result {
        var rest = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !rest.isEmpty else {
            throw StoreError.invalid("the query is empty: give a statement, e.g. \"SELECT name, status FROM run_summary\" (the tables: schema/README.md)")
        }
        if let cancellation = limits.cancellation, cancellation.isCancelled {
            throw StoreError.invalid("the query was stopped: \(cancellation.reason)")
        }
        guard FileManager.default.fileExists(atPath: storePath) else { throw StoreError.notFound(path: storePath) }
        _ = try ExperimentStore.open(at: storePath, mode: .readOnly)  // a BlockLab store, of a known version
        var connection: OpaquePointer?
        let openCode = sqlite3_open_v2(storePath, &connection, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(connection) }
        guard openCode == SQLITE_OK, let connection else {
            throw StoreError.sqlite(path: storePath, message: "cannot open read-only: \(message(connection))")
        }
        sqlite3_busy_timeout(connection, Int32(ExperimentStore.busyTimeout * 1000))
        // Pages read straight from the mapped file instead of copied by read(2): a scan of a
        // 2.4M-point store (`SELECT count(*) FROM metrics`) takes about half the time.
        sqlite3_exec(connection, "PRAGMA mmap_size = \(Self.mappedBytes)", nil, nil, nil)
        sqlite3_limit(connection, SQLITE_LIMIT_LENGTH, Int32(clamping: limits.maxValueBytes))
        let denial = Denial()
        installAuthorizer(on: connection, denial: denial)
        let deadline = Deadline(seconds: limits.timeout, cancellation: limits.cancellation)
        deadline.install(on: connection)

        var result = Result(statements: [], stop: nil)
        var rowCount = 0, byteCount = 0, prepared = 0
        statements: while !rest.isEmpty {
            var statement: OpaquePointer?
            var tailOffset = 0
            let code = rest.withCString { text -> Int32 in
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(connection, text, -1, &statement, &tail)
                if let tail { tailOffset = text.distance(to: tail) }
                return code
            }
            guard code == SQLITE_OK else {
                if let reason = denial.reason {
                    // The authorizer sees a schema change as a write to sqlite_schema first
                    // (DROP TABLE asks to DELETE from it): the statement's keywords name it better.
                    let refused = schemaStatement(rest) ?? reason
                    throw StoreError.invalid("blocklab sql is read-only: \(refused) is refused; use a copy of the store (or the Swift API) to change it")
                }
                throw failure(code, connection, limits, deadline)
            }
            let consumed = String(decoding: Array(rest.utf8.prefix(tailOffset)), as: UTF8.self)
            rest = String(rest.dropFirst(consumed.count)).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let statement else { continue }  // a comment or empty statement
            defer { sqlite3_finalize(statement) }
            prepared += 1
            guard sqlite3_stmt_readonly(statement) != 0 else {
                let refused = schemaStatement(consumed) ?? "that statement"
                throw StoreError.invalid("blocklab sql is read-only: \(refused) would write; use a copy of the store to change it")
            }
            let count = Int(sqlite3_column_count(statement))
            var answer = Statement(columns: (0..<count).map { sqlite3_column_name(statement, Int32($0)).map { String(cString: $0) } ?? "?" },
                                   rows: [])
            defer { if count > 0 { result.statements.append(answer) } }
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { break }
                guard step == SQLITE_ROW else { throw failure(step, connection, limits, deadline) }
                if let cap = limits.maxRows, rowCount == cap { result.stop = .rows(cap); break statements }
                let row = (0..<count).map { column(statement, Int32($0)) }
                let bytes = row.reduce(0) { $0 + $1.answerBytes }
                if byteCount + bytes > limits.maxResultBytes { result.stop = .bytes(limits.maxResultBytes); break statements }
                answer.rows.append(row)
                rowCount += 1
                byteCount += bytes
            }
        }
        guard prepared > 0 else {
            throw StoreError.invalid("the query holds no statement (only comments or semicolons): give one, e.g. \"SELECT name, status FROM run_summary\"")
        }
        return result
    }

    /// The error for a failed prepare or step: the time limit and the value size by name.
    private static func failure(_ code: Int32, _ connection: OpaquePointer, _ limits: Limits, _ deadline: Deadline) -> StoreError {
        if let cancellation = limits.cancellation, cancellation.isCancelled, code == SQLITE_INTERRUPT {
            return .invalid("the query was stopped: \(cancellation.reason)")
        }
        if deadline.passed || code == SQLITE_INTERRUPT, let timeout = limits.timeout {
            return .invalid("the query ran past its time limit of \(seconds(timeout)) and was stopped; \(limits.raiseTimeout)")
        }
        if code == SQLITE_TOOBIG {
            return .invalid("a value in the query grew past \(size(limits.maxValueBytes)), the most one value may hold here; look at part of it with substr() or length()")
        }
        return .invalid("SQL error: \(message(connection))")
    }

    private static func column(_ statement: OpaquePointer, _ index: Int32) -> JSONValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // By length, not up to the first NUL: text may hold one.
            guard let text = sqlite3_column_text(statement, index) else { return .string("") }
            let bytes = Int(sqlite3_column_bytes(statement, index))
            return .string(String(decoding: UnsafeBufferPointer(start: text, count: bytes), as: UTF8.self))
        case SQLITE_BLOB:
            let bytes = Int(sqlite3_column_bytes(statement, index))
            return .string("<blob \(bytes) bytes>")
        default: return .null
        }
    }

    private static func message(_ connection: OpaquePointer?) -> String {
        connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
    }
}

extension JSONValue {
    /// What a value costs an answer (`ReadOnlyQuery.Limits.maxResultBytes`).
    var answerBytes: Int {
        switch self {
        case .string(let text): return text.utf8.count
        case .null: return 1
        default: return 8
        }
    }
}
