import ArgumentParser

extension BlockLab {
    /// Subcommands of the tokenizer and dataset capability (phase 2).
    static let tokenizerCommands: [ParsableCommand.Type] = [TokenizeCommand.self, TokenizerCommand.self]
}
