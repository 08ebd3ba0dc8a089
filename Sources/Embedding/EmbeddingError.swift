/// Errors a user can cause in phase 3: a missing or unsupported model, bad input, a run
/// without embeddings. Each message names the thing that is wrong and what to do.
public struct EmbeddingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
