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
    let process = Process()
    let base: String

    init(store: String, extra: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["ui", "--store", store, "--port", "0"] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"http://[^/ ]+:\d+"#, options: .regularExpression) else {
            process.waitUntilExit()
            throw BrowserError("blocklab ui did not start (status \(process.terminationStatus)): \(text)")
        }
        base = String(text[range]).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        process.interrupt()
        process.waitUntilExit()
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
