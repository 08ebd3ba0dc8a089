import ArgumentParser

extension BlockLab {
    /// Subcommands of the git history capability (phases 0 and 1).
    static let gitCommands: [ParsableCommand.Type] = [AnalyseCommand.self, ScrapeCommand.self]
}
