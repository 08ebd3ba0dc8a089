import Foundation
import TestSupport
import Testing

/// One order for the store in every command: `--store`, then `$BLOCKLAB_STORE`, then the
/// config's `store.path`, then ./blocklab.db. The pipeline, a phase, `ingest` and `runs`
/// run in a folder with a ./training_config.yaml and must agree on the store.
@Suite struct StorePathOrderTests {
    /// The store each command used: the pipeline's summary says it; `ingest` says it made
    /// one; `runs` lists the run the pipeline recorded.
    private func stores(in dir: TempDir, repo: String, environment: [String: String] = [:], flags: [String] = [],
                        pipelineFlags: [String] = []) throws -> (pipeline: String?, ingest: String?, runs: [String]) {
        let pipeline = try CLI.run(["pipeline", "--repo", repo, "--phases", "analyse", "--format", "json"] + pipelineFlags + flags,
                                   environment: environment, directory: dir.path)
        #expect(pipeline.status == 0, "\(pipeline.stderr)")
        let summary = try CLI.json(pipeline.stdout) as? [String: Any]
        let ingest = try CLI.run(["ingest", "--name", "probe"] + flags, environment: environment, directory: dir.path)
        let made = ingest.stderr.split(separator: "\n").first { $0.hasPrefix("blocklab: created a new store at ") }
        let runs = try CLI.run(["runs", "--format", "json"] + flags, environment: environment, directory: dir.path)
        let names = (try? CLI.json(runs.stdout) as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        return (summary?["store"] as? String, made.map { String($0.dropFirst("blocklab: created a new store at ".count)) }, names)
    }

    @Test func flagThenEnvironmentThenConfigThenDefault() throws {
        let dir = TempDir()
        let repo = dir.file("repo")
        try makeRepository(at: repo, commits: 3)
        try "store:\n  path: from-config.db   # relative to the working directory\n"
            .write(toFile: dir.file("training_config.yaml"), atomically: true, encoding: .utf8)

        let config = try stores(in: dir, repo: repo)
        #expect(config.pipeline == dir.file("from-config.db") && config.ingest == nil, "the pipeline made it: \(config)")
        #expect(config.runs == ["pipeline", "probe"], "runs reads the config's store too")

        let environment = try stores(in: dir, repo: repo, environment: ["BLOCKLAB_STORE": "from-env.db"])
        #expect(environment.pipeline == dir.file("from-env.db"), "the environment beats the config: \(environment)")
        #expect(environment.runs == ["pipeline", "probe"])

        let flag = try stores(in: dir, repo: repo, environment: ["BLOCKLAB_STORE": "from-env.db"], flags: ["--store", "from-flag.db"])
        #expect(flag.pipeline == dir.file("from-flag.db") && flag.runs == ["pipeline", "probe"], "\(flag)")

        // The pipeline's own config: --config FILE, and --set, name its store.
        try "store:\n  path: other-config.db\n".write(toFile: dir.file("other.yaml"), atomically: true, encoding: .utf8)
        let other = try stores(in: dir, repo: repo, pipelineFlags: ["--config", dir.file("other.yaml")])
        #expect(other.pipeline == dir.file("other-config.db"), "\(other)")
        let set = try stores(in: dir, repo: repo, pipelineFlags: ["--set", "store.path=from-set.db"])
        #expect(set.pipeline == dir.file("from-set.db"), "\(set)")

        // Without a config, ./blocklab.db.
        let plain = TempDir()
        let none = try stores(in: plain, repo: repo)
        #expect(none.pipeline == plain.file("blocklab.db") && none.runs == ["pipeline", "probe"], "\(none)")
        #expect(FileManager.default.fileExists(atPath: plain.file("blocklab.db")))
    }

    /// A config whose store.path cannot be read is an error naming the file, not a silent
    /// ./blocklab.db; the flag and the environment do not need the config at all.
    @Test func anUnreadableConfigIsNamedUnlessTheStoreIsGivenElsewhere() throws {
        let dir = TempDir()
        try CLI.run(["ingest", "--store", dir.file("s.db"), "--name", "r"], stdin: "")
        for text in ["store: [unclosed\n", "store:\n  path: 42\n", "store: here\n"] {
            try text.write(toFile: dir.file("training_config.yaml"), atomically: true, encoding: .utf8)
            let runs = try CLI.run(["runs"], directory: dir.path)
            #expect(runs.status != 0, "\(text)")
            #expect(runs.stderr.contains("cannot read store.path from the config \(dir.file("training_config.yaml")): "), "\(runs.stderr)")
            #expect(runs.stderr.contains("fix the file, or name the store with --store or BLOCKLAB_STORE"))
            #expect(try CLI.run(["runs", "--store", "s.db"], directory: dir.path).status == 0)
            #expect(try CLI.run(["runs"], environment: ["BLOCKLAB_STORE": "s.db"], directory: dir.path).status == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("blocklab.db")))
    }
}
