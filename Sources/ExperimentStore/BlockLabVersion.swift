import GRDBSQLite

/// The version of BlockLab recorded with every run, and what `blocklab version` reports of
/// the store's side of the build.
public enum BlockLabVersion {
    public static let string = "0.1.0"

    /// The newest schema migration this BlockLab applies (and the newest it reads).
    public static var schema: Int { Migrator.latestVersion }

    /// The version of the SQLite library in use (`sqlite3_libversion`).
    public static var sqlite: String { String(cString: sqlite3_libversion()) }
}
