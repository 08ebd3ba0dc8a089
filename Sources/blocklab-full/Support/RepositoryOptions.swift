import ArgumentParser
import Foundation
import GitHistory

/// `--repo` and `--refs`, shared by `analyse`, `scrape` and `bench git`.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The git repository (work tree, .git folder, or bare).", valueName: "path"))
    var repo: String
    @Option(name: .long, help: ArgumentHelp("heads (local branches and tags), all (every ref), or comma-separated globs such as 'refs/heads/release/*'.", valueName: "refs"))
    var refs = "heads"

    var selection: RefSelection { RefSelection(argument: refs) }
}
