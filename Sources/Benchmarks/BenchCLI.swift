import ArgumentParser
import ExperimentStore
import Foundation

/// `blocklab bench cli`: how long a `blocklab` command takes from exec to exit, beside the
/// programs it should be as quick as: Debian's `sqlite3` answering the same query on the
/// same file, and the floor of any Swift command (a program that imports Foundation and
/// prints a line, compiled here with `swiftc -O`). Target: each BlockLab command within 2x
/// that floor.
///
/// Every figure is the median wall time of `--repeats` runs, from spawn to reaped exit,
/// stdout on /dev/null. Rounds interleave the commands (one of each per round), so a change
/// in the machine's load hits all of them; one untimed run of each comes first, warms the
/// page cache and checks the answers (the query's count must be the store's point count).
/// The harness's own cost (spawning and reaping `/bin/true`) is measured and shown beside:
/// about 1.2-1.5 ms through ChildProcess (swift-subprocess) against 0.9 ms for a bare
/// `posix_spawn` and `waitpid`, the same for every command, so ChildProcess is kept.
public struct BenchCLI: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cli",
        abstract: "Benchmark start-up: blocklab --version, runs and sql vs. sqlite3 and a Swift program that only prints.")

    @Option(help: "Timed runs of each command (the median is reported).") var repeats = 20
    @Option(help: "Runs in the benchmark store.") var runs = 300
    @Option(help: "Steps per key of each run.") var steps = 2_000
    @Option(help: "Metric keys per run (at most 4).") var keys = 4
    @Option(help: ArgumentHelp("The benchmark store: made when missing, reused when present (default: a temporary file, removed after).",
                               valueName: "file")) var store: String?
    @Option(help: ArgumentHelp("The blocklab binary to measure (default: this one).", valueName: "path")) var blocklab: String?
    @Option(help: ArgumentHelp("The sqlite3 command-line shell (Debian's sqlite3 package).", valueName: "path")) var sqlite3 = "sqlite3"
    @Option(help: ArgumentHelp("The Swift compiler for the floor program.", valueName: "path")) var swiftc = "swiftc"
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    /// Each BlockLab command's target, as a multiple of the Swift floor.
    static let floorMultipleTarget = 2.0
    static let query = "SELECT count(*) FROM metrics"
    static let keyNames = ["train/loss", "train/lr", "val/loss", "train/grad_norm"]
    /// The figures of BlockLab's own commands, each held to the target. `sql_start_ms` is the
    /// `sql` command on a query that reads nothing: its start-up alone, where `sql_ms` also
    /// holds the count's scan of every point (which takes sqlite3 itself several floors).
    static let blocklabKeys = ["version_ms", "runs_ms", "sql_ms", "sql_start_ms"]

    public func validate() throws {
        guard repeats >= 1, runs >= 1, steps >= 1 else { throw ValidationError("--repeats, --runs and --steps must be at least 1.") }
        guard (1...Self.keyNames.count).contains(keys) else { throw ValidationError("--keys must be 1 to \(Self.keyNames.count).") }
    }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    /// A command measured: its JSON key, its label in the table, and how to run it.
    struct Command {
        let key: String, label: String, program: String, arguments: [String]
    }

    /// Makes or checks the store, compiles the floor, times every command; nothing printed on stdout.
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("cli")
        let blocklab = try blocklabBinary()
        guard let sqlite3 = await ChildProcess.locate(self.sqlite3) else {
            throw BenchError("bench cli compares against the sqlite3 shell, and `\(self.sqlite3)` is not installed: "
                             + "`sudo apt-get install sqlite3` (scripts/setup.sh installs it), or pass --sqlite3 PATH.")
        }
        guard let swiftc = await ChildProcess.locate(self.swiftc) else {
            throw BenchError("bench cli compiles its floor program with the Swift compiler, and `\(self.swiftc)` is not in PATH: "
                             + "install the Swift toolchain BlockLab builds with, or pass --swiftc PATH.")
        }
        return try await withWorkDirectory("cli") { work in
            let storePath = store ?? work.appendingPathComponent("cli.db").path
            try makeStore(at: storePath, progress: progress)
            let floor = try await compileFloor(swiftc, into: work, progress: progress)
            let versions = ["sqlite3": try await Self.firstWord(of: sqlite3, ["--version"]),
                            "Swift floor": try await Self.swiftVersion(swiftc)]
            let commands = [
                Command(key: "version_ms", label: "blocklab --version", program: blocklab, arguments: ["--version"]),
                Command(key: "runs_ms", label: "blocklab runs", program: blocklab, arguments: ["runs", "--store", storePath]),
                Command(key: "sql_ms", label: "blocklab sql \"\(Self.query)\"", program: blocklab,
                        arguments: ["sql", "--store", storePath, Self.query]),
                Command(key: "sql_start_ms", label: "blocklab sql \"SELECT 1\"", program: blocklab,
                        arguments: ["sql", "--store", storePath, "SELECT 1"]),
                Command(key: "sqlite3_ms", label: "sqlite3", program: sqlite3, arguments: [storePath, Self.query]),
                Command(key: "swift_floor_ms", label: "Swift floor", program: floor.path, arguments: []),
                Command(key: "spawn_ms", label: "harness", program: "/bin/true", arguments: []),
            ] + (fullBinary(beside: blocklab).map {
                [Command(key: "full_version_ms", label: "blocklab-full --version", program: $0, arguments: ["--version"])]
            } ?? [])
            try await check(commands, expectedCount: runs * steps * keys, progress: progress)

            var times = [String: [Double]]()
            let meter = progress.meter("timing \(commands.count) commands, interleaved", total: repeats, unit: "rounds")
            for round in 0..<repeats {
                for command in commands {
                    let start = BenchClock.now()
                    let exit = try await ChildProcess.run(command.program, command.arguments)
                    times[command.key, default: []].append((BenchClock.now() - start) * 1000)
                    guard exit.succeeded else { throw ChildProcess.failure(command.program, command.arguments, exit) }
                }
                meter.update(round + 1)
            }

            var report = BenchReport(peers: versions)
            for command in commands { report[command.key] = median(times[command.key] ?? []) }
            report.figures["repeats"] = .int(Int64(repeats))
            report.figures["store_points"] = .int(Int64(runs * steps * keys))
            report.figures["store_runs"] = .int(Int64(runs))
            report.figures["blocklab"] = .string(blocklab)
            report["floor_multiple_target"] = Self.floorMultipleTarget
            addRows(to: &report, commands)
            report.notes.append("median wall ms of \(repeats) runs each, spawn to exit, stdout to /dev/null; the commands take turns, after one untimed run each")
            report.notes.append("store: \(runs) runs x \(steps) steps x \(keys) keys (\(runs * steps * keys) points), \(storePath)")
            report.notes.append("blocklab: \(blocklab)")
            report.notes.append("load average at the end: \(Self.loadAverage())")
            return report
        }
    }

    /// The rows (each BlockLab command beside the floor, `sql` beside sqlite3 too) and the target notes.
    private func addRows(to report: inout BenchReport, _ commands: [Command]) {
        let floor = report["swift_floor_ms"]
        var allMet = true
        for command in commands.filter({ Self.blocklabKeys.contains($0.key) }) {
            if command.key == "sql_ms" {
                report.compare("\(command.label) (ms)", blocklab: report[command.key], peer: "sqlite3", report["sqlite3_ms"], better: .lower)
            }
            report.compare("\(command.label) (ms)", blocklab: report[command.key], peer: "Swift floor", floor, better: .lower)
            guard let value = report[command.key], let floor, floor > 0 else { allMet = false; continue }
            let multiple = value / floor, met = multiple <= Self.floorMultipleTarget
            allMet = allMet && met
            report.notes.append(String(format: "%@: %.1f ms = %.2fx the Swift floor, target <= %.0fx: %@", command.label, value, multiple,
                                       Self.floorMultipleTarget, met ? "met" : "missed"))
        }
        report.figure("harness: spawn and reap /bin/true (ms)", blocklab: report["spawn_ms"])
        if let full = report["full_version_ms"] {
            report.figure("blocklab-full --version, every command's start before the split (ms)", blocklab: full)
        }
        report.figures["targets_met"] = .bool(allMet)
    }

    /// The binary to measure: `--blocklab`, else the `blocklab` launcher beside the running
    /// executable (`bench` itself runs in `blocklab-full`).
    private func blocklabBinary() throws -> String {
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let path = blocklab ?? beside.appendingPathComponent("blocklab").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("--blocklab \(path) is not an executable file: name a built blocklab binary.")
        }
        return path
    }

    /// `blocklab-full` beside the measured launcher, when it is there: its start-up is what
    /// every command cost before the store commands had a binary of their own.
    private func fullBinary(beside launcher: String) -> String? {
        let path = URL(fileURLWithPath: launcher).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("blocklab-full").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Reuses the store at `path` when it is a finished benchmark store of this shape, else
    /// writes one there through the run API. A store left by an interrupted build has fewer
    /// runs or an unfinished one, so it is refused with the fix rather than measured.
    private func makeStore(at path: String, progress: BenchProgress) throws {
        guard FileManager.default.fileExists(atPath: path) else { return try writeRuns(into: path, progress: progress) }
        let existing = try ExperimentStore.open(at: path, mode: .readOnly).runs()
        guard existing.count == runs, existing.allSatisfy({ $0.status == .finished }) else {
            throw BenchError("\(path) is not a finished store of \(runs) benchmark runs (it has \(existing.count) runs, "
                             + "\(existing.filter { $0.status == .finished }.count) finished): remove it, or name another file with --store")
        }
        progress.say("reusing \(path) (\(runs) runs)")
    }

    /// `runs` runs of `keys` keys × `steps` steps, each finished before the next starts.
    private func writeRuns(into path: String, progress: BenchProgress) throws {
        let store = try ExperimentStore.open(at: path)
        let names = Array(Self.keyNames.prefix(keys))
        let meter = progress.meter("writing the store through the run API, \(steps) steps x \(keys) keys each", total: runs, unit: "runs")
        for index in 0..<runs {
            let run = try store.startRun(RunSpec(name: "cli-\(index)", experiment: "bench-cli"))
            for step in 0..<steps {
                let x = Double(step)
                let values = [4 / (1 + x / 500) + Double(index % 10) * 0.01, 3e-4 * min(1, x / 200),
                              4.2 / (1 + x / 600), 1 + 0.5 * cos(x / 101)]
                run.log(step: step, Dictionary(uniqueKeysWithValues: zip(names, values)))
            }
            try run.finish()
            meter.update(index + 1)
        }
    }

    /// `import Foundation` and one `print`, built with `swiftc -O`: the least a Swift command costs.
    private func compileFloor(_ swiftc: String, into work: URL, progress: BenchProgress) async throws -> URL {
        progress.say("compiling the Swift floor program with \(swiftc) -O")
        let source = work.appendingPathComponent("floor.swift"), binary = work.appendingPathComponent("floor")
        try Data("import Foundation\n\nprint(\"BlockLab's floor: a Swift program that only prints\")\n".utf8).write(to: source)
        _ = try await ChildProcess.output(swiftc, ["-O", source.path, "-o", binary.path])
        return binary
    }

    /// One untimed run of each command; each must succeed, and the two queries must count every point.
    private func check(_ commands: [Command], expectedCount: Int, progress: BenchProgress) async throws {
        progress.say("one untimed run of each command, checking the answers")
        for command in commands {
            let printed = try await ChildProcess.output(command.program, command.arguments)
            guard command.arguments.last == Self.query else { continue }
            let numbers = printed.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard numbers.contains(expectedCount) else {
                throw BenchError("benchmark check failed: `\(command.label)` counted \(numbers.map(String.init).joined(separator: ", ")) "
                                 + "metric points, not \(expectedCount); the store is not \(runs) x \(steps) x \(keys): remove it or pass --store")
            }
        }
    }

    /// `sqlite3 --version` → "3.40.1".
    static func firstWord(of program: String, _ arguments: [String]) async throws -> String {
        String(try await ChildProcess.output(program, arguments).split(separator: " ").first ?? "unknown")
    }

    /// `swiftc --version` → "6.3" (the word after "Swift version").
    static func swiftVersion(_ swiftc: String) async throws -> String {
        let words = try await ChildProcess.output(swiftc, ["--version"]).split(whereSeparator: \.isWhitespace)
        guard let index = words.firstIndex(of: "version"), index + 1 < words.count else { return "unknown" }
        return "swiftc " + words[index + 1]
    }

    /// The 1-, 5- and 15-minute load averages, from /proc/loadavg.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
