import Foundation
import TestSupport
import Testing

/// The main job as a user who installed BlockLab runs it: `blocklab pipeline --repo X
/// --profile quick` from a folder with no config file, and the run's self-contained
/// `report.html`.
@Suite struct PipelineAnywhereTests {
    @Test func theQuickProfileWorksFromAFolderWithNoConfigAndWritesASelfContainedReport() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), work = dir.file("elsewhere")
        try makeRepository(at: repo, commits: 30)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // quick as built in, shrunk further by --set (no --config; no training_config.yaml here).
        let shrink = ["--set", "tokenizer.vocab_size=300", "--set", "dataset.sequence_length=33", "--set", "model.n_positions=32",
                      "--set", "training.max_steps=3", "--set", "training.eval_every_steps=3"]
        let result = try CLI.run(["pipeline", "--repo", repo, "--profile", "quick", "--store", dir.file("s.db"), "--name", "anywhere",
                                  "--format", "json"] + shrink, directory: work)
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try CLI.json(result.stdout) as? [String: Any], "\(result.stdout)")
        #expect(summary["status"] as? String == "finished")
        let phases = (summary["phases"] as? [[String: Any]] ?? []).map { $0["name"] as? String }
        #expect(phases == ["analyse", "scrape", "tokenize", "train"], "quick's phases (no embed; push without a URL is not run): \(phases)")
        let params = try #require(try CLI.json(try CLI.run(["export", "anywhere", "--store", dir.file("s.db")]).stdout) as? [String: Any])["params"] as? [String: Any]
        #expect(params?["model.preset"] as? String == "tiny" && params?["training.base_learning_rate"] as? String == "0.002", "\(params ?? [:])")

        // report.html: beside the manifest, nothing loaded from anywhere, the run's metrics in it.
        let report = try #require(summary["report"] as? String)
        #expect(report == (summary["run_directory"] as? String ?? "") + "/report.html")
        let html = try String(contentsOfFile: report, encoding: .utf8)
        let external = try Regex(#"(?i)\b(src|href)\s*=\s*["']?\s*(https?:|//|file:|/)"#)
        #expect(html.firstMatch(of: external) == nil, "a src or href outside the file: \(html.firstMatch(of: external).map { String($0.output[0].substring ?? "") } ?? "")")
        #expect(!html.contains("@import") && !html.contains("url(http"), "no style loaded from elsewhere")
        let keys = try CLI.run(["sql", "SELECT DISTINCT key FROM metric_history WHERE run_name = 'anywhere' ORDER BY key", "--store", dir.file("s.db"), "--format", "csv"])
        let metricKeys = try parseCSV(keys.stdout).dropFirst().map { $0[0] }
        #expect(metricKeys.contains("train/loss") && metricKeys.contains("val/loss"), "\(metricKeys)")
        for key in metricKeys { #expect(html.contains(key), "the report holds \(key)") }
        #expect(html.contains("anywhere") && html.contains("Dygraph"), "the run and its chart library inlined")
    }
}
