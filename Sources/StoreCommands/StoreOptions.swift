import ArgumentParser
import ExperimentStore
import Foundation

/// `--store FILE`: which store a command uses, in one order for every command:
/// 1. `--store FILE`;
/// 2. `$BLOCKLAB_STORE`;
/// 3. the config's `store.path`: for `pipeline`, `analyse`, `scrape`, `tokenize`, `embed` and `train`, the
///    config they load (`--config FILE`, else ./training_config.yaml when present), with
///    `--profile` and `--set` applied (`train`: the file's own); for every other command,
///    ./training_config.yaml's, when that file is present;
/// 4. `./blocklab.db`.
/// A relative path is relative to the working directory, wherever it was written.
package struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The experiment store file (default: $BLOCKLAB_STORE, else the config's store.path, else ./blocklab.db).", valueName: "file"))
    package var store: String?

    package init() {}

    /// The store file the order above names, reading ./training_config.yaml when it comes to it.
    package var path: String {
        get throws { try path(config: .workingDirectory) }
    }

    /// The store file the order above names, with `config` as step 3 (read only when the
    /// flag and the environment name no store).
    package func path(config: StoreConfig) throws -> String {
        if let store, !store.isEmpty { return store }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BLOCKLAB_STORE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return try config.storePath() ?? "blocklab.db"
    }

    /// Opens the store for reading; a missing file is an error, never a new empty store.
    package func openForReading(config: StoreConfig = .workingDirectory) throws -> ExperimentStore {
        try ExperimentStore.open(at: try path(config: config), mode: .readOnly)
    }

    /// Opens the store for writing, creating and migrating it when needed (and saying so on
    /// stderr when it is new).
    package func openForWriting(config: StoreConfig = .workingDirectory) throws -> ExperimentStore {
        let store = try ExperimentStore.open(at: try path(config: config), mode: .readWrite)
        if store.created {
            Console.notice("blocklab: created a new store at \(store.path)")
        }
        return store
    }

    /// Opens an existing store for writing: for commands that change runs already recorded
    /// (tag, note, delete, reap, push), where a missing file is a mistyped path, never a new store.
    package func openExistingForWriting(config: StoreConfig = .workingDirectory) throws -> ExperimentStore {
        let path = try path(config: config)
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.notFound(path: URL(fileURLWithPath: path).standardizedFileURL.path)
        }
        return try ExperimentStore.open(at: path, mode: .readWrite)
    }
}
