import Foundation

/// Runs a configured `Process` to its end, reading stdout and stderr at the same time (so
/// neither pipe fills and blocks the child), and returns its status and both outputs.
public enum ChildOutput {
    public static func collect(_ process: Process) throws -> (status: Int32, stdout: String, stderr: String) {
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = Drain(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), errors.text())
    }

    /// A pipe read to its end on another thread.
    private final class Drain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            DispatchQueue.global().async { self.data = handle.readDataToEndOfFile(); self.done.signal() }
        }

        func text() -> String { done.wait(); return String(decoding: data, as: UTF8.self) }
    }
}
