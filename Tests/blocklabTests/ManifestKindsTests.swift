import Foundation
import TestSupport
import Testing

/// Every kind of run a store holds exports a manifest that validates against
/// `schema/manifest.schema.json`, as docs/manifest.md promises ("every key is always
/// present"): the demo, `ingest` with and without phases (a finished `train` whose stats lack
/// BlockLab's keys among them), each phase command's run, a pipeline run, and runs that
/// failed, were killed and crashed.
@Suite struct ManifestKindsTests {
    @Test func everyKindOfRunExportsAValidManifest() throws {
        let dir = TempDir()
        let store = dir.file("s.db"), repo = dir.file("repo")
        try makeRepository(at: repo, commits: 12)
        func ok(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws {
            let result = try CLI.run(arguments + ["--store", store], stdin: stdin, environment: environment, directory: dir.path)
            #expect(result.status == 0, "\(arguments.prefix(2)): \(result.stderr)")
        }

        try ok(["demo", "--steps", "10", "--out", dir.file("demo"), "--name", "demo"])
        try ok(["ingest", "--name", "ingest-metrics"], stdin: metricLines(0..<5))
        // A program's own phases: finished, with stats that have none of BlockLab's keys.
        let phases = ["analyse", "scrape", "tokenize", "embed", "train"].map { name in
            "{\"type\": \"phase\", \"name\": \"\(name)\"}\n{\"type\": \"phase\", \"name\": \"\(name)\", \"status\": \"finished\", \"stats\": {\"steps\": 20}}\n"
        }.joined()
        try ok(["ingest", "--name", "ingest-phases"], stdin: metricLines(0..<5) + phases)
        try ok(["ingest", "--name", "ingest-train"], stdin: metricLines(0..<20, keys: ["train/loss"])
               + "{\"type\": \"phase\", \"name\": \"train\"}\n{\"type\": \"phase\", \"name\": \"train\", \"status\": \"finished\", \"stats\": {\"steps\": 20}}\n")
        try ok(["scrape", "--repo", repo, "--out", dir.file("scrape"), "--name", "scrape"])
        try ok(["analyse", "--repo", repo, "--name", "analyse"])
        try ok(["tokenize", "--input", dir.file("scrape/commits.jsonl"), dir.file("scrape/files.jsonl"), "--out", dir.file("data"),
                "--vocab-size", "300", "--sequence-length", "32", "--name", "tokenize"])
        try ok(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--name", "train", "--set", "model.preset=tiny",
                "--set", "model.n_positions=32", "--set", "training.max_steps=2"])
        try ok(["embed", "--input", try EmbedCommandTests.writeCommits(dir), "--name", "embed"],
               environment: try EmbedCommandTests().modelEnvironment)
        try ok(["pipeline", "--repo", repo, "--profile", "quick", "--name", "pipeline", "--out", dir.file("pipeline")] + PipelineCommandTests.shrink)
        let failed = try CLI.run(["train", "--data", dir.file("missing"), "--out", dir.file("m2"), "--name", "failed", "--store", store,
                                  "--set", "model.preset=tiny"], directory: dir.path)
        #expect(failed.status != 0)
        // Killed while its `train` phase runs: the command it wraps is stopped by a signal.
        let killed = try CLI.run(["ingest", "--name", "killed", "--store", store, "--", "/bin/sh", "-c",
                                  "echo '{\"type\": \"phase\", \"name\": \"train\"}'; echo '{\"step\": 1, \"loss\": 2}'; kill -TERM $$"])
        #expect(killed.status == 128 + SIGTERM, "\(killed.stderr)")
        try RunFixtures.crashed(store: store, name: "crashed")

        let kinds = ["demo", "ingest-metrics", "ingest-phases", "ingest-train", "scrape", "analyse", "tokenize", "train", "embed",
                     "pipeline", "failed", "killed", "crashed"]
        var manifests: [String: [String: Any]] = [:]
        for kind in kinds {
            let file = dir.file("\(kind).json")
            let exported = try CLI.run(["export", kind, "--store", store, "--out", file])
            #expect(exported.status == 0, "\(kind): \(exported.stderr)")
            #expect(try ManifestSchema.errors(file) == [], "the \(kind) run's manifest is valid")
            manifests[kind] = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        }
        func result(_ kind: String, _ phase: String) -> [String: Any]? {
            (manifests[kind]?["phase_results"] as? [String: Any])?[phase] as? [String: Any]
        }
        #expect(manifests["killed"].flatMap { ($0["run"] as? [String: Any])?["status"] as? String } == "killed")
        #expect(manifests["crashed"].flatMap { ($0["run"] as? [String: Any])?["status"] as? String } == "crashed")
        #expect(manifests["failed"].flatMap { ($0["run"] as? [String: Any])?["status"] as? String } == "failed")
        // The demo says the epochs it simulated; a program's train phase without them reads null.
        #expect(result("demo", "phase_4_training")?["epochs"] as? Int == 3 && result("demo", "phase_4_training")?["steps"] as? Int == 10)
        let foreign = try #require(result("ingest-train", "phase_4_training"))
        #expect(foreign["status"] as? String == "finished" && foreign["epochs"] is NSNull && foreign["steps"] as? Int == 20)
        // Each phase's own keys are always there; a phase that did not run has them null.
        let own = ["phase_0_analyze": [String](), "phase_1_scrape": ["commits_processed", "commits_with_errors"],
                   "phase_2_tokenize": ["num_sequences", "total_tokens"],
                   "phase_3_embeddings": ["embedding_dimension", "model", "commits_processed"],
                   "phase_4_training": ["epochs", "steps", "num_sequences", "model_dir", "model_size_mb"]]
        let common = ["status", "phase", "timestamp", "duration_seconds", "outputs", "error", "output_file", "size_mb"]
        for kind in kinds {
            for (phase, keys) in own {
                #expect(result(kind, phase).map { Set($0.keys) } == Set(common + keys), "\(kind) \(phase)")
            }
        }
        #expect(try #require(own["phase_4_training"]).allSatisfy { result("scrape", "phase_4_training")?[$0] is NSNull })
        #expect(result("scrape", "phase_1_scrape")?["commits_processed"] as? Int == 12)
        #expect(result("ingest-phases", "phase_3_embeddings")?["model"] is NSNull)
    }
}
