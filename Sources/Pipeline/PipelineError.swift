/// A pipeline failure a user can act on: the message names the problem and the fix.
public struct PipelineError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
