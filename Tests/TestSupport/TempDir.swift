import Foundation

/// A fresh temporary directory, removed with everything in it when the value is released.
public final class TempDir: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    /// A machine where the temporary folder cannot take a new directory cannot run the tests:
    /// that stops the run with the reason (a programmer's error, not a test's failure).
    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-test-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            preconditionFailure("cannot create the temporary directory \(url.path): \(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }
}
