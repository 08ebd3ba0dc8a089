import ArgumentParser
import ExperimentStore

package struct TagCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "tag", abstract: "Set tags on a run (KEY=VALUE ...).")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Argument(help: "KEY=VALUE pairs.") var tags: [String]

    package func validate() throws {
        guard !tags.isEmpty else { throw ValidationError("give at least one KEY=VALUE") }
        for tag in tags where !tag.contains("=") || tag.hasPrefix("=") {
            throw ValidationError("'\(tag)' is not KEY=VALUE")
        }
    }

    package func run() throws {
        let store = try storeOptions.openExistingForWriting()
        defer { store.checkpoint() }
        let info = try store.run(runRef)
        for tag in tags {
            let parts = tag.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            try store.setTag(runID: info.id, key: String(parts[0]), value: String(parts[1]))
        }
    }
}
