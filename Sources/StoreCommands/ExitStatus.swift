import ArgumentParser
import ExperimentStore
import Foundation

/// How a `blocklab` command ends: the one table of exit statuses, after BSD's sysexits.h, so
/// a script can tell a mistyped command from a missing store from a locked one. Both binaries
/// end through `ExitStatus.exit(_:error:classify:)`; `ExitStatus(for:)` maps the errors of the
/// store and of the command line, and `blocklab-full` adds those of the modules only it links.
/// `--help` (`helpText`) and the README print this table.
package enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    /// The command ran and its work failed (a run ended `failed`: the loss diverged, a phase
    /// failed, a rank was lost; a benchmark's check failed), or an error no other line names.
    case failure = 1
    /// The command line is wrong: an unknown command or option, a bad or missing value,
    /// options that contradict, a run reference that matches several runs.
    case usage = 64
    /// Input that cannot be used: a file's or a line's contents, a query SQLite rejects, a
    /// file that is not a BlockLab store, a corrupt store, a dataset or tokenizer that does not fit.
    case dataError = 65
    /// Something named does not exist: the store, a run, a metric, a file or folder, a
    /// model, a repository, a program to run.
    case notFound = 66
    /// BlockLab's own fault (an SQLite or libtorch failure it does not expect): please report it.
    case internalError = 70
    /// An output cannot be created or written: a folder that cannot be made, a full disk.
    case cannotCreate = 73
    /// Try again later: the store stayed locked by another process, a server is unavailable.
    case busy = 75
    /// Not allowed: a read-only store or file, permission denied.
    case permission = 77
    /// The config is wrong: an unknown key, a wrong type, an empty value, a missing profile,
    /// a YAML error, an environment variable a flag names that is unset.
    case config = 78
    /// `blocklab` cannot run `blocklab-full`, which is not beside it.
    case cannotRun = 127
    /// Stopped by Ctrl-C (SIGINT): the run is recorded `killed`.
    case interrupted = 130
    /// Stopped by SIGTERM: the run is recorded `killed`.
    case terminated = 143

    /// What the status means, for `--help`, the man page and the README.
    package var meaning: String {
        switch self {
        case .success: return "success"
        case .failure: return "the work failed (a run ended failed), or an error not listed here"
        case .usage: return "usage: an unknown command or option, a bad value, an ambiguous RUN"
        case .dataError: return "bad input: contents, a rejected query, not a (sound) BlockLab store"
        case .notFound: return "not found: the store, a run, a metric, a file, a model, a program"
        case .internalError: return "internal error: BlockLab's own fault; please report it"
        case .cannotCreate: return "cannot create or write an output (a folder, a full disk)"
        case .busy: return "busy: the store stayed locked, a server is unavailable; retry"
        case .permission: return "permission denied, or a read-only store or file"
        case .config: return "bad config: unknown key, wrong type, empty value, bad YAML or profile"
        case .cannotRun: return "blocklab-full is not beside blocklab"
        case .interrupted: return "stopped by Ctrl-C (SIGINT); the run is recorded killed"
        case .terminated: return "stopped by SIGTERM; the run is recorded killed"
        }
    }

    /// The table as `--help` prints it.
    package static var helpText: String {
        "EXIT STATUS (after sysexits.h):\n" + allCases.map { status in
            let code = String(status.rawValue)
            return "  " + code + String(repeating: " ", count: 5 - code.count) + status.meaning
        }.joined(separator: "\n")
            + "\n  `ingest -- CMD` ends as CMD did; another signal N ends with 128 + N."
    }

    /// The status of an error the store or the command line throws; nil for ArgumentParser's
    /// own (help and version requests, parse errors, `ExitCode`) and for types this module
    /// does not know, which ArgumentParser ends with 0, 64, their code or 1.
    package init?(for error: any Error) {
        switch error {
        case let error as CLIError: self = error.status
        case let error as StoreError: self = Self.of(error)
        case let error as CocoaError: self = Self.of(error)
        case let error as POSIXError: self = Self.of(errno: error.code.rawValue)
        case is DecodingError: self = .dataError
        default: return nil
        }
    }

    static func of(_ error: StoreError) -> ExitStatus {
        switch error {
        case .notFound, .runNotFound, .noRuns, .mergeSourceNotFound, .fileMissing: return .notFound
        case .ambiguousRun: return .usage
        case .notADatabase, .notABlockLabStore, .corrupt, .damagedWAL, .newerSchema, .invalid: return .dataError
        case .cannotCreate, .diskFull: return .cannotCreate
        case .readOnly: return .permission
        case .busy: return .busy
        case .sqlite(_, let message): return message.hasPrefix("I/O error") ? .cannotCreate : .internalError
        }
    }

    static func of(_ error: CocoaError) -> ExitStatus {
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return of(errno: Int32(underlying.code))
        }
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: return .notFound
        case .fileReadNoPermission, .fileWriteNoPermission, .fileWriteVolumeReadOnly: return .permission
        case .fileReadCorruptFile, .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding: return .dataError
        case .fileWriteOutOfSpace, .fileWriteFileExists, .fileWriteInvalidFileName, .fileWriteUnknown: return .cannotCreate
        default: return .failure
        }
    }

    static func of(errno code: Int32) -> ExitStatus {
        switch code {
        case ENOENT, ENOTDIR: return .notFound
        case EACCES, EPERM, EROFS: return .permission
        case ENOSPC, EDQUOT, EEXIST, EISDIR, ENAMETOOLONG: return .cannotCreate
        case EAGAIN, EBUSY: return .busy
        default: return .failure
        }
    }

    /// Ends the process for `error`: its message on stderr as ArgumentParser words it
    /// ("Error: ..."), and the status `classify` (the caller's modules) or `init(for:)` gives;
    /// any other error goes to ArgumentParser, which prints help, usage or the message itself.
    package static func exit(_ root: any ParsableCommand.Type, error: any Error,
                             classify: (any Error) -> ExitStatus? = { _ in nil }) -> Never {
        guard let status = classify(error) ?? ExitStatus(for: error) else { root.exit(withError: error) }
        fflush(nil)
        FileHandle.standardError.write(Data((root.fullMessage(for: error) + "\n").utf8))
        Foundation.exit(status.rawValue)
    }
}
