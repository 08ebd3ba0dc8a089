import ArgumentParser
import ExperimentStore
import Foundation

/// `blocklab bench store`: ingest and read-back figures of the store beside the raw SQLite
/// ceiling, MLflow and trackio, all measured in this run on this machine.
public struct BenchStore: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Benchmark the store: ingest rate, history reads and log-call cost vs. raw SQLite, MLflow, trackio.")

    /// The peers' versions the figures are quoted for (scripts/bench/store_peers.py).
    static let pinnedPeers = PythonPeers(venv: ".venv-bench-store", requirements: [.init("mlflow", "3.17.2"), .init("trackio", "0.43.0")])

    @Option(help: "Steps per key.") var steps = 250_000
    @Option(help: "Metric keys.") var keys = 4
    @Option(help: "Peers to run: mlflow,trackio (empty: none).") var peers = "mlflow,trackio"
    @Option(help: "Python with mlflow and trackio (default: a venv the benchmark makes at .venv-bench-store).") var python: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard steps >= 1, keys >= 1 else { throw ValidationError("--steps and --keys must be at least 1.") }
        let unknown = chosenPeers.filter { $0 != "mlflow" && $0 != "trackio" }
        guard unknown.isEmpty else { throw ValidationError("unknown peer \(unknown.joined(separator: ", ")); choose from mlflow,trackio.") }
    }

    var chosenPeers: [String] { peers.split(separator: ",").map(String.init).filter { !$0.isEmpty } }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    /// Runs every side and returns the report (nothing printed on stdout).
    func measure() async throws -> BenchReport {
        let progress = BenchProgress("store")
        return try await withWorkDirectory("store") { work in
            let names = (0..<keys).map { "metric_\($0)" }
            let total = steps * keys
            var python: PythonPeers.Python?
            if !chosenPeers.isEmpty { python = try await Self.pinnedPeers.prepare(override: self.python, progress: progress) }
            var report = BenchReport(peers: ["MLflow": python?.versions["mlflow"], "trackio": python?.versions["trackio"]].compactMapValues { $0 })

            let store = try ExperimentStore.open(at: work.appendingPathComponent("blocklab.db").path)
            let meter = progress.meter("BlockLab: logging through the run API", total: total, unit: "points")
            let start = BenchClock.now()
            let run = try store.startRun(RunSpec(name: "bench"))
            for step in 0..<steps {
                var metrics = [String: Double](minimumCapacity: keys)
                for (k, name) in names.enumerated() { metrics[name] = 1.0 / Double(1 + step) + Double(k) }
                run.log(step: step, metrics)
                if step % 10_000 == 0 { meter.update(step * keys) }
            }
            try run.finish()
            report["ingest_points_per_s"] = Double(total) / (BenchClock.now() - start)
            let stored = try store.metricSummaries(runID: run.id).reduce(0) { $0 + $1.count }
            guard stored == total else { throw BenchError("benchmark check failed: \(stored) of \(total) points stored") }

            progress.say("reading back one key's history")
            var reads = [Double]()
            for _ in 0..<7 {
                let t = BenchClock.now()
                let history = try store.metricHistory(runID: run.id, key: names[0])
                reads.append((BenchClock.now() - t) * 1000)
                guard history.count == steps else { throw BenchError("benchmark check failed: history has \(history.count) points") }
            }
            report["history_read_ms"] = median(reads)

            let callCount = 100_000
            let callMeter = progress.meter("timing single log calls", total: callCount, unit: "calls")
            let callRun = try store.startRun(RunSpec(name: "bench-calls"))
            var calls = [Double]()
            calls.reserveCapacity(callCount)
            for step in 0..<callCount {
                let x = Double(step)
                let t = BenchClock.now()
                callRun.log(step: step, ["train/loss": x, "train/lr": x * 2, "train/grad_norm": x * 3, "train/tokens_per_s": x * 4])
                calls.append((BenchClock.now() - t) * 1e6)
                if step % 10_000 == 0 { callMeter.update(step) }
            }
            try callRun.finish()
            report["log_call_median_us"] = median(calls)

            progress.say("raw SQLite ceiling: the same rows through one prepared statement")
            let ceiling = try ExperimentStore.IngestCeiling(path: work.appendingPathComponent("ceiling.db").path, keys: names)
            let ceilingStart = BenchClock.now()
            try ceiling.insert(steps: steps)
            report["ceiling_points_per_s"] = Double(total) / (BenchClock.now() - ceilingStart)

            if let python {
                progress.say("peers (\(chosenPeers.joined(separator: ", "))): the same \(total) points")
                let output = try await ChildProcess.output(python.path, [try PythonPeers.script("store_peers.py"), String(steps),
                                                                         String(keys), chosenPeers.joined(separator: ",")])
                for (key, value) in try PythonPeers.result(output, peer: "store") { report.figures[key] = value }
            }

            report.compare("ingest points/s", blocklab: report["ingest_points_per_s"], peer: "raw SQLite ceiling",
                           report["ceiling_points_per_s"], better: .higher)
            report.compare("ingest points/s", blocklab: report["ingest_points_per_s"], peer: "MLflow",
                           report["mlflow_points_per_s"], better: .higher)
            report.compare("ingest points/s", blocklab: report["ingest_points_per_s"], peer: "trackio",
                           report["trackio_points_per_s"], better: .higher)
            report.compare("history read ms (median of 7 / 3)", blocklab: report["history_read_ms"], peer: "MLflow",
                           report["mlflow_history_read_ms"], better: .lower)
            report.figure("log call of 4 metrics, median us", blocklab: report["log_call_median_us"])
            report.notes.append("\(total) points (\(keys) keys x \(steps) steps); ratio above 1 favours BlockLab")
            return report
        }
    }
}
