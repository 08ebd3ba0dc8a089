import ArgumentParser

package struct NoteCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(commandName: "note", abstract: "Set a run's note.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Argument(help: "The note.") var text: String

    package func run() throws {
        let store = try storeOptions.openExistingForWriting()
        defer { store.checkpoint() }
        try store.setNote(runID: try store.run(runRef).id, note: text)
    }
}
