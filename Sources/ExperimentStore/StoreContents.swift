import GRDB

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

    static func read(_ db: Database) throws -> StoreContents {
        if try db.tableExists("schema_migrations") {
            let columns = Set(try db.columns(in: "schema_migrations").map { $0.name.lowercased() })
            if columns.isSuperset(of: ["version", "name", "sha256", "applied_at"]) {
                let first = try Row.fetchOne(db, sql: "SELECT version, name FROM schema_migrations ORDER BY version LIMIT 1")
                if let first {
                    let version: Int? = first[0], name: String? = first[1]
                    if version == 1, name == "001_initial" { return .store(version: try Migrator.appliedVersion(db)) }
                } else if try objects(db).allSatisfy({ $0.name == "schema_migrations" }) {
                    return .store(version: 0)
                }
            }
        }
        let objects = try objects(db)
        if objects.isEmpty {
            let marked = try Int.fetchOne(db, sql: "PRAGMA user_version") != 0 || (try Int.fetchOne(db, sql: "PRAGMA application_id")) != 0
            return marked ? .foreign(tables: []) : .empty
        }
        let tables = objects.filter { $0.type == "table" }.map(\.name)
        return .foreign(tables: tables.isEmpty ? objects.map(\.name) : tables)
    }

    /// Every schema object but SQLite's own, tables first.
    private static func objects(_ db: Database) throws -> [(type: String, name: String)] {
        try Row.fetchAll(db, sql: """
            SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            ORDER BY type = 'table' DESC, name
            """).map { ($0[0], $0[1]) }
    }
}
