import ArgumentParser

extension BlockLab {
    /// Subcommands of the tokenizer and dataset capability (phase 2).
    static let tokenizerCommands: [ParsableCommand.Type] = [TokenizeCommand.self, TokenizerCommand.self]
    /// `blocklab bench ...` subcommands of the tokenizer and dataset capability (phase 2).
    static let tokenizerBenchCommands: [ParsableCommand.Type] = [BenchTokenizerCommand.self]
}
