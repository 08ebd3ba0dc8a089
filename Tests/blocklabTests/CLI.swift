import Foundation
import TestSupport

/// Runs the built `blocklab` binary, as a user would.
enum CLI {
    static let binary = BuiltProducts.blocklab

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `blocklab ARGS` (or another `executable`) with `stdin` as its input and waits for
    /// it; in `directory` when given.
    @discardableResult
    static func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:],
                    directory: String? = nil, executable: String = binary) throws -> Result {
        let process = start(arguments, environment: environment, directory: directory, executable: executable)
        let input = process.standardInput as! Pipe
        try process.run()
        let collector = OutputCollector(process)
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let (out, err) = collector.finish()
        return Result(status: process.terminationStatus, stdout: out, stderr: err)
    }

    /// A process ready to start, with pipes for stdin, stdout and stderr.
    static func start(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
                      executable: String = binary) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "BLOCKLAB_STORE")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = Pipe()
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        return process
    }

    /// Parses a command's JSON output.
    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}

/// Drains a running process's stdout and stderr on background threads, chunk by chunk, so
/// a test can wait for a line while the process runs (`waitFor`) and read everything at the end.
final class OutputCollector: @unchecked Sendable {
    private var out = Data()
    private var err = Data()
    private let lock = NSLock()
    private let group = DispatchGroup()

    init(_ process: Process) {
        let outHandle = (process.standardOutput as! Pipe).fileHandleForReading
        let errHandle = (process.standardError as! Pipe).fileHandleForReading
        drain(outHandle) { self.out.append($0) }
        drain(errHandle) { self.err.append($0) }
    }

    private func drain(_ handle: FileHandle, into append: @escaping @Sendable (Data) -> Void) {
        group.enter()
        DispatchQueue.global().async {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                self.lock.withLock { append(chunk) }
            }
            self.group.leave()
        }
    }

    /// What the process has printed so far.
    var stdoutSoFar: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderrSoFar: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Polls until `condition` holds for (stdout, stderr) so far, or `polls` × 50 ms pass
    /// (a guard against hanging, not a time limit on what is tested). Returns whether it held.
    @discardableResult
    func waitFor(polls: Int = 2400, _ condition: (String, String) -> Bool) -> Bool {
        for _ in 0..<polls {
            if condition(stdoutSoFar, stderrSoFar) { return true }
            usleep(50_000)
        }
        return condition(stdoutSoFar, stderrSoFar)
    }

    /// As `finish`, with stdout as the bytes printed.
    func finishData() -> (Data, String) {
        group.wait()
        return lock.withLock { (out, String(decoding: err, as: UTF8.self)) }
    }

    func finish() -> (String, String) {
        group.wait()
        return lock.withLock { (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)) }
    }
}

/// Lines `{"step": i, "loss": ..., "lr": ...}` for steps in `range`.
func metricLines(_ range: Range<Int>, keys: [String] = ["loss", "lr"]) -> String {
    range.map { step in
        "{\"step\": \(step), " + keys.enumerated().map { "\"\($1)\": \(Double(step) + Double($0) / 10)" }.joined(separator: ", ") + "}\n"
    }.joined()
}
