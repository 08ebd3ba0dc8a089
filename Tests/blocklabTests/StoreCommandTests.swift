import Foundation
import TestSupport
import Testing

/// The store's command line, run as a user runs it: the built binary, real files, real signals.
@Suite struct StoreCommandTests {
    func count(_ store: String, _ sql: String) throws -> Int {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        guard result.status == 0 else { return -1 }
        return Int(result.stdout.split(separator: "\r\n").dropFirst().first ?? "") ?? -1
    }

    func status(_ store: String, _ run: String) throws -> [String: Any] {
        let result = try CLI.run(["show", run, "--store", store, "--format", "json"])
        let manifest = try #require(try CLI.json(result.stdout) as? [String: Any])
        return try #require(manifest["run"] as? [String: Any])
    }

    /// `blocklab ingest` running in the background, with its stdin to write to.
    func startIngest(store: String, name: String) throws -> (Process, OutputCollector, FileHandle) {
        let process = CLI.start(["ingest", "--store", store, "--name", name])
        try process.run()
        return (process, OutputCollector(process), try #require(process.standardInput as? Pipe).fileHandleForWriting)
    }

    /// Polls until the store holds `points` metric rows (or two minutes pass); returns the count.
    func waitForPoints(_ store: String, _ points: Int) throws -> Int {
        var seen = 0
        for _ in 0..<1200 where seen < points {
            Thread.sleep(forTimeInterval: 0.1)
            seen = try count(store, "SELECT COUNT(*) FROM metrics")
        }
        return seen
    }

    @Test func ingestLogsStdinAndReportsMalformedLinesByNumber() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let input = """
            {"step": 1, "epoch": 0.5, "loss": 2.5, "lr": 0.001}
            not json at all
            {"step": 2, "loss": 2.0, "note": "text"}
            {"step": 3, "loss": 
            {"type": "hardware", "cpu_percent": 55.5, "ram_percent": 20, "gpus": [{"utilization_pct": 80, "memory_used_bytes": 1000}]}
            {"type": "phase", "name": "train"}
            {"type": "phase", "name": "train", "status": "finished", "stats": {"steps": 2}}
            {"type": "checkpoint", "path": "/does/not/exist", "step": 2}
            {"type": "tag", "key": "source", "value": "stdin"}
            {"train": {"loss": 1.5}, "step": 4}
            {"type": "hardware", "cpu_percent": "hot", "ram_percent": 30, "gpus": [{"utilization_pct": "busy", "power_w": 70}], "fan": 2}
            {"type": "hardware", "cpu_percent": "hot"}

            """
        let result = try CLI.run(["ingest", "--store", store, "--name", "piped", "--tag", "team=ml"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("line 2: not a JSON object; skipped"))
        #expect(result.stderr.contains("line 3: note not numbers; those fields skipped"))
        #expect(result.stderr.contains("line 4: malformed JSON; skipped"))
        #expect(result.stderr.contains("line 8:") && result.stderr.contains("/does/not/exist"))
        // A hardware field of the wrong type is reported like a metric's, and so is an unknown one;
        // a hardware record left with no reading is skipped.
        #expect(result.stderr.contains("line 11: cpu_percent, gpus[0].utilization_pct not numbers; those fields skipped"), "\(result.stderr)")
        #expect(result.stderr.contains("line 11: fan not hardware fields"))
        #expect(result.stderr.contains("line 12: cpu_percent not numbers; those fields skipped"))
        #expect(result.stderr.contains("line 12: no hardware reading in the record"))
        #expect(result.stderr.contains("4 malformed lines skipped"))
        #expect(try count(store, "SELECT COUNT(*) FROM hardware_samples WHERE ram_percent = 30 AND cpu_percent IS NULL") == 1)
        #expect(try count(store, "SELECT COUNT(*) FROM gpu_samples WHERE power_w = 70 AND utilization_pct IS NULL") == 1)
        #expect(try count(store, "SELECT COUNT(*) FROM hardware_samples") == 2)
        #expect(try count(store, "SELECT COUNT(*) FROM metric_history WHERE run_name = 'piped' AND key = 'loss'") == 2)
        #expect(try count(store, "SELECT COUNT(*) FROM metric_history WHERE key = 'train/loss' AND step = 4") == 1)
        #expect(try count(store, "SELECT COUNT(*) FROM gpu_samples WHERE utilization_pct = 80") == 1)
        #expect(try count(store, "SELECT COUNT(*) FROM phases WHERE name = 'train' AND status = 'finished'") == 1)
        #expect(try count(store, "SELECT COUNT(*) FROM tags WHERE (key, value) IN (VALUES ('team', 'ml'), ('source', 'stdin'))") == 2)
        let run = try status(store, "piped")
        #expect(run["status"] as? String == "finished")
    }

    @Test func ingestRunsACommandPassesOtherLinesThroughAndTakesItsOutcome() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let ok = try CLI.run(["ingest", "--store", store, "--name", "ok", "--", "/bin/sh", "-c",
                              "echo '{\"step\": 0, \"loss\": 1}'; echo hello; echo '{\"step\": 1, \"loss\": 0.5}'"])
        #expect(ok.status == 0)
        #expect(ok.stdout == "hello\n")
        #expect(try status(store, "ok")["status"] as? String == "finished")

        let failed = try CLI.run(["ingest", "--store", store, "--name", "bad", "--", "/bin/sh", "-c", "echo '{\"loss\": 3}'; exit 3"])
        #expect(failed.status == 3)
        let bad = try status(store, "bad")
        #expect(bad["status"] as? String == "failed")
        #expect((bad["error"] as? String)?.contains("exited with status 3") == true)

        let killed = try CLI.run(["ingest", "--store", store, "--name", "sig", "--", "/bin/sh", "-c", "echo '{\"loss\": 3}'; kill -9 $$"])
        #expect(killed.status == 137)
        #expect(try status(store, "sig")["status"] as? String == "killed")
        #expect(try count(store, "SELECT COUNT(*) FROM metric_history WHERE run_name = 'sig'") == 1)

        let missing = try CLI.run(["ingest", "--store", store, "--", "no-such-program-here"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("command not found: no-such-program-here"), "\(missing.stderr)")
        // Nothing was started for a command that cannot run.
        #expect(try count(store, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == 0)
    }

    @Test func sigkillMidRunLeavesAnIntactStoreWithEveryFlushedPointAndACrashedRun() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let (process, collector, input) = try startIngest(store: store, name: "victim")
        input.write(Data(metricLines(0..<5000).utf8))
        #expect(try waitForPoints(store, 10_000) == 10_000)
        input.write(Data(metricLines(5000..<6000).utf8))
        kill(process.processIdentifier, SIGKILL)
        try collector.finish()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try CLI.run(["sql", "PRAGMA integrity_check", "--store", store, "--format", "csv"]).stdout == "integrity_check\r\nok\r\n")
        let after = try count(store, "SELECT COUNT(*) FROM metrics")
        #expect(after >= 10_000)
        // Whatever was flushed is a prefix of what was sent: no holes.
        #expect(try count(store, "SELECT MAX(step) + 1 FROM metric_history WHERE key = 'loss'") * 2 == after)
        #expect(try status(store, "victim")["status"] as? String == "crashed")
        let reaped = try CLI.run(["reap", "--store", store, "--format", "json"])
        #expect(reaped.status == 0 && reaped.stdout.contains("victim"))
        #expect(try count(store, "SELECT COUNT(*) FROM runs WHERE status = 'crashed'") == 1)
    }

    @Test func fourWritersAndAReaderShareOneStoreWithoutLockErrors() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try CLI.run(["ingest", "--store", store, "--name", "init"], stdin: "")  // create it once
        let writers = try (0..<4).map { index -> (Process, OutputCollector, FileHandle) in
            let process = CLI.start(["ingest", "--store", store, "--name", "writer-\(index)"])
            try process.run()
            return (process, OutputCollector(process), try #require(process.standardInput as? Pipe).fileHandleForWriting)
        }
        let feeders = writers.map { _, _, input in
            Thread {
                for chunk in 0..<10 {
                    input.write(Data(metricLines(chunk * 2500..<(chunk + 1) * 2500, keys: ["loss", "lr", "acc"]).utf8))
                    Thread.sleep(forTimeInterval: 0.05)
                }
                try? input.close()
            }
        }
        feeders.forEach { $0.start() }
        var readerErrors = [String]()
        var queries = 0
        while writers.contains(where: { $0.0.isRunning }) {
            let result = try CLI.run(["sql", "SELECT run_name, COUNT(*) FROM metric_history GROUP BY run_name", "--store", store])
            if result.status != 0 { readerErrors.append(result.stderr) }
            queries += 1
        }
        #expect(queries > 0)
        #expect(readerErrors.isEmpty, "\(readerErrors)")
        for (process, collector, _) in writers {
            let (_, err) = try collector.finish()
            #expect(process.terminationStatus == 0, "\(err)")
            #expect(!err.lowercased().contains("locked"))
        }
        for index in 0..<4 {
            #expect(try count(store, "SELECT COUNT(*) FROM metric_history WHERE run_name = 'writer-\(index)'") == 75_000)
            #expect(try count(store, "SELECT count FROM latest_metrics WHERE run_name = 'writer-\(index)' AND key = 'acc'") == 25_000)
        }
    }

    @Test func sqlRefusesWritesAndLeavesTheFileUnchanged() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try CLI.run(["ingest", "--store", store, "--name", "r"], stdin: metricLines(0..<10))
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        // Each refusal names the statement refused, even after a statement that ran.
        let refused = [
            ("INSERT INTO tags VALUES (1, 'a', 'b')", "INSERT"), ("UPDATE runs SET name = 'x'", "UPDATE"),
            ("DELETE FROM runs", "DELETE"), ("DROP TABLE runs", "DROP TABLE"), ("SELECT 1; DROP TABLE runs", "DROP TABLE"),
            ("SELECT 1;\n-- tidy up\ndrop view run_summary", "DROP VIEW"), ("CREATE INDEX i ON runs(name)", "CREATE INDEX"),
            ("CREATE TEMP TABLE t (x)", "CREATE TABLE"), ("ALTER TABLE runs ADD COLUMN x", "ALTER TABLE"), ("VACUUM", "VACUUM"),
            ("ATTACH DATABASE '\(dir.file("x.db"))' AS x", "ATTACH"), ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"),
        ]
        for (sql, name) in refused {
            let result = try CLI.run(["sql", sql, "--store", store])
            #expect(result.status != 0, "\(sql)")
            #expect(result.stderr.contains("read-only: \(name) "), "\(sql): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: store)) == before)
        let capped = try CLI.run(["sql", "SELECT * FROM metrics", "--store", store, "--max-rows", "5", "--format", "json"])
        #expect(capped.status == 0)
        #expect((try CLI.json(capped.stdout) as? [Any])?.count == 5)
        #expect(capped.stderr.contains("LIMIT/OFFSET"))
    }

    @Test func badStoresGiveClearErrorsAndNonZeroExits() throws {
        let dir = TempDir()
        // Reading, and changing runs already recorded, never creates a store at a mistyped path.
        for arguments in [["runs"], ["tag", "1", "a=b"], ["note", "1", "text"], ["delete", "1"], ["reap"]] {
            let missing = try CLI.run(arguments + ["--store", dir.file("missing.db")])
            #expect(missing.status == 66 && missing.stderr.contains("no experiment store at \(dir.file("missing.db"))"), "\(arguments): \(missing)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("missing.db")), "\(arguments)")
        }

        try "hello".write(toFile: dir.file("text.db"), atomically: true, encoding: .utf8)
        for arguments in [["runs"], ["ingest"]] {
            let result = try CLI.run(arguments + ["--store", dir.file("text.db")])
            #expect(result.status != 0 && result.stderr.contains("not a BlockLab store") && result.stderr.contains(dir.file("text.db")))
        }
        #expect(try String(contentsOfFile: dir.file("text.db"), encoding: .utf8) == "hello")

        let env = try CLI.run(["runs"], environment: ["BLOCKLAB_STORE": dir.file("env.db")])
        #expect(env.status != 0 && env.stderr.contains(dir.file("env.db")))

        let unknown = try CLI.run(["show", "nope", "--store", dir.file("text.db")])
        #expect(unknown.status != 0)
    }

    /// A 400 KiB tmpfs is the full disk. Mounting one needs root (or CAP_SYS_ADMIN), which the
    /// tests have in CI; elsewhere this test is skipped, saying so.
    @Test(.enabled(if: TmpfsMount.isPossible, "needs root or CAP_SYS_ADMIN to mount a 400 KiB tmpfs as the full disk"))
    func aFullDiskStopsIngestWithAClearErrorAndAnIntactStore() throws {
        let disk = try TmpfsMount(size: "400k")
        defer { withExtendedLifetime(disk) {} }
        let mountPoint = disk.path
        let store = mountPoint + "/s.db"
        let result = try CLI.run(["ingest", "--store", store, "--name", "big"], stdin: metricLines(0..<40_000, keys: ["a", "b", "c"]))
        #expect(result.status != 0)
        #expect(result.stderr.contains("full"), "\(result.stderr)")
        #expect(result.stderr.contains(store))
        // Free some space (the WAL), then the store still opens and passes its integrity check.
        let check = try CLI.run(["sql", "PRAGMA integrity_check", "--store", store, "--format", "csv"])
        #expect(check.stdout == "integrity_check\r\nok\r\n", "\(check.stderr)")
        // The run's end is recorded as failed, with the points it lost, when the status row
        // still fits (the rolled-back batch left room in the WAL); when not even that fits,
        // the run reads crashed (its process is gone), as after a power loss. Never running.
        let run = try status(store, "big")
        let ended = run["status"] as? String
        #expect(ended == "failed" || ended == "crashed", "\(run)")
        if ended == "failed" { #expect((run["error"] as? String)?.contains("could not be written") == true) }
        let points = try CLI.run(["sql", "SELECT count(*) AS n FROM metrics", "--store", store, "--format", "csv"])
        #expect(points.status == 0 && points.stdout.hasPrefix("n\r\n"), "\(points.stderr)")
    }

    @Test func compareAndExportGiveTheExpectedValues() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try "training:\n  lr: 0.001\n  seed: 42\n".write(toFile: dir.file("a.yaml"), atomically: true, encoding: .utf8)
        try "training:\n  lr: 3e-4\n  seed: 42\n  api_key: hunter2\n".write(toFile: dir.file("b.yaml"), atomically: true, encoding: .utf8)
        try CLI.run(["ingest", "--store", store, "--name", "a", "--config", dir.file("a.yaml")],
                    stdin: "{\"step\": 0, \"val/loss\": 3}\n{\"step\": 10, \"val/loss\": 2}\n{\"step\": 20, \"val/loss\": 2.5}\n")
        try CLI.run(["ingest", "--store", store, "--name", "b", "--config", dir.file("b.yaml")],
                    stdin: "{\"step\": 0, \"val/loss\": 3}\n{\"step\": 10, \"val/loss\": 1.5}\n{\"step\": 20, \"val/loss\": 1.8}\n")
        let compared = try CLI.run(["compare", "a", "b", "--store", store, "--format", "json"])
        #expect(compared.status == 0, "\(compared.stderr)")
        let comparison = try #require(try CLI.json(compared.stdout) as? [String: Any])
        let differing = try #require(comparison["differing_params"] as? [[String: Any]])
        #expect(differing.map { $0["key"] as? String } == ["training.api_key", "training.lr"])
        #expect(differing[1]["values"] as? [String] == ["0.001", "0.0003"])
        // Run a has no api_key (null); run b's is redacted before it reaches the store.
        let apiKey = try #require(differing[0]["values"] as? [Any])
        #expect(apiKey.count == 2 && apiKey[0] is NSNull && apiKey[1] as? String == "[REDACTED]", "\(apiKey)")
        #expect(!compared.stdout.contains("hunter2"))
        let metrics = try #require(comparison["metrics"] as? [[String: Any]])
        let loss = try #require(metrics.first)
        #expect(loss["key"] as? String == "val/loss")
        #expect(loss["best_run"] as? Int == 1)
        let best = try #require(loss["best"] as? [[String: Any]])
        #expect(best.map { $0["value"] as? Double } == [2, 1.5])
        #expect(best.map { $0["step"] as? Int } == [10, 10])

        let table = try CLI.run(["compare", "a", "b", "--store", store])
        #expect(table.stdout.contains("training.lr") && table.stdout.contains("0.0003"))

        let exported = try CLI.run(["export", "b", "--store", store, "--out", dir.file("MANIFEST_DYNAMIC.json")])
        #expect(exported.status == 0)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("MANIFEST_DYNAMIC.json")))) as? [String: Any])
        let params = try #require(manifest["params"] as? [String: Any])
        #expect(params["training.lr"] as? String == "0.0003")
        #expect(params["training.api_key"] as? String == "[REDACTED]")
        let summary = try #require((manifest["metrics"] as? [String: Any])?["val/loss"] as? [String: Any])
        #expect(summary["min"] as? Double == 1.5 && summary["min_step"] as? Int == 10 && summary["last"] as? Double == 1.8)
        #expect((manifest["run"] as? [String: Any])?["name"] as? String == "b")
        #expect(!(try String(contentsOfFile: dir.file("MANIFEST_DYNAMIC.json"), encoding: .utf8)).contains("hunter2"))
    }

    @Test func tagNoteDeleteAndMergeWork() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let other = dir.file("o.db")
        try CLI.run(["ingest", "--store", other, "--name", "far"], stdin: metricLines(0..<100))
        try CLI.run(["ingest", "--store", store, "--name", "near"], stdin: metricLines(0..<10))
        #expect(try CLI.run(["tag", "near", "quality=good", "--store", store]).status == 0)
        #expect(try CLI.run(["note", "latest", "looks fine", "--store", store]).status == 0)
        let first = try CLI.run(["merge", other, "--yes", "--store", store, "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(((try CLI.json(first.stdout) as? [String: Any])?["imported"] as? [String])?.count == 1)
        let second = try CLI.run(["merge", other, "--yes", "--store", store, "--format", "json"])
        #expect(((try CLI.json(second.stdout) as? [String: Any])?["imported"] as? [String])?.isEmpty == true)
        #expect(try count(store, "SELECT COUNT(*) FROM metrics") == 220)
        let runs = try #require(try CLI.json(try CLI.run(["runs", "--store", store, "--format", "json"]).stdout) as? [[String: Any]])
        #expect(runs.map { $0["name"] as? String } == ["near", "far"])
        #expect((runs[0]["tags"] as? [String: String]) == ["quality": "good"])
        #expect(runs[0]["note"] as? String == "looks fine")
        #expect(try CLI.run(["delete", "far", "--yes", "--store", store]).status == 0)
        #expect(try count(store, "SELECT COUNT(*) FROM metrics") == 20)
        let csv = try CLI.run(["metrics", "near", "--key", "loss", "--store", store, "--format", "csv"])
        #expect(csv.stdout.hasPrefix("key,step,value,epoch,wall_time\r\nloss,0,0.0,,"))
        let wrongKey = try CLI.run(["metrics", "near", "--key", "nope", "--store", store])
        #expect(wrongKey.status != 0 && wrongKey.stderr.contains("loss, lr"))
    }
}
