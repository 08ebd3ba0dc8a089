import ArgumentParser

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Set a run's note.")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: ArgumentHelp("An id, a uuid prefix, a name, or 'latest'.", valueName: "run")) var runRef: String
    @Argument(help: "The note.") var text: String

    func run() throws {
        let store = try storeOptions.openForWriting()
        try store.setNote(runID: try store.run(runRef).id, note: text)
    }
}
