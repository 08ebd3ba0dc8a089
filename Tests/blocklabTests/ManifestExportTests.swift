import Foundation
import TestSupport
import Testing

/// `blocklab export`: the manifests of real runs (scrape, tokenize and train on a fixture
/// repository, and a failed train) hold the original's sections filled from the store,
/// agree with what each phase recorded and wrote, and are valid against the schema.
@Suite struct ManifestExportTests {
    /// Exports RUN to DIR/NAME.json, checks it against the schema, and returns it parsed.
    private func export(_ run: String, store: String, dir: TempDir) throws -> [String: Any] {
        let file = dir.file("\(run).json")
        let result = try CLI.run(["export", run, "--store", store, "--out", file])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ManifestSchema.errors(file) == [], "the \(run) manifest is valid")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
    }

    private func rows(_ store: String, _ sql: String) throws -> [[String: Any]] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try CLI.json(result.stdout) as? [[String: Any]])
    }

    private func object(_ value: Any?, _ what: String) throws -> [String: Any] {
        try #require(value as? [String: Any], "\(what) is an object")
    }

    private func numbers(_ value: Any?) -> [Double] { (value as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }

    private func sha256(_ path: String, in dir: TempDir) throws -> String {
        String(try shell("sha256sum '\(path)'", in: dir.path).prefix(64))
    }

    @Test func scrapeTokenizeAndTrainRunsExportWhatTheyRecorded() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 30)
        let scraped = try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scrape"), "--store", store])
        #expect(scraped.status == 0, "\(scraped.stderr)")
        let tokenized = try CLI.run(["tokenize", "--input", dir.file("scrape/commits.jsonl"), dir.file("scrape/files.jsonl"),
                                     "--out", dir.file("data"), "--vocab-size", "320", "--sequence-length", "32", "--store", store])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        // Two whole epochs of a tiny model, so there is a per-epoch history; built-in config
        // defaults (run where no training_config.yaml is).
        let trained = try CLI.run(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--store", store,
                                   "--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.batch_size=4",
                                   "--set", "epoch_calculation.min_epochs=2", "--set", "epoch_calculation.max_epochs=2"],
                                  directory: dir.path)
        #expect(trained.status == 0, "\(trained.stderr)")

        // Phases 0 and 1: the repository as git itself counts it.
        let scrape = try export("scrape", store: store, dir: dir)
        let stats = try object(scrape["repository_stats"], "repository_stats")
        let times = try shell("git log --format=%at", in: repo).split(separator: "\n").compactMap { Int($0) }
        #expect(stats["unique_commits"] as? Int == 30 && stats["total_commits_across_branches"] as? Int == 30)
        #expect(stats["branches"] as? Int == 1 && stats["branch_names"] as? [String] == ["main"])
        #expect(stats["commits_per_branch"] as? [String: Int] == ["main": 30] && stats["unique_authors"] as? Int == 1)
        #expect(stats["first_commit_timestamp"] as? Int == times.min() && stats["last_commit_timestamp"] as? Int == times.max())
        let scrapeResults = try object(scrape["phase_results"], "phase_results")
        let analyze = try object(scrapeResults["phase_0_analyze"], "phase_0_analyze")
        let phase1 = try object(scrapeResults["phase_1_scrape"], "phase_1_scrape")
        #expect(analyze["status"] as? String == "finished" && phase1["status"] as? String == "finished")
        #expect(phase1["commits_processed"] as? Int == 30 && phase1["output_file"] as? String == dir.file("scrape/commits.jsonl"))
        let scrapeOutputs = try #require(phase1["outputs"] as? [[String: Any]])
        #expect(scrapeOutputs.map { $0["name"] as? String } == ["commits.jsonl", "files.jsonl"])
        for output in scrapeOutputs {
            let expected = try sha256(try #require(output["path"] as? String), in: dir)
            #expect(output["sha256"] as? String == expected, "\(output["name"] ?? "no name")")
        }
        for key in ["phase_2_tokenize", "phase_3_embeddings", "phase_4_training"] {
            #expect(try object(scrapeResults[key], key)["status"] as? String == "not_run", "\(key)")
        }
        #expect(scrape["training_report"] is NSNull && scrape["sequence_metadata"] is NSNull && scrape["embeddings"] is NSNull)
        let estimate = try object(scrape["training_parameters"], "training_parameters")
        #expect(estimate["source"] as? String == "analyse" && estimate["epochs"] as? Int != nil)
        let run = try object(scrape["run"], "run")
        #expect(run["store"] as? String == store && run["status"] as? String == "finished")
        let head = try shell("git rev-parse HEAD", in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(run["source_repo"] as? String == repo && run["source_commit"] as? String == head)

        // Phase 2: the sequences dataset.json describes.
        let tokenize = try export("tokenize", store: store, dir: dir)
        let dataset = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("data/dataset.json")))) as? [String: Any])
        let datasetTrain = try object(dataset["train"], "dataset.train"), datasetVal = try object(dataset["val"], "dataset.val")
        let sequences = try object(tokenize["sequence_metadata"], "sequence_metadata")
        let training = try object(sequences["training"], "sequence_metadata.training")
        let validation = try object(sequences["validation"], "sequence_metadata.validation")
        #expect(training["num_sequences"] as? Int == datasetTrain["sequences"] as? Int && training["sequence_length"] as? Int == 32)
        #expect(training["total_tokens"] as? Int == datasetTrain["stream_tokens"] as? Int)
        #expect(validation["num_sequences"] as? Int == datasetVal["sequences"] as? Int)
        #expect(training["path"] as? String == dir.file("data/train.bin") && validation["path"] as? String == dir.file("data/val.bin"))
        #expect(sequences["epochs"] as? Int == (dataset["epochs"] as? [String: Any])?["value"] as? Int)
        let phase2 = try object(try object(tokenize["phase_results"], "phase_results")["phase_2_tokenize"], "phase_2_tokenize")
        let trainSequences = try #require(datasetTrain["sequences"] as? Int), valSequences = try #require(datasetVal["sequences"] as? Int)
        #expect(phase2["num_sequences"] as? Int == trainSequences + valSequences)
        #expect(try object(tokenize["training_parameters"], "training_parameters")["source"] as? String == "tokenize")

        // Phase 4: what the trainer recorded, step by step, and what it wrote in training_report.json.
        let train = try export("train", store: store, dir: dir)
        let report = try object(train["training_report"], "training_report")
        let parameters = try object(train["training_parameters"], "training_parameters")
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("model/training_report.json")))) as? [String: Any])
        let plan = try object(written["training_parameters"], "training_report.json training_parameters")
        #expect(parameters["source"] as? String == "train")
        for key in ["epochs", "total_steps", "steps_per_epoch", "warmup_steps", "batch_size"] {
            #expect((parameters[key] as? NSNumber)?.doubleValue == (plan[key] as? NSNumber)?.doubleValue, "training_parameters.\(key)")
        }
        #expect(parameters["epochs"] as? Int == 2 && parameters["batch_size"] as? Int == 4)
        #expect(parameters["num_sequences"] as? Int == datasetTrain["sequences"] as? Int)
        let losses = try rows(store, "SELECT step, value FROM metric_history WHERE run_name = 'train' AND key = 'train/loss' ORDER BY step")
        let valLosses = try rows(store, "SELECT step, value FROM metric_history WHERE run_name = 'train' AND key = 'val/loss' ORDER BY step")
        let rates = try rows(store, "SELECT value FROM metric_history WHERE run_name = 'train' AND key = 'train/lr' ORDER BY step")
        let steps = parameters["total_steps"] as? Int
        #expect(steps != nil && losses.count == steps && report["steps_completed"] as? Int == steps)
        #expect(report["epochs_completed"] as? Int == 2 && report["status"] as? String == "finished")
        let t = try object(report["training"], "training_report.training")
        #expect(t["final_train_loss"] as? Double == losses.last?["value"] as? Double && t["final_train_loss"] as? Double == written["final_train_loss"] as? Double)
        #expect(t["final_val_loss"] as? Double == valLosses.last?["value"] as? Double && t["final_val_loss"] as? Double == written["final_val_loss"] as? Double)
        #expect(t["best_val_loss"] as? Double == written["best_val_loss"] as? Double && t["best_val_loss"] != nil)
        #expect(t["min_train_loss"] as? Double == losses.compactMap { $0["value"] as? Double }.min())
        let history = try object(t["loss_history"], "loss_history")
        let epochMeans = (written["epoch_loss_history"] as? [[String: Any]] ?? []).compactMap { $0["train_loss"] as? Double }
        #expect(numbers(history["train"]) == epochMeans && epochMeans.count == 2)
        let epochSteps = [1, 2].map { $0 * (parameters["steps_per_epoch"] as? Int ?? 0) }
        #expect(numbers(history["val"]) == valLosses.filter { epochSteps.contains($0["step"] as? Int ?? -1) }.compactMap { $0["value"] as? Double })
        #expect(numbers(try object(report["learning_rate"], "learning_rate")["history"]) == rates.compactMap { $0["value"] as? Double })
        #expect(numbers(try object(report["gradients"], "gradients")["history"]).count == steps)
        let hardware = try object(report["hardware"], "hardware")
        #expect(hardware["device"] as? String == "cpu" && hardware["batch_size"] as? Int == 4)
        let phase4 = try object(try object(train["phase_results"], "phase_results")["phase_4_training"], "phase_4_training")
        #expect(phase4["status"] as? String == "finished" && phase4["steps"] as? Int == steps)
        let stored = try rows(store, "SELECT c.path, c.sha256 FROM checkpoints c JOIN runs r ON r.id = c.run_id WHERE r.name = 'train' ORDER BY c.id")
        let trainOutputs = try #require(phase4["outputs"] as? [[String: Any]])
        #expect(!stored.isEmpty)
        for checkpoint in stored {
            #expect(trainOutputs.contains { $0["path"] as? String == checkpoint["path"] as? String && $0["sha256"] as? String == checkpoint["sha256"] as? String })
        }
        let reportOutput = try #require(trainOutputs.first { $0["kind"] as? String == "report" })
        let reportSHA = try sha256(dir.file("model/training_report.json"), in: dir)
        #expect(reportOutput["sha256"] as? String == reportSHA)
    }

    @Test func aFailedRunsManifestSaysWhichPhaseFailedAndWhy() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        let trained = try CLI.run(["train", "--data", dir.file("empty"), "--out", dir.file("model"), "--store", store], directory: dir.path)
        #expect(trained.status != 0)
        let manifest = try export("train", store: store, dir: dir)
        let stored = try #require(try rows(store, "SELECT r.status, r.error AS run_error, p.status AS phase_status, p.error FROM runs r JOIN phases p ON p.run_id = r.id").first)
        let error = try #require(stored["error"] as? String)
        #expect(error.contains("train.bin"), "\(error)")
        #expect(stored["status"] as? String == "failed" && stored["phase_status"] as? String == "failed")
        let phase4 = try object(try object(manifest["phase_results"], "phase_results")["phase_4_training"], "phase_4_training")
        #expect(phase4["status"] as? String == "failed" && phase4["error"] as? String == error)
        let report = try object(manifest["training_report"], "training_report")
        #expect(report["status"] as? String == "failed" && report["error"] as? String == error && report["steps_completed"] as? Int == 0)
        #expect(try object(manifest["run"], "run")["status"] as? String == "failed")
    }

    /// The schema is strict: a missing section, a section of the wrong type, a phase that
    /// failed without an error, and a train plan with a hole each fail validation.
    @Test func theSchemaRejectsMissingSectionsAndWrongTypes() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: true)
        _ = try CLI.run(["train", "--data", dir.file("empty"), "--out", dir.file("model"), "--store", store], directory: dir.path)
        let valid = try export("train", store: store, dir: dir)

        var missing = valid
        missing.removeValue(forKey: "training_report")
        #expect(try ManifestSchema.errors(of: missing, writingTo: dir.file("a.json")) == [": 'training_report' is a required property"])
        var wrongType = valid
        wrongType["repository_stats"] = "none"
        #expect(try ManifestSchema.errors(of: wrongType, writingTo: dir.file("b.json")).first?.hasPrefix("repository_stats:") == true)
        var silentFailure = valid
        var results = try object(valid["phase_results"], "phase_results")
        var phase4 = try object(results["phase_4_training"], "phase_4_training")
        phase4["error"] = NSNull()
        results["phase_4_training"] = phase4
        silentFailure["phase_results"] = results
        #expect(try ManifestSchema.errors(of: silentFailure, writingTo: dir.file("c.json")) == ["phase_results/phase_4_training/error: None is not of type 'string'"])
        var holey = valid
        holey["training_parameters"] = ["source": "train", "num_sequences": 8, "epochs": 2, "steps_per_epoch": NSNull(),
                                        "total_steps": 4, "warmup_steps": 1, "batch_size": 4, "target_tokens": NSNull(),
                                        "gradient_accumulation_steps": 1, "base_learning_rate": NSNull(), "peak_learning_rate": 0.001,
                                        "validation_sequences": 2, "sequence_length": 32, "min_epochs": NSNull(), "max_epochs": NSNull(),
                                        "device": "cpu", "threads": 2] as [String: Any]
        #expect(try ManifestSchema.errors(of: holey, writingTo: dir.file("d.json")).first?.hasPrefix("training_parameters") == true)
    }
}

