import ArgumentParser

extension BlockLab {
    /// Subcommands of the pipeline: every phase as one run.
    static let pipelineCommands: [ParsableCommand.Type] = [PipelineCommand.self]
}
