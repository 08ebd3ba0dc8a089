import Foundation
import TestSupport
import Testing

/// The phases' commands read the one config and their flags are overrides of its keys: a
/// flag and `--set` of its key give the same resolved snapshot; a flag not given keeps the
/// config's value (the file's, or a profile's).
@Suite struct PhaseCommandConfigTests {
    static let config = PipelineCommandTests.config

    private func snapshot(_ store: String, run: Int) throws -> [String: Any] {
        let result = try CLI.run(["sql", "SELECT resolved_json FROM config_snapshots WHERE run_id = \(run)", "--store", store, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try CLI.json(result.stdout) as? [[String: Any]])
        let text = try #require(rows.first?["resolved_json"] as? String)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    private func param(_ store: String, run: Int, _ key: String) throws -> String {
        let result = try CLI.run(["sql", "SELECT value FROM params WHERE run_id = \(run) AND key = '\(key)'", "--store", store, "--format", "csv"])
        return result.stdout.split(separator: "\r\n").dropFirst().first.map(String.init) ?? "(none)"
    }

    @Test func scrapeFlagsAreOverridesOfTheConfigKeys() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 3)
        let base = ["scrape", "--repo", repo, "--config", Self.config, "--store", store]
        let flagged = try CLI.run(base + ["--out", dir.file("a"), "--max-file-bytes", "4096", "--no-renames", "--workers", "1",
                                          "--target-tokens", "1000", "--sequence-length", "64"])
        #expect(flagged.status == 0, "\(flagged.stderr)")
        let set = try CLI.run(base + ["--out", dir.file("b"), "--set", "scrape.max_file_bytes=4096", "--set", "scrape.detect_renames=false",
                                      "--set", "scrape.workers=1", "--set", "epoch_calculation.target_tokens=1000",
                                      "--set", "dataset.sequence_length=64"])
        #expect(set.status == 0, "\(set.stderr)")
        let plain = try CLI.run(base + ["--out", dir.file("c")])
        #expect(plain.status == 0, "\(plain.stderr)")

        let one = try snapshot(store, run: 1), two = try snapshot(store, run: 2)
        #expect(NSDictionary(dictionary: one).isEqual(to: two), "the flags and --set resolve alike")
        #expect(Set(one.keys) == ["repository", "scrape", "epoch_calculation", "dataset"], "the sections the scrape reads")
        #expect(try param(store, run: 1, "scrape.max_file_bytes") == "4096")
        #expect(try param(store, run: 1, "scrape.detect_renames") == "false")
        #expect(try param(store, run: 1, "epoch_calculation.target_tokens") == "1000")
        // Flags not given keep the config's values (the file's, which are the defaults).
        #expect(try param(store, run: 3, "scrape.max_file_bytes") == "1048576")
        #expect(try param(store, run: 3, "scrape.detect_renames") == "true")
        #expect(try param(store, run: 3, "scrape.workers") == "\(ProcessInfo.processInfo.activeProcessorCount)", "auto resolved")
        // The estimate used the overridden keys.
        let estimate = try CLI.run(["sql", "SELECT json_extract(stats_json, '$.estimate.target_tokens') || ':' || json_extract(stats_json, '$.estimate.sequence_length') FROM phases WHERE run_id = 1 AND name = 'analyse'",
                                    "--store", store, "--format", "csv"])
        #expect(estimate.stdout.split(separator: "\r\n").last == "1000:64", "\(estimate.stdout)")
        // A bad value names the key.
        let bad = try CLI.run(base + ["--out", dir.file("d"), "--set", "scrape.chunk_overlap=500"])
        #expect(bad.status != 0 && bad.stderr.contains("scrape.chunk_overlap"), "\(bad.stderr)")
    }

    @Test func tokenizeReadsTheProfileAndItsFlagsWin() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 20)
        let scrape = try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scrape"), "--no-store"])
        #expect(scrape.status == 0, "\(scrape.stderr)")
        let tokenize = try CLI.run(["tokenize", "--input", dir.file("scrape/commits.jsonl"), "--out", dir.file("data"), "--config", Self.config,
                                    "--profile", "quick", "--sequence-length", "33", "--store", store, "--format", "json"])
        #expect(tokenize.status == 0, "\(tokenize.stderr)")
        let manifest = try #require(try CLI.json(tokenize.stdout) as? [String: Any])
        #expect(manifest["sequence_length"] as? Int == 33, "the flag, over the profile's 129")
        let resolved = try snapshot(store, run: 1)
        #expect(Set(resolved.keys) == ["tokenizer", "dataset", "epoch_calculation"])
        #expect(try param(store, run: 1, "dataset.sequence_length") == "33")
        #expect(try param(store, run: 1, "tokenizer.vocab_size") == "1024")
    }

    /// `blocklab train` reads the config with the pipeline's reader: a bad key in another
    /// phase's section is refused too, and (as any config error) leaves a failed run.
    @Test func trainChecksEverySectionOfTheFile() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try CLI.run(["train", "--data", dir.file("none"), "--config", Self.config, "--store", store, "--set", "scrape.workers=0"])
        #expect(result.status != 0 && result.stderr.contains("scrape.workers must be positive"), "\(result.stderr)")
        let runs = try CLI.run(["sql", "SELECT status, error FROM runs", "--store", store, "--format", "csv"])
        #expect(runs.stdout == "status,error\r\nfailed,\(Self.config): scrape.workers must be positive (or auto)\r\n", "\(runs.stdout)")
    }
}
