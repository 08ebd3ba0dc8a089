import ArgumentParser
import ExperimentStore
import Foundation

/// `--store FILE`, else `BLOCKLAB_STORE`, else `./blocklab.db`.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The experiment store file (default: $BLOCKLAB_STORE, else ./blocklab.db).", valueName: "file"))
    var store: String?

    var path: String {
        if let store, !store.isEmpty { return store }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BLOCKLAB_STORE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "blocklab.db"
    }

    /// Opens the store for reading; a missing file is an error, never a new empty store.
    func openForReading() throws -> ExperimentStore {
        try ExperimentStore.open(at: path, mode: .readOnly)
    }

    /// Opens the store for writing, creating and migrating it when needed.
    func openForWriting() throws -> ExperimentStore {
        try ExperimentStore.open(at: path, mode: .readWrite)
    }
}

/// A user error: the message names the problem and the fix. Exits with status 1.
struct CLIError: Error, CustomStringConvertible, LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
    var errorDescription: String? { message }
}
