import ArgumentParser
import ExperimentStore
import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

// What every benchmark shares, each in one place: the error, the clock, the median, progress
// on stderr, child processes, the Python peers (pinned, in venvs), and the one output path
// (`--format table|json|csv`). Deliberately left out: statistics beyond the median, and any
// warm-up or repetition policy; each benchmark states its own.

// MARK: - Errors

/// A benchmark that cannot run, or whose check failed; the message names the fix.
public struct BenchError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

// MARK: - Clock and median

/// Wall time on the monotonic clock, and CPU time from `getrusage`.
public enum BenchClock {
    /// Seconds on CLOCK_MONOTONIC: only differences mean anything.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// User + system CPU seconds of this process, or of its children that have been waited for.
    public static func cpuSeconds(children: Bool = false) -> Double {
        var usage = rusage()
        getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Wall and CPU seconds of `body`: this process's CPU, or its children's.
    public static func time(children: Bool = false, _ body: () async throws -> Void) async rethrows -> (wall: Double, cpu: Double) {
        let (cpu, start) = (cpuSeconds(children: children), now())
        try await body()
        return (now() - start, cpuSeconds(children: children) - cpu)
    }
}

/// The median: the middle value, or the mean of the middle pair for an even count; NaN when empty.
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// MARK: - Progress

/// Progress lines on stderr, prefixed `blocklab bench NAME:`; stdout stays for the result.
public struct BenchProgress: Sendable {
    public let benchmark: String
    public init(_ benchmark: String) { self.benchmark = benchmark }

    public func say(_ line: String) {
        FileHandle.standardError.write(Data("blocklab bench \(benchmark): \(line)\n".utf8))
    }

    /// A meter for `total` units of one kind of work: says what starts, then its rate and time
    /// left every two seconds while it lasts.
    public func meter(_ label: String, total: Int, unit: String) -> Meter {
        say("\(label) (\(total) \(unit))")
        return Meter(self, label, total, unit)
    }

    /// "label: done/total unit, rate unit/s, N s left". Use from one thread.
    public final class Meter {
        private let progress: BenchProgress, label: String, total: Int, unit: String
        private let started = BenchClock.now()
        private lazy var lastShown = started

        fileprivate init(_ progress: BenchProgress, _ label: String, _ total: Int, _ unit: String) {
            (self.progress, self.label, self.total, self.unit) = (progress, label, total, unit)
        }

        /// Reports `done` units finished; prints when two seconds have passed since the last line.
        public func update(_ done: Int) {
            let now = BenchClock.now()
            guard now - lastShown >= 2, done < total else { return }
            lastShown = now
            let rate = Double(done) / max(now - started, 1e-9)
            let left = rate > 0 ? Double(total - done) / rate : .infinity
            progress.say("\(label): \(done)/\(total) \(unit), \(Self.figure(rate)) \(unit)/s, "
                         + (left.isFinite ? String(format: "%.0f s left", left) : "time left unknown"))
        }

        static func figure(_ value: Double) -> String {
            value >= 100 ? String(Int(value.rounded())) : String(format: "%.3g", value)
        }
    }
}

// MARK: - Child processes

/// Programs the benchmarks start (git, Python peers, BlockLab's own worker). swift-subprocess
/// spawns, waits for and reaps each one inside the call, so nothing outlives it and its CPU
/// time lands in `BenchClock.cpuSeconds(children: true)`. Its stdout is read here in blocking
/// reads of up to 1 MiB: swift-subprocess's output sequence hands over whatever the pipe holds
/// (about 5 KB a time from `git log -p`) and cost this process four times the CPU for the same
/// bytes, time that would be counted against git. Its stderr goes to a temporary file whose
/// tail is kept, or straight to ours; neither needs reading while the child runs.
public enum ChildProcess {
    /// How a child ended, with the last 8 KiB of its stderr (empty when it was passed on).
    public struct Exit: Sendable {
        public let status: TerminationStatus
        public let standardErrorTail: String
        public var succeeded: Bool { status.isSuccess }
    }

