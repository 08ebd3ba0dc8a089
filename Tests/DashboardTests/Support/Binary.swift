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

    /// Runs `blocklab ARGS` to completion; past `deadline` seconds (a hang guard, e.g. a
    /// `ui` that should have refused to start) it is killed and the test sees its output.
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
                    deadline: Double = 120) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline) { [process] in
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let (status, stdout, stderr) = try ChildOutput.collect(process)
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}

/// `blocklab ui --port 0` in its own process; the port is read from the line it prints.
/// Its stderr is collected (drained on a thread, so the child never blocks on it).
final class UIProcess: @unchecked Sendable {
    let process = Process()
    let base: String
    let port: Int
    private let errors: PipeText

    init(store: String, extra: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["ui", "--store", store, "--port", "0"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = PipeText(err.fileHandleForReading)
        self.errors = errors
        // The first line, read on a thread of its own so that a child that prints nothing
        // fails the test after a minute (a hang guard) instead of blocking it.
        let firstLine = FirstLine(out.fileHandleForReading)
        let text = firstLine.wait(seconds: 60)
        guard let range = text.range(of: #"http://[^/ ]+:\d+"#, options: .regularExpression),
              let port = Int(text[range].split(separator: ":").last ?? "") else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw BrowserError("blocklab ui did not start (status \(process.terminationStatus)): \(text) \(errors.text())")
        }
        self.port = port
        base = String(text[range]).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        process.waitUntilExit()
    }

    /// Sends `signal` and waits up to a minute for the process to end (a hang guard); true
    /// when it ended, false when it had to be killed.
    func stop(with signal: Int32) -> Bool {
        kill(process.processIdentifier, signal)
        var tries = 0
        while process.isRunning, tries < 6_000 {
            Thread.sleep(forTimeInterval: 0.01)
            tries += 1
        }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return false
        }
        process.waitUntilExit()
        return true
    }

    /// The threads of this process named `name` now (Linux keeps a thread's name in
    /// /proc/PID/task/TID/comm): the dashboard names its SQL threads `blocklab-ui-sql`.
    func threads(named name: String) -> Int {
        let pid = process.processIdentifier
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

    /// Everything the process wrote to stderr; call once it has ended.
    func stderr() -> String { process.isRunning ? "" : errors.text() }

    /// A pipe read to its end on a thread of its own.
    private final class PipeText: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }.start()
        }

        /// The text, once the pipe has ended (a minute at most: a hang guard).
        func text() -> String {
            guard done.wait(timeout: .now() + 60) == .success else { return "" }
            done.signal()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// A pipe's text up to its first newline (or its end), read on a thread.
    private final class FirstLine: @unchecked Sendable {
        private var text = ""
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread { [self] in
                while !text.contains("\n") {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                done.signal()
            }.start()
        }

        func wait(seconds: Double) -> String {
            _ = done.wait(timeout: .now() + seconds)
            return text
        }
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

    func finish() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
