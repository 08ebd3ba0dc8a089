import Foundation
import TestSupport
import Testing

/// Runs Python programs that use the `blocklab` package from this checkout (python/ on
/// PYTHONPATH) against the built `blocklab`, as a user's training script would.
enum Python {
    /// The checkout's python/ folder.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("python").path

    /// Debian's Python (no third-party packages: the package needs none).
    static let system = "/usr/bin/python3"

    /// The venv with torch, transformers and accelerate (scripts/setup/python.sh), if set up.
    static var withTorch: String? { ProcessInfo.processInfo.environment["BLOCKLAB_PYTHON_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } }

    /// `withTorch`, or a recorded failure that says how to set it up.
    static func requireTorch() -> String? {
        if let python = withTorch { return python }
        Issue.record("BLOCKLAB_PYTHON_PYTHON is unset: run `eval \"$(scripts/setup/python.sh | tail -1)\"` (scripts/test.sh does)")
        return nil
    }

    static func environment(store: String) -> [String: String] {
        ["PYTHONPATH": packageRoot, "BLOCKLAB_BIN": CLI.binary, "BLOCKLAB_STORE": store, "PYTHONUNBUFFERED": "1"]
    }

    /// A process that runs `script` (written to `dir`/name), ready to start.
    static func start(_ script: String, in dir: TempDir, name: String = "train.py", python: String = system,
                      arguments: [String] = [], environment: [String: String] = [:]) throws -> Process {
        let path = dir.file(name)
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        return CLI.start([path] + arguments, environment: Self.environment(store: dir.file("s.db")).merging(environment) { $1 },
                         directory: dir.path, executable: python)
    }

    /// Runs `script` to its end (killed, and this throws, past `deadline`).
    static func run(_ script: String, in dir: TempDir, name: String = "train.py", python: String = system,
                    arguments: [String] = [], environment: [String: String] = [:],
                    within deadline: Duration = TestChild.defaultDeadline) throws -> CLI.Result {
        let process = try start(script, in: dir, name: name, python: python, arguments: arguments, environment: environment)
        let child = try TestChild(process, input: true)
        child.send("")
        let result = try child.finish(within: deadline)
        return CLI.Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Rows of `sql` on the store, as CSV lines without the header.
    static func query(_ store: String, _ sql: String) throws -> [String] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        guard result.status == 0 else { throw TestFailure("sql failed: \(result.stderr)") }
        return result.stdout.split(separator: "\r\n").dropFirst().map(String.init)
    }

    /// Polls `sql` until its rows equal `expected`, for up to `seconds` (a guard against
    /// hanging, not a limit on what is tested); returns the last rows read.
    static func wait(_ store: String, _ sql: String, for expected: [String], seconds: Double = 60) throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        // The store may not exist yet when the wait begins: a failing query is tried again.
        var rows = try? query(store, sql)
        while rows != expected && Date() < deadline {
            usleep(100_000)
            rows = try? query(store, sql)
        }
        return try rows ?? query(store, sql)
    }
}
