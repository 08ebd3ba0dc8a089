import Foundation
import GRDBSQLite

/// The authorizer of people's SQL: it allows reading, functions, recursive CTEs and the
/// PRAGMAs that only read, and denies everything else, remembering what it denied so the
/// error can name it.
extension ReadOnlyQuery {
    /// PRAGMAs that only read, allowed with an argument (e.g. `table_info(runs)`).
    static let readingPragmas: Set<String> = [
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "collation_list",
        "database_list", "function_list", "module_list", "pragma_list", "compile_options",
    ]
    /// PRAGMAs that change something even without an argument.
    static let actingPragmas: Set<String> = ["optimize", "wal_checkpoint", "shrink_memory", "incremental_vacuum", "vacuum"]

    final class Denial { var reason: String? }

    /// Installs the authorizer on `connection`; `denial` must outlive the connection's use.
    static func installAuthorizer(on connection: OpaquePointer, denial: Denial) {
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
    }

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
