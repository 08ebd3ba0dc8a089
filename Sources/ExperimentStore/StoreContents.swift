import Foundation
import GRDB
import GRDBSQLite

/// What an existing SQLite file holds, read before BlockLab writes anything to it, so a
/// database of another program is never migrated, switched to WAL or otherwise changed.
///
/// A BlockLab store has a `schema_migrations` table with BlockLab's columns whose first
/// migration is `001_initial` (another program's `schema_migrations`, Rails' or Ecto's, has
/// other columns). A file with no schema objects and no `user_version` or `application_id`
/// (`sqlite3 x.db VACUUM` makes one) holds nothing to lose, and becomes a new store. Anything
/// else is another program's database.
enum StoreContents: Equatable {
    /// A BlockLab store at this schema version. 0: a store another process is creating right
    /// now (its `schema_migrations` exists, its first migration is not committed yet).
    case store(version: Int)
    /// No schema object at all: a new store can be made here.
    case empty
    /// Another program's database, with the names of its tables (views and others if none).
    case foreign(tables: [String])

    /// Reads the file at `path` without making a file beside it: first the file alone,
    /// opened immutable (no lock, no `-wal`, no `-shm`: a WAL-mode database of another program
    /// gets neither); then, only when a non-empty `-wal` is there and the file alone did not
    /// already show another program's tables, through SQLite's usual read-only open, which reads
    /// that log (the transactions a running process has not copied into the file yet). The
    /// usual open is also the answer when the file alone cannot be read (a checkpoint of
    /// another process rewriting a page just then: immutable means nobody writes).
    static func inspect(path: String, configuration: Configuration) throws -> StoreContents {
        let alone = try? read(query: try ImmutableFile(path: path).rows)
        if let alone, case .foreign = alone { return alone }
        let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        if let alone, log == 0 { return alone }
        var readOnly = configuration
        readOnly.readonly = true
        return try DatabaseQueue(path: path, configuration: readOnly).read { db in
            try read { sql in try Row.fetchAll(db, sql: sql).map { row in row.databaseValues.map(String.fromDatabaseValue) } }
        }
    }

    /// The verdict from what `query` answers (every column as text).
    static func read(query: (String) throws -> [[String?]]) throws -> StoreContents {
        let objects = try query("""
            SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            ORDER BY type = 'table' DESC, name
            """).map { (type: $0[0] ?? "", name: $0[1] ?? "") }
        if objects.contains(where: { $0.type == "table" && $0.name == "schema_migrations" }) {
            let columns = Set(try query("SELECT lower(name) FROM pragma_table_info('schema_migrations')").compactMap { $0[0] })
            if columns.isSuperset(of: ["version", "name", "sha256", "applied_at"]) {
                if let first = try query("SELECT CAST(version AS TEXT), name FROM schema_migrations ORDER BY version LIMIT 1").first {
                    if first[0] == "1", first[1] == "001_initial" {
                        let applied = try query("SELECT CAST(version AS TEXT) FROM schema_migrations").compactMap { $0[0].flatMap { Int($0) } }
                        return .store(version: Migrator.version(applied: applied))
                    }
                } else if objects.count == 1 {
                    return .store(version: 0)
                }
            }
        }
        if objects.isEmpty {
            let marks = try query("SELECT CAST(user_version AS TEXT) FROM pragma_user_version UNION ALL SELECT CAST(application_id AS TEXT) FROM pragma_application_id")
            return marks.allSatisfy { $0[0] == "0" } ? .empty : .foreign(tables: [])
        }
        let tables = objects.filter { $0.type == "table" }.map(\.name)
        return .foreign(tables: tables.isEmpty ? objects.map(\.name) : tables)
    }
}

/// One SQLite file opened `immutable=1`, read-only: SQLite reads the file alone, takes no
/// lock and makes no `-wal` or `-shm` beside it. Closed when released.
private final class ImmutableFile {
    private var handle: OpaquePointer?

    init(path: String) throws {
        let uri = URL(fileURLWithPath: path).absoluteString + "?mode=ro&immutable=1"
        let code = sqlite3_open_v2(uri, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nil)
        guard code == SQLITE_OK else { throw failure(code) }
    }

    deinit { sqlite3_close_v2(handle) }

    /// Every row `sql` returns, each column as text (nil for NULL).
    func rows(_ sql: String) throws -> [[String?]] {
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard prepared == SQLITE_OK else { throw failure(prepared, sql: sql) }
        defer { sqlite3_finalize(statement) }
        var rows: [[String?]] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else { throw failure(code, sql: sql) }
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                sqlite3_column_text(statement, column).map { String(cString: $0) }
            })
        }
    }

    private func failure(_ code: Int32, sql: String? = nil) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: handle.map { String(cString: sqlite3_errmsg($0)) }, sql: sql)
    }
}
