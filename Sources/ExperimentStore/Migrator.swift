import Foundation
import GRDB

/// Applies the numbered `.sql` files under `schema/` in order, each in its own IMMEDIATE
/// transaction that first re-checks whether the migration is applied, so two processes
/// opening a new file at once never race: the second waits, then finds nothing to do.
/// Applied migrations are recorded in `schema_migrations` with their sha256.
enum Migrator {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    /// The migrations shipped with this BlockLab, in order.
    static let all: [Migration] = loadMigrations()

    /// The newest file's version, written here so that a command that only reads checks a
    /// store's version without finding and reading the migration files (a millisecond of its
    /// start). A test holds it equal to the last of `all`.
    static let latestVersion = 6

    private static func loadMigrations() -> [Migration] {
        guard let dir = Bundle.module.url(forResource: "Schema", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { fatalError("the schema migrations are missing from BlockLab's resources") }
        return files.filter { $0.hasSuffix(".sql") }.sorted().map { file in
            guard let version = Int(file.prefix(while: \.isNumber)), version > 0,
                  let sql = try? String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            else { fatalError("bad migration file name \(file): expected NNN_name.sql") }
            return Migration(version: version, name: String(file.dropLast(4)), sql: sql)
        }
    }

    static func migrate(_ database: any DatabaseWriter, migrations: [Migration] = all) throws {
        try database.writeWithoutTransaction { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    sha256     TEXT NOT NULL,
                    applied_at REAL NOT NULL
                ) STRICT
                """)
            try checkVersion(db, latest: migrations.last?.version ?? 0)
            for migration in migrations {
                try db.inTransaction(.immediate) {
                    let applied = try Bool.fetchOne(
                        db, sql: "SELECT 1 FROM schema_migrations WHERE version = ?",
                        arguments: [migration.version]) ?? false
                    if applied { return .commit }
                    try db.execute(sql: migration.sql)
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)",
                        arguments: [migration.version, migration.name,
                                    ExperimentStore.sha256(of: Data(migration.sql.utf8)), Date().timeIntervalSince1970])
                    return .commit
                }
            }
        }
    }

    /// Throws `newerSchema` when the file has migrations this BlockLab does not know.
    static func checkVersion(_ db: Database, latest: Int = latestVersion) throws {
        let found = try appliedVersion(db)
        if found > latest {
            throw StoreError.newerSchema(path: "", found: found, supported: latest)
        }
    }

    static func appliedVersion(_ db: Database) throws -> Int {
        guard try db.tableExists("schema_migrations") else { return 0 }
        return version(applied: try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations"))
    }

    /// A store's schema version from the migrations applied to it. Numbers may have gaps (a
    /// migration numbered on one line of work lands after a higher one of another), so a
    /// store is at this BlockLab's latest version only when every migration `known` is
    /// applied: while one is missing, the version is the highest applied below the first
    /// missing one, which is below `latestVersion` and so makes readers upgrade the file (the
    /// migrator applies each missing migration by its own number). A store with a version
    /// above all `known` is a newer BlockLab's: its highest version is returned.
    static func version(applied: [Int], known: [Int] = all.map(\.version)) -> Int {
        let highest = applied.max() ?? 0
        guard highest <= (known.max() ?? 0), let missing = known.sorted().first(where: { !applied.contains($0) }) else { return highest }
        return applied.filter { $0 < missing }.max() ?? 0
    }
}
