import ArgumentParser
import ExperimentStore
import Foundation

/// `--store FILE`, else `BLOCKLAB_STORE`, else `./blocklab.db`.
package struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The experiment store file (default: $BLOCKLAB_STORE, else ./blocklab.db).", valueName: "file"))
    package var store: String?

    package init() {}

    package var path: String {
        if let store, !store.isEmpty { return store }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BLOCKLAB_STORE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "blocklab.db"
    }

    /// Opens the store for reading; a missing file is an error, never a new empty store.
    package func openForReading() throws -> ExperimentStore {
        try ExperimentStore.open(at: path, mode: .readOnly)
    }

    /// Opens the store for writing, creating and migrating it when needed.
    package func openForWriting() throws -> ExperimentStore {
        try ExperimentStore.open(at: path, mode: .readWrite)
    }

    /// Opens an existing store for writing: for commands that change runs already recorded
    /// (tag, note, delete, reap), where a missing file is a mistyped path, never a new store.
    package func openExistingForWriting() throws -> ExperimentStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound(path: path) }
        return try ExperimentStore.open(at: path, mode: .readWrite)
    }
}
