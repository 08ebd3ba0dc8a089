import Foundation
import TestSupport

/// The built `blocklab` binary, run as a user runs it: `blocklab ui` as the server of the
/// browser tests, `blocklab ingest` as a live writer, `blocklab report`.
enum Binary {
    static let path = BuiltProducts.blocklab

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `blocklab ARGS` to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        let (status, stdout, stderr) = try ChildOutput.collect(process)
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}

/// `blocklab ui --port 0` in its own process; the port is read from the line it prints.
final class UIProcess {
    let child: TestChild
    let base: String

    /// How long the server may take to print its address, or to stop once asked (a guard
    /// against a hang: past it the server is killed and the test fails with what it printed).
    static let deadline: Duration = .seconds(300)

    init(store: String, extra: [String] = [], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["ui", "--store", store, "--port", "0"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        child = try TestChild(process)
        let pattern = #"http://[^/ ]+:\d+"#
        try child.waitFor("its address", within: Self.deadline) { out, _ in out.range(of: pattern, options: .regularExpression) != nil }
        let text = child.stdoutSoFar
        guard let range = text.range(of: pattern, options: .regularExpression) else {
            throw BrowserError("blocklab ui did not start: \(child.printed)")
        }
        base = String(text[range]).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
    }

    var process: Process { child.process }

    deinit { stop() }

    func stop() {
        guard child.process.isRunning else { return }
        child.process.interrupt()
        _ = try? child.finish(within: Self.deadline)
    }
}

/// `blocklab ingest --name NAME` reading JSON lines from a pipe: a real writer process.
final class IngestProcess {
    let process = Process()
    private let input = Pipe()

    init(store: String, name: String) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["ingest", "--store", store, "--name", name]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// SIGKILL by pid, then reaped, so the pid is really gone (not a zombie).
    func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// Closes its input and waits for it to end (five minutes at most, then it is killed: a
    /// guard against a hang).
    func finish() {
        try? input.fileHandleForWriting.close()
        let end = ContinuousClock.now + .seconds(300)
        while process.isRunning && ContinuousClock.now < end { usleep(20_000) }
        if process.isRunning { ProcessTree.kill(pid) }
        process.waitUntilExit()
    }
}
