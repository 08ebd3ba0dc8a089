import ArgumentParser
import BuildInfo
import ExperimentStore
import Foundation
import StoreCommands
import Torch

/// `blocklab version`: what this build is, for a bug report or a script: BlockLab's version,
/// the commit it was built from (scripts/build.sh records it; "unknown" otherwise), the store
/// schema it writes, and the SQLite and libtorch it runs on. libtorch is loaded to ask it;
/// when it cannot be, its version is null and `libtorch_error` says why (the command still
/// succeeds: the store commands need no libtorch). `--version` stays the bare version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show BlockLab's version, build commit, store schema version, and SQLite and libtorch versions.",
        discussion: "JSON keys: version, build_commit, schema_version, sqlite_version, libtorch_version (null when libtorch does not load), libtorch_error (why, else null).")

    @OptionGroup var output: OutputOptions

    func run() throws {
        var torch: (version: String?, error: String?) = (nil, nil)
        do { torch.version = try Torch.version() } catch { torch.error = error.description }
        // In this order in the table; JSON and CSV sort the keys. A missing value is null.
        let fields: [(String, JSONValue)] = [
            ("version", .string(BlockLabVersion.string)),
            ("build_commit", .string(String(cString: blocklab_build_commit()))),
            ("schema_version", .int(Int64(BlockLabVersion.schema))),
            ("sqlite_version", .string(BlockLabVersion.sqlite)),
            ("libtorch_version", torch.version.map(JSONValue.string) ?? .null),
            ("libtorch_error", torch.error.map(JSONValue.string) ?? .null),
        ]
        let json = JSONValue.object(Dictionary(uniqueKeysWithValues: fields)).jsonString(pretty: true)
        try output.printRecord(json: Data(json.utf8)) {
            print(OutputOptions.table(headers: ["field", "value"], rows: fields.map { [$0.0, OutputOptions.cell($0.1)] }),
                  terminator: "")
        }
    }
}
