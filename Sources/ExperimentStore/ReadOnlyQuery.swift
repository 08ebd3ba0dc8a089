import Foundation
import GRDBSQLite

/// Runs people's SQL against a store, read-only twice over: the connection is opened
/// read-only, and an authorizer denies every write, ATTACH/DETACH, transaction control, and
/// any PRAGMA that could change something. What is refused leaves the file untouched.
public struct ReadOnlyQuery {
    public struct Result: Sendable {
        public var columns: [String]
        public var rows: [[JSONValue]]
        /// True when more rows existed than `maxRows`.
        public var truncated: Bool
    }

    /// PRAGMAs that only read, allowed with an argument (e.g. `table_info(runs)`).
    static let readingPragmas: Set<String> = [
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "collation_list",
        "database_list", "function_list", "module_list", "pragma_list", "compile_options",
    ]
    /// PRAGMAs that change something even without an argument.
    static let actingPragmas: Set<String> = ["optimize", "wal_checkpoint", "shrink_memory", "incremental_vacuum", "vacuum"]

    /// How much of the store file a query maps into memory (SQLite's `mmap_size`).
    static let mappedBytes = 1 << 30

    /// Runs `sql` and returns at most `maxRows` rows (0 means no cap).
    public static func run(_ sql: String, storePath: String, maxRows: Int) throws -> Result {
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
        let denial = Denial()
        let context = Unmanaged.passUnretained(denial).toOpaque()
        sqlite3_set_authorizer(connection, { context, action, arg1, arg2, _, _ in
            let denial = Unmanaged<Denial>.fromOpaque(context!).takeUnretainedValue()
            switch action {
            case SQLITE_SELECT, SQLITE_READ, SQLITE_FUNCTION, SQLITE_RECURSIVE:
                return SQLITE_OK
            case SQLITE_PRAGMA:
                let name = arg1.map { String(cString: $0).lowercased() } ?? ""
                if ReadOnlyQuery.actingPragmas.contains(name) {
                    denial.reason = "PRAGMA \(name)"
                    return SQLITE_DENY
                }
                if arg2 == nil || ReadOnlyQuery.readingPragmas.contains(name) { return SQLITE_OK }
                denial.reason = "PRAGMA \(name) = ..."
                return SQLITE_DENY
            default:
                denial.reason = ReadOnlyQuery.actionName(action)
                return SQLITE_DENY
            }
        }, context)

        var rest = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        var result = Result(columns: [], rows: [], truncated: false)
        // Every statement in the text runs; the result is the last one's rows.
        while !rest.isEmpty {
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
                throw StoreError.invalid("SQL error: \(message(connection))")
            }
            let consumed = String(decoding: Array(rest.utf8.prefix(tailOffset)), as: UTF8.self)
            rest = String(rest.dropFirst(consumed.count)).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let statement else { continue }  // a comment or empty statement
            defer { sqlite3_finalize(statement) }
            guard sqlite3_stmt_readonly(statement) != 0 else {
                let refused = schemaStatement(consumed) ?? "that statement"
                throw StoreError.invalid("blocklab sql is read-only: \(refused) would write; use a copy of the store to change it")
            }
            let count = Int(sqlite3_column_count(statement))
            result = Result(columns: (0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))) },
                            rows: [], truncated: false)
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { break }
                guard step == SQLITE_ROW else { throw StoreError.invalid("SQL error: \(message(connection))") }
                if maxRows > 0 && result.rows.count == maxRows { result.truncated = true; break }
                result.rows.append((0..<count).map { column(statement, Int32($0)) })
            }
        }
        return result
    }

    private final class Denial { var reason: String? }

    /// The kind of a statement that changes the schema or the file as a whole, from its
    /// leading keywords ("DROP TABLE", "CREATE INDEX", "VACUUM"); nil for any other statement.
    static func schemaStatement(_ sql: String) -> String? {
        var words = [String]()
        var rest = sql[...]
        while words.count < 4 {
            rest = rest.drop { $0.isWhitespace }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*") {
                rest = rest.dropFirst(2)
                if let end = rest.range(of: "*/") { rest = rest[end.upperBound...] } else { rest = "" }
            } else {
                let word = rest.prefix { $0.isLetter }
                guard !word.isEmpty else { break }
                words.append(word.uppercased())
                rest = rest.dropFirst(word.count)
            }
        }
        guard let first = words.first else { return nil }
        switch first {
        case "VACUUM", "REINDEX", "ANALYZE": return first
        case "ALTER": return "ALTER TABLE"
        case "CREATE", "DROP":
            let kind = words.dropFirst().drop { ["TEMP", "TEMPORARY", "UNIQUE"].contains($0) }
            guard let object = kind.first else { return first }
            return object == "VIRTUAL" ? "\(first) VIRTUAL TABLE" : "\(first) \(object)"
        default: return nil
        }
    }

    private static func column(_ statement: OpaquePointer, _ index: Int32) -> JSONValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .string(String(cString: sqlite3_column_text(statement, index)))
        case SQLITE_BLOB:
            let bytes = Int(sqlite3_column_bytes(statement, index))
            return .string("<blob \(bytes) bytes>")
        default: return .null
        }
    }

    private static func message(_ connection: OpaquePointer?) -> String {
        connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
    }

    static func actionName(_ action: Int32) -> String {
        switch action {
        case SQLITE_INSERT: return "INSERT"
        case SQLITE_UPDATE: return "UPDATE"
        case SQLITE_DELETE: return "DELETE"
        case SQLITE_ATTACH: return "ATTACH"
        case SQLITE_DETACH: return "DETACH"
        case SQLITE_TRANSACTION: return "transaction control"
        case SQLITE_SAVEPOINT: return "SAVEPOINT"
        case SQLITE_ALTER_TABLE: return "ALTER TABLE"
        case SQLITE_ANALYZE: return "ANALYZE"
        case SQLITE_REINDEX: return "REINDEX"
        case SQLITE_CREATE_TABLE, SQLITE_CREATE_TEMP_TABLE: return "CREATE TABLE"
        case SQLITE_CREATE_INDEX, SQLITE_CREATE_TEMP_INDEX: return "CREATE INDEX"
        case SQLITE_CREATE_VIEW, SQLITE_CREATE_TEMP_VIEW: return "CREATE VIEW"
        case SQLITE_CREATE_TRIGGER, SQLITE_CREATE_TEMP_TRIGGER: return "CREATE TRIGGER"
        case SQLITE_CREATE_VTABLE: return "CREATE VIRTUAL TABLE"
        case SQLITE_DROP_TABLE, SQLITE_DROP_TEMP_TABLE: return "DROP TABLE"
        case SQLITE_DROP_INDEX, SQLITE_DROP_TEMP_INDEX: return "DROP INDEX"
        case SQLITE_DROP_VIEW, SQLITE_DROP_TEMP_VIEW: return "DROP VIEW"
        case SQLITE_DROP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER: return "DROP TRIGGER"
        case SQLITE_DROP_VTABLE: return "DROP VIRTUAL TABLE"
        default: return "that statement (authorizer action \(action))"
        }
    }
}
