import Foundation

/// A user error: the message names the problem and the fix. Exits with status 1.
package struct CLIError: Error, CustomStringConvertible, LocalizedError {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
    package var errorDescription: String? { message }
}
