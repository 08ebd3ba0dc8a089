import ArgumentParser

extension BlockLab {
    /// Subcommands of phase 3: commit embeddings, Qdrant, search.
    static let embeddingCommands: [ParsableCommand.Type] = [EmbedCommand.self, PushCommand.self, SearchCommand.self]
    /// `blocklab bench ...` subcommands of phase 3.
    static let embeddingBenchCommands: [ParsableCommand.Type] = [BenchEmbedCommand.self]
}
