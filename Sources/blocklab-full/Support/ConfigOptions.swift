import ArgumentParser
import Foundation
import Pipeline
import StoreCommands

/// `--config`, `--profile` and `--set`, shared by `pipeline` and every phase's command: each
/// reads the one config (`training_config.yaml`) through `PipelineConfig`, and a command's
/// own flags are overrides of the same keys, applied after `--set` (a flag not given keeps
/// the config's value).
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The config (default: ./training_config.yaml if present, else built-in defaults).", valueName: "file"))
    var config: String?
    @Option(name: .long, help: ArgumentHelp("A profile: quick or full (built in), or another of the config's `profiles` section.", valueName: "name"))
    var profile: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set training.max_steps=100 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    /// The config file to read: `--config`, else ./training_config.yaml when `implicitFile` and it exists.
    func path(implicitFile: Bool = true) -> String? {
        config ?? (implicitFile && FileManager.default.fileExists(atPath: "training_config.yaml") ? "training_config.yaml" : nil)
    }

    /// The file's text (nil: no file); an unreadable `--config` names the fix.
    func yaml(implicitFile: Bool = true) throws -> String? {
        guard let path = path(implicitFile: implicitFile) else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("the config \(path) does not exist: pass an existing YAML file with --config (without --config, ./training_config.yaml or the built-in defaults are read)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError("cannot read the config \(path) (not readable, or not UTF-8 text): pass a readable YAML file with --config",
                           status: FileManager.default.fileExists(atPath: path) ? .dataError : .notFound)
        }
        return text
    }

    /// The config: the file, the profile, `--set`, then `flags` (the command's own flags as
    /// `KEY=VALUE`). `alone`: a phase's command, which skips the checks across phases.
    func load(flags: [String] = [], alone: Bool = false) throws -> (config: PipelineConfig, yaml: String?) {
        let text = try yaml()
        do {
            return (try PipelineConfig.load(yaml: text, profile: profile, overrides: overrides + flags, alone: alone), text)
        } catch {
            throw CLIError("\(path() ?? "the config"): \(error)", status: .config)
        }
    }
}

/// A command's flags as config overrides: `key=value` for each flag that was given.
struct FlagOverrides {
    private(set) var list: [String] = []

    mutating func add<T>(_ key: String, _ value: T?) {
        if let value { list.append("\(key)=\(value)") }
    }

    /// A switch that turns `key` off when given.
    mutating func off(_ key: String, when given: Bool) {
        if given { list.append("\(key)=false") }
    }
}
