import ExperimentStore
import Foundation
import Yams

/// Where a command's config says the store is (`store.path`): step 3 of `StoreOptions`' order.
package enum StoreConfig: Sendable {
    /// The `store.path` of this config file (nil: no file), read only when it is needed.
    case file(String?)
    /// The `store.path` of the config the command loaded, as resolved (profile and `--set`
    /// applied); nil: the config names no store.
    case resolved(String?)

    /// The config of a command without `--config`: ./training_config.yaml when it is present.
    package static var workingDirectory: StoreConfig {
        .file(FileManager.default.fileExists(atPath: defaultFile) ? defaultFile : nil)
    }

    /// The config file a command reads when not told otherwise.
    package static let defaultFile = "training_config.yaml"

    /// The path the config names, or nil.
    func storePath() throws -> String? {
        switch self {
        case .resolved(let path): return path
        case .file(nil): return nil
        case .file(let file?): return try Self.storePath(inFile: file)
        }
    }

    /// `store.path` of a BlockLab config file as the pipeline's config reads it (the `store`
    /// section's `path`, or a top-level `store.path` key; null or absent: nil), without reading
    /// the rest of the file, which the store's commands do not link. A file that cannot be read
    /// is an error naming it: a store chosen in spite of the config would be the wrong one.
    package static func storePath(inFile file: String) throws -> String? {
        let shown = URL(fileURLWithPath: file).standardizedFileURL.path
        func failure(_ why: String) -> CLIError {
            CLIError("cannot read store.path from the config \(shown): \(why); fix the file, or name the store with --store or BLOCKLAB_STORE")
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw failure("the file cannot be read") }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw failure("it is not valid YAML (\(error))") }
        guard let root, !(root is NSNull) else { return nil }
        guard let mapping = root as? [AnyHashable: Any] else { throw failure("it is not a mapping of sections") }
        var value: Any?
        if let section = mapping["store"], !(section is NSNull) {
            guard let keys = section as? [AnyHashable: Any] else { throw failure("store: expected a mapping with a path key") }
            value = keys["path"]
        }
        if let dotted = mapping["store.path"] { value = dotted }
        guard let value, !(value is NSNull) else { return nil }
        guard let path = value as? String else { throw failure("store.path: expected text or null, got \(value)") }
        return ["null", "~", ""].contains(path) ? nil : path
    }
}
