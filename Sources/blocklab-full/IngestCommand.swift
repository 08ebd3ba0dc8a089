import ArgumentParser
import StoreCommands
import ExperimentStore
import Foundation
import Subprocess
import SystemPackage

/// `blocklab ingest`: any program becomes a client by printing JSON lines.
/// Record formats are documented in README.md ("Logging from any program").
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Start a run and log the JSON lines read on stdin, or printed by a command (after --).",
        discussion: """
            Each JSON line is a record: {"step": 10, "epoch": 0.5, "loss": 2.31} logs metrics;
            {"type": "hardware" | "checkpoint" | "artifact" | "phase" | "tag", ...} logs the others (see README.md).
            With -- CMD ARGS, other lines pass through to stdout and the run ends with the command's outcome.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var quiet: QuietOption
    @Option(help: "The run's name (default: the command's name, or 'ingest').") var name: String?
    @Option(help: "The run's experiment.") var experiment = "default"
    @Option(help: "A YAML config file to snapshot with the run.") var config: String?
    @Option(name: .customLong("tag"), help: "KEY=VALUE (repeatable).") var tags: [String] = []
    @Option(help: ArgumentHelp("Seconds between writes to the store (what is buffered is still written at the end, and on SIGINT or SIGTERM).",
                               valueName: "seconds"))
    var flushInterval = RunHandle.defaultFlushInterval
    @Argument(parsing: .postTerminator, help: "A command to run; its JSON lines are logged.") var command: [String] = []

    func validate() throws {
        guard flushInterval > 0, flushInterval <= 86_400 else {
            throw ValidationError("--flush-interval must be between 0 and 86400 seconds, got \(flushInterval)")
        }
        for tag in tags where !tag.contains("=") || tag.hasPrefix("=") {
            throw ValidationError("--tag '\(tag)' is not KEY=VALUE")
        }
    }

    func run() async throws {
        let snapshot = try config.map(YAMLSnapshot.load)
        // Resolved before the run starts, so a missing program leaves no run behind.
        var executable: FilePath?
        if let name = command.first { executable = try await Self.resolve(name) }
        var tagValues = [String: String]()
        for tag in tags {
            let parts = tag.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            tagValues[String(parts[0])] = String(parts[1])
        }
        let store = try storeOptions.openForWriting()
        let runName = name ?? command.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "ingest"
        var spec = RunSpec(name: runName, experiment: experiment, tags: tagValues, config: snapshot)
        spec.flushInterval = flushInterval
        let run = try store.startRun(spec)
        var ingester = LineIngester(run: run)
        let outcome: (status: RunStatus, error: String?, exitCode: Int32)

        if let executable {
            outcome = try await ingest(from: executable, into: &ingester, run: run)
        } else {
            TerminationSignals.endRunsOnSignal()
            var lines = LineSplitter()
            let input = FileHandle.standardInput
            while case let chunk = input.availableData, !chunk.isEmpty {
                chunk.withUnsafeBytes { lines.feed($0) { ingester.ingest(line: $0, passThrough: false) } }
            }
            lines.finish { ingester.ingest(line: $0, passThrough: false) }
            outcome = (.finished, nil, 0)
        }
        try run.finish(status: outcome.status, error: outcome.error)
        Console.notice("blocklab: run \(run.id) '\(run.name)' \(outcome.status.rawValue): \(ingester.points) points, "
                       + "\(ingester.records) other records, \(ingester.malformed) malformed lines skipped")
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }

    /// Runs the command with ingest's stdin and stderr, logs the JSON lines of its stdout
    /// and passes the rest through; SIGINT and SIGTERM sent to ingest go to the command
    /// (which starts with default signal handling and an empty signal mask, whatever
    /// ingest inherited), and the run ends with the command's outcome.
    private func ingest(from executable: FilePath, into ingester: inout LineIngester,
                        run: RunHandle) async throws -> (status: RunStatus, error: String?, exitCode: Int32) {
        let result: ExecutionResult<LineIngester, SequenceOutput, FileDescriptorOutput>
        do {
            result = try await Subprocess.run(
                .path(executable), arguments: Arguments(Array(command.dropFirst())),
                input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false),
                output: .sequence,
                error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false)
            ) { [ingester] execution in
                TerminationSignals.forward(to: execution.processIdentifier.value)
                var ingester = ingester
                var lines = LineSplitter()
                for try await buffer in execution.standardOutput {
                    buffer.withUnsafeBytes { lines.feed($0) { ingester.ingest(line: $0, passThrough: true) } }
                }
                lines.finish { ingester.ingest(line: $0, passThrough: true) }
                return ingester
            }
        } catch {
            try run.finish(status: .failed, error: "could not start \(command[0]): \(error)")
            throw CLIError("could not start \(command[0]): \(error)")
        }
        ingester = result.closureResult
        switch result.terminationStatus {
        case .exited(0): return (.finished, nil, 0)
        case .exited(let code): return (.failed, "\(command[0]) exited with status \(code)", code)
        case .signaled(let signal): return (.killed, "\(command[0]) was killed by signal \(signal)", 128 + signal)
        }
    }

    /// A command name without a slash is looked up on PATH, as a shell would.
    static func resolve(_ name: String) async throws -> FilePath {
        if name.contains("/") { return FilePath(name) }
        do {
            return try await Executable.name(name).resolveExecutablePath(in: .inherit)
        } catch {
            throw CLIError("command not found: \(name) (not on PATH; give its full path)", status: .notFound)
        }
    }
}
