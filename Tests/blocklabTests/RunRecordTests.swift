import Foundation
import TestSupport
import Testing

/// What the store's commands promise about runs, checked against the store itself:
/// `reap`, `runs --status`, `delete`, `export` and `compare --metric`.
@Suite struct RunRecordTests {
    /// The rows of a query, parsed from `sql --format json`.
    private func rows(_ store: String, _ sql: String) throws -> [[String: Any]] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "json", "--max-rows", "0"])
        #expect(result.status == 0, "\(sql): \(result.stderr)")
        return try #require(try CLI.json(result.stdout) as? [[String: Any]])
    }

    /// A JSON number as a Double (nil when it is not a number).
    private func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

    private func names(_ store: String, _ arguments: [String]) throws -> [String] {
        let result = try CLI.run(arguments + ["--store", store, "--format", "json"])
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return (try CLI.json(result.stdout) as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func reapRecordsDeadRunsAndLeavesLiveOnesAlone() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try CLI.run(["ingest", "--store", store, "--name", "done"], stdin: metricLines(0..<3))
        try RunFixtures.crashed(store: store, name: "dead")
        let live = try RunFixtures.live(store: store, name: "alive")

        #expect(try names(store, ["reap"]) == ["dead"])
        let statuses = try rows(store, "SELECT name, status, ended_at IS NOT NULL AS ended FROM runs ORDER BY id")
        #expect(statuses.map { "\($0["name"] ?? "nil") \($0["status"] ?? "nil") \($0["ended"] ?? "nil")" } == ["done finished 1", "dead crashed 1", "alive running 0"])
        #expect(try names(store, ["reap"]) == [], "a second reap finds nothing")

        try RunFixtures.finish(live)
        #expect(try rows(store, "SELECT status FROM runs WHERE name = 'alive'").first?["status"] as? String == "finished")
    }

    @Test func runsFiltersByStatus() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try CLI.run(["ingest", "--store", store, "--name", "ok"], stdin: metricLines(0..<3))
        try CLI.run(["ingest", "--store", store, "--name", "bad", "--", "/bin/sh", "-c", "exit 3"])
        try CLI.run(["ingest", "--store", store, "--name", "stopped", "--", "/bin/sh", "-c", "kill -TERM $$"])
        try RunFixtures.crashed(store: store, name: "gone")
        try CLI.run(["ingest", "--store", store, "--name", "ok-too"], stdin: metricLines(0..<3))
        let live = try RunFixtures.live(store: store, name: "busy")

        let expected = ["finished": ["ok", "ok-too"], "failed": ["bad"], "killed": ["stopped"], "crashed": ["gone"], "running": ["busy"]]
        for (status, runs) in expected {
            #expect(try names(store, ["runs", "--status", status]) == runs, "\(status)")
        }
        #expect(try names(store, ["runs"]) == ["ok", "bad", "stopped", "gone", "ok-too", "busy"])
        let csv = try CLI.run(["runs", "--status", "failed", "--store", store, "--format", "csv"])
        #expect(csv.stdout.split(separator: "\r\n").count == 2 && csv.stdout.contains(",bad,"))
        let wrong = try CLI.run(["runs", "--status", "done", "--store", store])
        #expect(wrong.status == 64 && wrong.stderr.contains("finished"), "\(wrong.stderr)")
        try RunFixtures.finish(live)
    }

    /// Every table that holds a run's records, with the query counting one run's rows in it.
    static let runTables: [(String, String)] = [
        ("runs", "SELECT COUNT(*) FROM runs WHERE id = ?"),
        ("tags", "SELECT COUNT(*) FROM tags WHERE run_id = ?"),
        ("config_snapshots", "SELECT COUNT(*) FROM config_snapshots WHERE run_id = ?"),
        ("params", "SELECT COUNT(*) FROM params WHERE run_id = ?"),
        ("metrics", "SELECT COUNT(*) FROM metrics WHERE run_id = ?"),
        ("metric_summaries", "SELECT COUNT(*) FROM metric_summaries WHERE run_id = ?"),
        ("hardware_samples", "SELECT COUNT(*) FROM hardware_samples WHERE run_id = ?"),
        ("checkpoints", "SELECT COUNT(*) FROM checkpoints WHERE run_id = ?"),
        ("artifacts", "SELECT COUNT(*) FROM artifacts WHERE run_id = ?"),
        ("phases", "SELECT COUNT(*) FROM phases WHERE run_id = ?"),
    ]

    /// A finished run with a config, metrics, hardware and GPU samples, a checkpoint, an
    /// artifact, a phase, a tag and a note, logged through `ingest`.
    private func fullRun(store: String, dir: TempDir, name: String) throws {
        try "training:\n  lr: 0.001\n  seed: 42\n".write(toFile: dir.file("\(name).yaml"), atomically: true, encoding: .utf8)
        try Data("weights of \(name)".utf8).write(to: URL(fileURLWithPath: dir.file("\(name).ckpt")))
        let lines = metricLines(0..<50) + """
            {"type": "hardware", "cpu_percent": 40, "ram_percent": 20, "process_rss_bytes": 1000, "gpus": [{"utilization_pct": 70, "memory_used_bytes": 5000}]}
            {"type": "hardware", "cpu_percent": 65.5, "ram_percent": 21, "process_rss_bytes": 3000, "gpus": [{"utilization_pct": 90, "memory_used_bytes": 4000}]}
            {"type": "checkpoint", "path": "\(dir.file("\(name).ckpt"))", "step": 40, "is_best": true, "metrics": {"loss": 40}}
            {"type": "artifact", "path": "\(dir.file("\(name).yaml"))", "kind": "config"}
            {"type": "phase", "name": "train"}
            {"type": "phase", "name": "train", "status": "finished", "stats": {"steps": 50}}
            {"type": "tag", "key": "team", "value": "ml"}

            """
        let result = try CLI.run(["ingest", "--store", store, "--name", name, "--config", dir.file("\(name).yaml")], stdin: lines)
        #expect(result.status == 0 && !result.stderr.contains(": line "), "\(result.stderr)")
        #expect(try CLI.run(["note", name, "kept for the test", "--store", store]).status == 0)
    }

    private func counts(_ store: String, run id: Int) throws -> [String: Int] {
        var counts = [String: Int]()
        for (table, query) in Self.runTables {
            counts[table] = try rows(store, query.replacingOccurrences(of: "?", with: String(id))).first?.values.first as? Int
        }
        counts["gpu_samples"] = try rows(store, "SELECT COUNT(*) FROM gpu_samples g JOIN hardware_samples h ON h.id = g.sample_id WHERE h.run_id = \(id)")
            .first?.values.first as? Int
        return counts
    }

    @Test func deleteRemovesEveryRecordOfTheRunAndNothingElse() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try fullRun(store: store, dir: dir, name: "doomed")
        try fullRun(store: store, dir: dir, name: "kept")
        let before = (doomed: try counts(store, run: 1), kept: try counts(store, run: 2))
        #expect(before.doomed == before.kept)
        #expect(before.doomed.values.allSatisfy { $0 > 0 }, "every table holds rows of the run: \(before.doomed)")
        #expect(before.doomed["metrics"] == 100 && before.doomed["gpu_samples"] == 2)

        let deleted = try CLI.run(["delete", "doomed", "--yes", "--store", store])
        #expect(deleted.status == 0 && deleted.stderr.contains("deleted run 1"), "\(deleted.stderr)")
        let after = try counts(store, run: 1)
        #expect(after.count == 11 && after.values.allSatisfy { $0 == 0 }, "\(after)")
        #expect(try counts(store, run: 2) == before.kept)
        #expect(try rows(store, "SELECT COUNT(*) AS n FROM gpu_samples").first?["n"] as? Int == 2, "only the kept run's GPU rows are left")
        // Files on disk stay.
        #expect(FileManager.default.fileExists(atPath: dir.file("doomed.ckpt")) && FileManager.default.fileExists(atPath: dir.file("doomed.yaml")))
        #expect(try CLI.run(["show", "doomed", "--store", store]).status != 0)
    }

    @Test func exportHoldsWhatTheStoreHolds() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try fullRun(store: store, dir: dir, name: "exported")
        let exported = try CLI.run(["export", "exported", "--store", store, "--out", dir.file("MANIFEST_DYNAMIC.json")])
        #expect(exported.status == 0, "\(exported.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("MANIFEST_DYNAMIC.json")))) as? [String: Any])

        let run = try #require(manifest["run"] as? [String: Any])
        let row = try #require(try rows(store, "SELECT id, uuid, name, status, started_at, ended_at, pid, hostname, command_line, note FROM runs").first)
        for key in ["id", "uuid", "name", "status", "pid", "hostname", "command_line", "note"] {
            #expect("\(run[key] ?? "absent")" == "\(row[key] ?? "absent")", "run.\(key)")
        }
        #expect(number(run["started_at"]) != nil && number(run["started_at"]) == number(row["started_at"]))
        #expect(number(run["ended_at"]) != nil && number(run["ended_at"]) == number(row["ended_at"]))
        #expect(run["tags"] as? [String: String] == ["team": "ml"])

        let config = try #require(manifest["config"] as? [String: Any])
        let snapshot = try #require(try rows(store, "SELECT yaml, sha256 FROM config_snapshots").first)
        #expect(config["yaml"] as? String == snapshot["yaml"] as? String && config["sha256"] as? String == snapshot["sha256"] as? String)
        let params = try rows(store, "SELECT key, value FROM params ORDER BY key")
        let storedParams = try params.map { (try #require($0["key"] as? String), try #require($0["value"] as? String)) }
        #expect(manifest["params"] as? [String: String] == Dictionary(uniqueKeysWithValues: storedParams))
        #expect(params.count == 2)

        let metrics = try #require(manifest["metrics"] as? [String: [String: Any]])
        let summaries = try rows(store, "SELECT key, count, min, min_step, max, max_step, value AS last, step AS last_step FROM latest_metrics")
        #expect(Set(metrics.keys) == Set(summaries.compactMap { $0["key"] as? String }) && summaries.count == 2 && metrics.count == 2)
        for summary in summaries {
            let key = try #require(summary["key"] as? String)
            for field in ["count", "min", "min_step", "max", "max_step", "last", "last_step"] {
                let exported = number(metrics[key]?[field]), stored = number(summary[field])
                #expect(exported != nil && exported == stored, "\(key).\(field): \(String(describing: exported)) vs \(String(describing: stored))")
            }
        }
        // The summary agrees with the points themselves.
        let loss = try #require(try rows(store, "SELECT COUNT(*) AS n, MIN(value) AS lo, MAX(value) AS hi FROM metric_history WHERE key = 'loss'").first)
        #expect(number(metrics["loss"]?["count"]) == 50 && number(loss["n"]) == 50)
        #expect(number(metrics["loss"]?["min"]) == number(loss["lo"]) && number(metrics["loss"]?["max"]) == number(loss["hi"]))
        #expect(number(loss["hi"]) == 49)

        let checkpoint = try #require((manifest["checkpoints"] as? [[String: Any]])?.first)
        let checkpointRow = try #require(try rows(store, "SELECT step, path, sha256, bytes, is_best FROM checkpoints").first)
        #expect(checkpoint["step"] as? Int == 40 && checkpoint["step"] as? Int == checkpointRow["step"] as? Int)
        #expect(checkpoint["path"] as? String == checkpointRow["path"] as? String && checkpoint["sha256"] as? String == checkpointRow["sha256"] as? String)
        #expect(checkpoint["bytes"] as? Int == checkpointRow["bytes"] as? Int && checkpoint["bytes"] as? Int == "weights of exported".utf8.count)
        #expect(checkpoint["is_best"] as? Bool == true && checkpointRow["is_best"] as? Int == 1)

        let artifact = try #require((manifest["artifacts"] as? [[String: Any]])?.first)
        let artifactRow = try #require(try rows(store, "SELECT kind, name, path, sha256, bytes FROM artifacts").first)
        for key in ["kind", "name", "path", "sha256", "bytes"] {
            #expect("\(artifact[key] ?? "absent")" == "\(artifactRow[key] ?? "absent")", "artifact.\(key)")
        }

        let phase = try #require((manifest["phases"] as? [[String: Any]])?.first)
        let phaseRow = try #require(try rows(store, "SELECT name, status, stats_json FROM phases").first)
        #expect(phase["name"] as? String == phaseRow["name"] as? String && phase["status"] as? String == phaseRow["status"] as? String)
        #expect((phase["stats"] as? [String: Any])?["steps"] as? Int == 50 && phaseRow["stats_json"] as? String == "{\"steps\":50}")

        let peaks = try #require(manifest["hardware_peaks"] as? [String: Any])
        let peakRow = try #require(try rows(store, """
            SELECT COUNT(*) AS samples, MAX(cpu_percent) AS cpu, MAX(process_rss_bytes) AS rss,
                   (SELECT MAX(memory_used_bytes) FROM gpu_samples) AS gpu FROM hardware_samples
            """).first)
        #expect(number(peaks["samples"]) == number(peakRow["samples"]) && number(peaks["cpu_percent"]) == number(peakRow["cpu"]))
        #expect(number(peaks["process_rss_bytes"]) == number(peakRow["rss"]) && number(peaks["gpu_memory_used_bytes"]) == number(peakRow["gpu"]))
        #expect(number(peaks["samples"]) == 2 && number(peaks["cpu_percent"]) == 65.5 && number(peaks["gpu_memory_used_bytes"]) == 5000)
    }

    /// Ties: the best run is the first listed of those that share the best value, and a
    /// run's best step is the first step that reached it; `--metric` keeps only the keys given, in their order.
    @Test func compareMetricAndTies() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let runs = [
            ("a", [(10, 1.5, 0.9), (20, 1.5, 0.7), (30, 1.7, 0.8)]),
            ("b", [(5, 2.0, 0.9), (30, 1.5, 0.6)]),
            ("c", [(10, 1.6, 0.95)]),
        ]
        for (name, points) in runs {
            let lines = points.map { "{\"step\": \($0.0), \"val/loss\": \($0.1), \"val/acc\": \($0.2), \"lr\": 0.1}\n" }.joined()
            #expect(try CLI.run(["ingest", "--store", store, "--name", name], stdin: lines).status == 0)
        }
        func compare(_ arguments: [String]) throws -> [[String: Any]] {
            let result = try CLI.run(["compare"] + arguments + ["--store", store, "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            return try #require((try CLI.json(result.stdout) as? [String: Any])?["metrics"] as? [[String: Any]])
        }
        func best(_ row: [String: Any]) -> [String] {
            (row["best"] as? [Any] ?? []).map { entry in
                guard let entry = entry as? [String: Any] else { return "-" }
                return "\(entry["value"] ?? "nil")@\(entry["step"] ?? "nil")"
            }
        }

        let loss = try compare(["a", "b", "c", "--metric", "val/loss"])
        #expect(loss.map { $0["key"] as? String } == ["val/loss"])
        #expect(best(loss[0]) == ["1.5@10", "1.5@30", "1.6@10"])
        #expect(loss[0]["best_run"] as? Int == 0)
        let swapped = try compare(["b", "a", "c", "--metric", "val/loss"])
        #expect(best(swapped[0]) == ["1.5@30", "1.5@10", "1.6@10"])
        #expect(swapped[0]["best_run"] as? Int == 0, "the tie goes to the run listed first")

        let two = try compare(["a", "b", "c", "--metric", "val/acc", "--metric", "val/loss"])
        #expect(two.map { $0["key"] as? String } == ["val/acc", "val/loss"])
        #expect(two[0]["direction"] as? String == "higher")
        #expect(best(two[0]) == ["0.9@10", "0.9@5", "0.95@10"])
        #expect(two[0]["best_run"] as? Int == 2)
        #expect(try compare(["b", "a", "--metric", "val/acc"])[0]["best_run"] as? Int == 0)

        let table = try CLI.run(["compare", "a", "b", "--metric", "val/loss", "--store", store])
        let lossLine = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("val/loss") })
        #expect(lossLine.filter { $0 == "*" }.count == 1 && lossLine.contains("1.7 / 1.5 / 1.7 @10 *"), "\(lossLine)")
        #expect(!table.stdout.contains("lr"), "only the metric asked for")

        let unknown = try CLI.run(["compare", "a", "b", "--metric", "val/nope", "--store", store])
        #expect(unknown.status != 0 && unknown.stderr.contains("val/nope") && unknown.stderr.contains("val/acc, val/loss"), "\(unknown.stderr)")
    }
}
