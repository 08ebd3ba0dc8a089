import ArgumentParser
import ExperimentStore
import Foundation

/// `blocklab ingest`: any program becomes a client by printing JSON lines.
/// Record formats are documented in README.md ("Logging from any program").
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Start a run and log the JSON lines read on stdin, or printed by a command (after --).",
        discussion: """
            Each JSON line is a record: {"step": 10, "epoch": 0.5, "loss": 2.31} logs metrics;
            {"type": "hardware" | "checkpoint" | "artifact" | "phase" | "tag", ...} logs the others (see README.md).
            With -- CMD ARGS, other lines pass through to stdout and the run ends with the command's outcome.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "The run's name (default: the command's name, or 'ingest').") var name: String?
    @Option(help: "The run's experiment.") var experiment = "default"
    @Option(help: "A YAML config file to snapshot with the run.") var config: String?
    @Option(name: .customLong("tag"), help: "KEY=VALUE (repeatable).") var tags: [String] = []
    @Argument(parsing: .postTerminator, help: "A command to run; its JSON lines are logged.") var command: [String] = []

    func validate() throws {
        for tag in tags where !tag.contains("=") || tag.hasPrefix("=") {
            throw ValidationError("--tag '\(tag)' is not KEY=VALUE")
        }
    }

    func run() throws {
        let snapshot = try config.map(YAMLSnapshot.load)
        let executable = try command.first.map(Self.resolve)
        var tagValues = [String: String]()
        for tag in tags {
            let parts = tag.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            tagValues[String(parts[0])] = String(parts[1])
        }
        let store = try storeOptions.openForWriting()
        let runName = name ?? command.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "ingest"
        let run = try store.startRun(RunSpec(name: runName, experiment: experiment, tags: tagValues, config: snapshot))
        var ingester = LineIngester(run: run)
        let outcome: (status: RunStatus, error: String?, exitCode: Int32)

        if command.isEmpty {
            run.finishOnTermination()
            LineReader.forEachLine(of: FileHandle.standardInput) { ingester.ingest(line: $0, passThrough: false) }
            outcome = (.finished, nil, 0)
        } else {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable!)
            process.arguments = Array(command.dropFirst())
            let pipe = Pipe()
            process.standardOutput = pipe
            do { try process.run() } catch {
                try run.finish(status: .failed, error: "could not start \(command[0]): \(error.localizedDescription)")
                throw CLIError("could not start \(command[0]): \(error.localizedDescription)")
            }
            // A signal to ingest goes to the command; the run ends with the command's outcome.
            let childPID = process.processIdentifier
            ChildSignalForwarder.install(pid: childPID)
            LineReader.forEachLine(of: pipe.fileHandleForReading) { ingester.ingest(line: $0, passThrough: true) }
            process.waitUntilExit()
            let code = process.terminationStatus
            if process.terminationReason == .uncaughtSignal {
                outcome = (.killed, "\(command[0]) was killed by signal \(code)", 128 + code)
            } else if code != 0 {
                outcome = (.failed, "\(command[0]) exited with status \(code)", code)
            } else {
                outcome = (.finished, nil, 0)
            }
        }
        try run.finish(status: outcome.status, error: outcome.error)
        let summary = "blocklab: run \(run.id) '\(run.name)' \(outcome.status.rawValue): \(ingester.points) points, "
            + "\(ingester.records) other records, \(ingester.malformed) malformed lines skipped\n"
        FileHandle.standardError.write(Data(summary.utf8))
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }

    /// A command name without a slash is looked up on PATH, as a shell would.
    static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLIError("command not found: \(name) (not on PATH; give its full path)")
    }
}

/// Reads a file handle line by line (LF-separated, CR stripped), in large chunks.
enum LineReader {
    static func forEachLine(of handle: FileHandle, _ body: (Substring) -> Void) {
        var carry = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            carry.append(chunk)
            var start = carry.startIndex
            while let newline = carry[start...].firstIndex(of: 0x0A) {
                body(line(carry[start..<newline]))
                start = carry.index(after: newline)
            }
            carry = Data(carry[start...])
        }
        if !carry.isEmpty { body(line(carry[...])) }
    }

    private static func line(_ bytes: Data) -> Substring {
        var text = String(decoding: bytes, as: UTF8.self)[...]
        if text.hasSuffix("\r") { text = text.dropLast() }
        return text
    }
}

/// Forwards SIGINT and SIGTERM to a child process.
enum ChildSignalForwarder {
    nonisolated(unsafe) private static var sources = [any DispatchSourceSignal]()

    static func install(pid: Int32) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { kill(pid, signalNumber) }
            source.resume()
            sources.append(source)
        }
    }
}
