import Foundation

/// A file operation the system refused: which operation, on which path, the system's own
/// reason, and what to do about it.
public struct DurableFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let operation: String
    public let reason: String
    public let fix: String?

    public init(path: String, operation: String, reason: String, fix: String? = nil) {
        self.path = path
        self.operation = operation
        self.reason = reason
        self.fix = fix
    }

    /// From a failed system call's `errno`.
    init(path: String, operation: String, errno code: Int32, fix: String? = nil) {
        self.init(path: path, operation: operation, reason: String(cString: strerror(code)), fix: fix)
    }

    public var description: String {
        "cannot \(operation) \(path): \(reason)" + (fix.map { "; \($0)" } ?? "")
    }
}
