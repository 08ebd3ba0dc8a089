import ArgumentParser
import Foundation

/// `blocklab bench python`: logging from Python through the `blocklab` package (a
/// `blocklab ingest --client` child fed over a pipe) beside trackio and MLflow (sqlite
/// backend), the same loop in each (scripts/bench/python_peers.py), all in one run.
///
/// Figures: points per second from before init to the run being complete (finish returned:
/// for BlockLab every point is in the store), the mean cost of one log() call of all keys in
/// the Python process, and the time to complete. MLflow's log_metric (one call a point) runs
/// on its own, smaller step count (--metric-steps): at its rate the full loop takes hours.
/// W&B is not a peer here: its offline mode writes a local file for a later sync, which is
/// not a run complete in a store.
public struct BenchPython: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "python", abstract: "Benchmark logging from Python: the blocklab package vs. trackio and MLflow, points/s and the cost of a log() call.")

    @Option(help: "Steps (one log() call each).") var steps = 250_000
    @Option(help: "Metric keys per call.") var keys = 4
    @Option(help: "Steps for MLflow's log_metric (one call a point).") var metricSteps = 2_500
    @Option(help: "Peers to run: trackio,mlflow (empty: none).") var peers = "trackio,mlflow"
    @Option(help: "Python with mlflow and trackio (default: the venv `bench store` uses, .venv-bench-store, made once).") var python: String?
    @Option(help: ArgumentHelp("The blocklab command the package runs (default: the one beside this program).", valueName: "path"))
    var blocklab: String?
    @OptionGroup var output: BenchOutputOptions

    public init() {}

    public func validate() throws {
        guard steps >= 1, keys >= 1, metricSteps >= 1 else { throw ValidationError("--steps, --keys and --metric-steps must be at least 1.") }
        let unknown = chosenPeers.filter { $0 != "mlflow" && $0 != "trackio" }
        guard unknown.isEmpty else { throw ValidationError("unknown peer \(unknown.joined(separator: ", ")); choose from trackio,mlflow.") }
    }

    var chosenPeers: [String] { peers.split(separator: ",").map(String.init).filter { !$0.isEmpty } }

    public func run() async throws {
        print(try await measure().render(output.chosen), terminator: "")
    }

    func measure() async throws -> BenchReport {
        let progress = BenchProgress("python")
        let script = try PythonPeers.script("python_peers.py")
        let package = URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("python").path
        let binary = blocklab ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("blocklab").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("\(binary) is not the blocklab command: pass --blocklab PATH.")
        }
        var python = PythonPeers.Python(path: self.python ?? "python3", versions: [:])
        if !chosenPeers.isEmpty { python = try await BenchStore.pinnedPeers.prepare(override: self.python, progress: progress) }
        var report = BenchReport(peers: ["MLflow": python.versions["mlflow"], "trackio": python.versions["trackio"]].compactMapValues { $0 })
        return try await withWorkDirectory("python") { work in
            var figures = [String: Double]()
            // One child per side, the same interpreter: no side pays for another's imports.
            for side in ["blocklab"] + chosenPeers {
                progress.say("\(side): \(steps) steps of \(keys) keys\(side == "mlflow" ? ", then \(metricSteps) steps with log_metric" : "")")
                let output = try await ChildProcess.output(python.path, [script, String(steps), String(keys), side, String(metricSteps), work.path],
                                                           environment: ["PYTHONPATH": package, "BLOCKLAB_BIN": binary])
                for (key, value) in try PythonPeers.result(output, peer: side) { figures[key] = value.number }
            }
            for (key, value) in figures { report[key] = value }
            let points = "\(steps * keys) points, \(keys) keys a call"
            report.compare("points/s logged from Python (\(points))", blocklab: figures["blocklab_points_per_s"], peer: "trackio",
                           figures["trackio_points_per_s"], better: .higher, digits: 0)
            report.compare("points/s logged from Python (\(points))", blocklab: figures["blocklab_points_per_s"], peer: "MLflow",
                           figures["mlflow_points_per_s"], better: .higher, digits: 0)
            report.compare("mean log() call, µs", blocklab: figures["blocklab_log_call_us"], peer: "trackio",
                           figures["trackio_log_call_us"], better: .lower)
            report.compare("mean log() call, µs (MLflow: \(keys) log_metric calls)", blocklab: figures["blocklab_log_call_us"],
                           peer: "MLflow", figures["mlflow_log_metric_call_us"], better: .lower)
            report.compare("seconds from init to the run complete", blocklab: figures["blocklab_complete_s"], peer: "trackio",
                           figures["trackio_complete_s"], better: .lower)
            report.compare("seconds from init to the run complete", blocklab: figures["blocklab_complete_s"], peer: "MLflow",
                           figures["mlflow_complete_s"], better: .lower)
            report.notes.append("MLflow: sqlite backend, log_batch of 1,000 points for points/s; log_metric on \(metricSteps) steps for the call cost; ratio above 1 favours BlockLab")
            report.notes.append("load average at the end: \(BenchCLI.loadAverage())")
            return report
        }
    }
}
