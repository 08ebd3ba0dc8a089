import ArgumentParser

extension BlockLab {
    /// Subcommands of phase 3: commit embeddings, Qdrant, search.
    static let embeddingCommands: [ParsableCommand.Type] = [EmbedCommand.self, PushCommand.self, SearchCommand.self]
}
