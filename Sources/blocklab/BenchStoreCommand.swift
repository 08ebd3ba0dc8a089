import ArgumentParser
import ExperimentStore
import Foundation
import GRDBSQLite

/// `blocklab bench store`: ingest and read-back figures of the store beside the raw SQLite
/// ceiling, MLflow and trackio, all measured in this run on this machine.
struct BenchStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Benchmark the store: ingest rate, history reads and log-call cost vs. raw SQLite, MLflow, trackio.")

    @Option(help: "Steps per key.") var steps = 250_000
    @Option(help: "Metric keys.") var keys = 4
    @Option(help: "Peers to run: mlflow,trackio (empty: none).") var peers = "mlflow,trackio"
    @Option(help: "Python with mlflow and trackio (default: a venv the benchmark makes at .venv-bench-store).") var python: String?
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let names = (0..<keys).map { "metric_\($0)" }
        let total = steps * keys
        var figures = [String: Double]()

        progress("BlockLab: logging \(total) points through the run API")
        let store = try ExperimentStore.open(at: "\(work)/blocklab.db")
        let start = now()
        let run = try store.startRun(RunSpec(name: "bench"))
        for step in 0..<steps {
            var metrics = [String: Double](minimumCapacity: keys)
            for (k, name) in names.enumerated() { metrics[name] = 1.0 / Double(1 + step) + Double(k) }
            run.log(step: step, metrics)
        }
        try run.finish()
        figures["ingest_points_per_s"] = Double(total) / (now() - start)
        let stored = try store.metricSummaries(runID: run.id).reduce(0) { $0 + $1.count }
        guard stored == total else { throw CLIError("benchmark check failed: \(stored) of \(total) points stored") }

        progress("reading back one key's history")
        var reads = [Double]()
        for _ in 0..<7 {
            let t = now()
            let history = try store.metricHistory(runID: run.id, key: names[0])
            reads.append((now() - t) * 1000)
            guard history.count == steps else { throw CLIError("benchmark check failed: history has \(history.count) points") }
        }
        figures["history_read_ms"] = median(reads)

        progress("timing single log calls")
        let callRun = try store.startRun(RunSpec(name: "bench-calls"))
        var calls = [Double]()
        calls.reserveCapacity(100_000)
        for step in 0..<100_000 {
            let x = Double(step)
            let t = now()
            callRun.log(step: step, ["train/loss": x, "train/lr": x * 2, "train/grad_norm": x * 3, "train/tokens_per_s": x * 4])
            calls.append((now() - t) * 1e6)
        }
        try callRun.finish()
        figures["log_call_median_us"] = median(calls)

        progress("raw SQLite ceiling: the same rows through one prepared statement")
        figures["ceiling_points_per_s"] = try ceiling(path: "\(work)/ceiling.db", names: names)

        let chosen = peers.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        if !chosen.isEmpty {
            let python = try self.python ?? makeVenv()
            progress("peers (\(chosen.joined(separator: ", "))): the same \(total) points")
            let script = FileManager.default.fileExists(atPath: "scripts/bench/store_peers.py") ? "scripts/bench/store_peers.py"
                : URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                    .appendingPathComponent("../../scripts/bench/store_peers.py").standardized.path
            let output = try runProcess(python, [script, String(steps), String(keys), chosen.joined(separator: ",")])
            let lastLine = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
            guard case .object(let peerFigures)? = try? JSONValue.parse(Data(lastLine.utf8)) else {
                throw CLIError("the peer benchmark printed no JSON: \(output.suffix(500))")
            }
            for (key, value) in peerFigures { figures[key] = value.number }
        }
        report(figures)
    }

    private func ceiling(path: String, names: [String]) throws -> Double {
        let store = try ExperimentStore.open(at: path)  // the same schema
        let run = try store.startRun(RunSpec(name: "ceiling"))
        try run.finish()
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { throw CLIError("cannot open \(path)") }
        defer { sqlite3_close_v2(db) }
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", nil, nil, nil)
        for (index, name) in names.enumerated() {
            sqlite3_exec(db, "INSERT INTO metric_keys (id, key) VALUES (\(index + 1), '\(name)')", nil, nil, nil)
        }
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO metrics (run_id, key_id, step, value, wall_time, epoch) VALUES (?, ?, ?, ?, ?, ?)", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        let start = now()
        sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
        let wall = Date().timeIntervalSince1970
        for step in 0..<steps {
            for k in 0..<names.count {
                sqlite3_reset(statement)
                sqlite3_bind_int64(statement, 1, run.id)
                sqlite3_bind_int64(statement, 2, Int64(k + 1))
                sqlite3_bind_int64(statement, 3, Int64(step))
                sqlite3_bind_double(statement, 4, 1.0 / Double(1 + step) + Double(k))
                sqlite3_bind_double(statement, 5, wall)
                sqlite3_bind_null(statement, 6)
                guard sqlite3_step(statement) == SQLITE_DONE else { throw CLIError("ceiling insert failed") }
            }
        }
        guard sqlite3_exec(db, "COMMIT", nil, nil, nil) == SQLITE_OK else { throw CLIError("ceiling commit failed") }
        return Double(steps * names.count) / (now() - start)
    }

    private func makeVenv() throws -> String {
        let venv = ".venv-bench-store"
        let python = "\(venv)/bin/python"
        if FileManager.default.isExecutableFile(atPath: python),
           (try? runProcess(python, ["-c", "import mlflow, trackio"])) != nil {
            return python
        }
        progress("making \(venv) with mlflow and trackio from PyPI (once)")
        _ = try runProcess("/usr/bin/env", ["python3", "-m", "venv", venv])
        _ = try runProcess(python, ["-m", "pip", "install", "-q", "mlflow", "trackio"])
        return python
    }

    private func report(_ figures: [String: Double]) {
        if json {
            print(JSONValue.object(figures.mapValues { .double($0) }).jsonString(pretty: true))
            return
        }
        func f(_ key: String) -> String {
            guard let value = figures[key] else { return "-" }
            return value >= 1000 ? String(Int(value.rounded())) : String(format: "%.2f", value)
        }
        func ratio(_ a: String, _ b: String) -> String {
            guard let x = figures[a], let y = figures[b], y > 0 else { return "-" }
            return String(format: "%.2fx", x / y)
        }
        print(OutputOptions.table(headers: ["measure", "BlockLab", "peer", "ratio"], rows: [
            ["ingest points/s vs raw SQLite ceiling", f("ingest_points_per_s"), f("ceiling_points_per_s"), ratio("ingest_points_per_s", "ceiling_points_per_s")],
            ["ingest points/s vs MLflow", f("ingest_points_per_s"), f("mlflow_points_per_s"), ratio("ingest_points_per_s", "mlflow_points_per_s")],
            ["ingest points/s vs trackio", f("ingest_points_per_s"), f("trackio_points_per_s"), ratio("ingest_points_per_s", "trackio_points_per_s")],
            ["history read ms (median of 7 / 3) vs MLflow", f("history_read_ms"), f("mlflow_history_read_ms"), ratio("mlflow_history_read_ms", "history_read_ms")],
            ["log call of 4 metrics, median us", f("log_call_median_us"), "", ""],
        ]), terminator: "")
    }
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data("blocklab: \(message)\n".utf8))
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Runs a program to completion; returns its stdout; throws with its stderr on failure.
func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let errData = Mutexed(Data())
    let reader = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    guard process.terminationStatus == 0 else {
        throw CLIError("\(executable) \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): \(String(decoding: errData.value, as: UTF8.self).suffix(2000))")
    }
    return String(decoding: data, as: UTF8.self)
}
