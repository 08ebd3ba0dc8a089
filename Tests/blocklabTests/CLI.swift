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
    /// it; in `directory` when given. A command still running after `deadline` is killed and
    /// this throws with what it printed.
    @discardableResult
    static func run(_ arguments: [String], stdin: String = "", environment: [String: String] = [:],
                    directory: String? = nil, executable: String = binary,
                    within deadline: Duration = TestChild.defaultDeadline) throws -> Result {
        let process = start(arguments, environment: environment, directory: directory, executable: executable)
        let child = try TestChild(process, input: true)
        child.send(stdin)
        let result = try child.finish(within: deadline)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
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

/// Drains a running process's stdout and stderr (`TestChild`), so a test can wait for a
/// line while the process runs (`waitFor`) and read everything at the end (`finish`, which
/// waits for the process to exit, with a deadline).
final class OutputCollector: @unchecked Sendable {
    private let child: TestChild

    init(_ process: Process) { child = TestChild(running: process) }

    /// What the process has printed so far.
    var stdoutSoFar: String { child.stdoutSoFar }
    var stderrSoFar: String { child.stderrSoFar }

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

    /// Polls until `condition` holds for (stdout, stderr) so far; throws with what the process
    /// printed when it exits first or the deadline passes (then it is killed, with what it started).
    func waitFor(_ what: String, within deadline: Duration = TestChild.defaultDeadline,
                 _ condition: (String, String) -> Bool) throws {
        try child.waitFor(what, within: deadline, condition)
    }

    /// As `finish`, with stdout as the bytes printed.
    func finishData(within deadline: Duration = TestChild.defaultDeadline) throws -> (Data, String) {
        let result = try child.finish(within: deadline)
        return (result.stdoutData, result.stderr)
    }

    /// Waits for the process to exit and its output to end; at the deadline kills it (and what
    /// it started) and throws with what it printed.
    @discardableResult
    func finish(within deadline: Duration = TestChild.defaultDeadline) throws -> (String, String) {
        let result = try child.finish(within: deadline)
        return (result.stdout, result.stderr)
    }
}

/// Lines `{"step": i, "loss": ..., "lr": ...}` for steps in `range`.
func metricLines(_ range: Range<Int>, keys: [String] = ["loss", "lr"]) -> String {
    range.map { step in
        "{\"step\": \(step), " + keys.enumerated().map { "\"\($1)\": \(Double(step) + Double($0) / 10)" }.joined(separator: ", ") + "}\n"
    }.joined()
}