    /// Runs `program` (a path, or a name looked up in PATH) and returns its stdout; a non-zero
    /// exit throws with the command and the tail of its stderr. `passStandardError` writes the
    /// child's stderr to ours as it comes (its progress lines) instead of keeping its tail.
    public static func output(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                              passStandardError: Bool = false) async throws -> String {
        var bytes: [UInt8] = []
        let exit = try await stream(program, arguments, environment: environment, passStandardError: passStandardError) {
            bytes.append(contentsOf: $0)
            return true
        }
        guard exit.succeeded else { throw failure(program, arguments, exit) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs `program`, handing its stdout to `consume` in chunks of up to 1 MiB as they fill;
    /// when `consume` returns false the child is killed and the rest of its output ignored.
    public static func stream(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                              passStandardError: Bool = false,
                              consume: (UnsafeRawBufferPointer) -> Bool) async throws -> Exit {
        let errors = passStandardError ? FileDescriptor.standardError : try temporaryFile()
        defer { if !passStandardError { try? errors.close() } }
        let (readEnd, writeEnd) = try FileDescriptor.pipe()
        defer { try? readEnd.close() }
        let result = try await Subprocess.run(executable(program), arguments: Arguments(arguments),
                                              environment: inherited(updating: environment), input: .none,
                                              output: .fileDescriptor(writeEnd, closeAfterSpawningProcess: true),
                                              error: .fileDescriptor(errors, closeAfterSpawningProcess: false)) { execution in
            // Blocking reads on this thread: nothing else has to run until the child closes stdout.
            if try !readAll(readEnd, program, consume) { try? execution.send(signal: .kill) }
        }
        return Exit(status: result.terminationStatus, standardErrorTail: passStandardError ? "" : tail(of: errors))
    }

    /// Runs `program` with its stdout on /dev/null, for timing a command rather than reading
    /// it, and returns how it ended with the tail of its stderr. Costs one temporary file and
    /// the spawn; `blocklab bench cli` reports what this adds to a child's wall time.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Exit {
        let errors = try temporaryFile()
        defer { try? errors.close() }
        let result = try await Subprocess.run(executable(program), arguments: Arguments(arguments),
                                              environment: inherited(updating: environment), input: .none, output: .discarded,
                                              error: .fileDescriptor(errors, closeAfterSpawningProcess: false))
        return Exit(status: result.terminationStatus, standardErrorTail: tail(of: errors))
    }

    /// The absolute path `program` runs from: itself when it holds a `/` and is executable,
    /// else the first match in PATH; nil when there is none.
    public static func locate(_ program: String) async -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        return try? await Executable.name(program).resolveExecutablePath(in: .inherit).string
    }

    private static func executable(_ program: String) -> Executable {
        program.contains("/") ? .path(FilePath(program)) : .name(program)
    }

    private static func inherited(updating environment: [String: String]) -> Environment {
        var overrides: [Environment.Key: String?] = [:]
        for (key, value) in environment { overrides[Environment.Key(stringLiteral: key)] = value }
        return Environment.inherit.updating(overrides)
    }

    /// The error for a child that failed: the command, how it ended, and its stderr's tail.
    public static func failure(_ program: String, _ arguments: [String], _ exit: Exit) -> BenchError {
        BenchError("`\(([program] + arguments).joined(separator: " ").prefix(300))` failed (\(exit.status)): "
                   + exit.standardErrorTail.trimmingCharacters(in: .whitespacesAndNewlines).suffix(2000))
    }

