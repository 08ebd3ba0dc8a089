/// Errors a user can cause: bad settings, bad input, a corrupt or missing tokenizer file.
/// Each message names the thing that is wrong and what to do.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
