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

    /// Runs `blocklab ARGS` to completion; past `deadline` (a hang guard, e.g. a `ui` that
    /// should have refused to start) it is killed and the call throws with what it printed.
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
                    deadline: Duration = TestChild.defaultDeadline) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        let (status, stdout, stderr) = try ChildOutput.collect(process, within: deadline)
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}

/// `blocklab ui --port 0` in its own process; the port is read from the line it prints, and
/// what it prints is kept (`TestChild`).
final class UIProcess: @unchecked Sendable {
    let child: TestChild
    let base: String
    let port: Int

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
        guard let range = text.range(of: pattern, options: .regularExpression),
              let port = Int(text[range].split(separator: ":").last ?? "") else {
            throw BrowserError("blocklab ui did not start: \(child.printed)")
        }
        self.port = port
        base = String(text[range]).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
    }

    var process: Process { child.process }

    deinit { stop() }

    func stop() {
        guard child.process.isRunning else { return }
        child.process.interrupt()
        _ = try? child.finish(within: Self.deadline)
    }

    /// Sends `signal` and waits for the process to end (the deadline above: a hang guard);
    /// true when it ended, false when it had to be killed.
    func stop(with signal: Int32) -> Bool {
        kill(child.pid, signal)
        return (try? child.finish(within: Self.deadline)) != nil
    }

    /// Everything the process wrote to stderr; call once it has ended.
    func stderr() -> String { child.stderrSoFar }

    /// The threads of this process named `name` now (Linux keeps a thread's name in
    /// /proc/PID/task/TID/comm): the dashboard names its SQL threads `blocklab-ui-sql`.
    func threads(named name: String) -> Int {
        let pid = child.pid
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.filter { (try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8))?.hasPrefix(name) == true }.count
    }

    /// Waits until `count` threads named `name` exist (a minute at most: a hang guard).
    func waitForThreads(named name: String, count: Int) -> Bool {
        var tries = 0
        while threads(named: name) < count, tries < 6_000 {
            Thread.sleep(forTimeInterval: 0.01)
            tries += 1
        }
        return threads(named: name) >= count
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
