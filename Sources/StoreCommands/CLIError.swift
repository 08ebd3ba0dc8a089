import Foundation

/// A user error: the message names the problem and the fix; `status` is how the command
/// exits (`ExitStatus`: a plain failure unless the thrower says which case it is).
package struct CLIError: Error, CustomStringConvertible, LocalizedError {
    package let message: String
    package let status: ExitStatus
    package init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }
    package var description: String { message }
    package var errorDescription: String? { message }
}