/// A run from another program (`blocklab ingest`) whose process died mid-phase: its phases
/// carry other stats than BlockLab's own, and the manifest still validates, leaves what it
/// cannot read `null`, and says which phase the crash cut short.
@Suite struct IngestedRunManifestTests {
    @Test func aCrashedIngestedRunExportsAValidManifest() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let live = try RunFixtures.live(store: store, name: "foreign")
        live.2.write(Data("""
            {"type": "phase", "name": "analyse"}
            {"type": "phase", "name": "analyse", "status": "finished", "stats": {"unique_commits": 3}}
            {"type": "phase", "name": "scrape"}
            {"type": "phase", "name": "scrape", "status": "failed"}
            {"type": "phase", "name": "train"}
            {"step": 1, "train/loss": 2.5}
            sync

            """.utf8))
        #expect(live.1.waitFor { _, err in err.contains("line 8") }, "ingest read every line")
        // The point is written by the run's next flush (at least once a second).
        var flushed = false
        for _ in 0..<600 where !flushed {
            flushed = try CLI.run(["sql", "SELECT COUNT(*) AS n FROM metrics", "--store", store, "--format", "csv"]).stdout == "n\r\n1\r\n"
            if !flushed { usleep(100_000) }
        }
        #expect(flushed, "the metric point reached the store")
        kill(live.0.processIdentifier, SIGKILL)
        try live.1.finish()

        let file = dir.file("m.json")
        let exported = try CLI.run(["export", "foreign", "--store", store, "--out", file])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try ManifestSchema.errors(file) == [])
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        let results = try #require(manifest["phase_results"] as? [String: [String: Any]])
        #expect(results["phase_0_analyze"]?["status"] as? String == "finished" && manifest["repository_stats"] is NSNull,
                "an analysis without BlockLab's keys gives no repository_stats")
        #expect(results["phase_1_scrape"]?["status"] as? String == "failed"
                && results["phase_1_scrape"]?["error"] as? String == "the phase failed without recording an error")
        #expect(results["phase_4_training"]?["status"] as? String == "crashed" && results["phase_4_training"]?["duration_seconds"] is NSNull)
        let report = try #require(manifest["training_report"] as? [String: Any])
        #expect(report["status"] as? String == "crashed" && report["steps_completed"] as? Int == 1)
        #expect((report["training"] as? [String: Any])?["final_train_loss"] as? Double == 2.5)
        #expect((manifest["run"] as? [String: Any])?["status"] as? String == "crashed" && manifest["training_parameters"] is NSNull)
    }
}
