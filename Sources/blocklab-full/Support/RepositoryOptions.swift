import ArgumentParser
import Foundation
import GitHistory
import Pipeline

/// `--repo` and `--refs` (repository.refs), shared by `analyse`, `scrape` and `bench git`.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The git repository (work tree, .git folder, or bare).", valueName: "path"))
    var repo: String
    @Option(name: .long, help: ArgumentHelp("repository.refs: heads (local branches and tags), all (every ref), or comma-separated globs such as 'refs/heads/release/*' (default: heads).", valueName: "refs"))
    var refs: String?

    /// `--refs`, else the config's default.
    var selection: RefSelection { RefSelection(argument: refs ?? PipelineConfig().repository.refs) }
}
