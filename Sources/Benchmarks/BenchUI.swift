import ArgumentParser
import Dashboard
import ExperimentStore
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `blocklab bench ui`: how fast the dashboard answers and draws on a store of long runs
/// (10 runs × 4 keys × 250,000 steps, plus one run with a 1,000,000-point key), measured
/// over real HTTP on 127.0.0.1 and in Debian's headless chromium (the browser's own
/// performance timing, from navigation to the page's 'blocklab:charts-drawn' mark).
///
/// MLflow's sampled-history endpoint is not run here: its figure is the one quoted in the
/// target (about 220 ms for a 100,000-point metric, mlflow/mlflow#20928), printed as a reference.
public struct BenchUI: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ui", abstract: "Benchmark the dashboard: the 1M-point history at the API, run and compare pages in chromium.")

    @Option(help: "Steps per key of the ten runs.") var steps = 250_000
    @Option(help: "Points of the long run's key.") var longPoints = 1_000_000
    @Option(help: "Buckets asked of the API for the long key.") var buckets = 2000
    @Option(help: "Repeats of each measure (the median is reported).") var repeats = 7
    @Option(help: "Python with Selenium (default: $BLOCKLAB_BROWSER_PYTHON, from scripts/setup/dashboard.sh).") var python: String?
    @Option(help: ArgumentHelp("The benchmark store: made when missing, reused when present (default: a temporary file, removed after).",
                               valueName: "file")) var store: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    static let targets = ["history_1m_api_ms": 30.0, "run_page_charts_ms": 1000.0, "compare_10_runs_charts_ms": 1000.0]
    static let mlflowQuotedMs = 220.0

    public func validate() throws {
        guard repeats >= 1, buckets >= 1, steps >= 1, longPoints >= 1 else {
            throw ValidationError("--steps, --long-points, --buckets and --repeats must be at least 1.")
        }
    }

    public func run() async throws {
        let progress = BenchProgress("ui")
        guard let python = self.python ?? ProcessInfo.processInfo.environment["BLOCKLAB_BROWSER_PYTHON"] else {
            throw BenchError("bench ui needs a Python with Selenium to drive chromium: run `bash scripts/setup/dashboard.sh` and export the BLOCKLAB_BROWSER_PYTHON it prints (or pass --python)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-ui-\(getpid())").path
        if store == nil { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        defer { if store == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let storePath = store ?? "\(folder)/bench-ui.db"
        let (longRun, tenRuns) = try makeStore(at: storePath)

        let server = try DashboardServer(.init(storePath: storePath, port: 0))
        let port = BenchPort()
        let serving = Task { try await server.run { port.set($0) } }
        defer { serving.cancel() }
        let base = "http://127.0.0.1:\(try await port.wait())"
        var figures = [String: Double]()

        progress.say("API: the 1,000,000-point key in \(buckets) buckets, \(repeats) times")
        let url = URL(string: "\(base)/api/runs/\(longRun)/metrics?keys=long/loss&buckets=\(buckets)")!
        var times = [Double]()
        for _ in 0..<repeats {
            let t = BenchClock.now()
            let (data, response) = try await URLSession.shared.data(from: url)
            times.append((BenchClock.now() - t) * 1000)
            guard (response as? HTTPURLResponse)?.statusCode == 200,
                  case .object(let body)? = try? JSONValue.parse(data), case .array(let series)? = body["series"],
                  case .array(let steps)? = series.first?["steps"], steps.count > buckets, steps.count <= 4 * buckets else {
                throw BenchError("benchmark check failed: the API did not answer an M4 series of the long key")
            }
        }
        figures["history_1m_api_ms"] = median(times)

        progress.say("chromium: the long run's page and the compare page of 10 runs, \(repeats) times each")
        let browser = try BenchBrowser(python: python)
        defer { browser.quit() }
        figures["run_page_charts_ms"] = median(try (0..<repeats).map { _ in try browser.chartsDrawn("\(base)/runs/\(longRun)") })
        figures["compare_10_runs_charts_ms"] = median(try (0..<repeats).map { _ in
            try browser.chartsDrawn("\(base)/compare?runs=" + tenRuns.map(String.init).joined(separator: ","))
        })
        figures["mlflow_sampled_history_100k_ms_quoted"] = Self.mlflowQuotedMs
        report(figures)
    }

    /// Ten runs of 4 keys × `steps`, and one run whose `long/loss` has `longPoints` points,
    /// through the run API; reused when `--store` names one already made.
    private func makeStore(at path: String) throws -> (long: Int64, ten: [Int64]) {
        let progress = BenchProgress("ui")
        if FileManager.default.fileExists(atPath: path) {
            let store = try ExperimentStore.open(at: path, mode: .readOnly)
            let runs = try store.runs()
            if runs.count == 11, runs.allSatisfy({ $0.status == .finished }) {
                return (runs[10].id, runs.prefix(10).map(\.id))
            }
            throw BenchError("\(path) is not a finished benchmark store: remove it, or name another file with --store")
        }
        let store = try ExperimentStore.open(at: path)
        var ten = [Int64]()
        for index in 0..<10 {
            progress.say("writing run \(index + 1) of 11: 4 keys × \(steps) steps")
            let run = try store.startRun(RunSpec(name: "bench-\(index)", config: ConfigSnapshot(
                yaml: "training:\n  base_learning_rate: \(Double(index + 1) * 1e-4)\n  seed: 42\n",
                resolvedJSON: Data("{\"training\": {\"base_learning_rate\": \(Double(index + 1) * 1e-4), \"seed\": 42}}".utf8))))
            for step in 0..<steps {
                let x = Double(step)
                run.log(step: step, epoch: x / Double(steps), [
                    "train/loss": 4 / (1 + x / 5000) + Double(index) * 0.05 + 0.05 * sin(x / 37),
                    "train/lr": 3e-4 * min(1, x / 2000), "val/loss": 4.2 / (1 + x / 6000) + Double(index) * 0.05,
                    "train/grad_norm": 1 + 0.5 * cos(x / 101),
                ])
            }
            try run.finish()
            ten.append(run.id)
        }
        progress.say("writing run 11 of 11: one key × \(longPoints) steps")
        let long = try store.startRun(RunSpec(name: "bench-long"))
        for step in 0..<longPoints {
            let x = Double(step)
            long.log(step: step, ["long/loss": 3 / (1 + x / 50000) + 0.1 * sin(x / 13) + (step % 9973 == 0 ? 1 : 0)])
        }
        try long.finish()
        return (long.id, ten)
    }

    /// The figures beside their targets; MLflow's figure is the quoted one, not measured here.
    private func report(_ figures: [String: Double]) {
        var report = BenchReport(peers: ["MLflow (quoted, mlflow/mlflow#20928)": "3.x"])
        for (key, value) in figures { report[key] = value }
        report.compare("1M-point key, \(buckets) M4 buckets, at the API (ms; MLflow: 100k points)",
                       blocklab: figures["history_1m_api_ms"], peer: "MLflow (quoted, mlflow/mlflow#20928)", Self.mlflowQuotedMs,
                       better: .lower, digits: 1)
        report.figure("run page (1M-point run) charts drawn in chromium (ms)", blocklab: figures["run_page_charts_ms"], digits: 1)
        report.figure("compare page, 10 runs × 4 keys, charts drawn (ms)", blocklab: figures["compare_10_runs_charts_ms"], digits: 1)
        for key in Self.targets.keys.sorted() {
            let value = figures[key] ?? .nan, target = Self.targets[key] ?? .nan
            report.notes.append(String(format: "%@: %.1f ms, target < %.0f ms: %@", key, value, target,
                                       value < target ? "met" : String(format: "missed (%.1fx)", value / target)))
        }
        print(report.render(output.chosen), terminator: "")
    }
}

/// The bound port, handed from the server's ready callback to the benchmark.
private final class BenchPort: Sendable {
    private let port = Mutex<Int?>(nil)

    func set(_ value: Int) { port.withLock { $0 = value } }

    func wait() async throws -> Int {
        for _ in 0..<6000 {
            if let value = port.withLock({ $0 }) { return value }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw BenchError("the dashboard did not start listening")
    }
}

/// scripts/browser/driver.py over a pipe: one JSON command per line, one answer per line.
private final class BenchBrowser {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()

    init(python: String) throws {
        let script = ["scripts/browser/driver.py",
                      URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/browser/driver.py").standardized.path]
            .first { FileManager.default.fileExists(atPath: $0) } ?? "scripts/browser/driver.py"
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard case .object(let hello)? = try? JSONValue.parse(readLine()), hello["ready"] == .bool(true) else {
            throw BenchError("the browser driver did not start (\(python) \(script)): run scripts/setup/dashboard.sh")
        }
    }

    private func readLine() -> Data {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                return Data(line)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return Data() }
            buffer.append(chunk)
        }
    }

    func send(_ command: [String: JSONValue]) throws -> JSONValue {
        input.fileHandleForWriting.write(Data((JSONValue.object(command).jsonString() + "\n").utf8))
        let answer = try JSONValue.parse(readLine())
        if case .string(let error)? = answer["error"] { throw BenchError("browser: \(error)") }
        return answer
    }

    /// Milliseconds from navigation to the page's 'blocklab:charts-drawn' mark.
    func chartsDrawn(_ url: String) throws -> Double {
        _ = try send(["op": .string("open"), "url": .string(url)])
        let answer = try send(["op": .string("wait"), "timeout": .int(120), "js": .string(
            "const m = performance.getEntriesByName('blocklab:charts-drawn'); return m.length ? m[0].startTime : (window.blocklab && window.blocklab.error ? -1 : null);")])
        guard let value = answer["value"]?.number, value >= 0 else { throw BenchError("the page reported an error instead of drawing") }
        return value
    }

    func quit() {
        _ = try? send(["op": .string("quit")])
        process.waitUntilExit()
    }
}
