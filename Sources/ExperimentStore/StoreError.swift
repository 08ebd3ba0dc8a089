import Foundation
import GRDB

/// Errors a user can cause or meet with a store. Each message names the file and the fix.
public enum StoreError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case notFound(path: String)
    case notADatabase(path: String)
    case corrupt(path: String, detail: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case cannotCreate(path: String, reason: String)
    case readOnly(path: String, detail: String)
    case diskFull(path: String)
    case busy(path: String, detail: String)
    case runNotFound(ref: String)
    case ambiguousRun(ref: String, matches: [String])
    case fileMissing(path: String, what: String)
    case invalid(String)
    case sqlite(path: String, message: String)

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no experiment store at \(path): pass --store FILE (or set BLOCKLAB_STORE) to name an existing store, or run a command that records a run to create one"
        case .notADatabase(let path):
            return "\(path) is not a BlockLab store (not an SQLite file): check --store / BLOCKLAB_STORE, or choose a new file name"
        case .corrupt(let path, let detail):
            return "the store \(path) is corrupt (\(detail)): restore it from a backup, or recover what is readable with `sqlite3 \(path) .recover`"
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
        case .runNotFound(let ref):
            return "no run matches '\(ref)': use an id, a uuid prefix, a name or 'latest' (see `blocklab runs`)"
        case .ambiguousRun(let ref, let matches):
            return "'\(ref)' matches several runs (\(matches.joined(separator: ", "))): use a longer uuid prefix or the id"
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
