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
            With -- CMD ARGS, other lines pass through to stdout and the run ends with the command's outcome;
            those lines and the command's stderr lines are kept as the run's console log (`blocklab logs RUN`).
            --client is how a library feeds ingest (the Python package, docs/python.md): the run's id and uuid are
            printed as one JSON line on stdout once the run exists, and the input ending without an end record
            ({"type": "end", "status": "finished" | "failed" | "killed"}) records the run crashed.
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
    @Flag(help: "Fed by a library: print {\"run_id\", \"uuid\", \"name\"} on stdout once the run exists; input ending without an end record means the program died (crashed).")
    var client = false
    @Option(help: ArgumentHelp("Sample the hardware (CPU, RAM, GPU, and this process's RSS) while the run lasts.", valueName: "pid"))
    var pid: Int32?
    @Option(help: ArgumentHelp("Seconds between hardware samples of --pid.", valueName: "seconds"))
    var hardwareInterval: Double = 10
    @Argument(parsing: .postTerminator, help: "A command to run; its JSON lines are logged.") var command: [String] = []

    func validate() throws {
        guard flushInterval > 0, flushInterval <= 86_400 else {
            throw ValidationError("--flush-interval must be between 0 and 86400 seconds, got \(flushInterval)")
        }
        for tag in tags where !tag.contains("=") || tag.hasPrefix("=") {
            throw ValidationError("--tag '\(tag)' is not KEY=VALUE")
        }
        guard hardwareInterval > 0, hardwareInterval <= 86_400 else {
            throw ValidationError("--hardware-interval must be between 0 and 86400 seconds, got \(hardwareInterval)")
        }
        if let pid, pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM) {
            throw ValidationError("--pid \(pid): no such process (give the pid of the program being tracked)")
        }
        if client && !command.isEmpty {
            throw ValidationError("--client reads its records on stdin; it takes no command after --")
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
        if client { Self.announce(run) }
        var ingester = LineIngester(run: run)
        let sampler = pid.map { ProcessSampler(pid: $0, interval: hardwareInterval, run: run) }
        sampler?.start()
        var outcome: (status: RunStatus, error: String?, exitCode: Int32)

        if let executable {
            outcome = try await ingest(from: executable, into: &ingester, run: run)
        } else {
            TerminationSignals.endRunsOnSignal()
            var lines = LineSplitter()
            let input = FileHandle.standardInput
            while case let chunk = input.availableData, !chunk.isEmpty {
                chunk.withUnsafeBytes { lines.feed($0) { ingester.ingest(line: $0, passThrough: false) } }
                sampler?.step.value = ingester.currentStep
            }
            lines.finish { ingester.ingest(line: $0, passThrough: false) }
            outcome = (.finished, nil, 0)
            if client && ingester.end == nil {
                outcome = (.crashed, "the program's input ended without an end record: it died (killed by SIGKILL, or crashed)", 0)
            }
        }
        if let end = ingester.end, outcome.exitCode == 0 { outcome = (end.status, end.error, 0) }
        sampler?.stop()
        try run.finish(status: outcome.status, error: outcome.error)
        Console.notice("blocklab: run \(run.id) '\(run.name)' \(outcome.status.rawValue): \(ingester.points) points, "
                       + "\(ingester.records) other records, \(ingester.malformed) malformed lines skipped, \(ingester.consoleLines) console lines")
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }

    /// Runs the command with ingest's stdin, logs the JSON lines of its stdout and passes the
    /// rest through, and passes its stderr through as it comes; both streams' lines are kept as
    /// console lines. SIGINT and SIGTERM sent to ingest go to the command (which starts with
    /// default signal handling and an empty signal mask, whatever ingest inherited), and the
    /// run ends with the command's outcome.
    private func ingest(from executable: FilePath, into ingester: inout LineIngester,
                        run: RunHandle) async throws -> (status: RunStatus, error: String?, exitCode: Int32) {
        let result: ExecutionResult<LineIngester, SequenceOutput, SequenceOutput>
        do {
            result = try await Subprocess.run(
                .path(executable), arguments: Arguments(Array(command.dropFirst())),
                input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false),
                output: .sequence,
                error: .sequence
            ) { [ingester] execution in
                TerminationSignals.forward(to: execution.processIdentifier.value)
                let step = Mutexed<Int?>(nil)
                async let stderrLines: Int = Self.keepStandardError(execution.standardError, run: run, step: step)
                var ingester = ingester
                var lines = LineSplitter()
                for try await buffer in execution.standardOutput {
                    buffer.withUnsafeBytes { lines.feed($0) { ingester.ingest(line: $0, passThrough: true) } }
                    step.value = ingester.currentStep
                }
                lines.finish { ingester.ingest(line: $0, passThrough: true) }
                ingester.countConsole(try await stderrLines)
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

    /// The command's stderr: passed on to ingest's stderr as it comes, byte for byte, and
    /// each line kept as a console line at the step stdout had reached. Returns the lines kept.
    private static func keepStandardError(_ output: SubprocessOutputSequence, run: RunHandle, step: Mutexed<Int?>) async throws -> Int {
        var lines = LineSplitter()
        var count = 0
        func keep(_ line: LineSplitter.Line) {
            guard case .bytes(let bytes) = line else { return }
            run.logConsole(.stderr, String(decoding: bytes, as: UTF8.self), step: step.value)
            count += 1
        }
        for try await buffer in output {
            buffer.withUnsafeBytes { bytes in
                FileHandle.standardError.write(Data(bytes))
                lines.feed(bytes, keep)
            }
        }
        lines.finish(keep)
        return count
    }

    /// `--client`: the line the library waits for before it logs anything.
    private static func announce(_ run: RunHandle) {
        let line = JSONValue.object(["run_id": .int(run.id), "uuid": .string(run.uuid), "name": .string(run.name)]).jsonString()
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
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
