import Foundation
import TestSupport
import Testing

/// `blocklab pipeline` as a user runs it, on a repository made by git in the test, with the
/// quick profile shrunk through --set.
@Suite struct PipelineCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let config = root.appendingPathComponent("training_config.yaml").path
    static let shrink = ["--set", "tokenizer.vocab_size=300", "--set", "dataset.sequence_length=33", "--set", "model.n_positions=32",
                         "--set", "training.max_steps=3", "--set", "training.threads=2", "--phases", "analyse,scrape,tokenize,train"]

    private func query(_ store: String, _ sql: String) throws -> [String] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\r\n").dropFirst().map(String.init)
    }

    private func manifest(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func aRepositoryBecomesARunAndASecondRunReusesItsOutputs() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 30)
        let first = try CLI.run(["pipeline", "--repo", repo, "--config", Self.config, "--profile", "quick", "--store", store,
                                 "--name", "fixture", "--format", "json"] + Self.shrink, directory: dir.path)
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try #require(try CLI.json(first.stdout) as? [String: Any])
        #expect(summary["status"] as? String == "finished")
        let runDirectory = try #require(summary["run_directory"] as? String)
        #expect(runDirectory == URL(fileURLWithPath: dir.path).appendingPathComponent("reports/fixture-1").standardizedFileURL.path)
        let manifestPath = try #require(summary["manifest"] as? String)
        #expect(manifestPath == runDirectory + "/MANIFEST_DYNAMIC.json")
        let written = try manifest(manifestPath)
        #expect((written["run"] as? [String: Any])?["status"] as? String == "finished")
        #expect(FileManager.default.fileExists(atPath: runDirectory + "/training_report.json"))
        #expect(FileManager.default.fileExists(atPath: runDirectory + "/model/best/model.safetensors"))
        #expect(first.stderr.contains("scrape: running"), "progress on stderr: \(first.stderr)")
        #expect(first.stderr.contains("commits/s"), "counts with a rate: \(first.stderr)")
        #expect(try query(store, "SELECT name, status FROM phases ORDER BY id") == ["analyse,finished", "scrape,finished", "tokenize,finished", "train,finished"])
        // The training lines are in the run's console log with the step current when they were printed.
        #expect(try query(store, "SELECT step FROM console_lines WHERE run_id = 1 AND line LIKE 'blocklab pipeline: step 3/3 |%'") == ["3"])

        let second = try CLI.run(["pipeline", "--repo", repo, "--config", Self.config, "--profile", "quick", "--store", store,
                                  "--name", "fixture"] + Self.shrink, directory: dir.path)
        #expect(second.status == 0, "\(second.stderr)")
        for phase in ["scrape", "tokenize", "train"] {
            #expect(second.stderr.contains("\(phase): reusing the outputs of run 1"), "\(second.stderr)")
        }
        #expect(second.stdout.contains("reports/fixture-2/MANIFEST_DYNAMIC.json"), "the table says where things are: \(second.stdout)")
        #expect(try query(store, "SELECT name || ':' || COALESCE(json_extract(stats_json, '$.reused_from_run'), '-') FROM phases WHERE run_id = 2 ORDER BY id")
                == ["analyse:-", "scrape:1", "tokenize:1", "train:1"])
    }

    @Test func anUnknownKeyIsRefusedBeforeAnythingRuns() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try CLI.run(["pipeline", "--repo", dir.path, "--config", Self.config, "--store", store, "--set", "unknown.key=1"],
                                 directory: dir.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown config key unknown.key"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store), "no store, no run")
        #expect(!FileManager.default.fileExists(atPath: dir.file("reports")))
        let profile = try CLI.run(["pipeline", "--repo", dir.path, "--config", Self.config, "--store", store, "--profile", "huge"],
                                  directory: dir.path)
        #expect(profile.status != 0 && profile.stderr.contains("--profile huge: no such profile in the config (profiles: full, quick)"), "\(profile.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test func anUnreadableRepositoryGivesAFailedRunWithAManifestThatSaysWhy() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let notARepo = dir.file("plain")
        try FileManager.default.createDirectory(atPath: notARepo, withIntermediateDirectories: true)
        let result = try CLI.run(["pipeline", "--repo", notARepo, "--config", Self.config, "--profile", "quick", "--store", store,
                                  "--out", dir.file("out")] + Self.shrink, directory: dir.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("its manifest, which says why: \(URL(fileURLWithPath: dir.file("out")).standardizedFileURL.path)/MANIFEST_DYNAMIC.json"), "\(result.stderr)")
        let written = try manifest(dir.file("out/MANIFEST_DYNAMIC.json"))
        let run = try #require(written["run"] as? [String: Any])
        #expect(run["status"] as? String == "failed")
        let error = try #require(run["error"] as? String)
        #expect(error.contains("plain"), "\(error)")
        #expect((written["phases"] as? [[String: Any]])?.first?["error"] as? String == error)
    }

    @Test func sigintByPidGivesAKilledRunAndAManifest() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 30)
        let process = CLI.start(["pipeline", "--repo", repo, "--config", Self.config, "--profile", "quick", "--store", store,
                                 "--out", dir.file("out")] + Self.shrink
                                + ["--set", "training.max_steps=100000", "--set", "epoch_calculation.min_epochs=10000",
                                   "--set", "epoch_calculation.max_epochs=10000", "--set", "training.progress_every_steps=1"],
                                directory: dir.path)
        try process.run()
        let collector = OutputCollector(process)
        #expect(collector.waitFor { _, err in err.contains("step 3/") })
        kill(process.processIdentifier, SIGINT)
        let (_, err) = try collector.finish()
        #expect(process.terminationStatus == 128 + SIGINT)
        #expect(err.contains("its manifest is"), "\(err)")
        #expect(try query(store, "SELECT status, error FROM runs") == ["killed,stopped by SIGINT"])
        #expect(try query(store, "SELECT name, status FROM phases ORDER BY id") == ["analyse,finished", "scrape,finished", "tokenize,finished", "train,failed"])
        let written = try manifest(dir.file("out/MANIFEST_DYNAMIC.json"))
        #expect((written["run"] as? [String: Any])?["status"] as? String == "killed")
        #expect((written["phases"] as? [[String: Any]])?.last?["error"] as? String == "stopped by SIGINT")
    }
}
