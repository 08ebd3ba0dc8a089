import Foundation
import GRDB

/// Errors a user can cause or meet with a store. Each message names the file (its absolute
/// path) and the fix. Cases stay distinct where the fix differs, so a caller can tell them
/// apart (a run that is not there from a reference that names several).
public enum StoreError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case notFound(path: String)
    /// Not an SQLite file at all (text, an image, a directory).
    case notADatabase(path: String)
    /// An SQLite database of another program: BlockLab neither reads nor changes it.
    case notABlockLabStore(path: String, tables: [String])
    case corrupt(path: String, detail: String)
    /// The write-ahead log beside the store holds committed transactions that SQLite would drop.
    case damagedWAL(path: String, detail: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case cannotCreate(path: String, reason: String)
    case readOnly(path: String, detail: String)
    case diskFull(path: String)
    case busy(path: String, detail: String)
    /// The store holds no run at all, so no reference can name one.
    case noRuns(path: String)
    case runNotFound(ref: String)
    /// A name or uuid prefix that names several runs; `matches` lists them, oldest first.
    case ambiguousRun(ref: String, matches: [RunMatch])
    /// `merge`'s other store is missing (the store merged into is not the problem).
    case mergeSourceNotFound(path: String)
    case fileMissing(path: String, what: String)
    case invalid(String)
    case sqlite(path: String, message: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no experiment store at \(path): pass --store FILE (or set BLOCKLAB_STORE) to name an existing store, or run a command that records a run to create one"
        case .notADatabase(let path):
            return "\(path) is not a BlockLab store (not an SQLite file): check --store / BLOCKLAB_STORE, or choose a new file name"
        case .notABlockLabStore(let path, let tables):
            let shown = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
            let what = tables.isEmpty ? "it is marked as another program's (PRAGMA user_version or application_id)"
                : "it holds \(tables.count) table\(tables.count == 1 ? "" : "s") of another program (\(shown)) and no BlockLab schema_migrations"
            return "\(path) is an SQLite database, but not a BlockLab store: \(what), so BlockLab leaves it as it is; "
                + "check --store / BLOCKLAB_STORE / store.path, or choose a new file name for a new store"
        case .corrupt(let path, let detail):
            return "the store \(path) is corrupt (\(detail)): restore it from a backup, or recover what is readable with `sqlite3 \(path) .recover`"
        case .damagedWAL(let path, let detail):
            return "the store's write-ahead log \(path)-wal is damaged (\(detail)); SQLite would drop those transactions without a word, "
                + "so BlockLab leaves both files as they are: keep a copy of \(path) and \(path)-wal, then remove \(path)-wal "
                + "to use the store as of its last readable transaction"
        case .newerSchema(let path, let found, let supported):
            return "the store \(path) was written by a newer BlockLab (schema version \(found); this BlockLab knows up to \(supported)): upgrade BlockLab to read it"
        case .cannotCreate(let path, let reason):
            return "cannot create the store \(path): \(reason); choose a writable location with --store or BLOCKLAB_STORE"
        case .readOnly(let path, let detail):
            return "cannot write to the store \(path) (\(detail)): check the permissions of the file and its directory, or pass --store to a writable location"
        case .diskFull(let path):
            return "the disk holding \(path) is full: free some space and retry; nothing was half-written (the last transaction was rolled back)"
        case .busy(let path, let detail):
            return "the store \(path) stayed locked by another process (\(detail)): retry when it is done"
        case .noRuns(let path):
            return "the store \(path) has no runs yet: record one with `blocklab pipeline --repo PATH`, `blocklab ingest` or `blocklab demo` "
                + "(with --store \(path) if it is not the default), or check --store / BLOCKLAB_STORE"
        case .runNotFound(let ref):
            return "no run matches '\(ref)': use an id, a uuid prefix, a name or 'latest' (see `blocklab runs`)"
        case .ambiguousRun(let ref, let matches):
            let rows = matches.map(\.line).joined(separator: "\n")
            return "'\(ref)' matches \(matches.count) runs:\n\(rows)\npick one by its id (\(matches.last.map { "`\($0.id)`" } ?? "an id")) "
                + "or by a longer uuid prefix (\(matches.last.map { "`\($0.uuid.prefix(8))`" } ?? "8 characters"))"
        case .mergeSourceNotFound(let path):
            return "nothing to merge: no store at \(path) (merge imports the runs of another BlockLab store; check that file's name)"
        case .fileMissing(let path, let what):
            return "the \(what) \(path) does not exist: record it only once its file is written"
        case .invalid(let message):
            return message
        case .sqlite(let path, let message):
            return "store \(path): \(message)"
        }
    }

    public var errorDescription: String? { description }

    /// Turns an SQLite error into the store error a user can act on.
    static func from(_ error: any Error, path: String) -> any Error {
        guard let dbError = error as? DatabaseError else { return error }
        let detail = dbError.message ?? "\(dbError.resultCode)"
        switch dbError.resultCode.primaryResultCode {
        case .SQLITE_FULL: return StoreError.diskFull(path: path)
        case .SQLITE_NOTADB: return StoreError.notADatabase(path: path)
        case .SQLITE_CORRUPT: return StoreError.corrupt(path: path, detail: detail)
        case .SQLITE_READONLY, .SQLITE_PERM: return StoreError.readOnly(path: path, detail: detail)
        case .SQLITE_CANTOPEN: return StoreError.cannotCreate(path: path, reason: detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.busy(path: path, detail: detail)
        case .SQLITE_IOERR:
            if dbError.extendedResultCode == .SQLITE_IOERR_WRITE || dbError.extendedResultCode == .SQLITE_IOERR_FSYNC {
                if errno == ENOSPC { return StoreError.diskFull(path: path) }
            }
            return StoreError.sqlite(path: path, message: "I/O error: \(detail)")
        default:
            var message = detail
            if let sql = dbError.sql { message += " (in: \(sql))" }
            return StoreError.sqlite(path: path, message: message)
        }
    }
}