    /// Reads `descriptor` to its end in chunks of up to 1 MiB; false when `consume` stopped it.
    private static func readAll(_ descriptor: FileDescriptor, _ program: String,
                                _ consume: (UnsafeRawBufferPointer) -> Bool) throws -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            var filled = 0
            while filled < buffer.count {
                let count = read(descriptor.rawValue, buffer.baseAddress! + filled, buffer.count - filled)
                if count > 0 { filled += count } else if count < 0 && errno == EINTR { continue } else if count == 0 { break } else {
                    throw BenchError("cannot read the output of \(program): \(String(cString: strerror(errno)))")
                }
            }
            if filled > 0, !consume(UnsafeRawBufferPointer(rebasing: buffer[..<filled])) { return false }
            if filled < buffer.count { return true }
        }
    }

    /// A new temporary file, already unlinked: it disappears with its last descriptor.
    private static func temporaryFile() throws -> FileDescriptor {
        var template = Array((FileManager.default.temporaryDirectory.path + "/blocklab-bench-stderr-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw BenchError("cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return FileDescriptor(rawValue: descriptor)
    }

    /// The last 8 KiB written to `file`.
    private static func tail(of file: FileDescriptor) -> String {
        let size = lseek(file.rawValue, 0, SEEK_END)
        let start = max(0, size - 8_192)
        var bytes = [UInt8](repeating: 0, count: Int(size - start))
        let count = bytes.withUnsafeMutableBytes { pread(file.rawValue, $0.baseAddress, $0.count, start) }
        return String(decoding: bytes.prefix(max(0, count)), as: UTF8.self)
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the system's pick), for a child that
/// serves one: a process group's master, a test server.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw BenchError("cannot open a TCP socket: \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw BenchError("no free TCP port on 127.0.0.1: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

// MARK: - Python peers

/// A Python with a benchmark's peers at pinned versions: a venv made on first use (and
/// reinstalled when a pin changes), or a given interpreter whose versions are only read.
///
///     let peers = PythonPeers(venv: ".venv-bench-store", requirements: [.init("mlflow", "3.17.2")])
///     let python = try await peers.prepare(override: nil, progress: progress)
///     python.versions["mlflow"]  // "3.17.2"
public struct PythonPeers: Sendable {
    /// A distribution on PyPI (or a system package) and the version the figures are quoted for.
    public struct Requirement: Sendable {
        public let distribution: String, version: String
        public init(_ distribution: String, _ version: String) { (self.distribution, self.version) = (distribution, version) }
    }

    /// The interpreter to run peers with, and each requirement's installed version.
    public struct Python: Sendable {
        public let path: String
        public let versions: [String: String]
    }

    /// The venv folder (relative to the current directory), or nil to use `systemPython` as it is.
    public let venv: String?
    public let requirements: [Requirement]
    public let systemPython: String
    /// What to do when a requirement is missing from `systemPython`.
    public let installHint: String

    public init(venv: String?, requirements: [Requirement], systemPython: String = "python3", installHint: String = "") {
        (self.venv, self.requirements, self.systemPython, self.installHint) = (venv, requirements, systemPython, installHint)
    }

    /// Returns a Python with every requirement. With `override` (a `--python` flag) or no venv,
    /// that interpreter is used as it is and a missing requirement is an error; otherwise the
    /// venv is made, or its pins installed, when a version differs.
    public func prepare(override: String?, progress: BenchProgress) async throws -> Python {
        guard let venv, override == nil else {
            let python = override ?? systemPython
            let versions = try await installed(python)
            let missing = requirements.filter { versions[$0.distribution] == nil }.map(\.distribution)
            guard missing.isEmpty else {
                throw BenchError("\(python) lacks \(missing.joined(separator: ", ")). \(installHint.isEmpty ? "Install \(pins) into it, or leave out --python." : installHint)")
            }
            return Python(path: python, versions: versions)
        }
        let python = FileManager.default.currentDirectoryPath + "/\(venv)/bin/python"
        if FileManager.default.isExecutableFile(atPath: python),
           let versions = try? await installed(python), requirements.allSatisfy({ versions[$0.distribution] == $0.version }) {
            return Python(path: python, versions: versions)
        }
        progress.say("installing \(pins) into \(venv) from PyPI (once)")
        if !FileManager.default.isExecutableFile(atPath: python) {
            _ = try await ChildProcess.output(systemPython, ["-m", "venv", venv])
        }
        _ = try await ChildProcess.output(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                                          + requirements.map { "\($0.distribution)==\($0.version)" })
        return Python(path: python, versions: try await installed(python))
    }

    /// `mlflow==3.17.2 trackio==0.43.0`
    public var pins: String { requirements.map { "\($0.distribution)==\($0.version)" }.joined(separator: " ") }

    /// The installed version of each requirement (absent when not installed), from package metadata.
    private func installed(_ python: String) async throws -> [String: String] {
        let names = requirements.map { "\"\($0.distribution)\"" }.joined(separator: ",")
        let script = """
            import importlib.metadata as m, json
            found = {}
            for name in [\(names)]:
                try: found[name] = m.version(name)
                except m.PackageNotFoundError: pass
            print(json.dumps(found))
            """
        let output = try await ChildProcess.output(python, ["-c", script])
        guard case .object(let object) = try JSONValue.parse(Data(output.utf8)) else { return [:] }
        return object.compactMapValues { if case .string(let version) = $0 { version } else { nil } }
    }

    /// The path of a peer script, `scripts/bench/NAME`: under the current directory when run
    /// from a BlockLab checkout, else beside the sources this binary was built from.
    public static func script(_ name: String) throws -> String {
        let local = FileManager.default.currentDirectoryPath + "/scripts/bench/\(name)"
        if FileManager.default.fileExists(atPath: local) { return local }
        let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/bench/\(name)").standardized.path
        guard FileManager.default.fileExists(atPath: built) else {
            throw BenchError("cannot find the peer script scripts/bench/\(name); run the benchmark from the BlockLab checkout.")
        }
        return built
    }

    /// The last line of a peer's stdout that parses as a JSON object.
    public static func result(_ output: String, peer: String) throws -> [String: JSONValue] {
        for line in output.split(separator: "\n").reversed() where line.hasPrefix("{") {
            if case .object(let object)? = try? JSONValue.parse(Data(line.utf8)) { return object }
        }
        throw BenchError("the \(peer) peer printed no JSON result: \(output.suffix(500))")
    }
}

// MARK: - Output

/// `--format table|json|csv`
public enum BenchFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, csv
}

/// The output options every benchmark takes. `--json` stays as a hidden alias of `--format json`.
public struct BenchOutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json or csv.") var format: BenchFormat = .table
    @Flag(name: .long, help: .hidden) var json = false

    public init() {}

    public func validate() throws {
        if json && format != .table && format != .json {
            throw ValidationError("--json means --format json; pass one of them.")
        }
    }

    /// The chosen format.
    public var chosen: BenchFormat { json ? .json : format }
}

/// One benchmark's result: the figures (one JSON object, with the peers' versions), a table
/// of BlockLab beside each peer with the ratio, and notes printed under the table.
///
///     var report = BenchReport(peers: ["MLflow": "3.17.2"])
///     report.compare("ingest points/s", blocklab: 500_000, peer: "MLflow", 20_000, better: .higher)
///     print(report.render(.table), terminator: "")
public struct BenchReport: Sendable {
    /// Which way is better for a measure; ratios are turned so that above 1 favours BlockLab.
    public enum Better: Sendable { case higher, lower }

    /// A table row: measure, BlockLab's figure, the peer, the peer's figure, the ratio.
    public struct Row: Sendable, Equatable {
        public let measure: String, blocklab: String, peer: String, peerFigure: String, ratio: String
    }

    /// Every number and note the benchmark measured; `--format json` prints this object.
    public var figures: [String: JSONValue] = [:]
    public private(set) var rows: [Row] = []
    /// Lines under the table (table format only; what matters goes into `figures` too).
    public var notes: [String] = []
    /// Peer name to version; shown beside the peer in the table and as `peer_versions` in JSON.
    public let peers: [String: String]

    public init(peers: [String: String]) { self.peers = peers }

    /// A number in `figures`.
    public subscript(key: String) -> Double? {
        get { figures[key]?.number }
        set { figures[key] = newValue.map(JSONValue.double) }
    }

    /// Adds a row of BlockLab beside a peer; a missing figure prints as `-`.
    public mutating func compare(_ measure: String, blocklab: Double?, peer: String, _ peerFigure: Double?,
                                 better: Better, digits: Int = 2) {
        var ratio = "-"
        if let blocklab, let peerFigure, blocklab > 0, peerFigure > 0 {
            ratio = String(format: "%.2fx", better == .higher ? blocklab / peerFigure : peerFigure / blocklab)
        }
        let label = peers[peer].map { "\(peer) \($0)" } ?? peer
        rows.append(Row(measure: measure, blocklab: Self.format(blocklab, digits), peer: label,
                        peerFigure: Self.format(peerFigure, digits), ratio: ratio))
    }

    /// Adds a row with BlockLab's figure alone.
    public mutating func figure(_ measure: String, blocklab: Double?, digits: Int = 2) {
        rows.append(Row(measure: measure, blocklab: Self.format(blocklab, digits), peer: "", peerFigure: "", ratio: ""))
    }

    /// The report in `format`, ending with a newline.
    public func render(_ format: BenchFormat) -> String {
        switch format {
        case .json:
            var object = figures
            if !peers.isEmpty { object["peer_versions"] = .object(peers.mapValues(JSONValue.string)) }
            return JSONValue.object(object).jsonString(pretty: true) + "\n"
        case .csv:
            return ([Self.headers] + cells).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        case .table:
            let all = [Self.headers] + cells
            let widths = Self.headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
            func line(_ row: [String]) -> String {
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
            }
            let rule = widths.map { String(repeating: "-", count: $0) }
            return ([line(Self.headers), line(rule)] + cells.map(line) + notes).joined(separator: "\n") + "\n"
        }
    }

    static let headers = ["measure", "BlockLab", "peer", "peer figure", "ratio"]
    private var cells: [[String]] { rows.map { [$0.measure, $0.blocklab, $0.peer, $0.peerFigure, $0.ratio] } }

    static func format(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        return value >= 1000 ? String(Int(value.rounded())) : String(format: "%.\(digits)f", value)
    }

    static func csvField(_ value: String) -> String {
        value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}

/// A temporary folder for one benchmark run, removed when `body` returns or throws.
public func withWorkDirectory<T>(_ name: String, _ body: (URL) async throws -> T) async throws -> T {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-\(name)-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    return try await body(work)
}
