import Foundation
import TestSupport
import Testing

/// Every phase command (analyse, scrape, tokenize, embed, train) records a run, takes the
/// config options (`--config`, `--profile`, `--set`) and `--store`, and with `--no-store`
/// records nothing anywhere.
@Suite struct PhaseCommandStoreTests {
    @Test func analyseRecordsARunFromTheConfigItReads() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 12)
        try "epoch_calculation:\n  min_epochs: 4\n  max_epochs: 4\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let result = try CLI.run(["analyse", "--repo", repo, "--store", store, "--config", dir.file("c.yaml"), "--profile", "quick",
                                  "--set", "epoch_calculation.target_tokens=1000", "--format", "json"], directory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try #require(try CLI.json(result.stdout) as? [String: Any])
        let estimate = try #require(printed["estimate"] as? [String: Any], "\(printed.keys)")
        // The file (epochs), the profile (quick's 129-token sequences) and --set (the target) all count.
        #expect(estimate["min_epochs"] as? Int == 4 && estimate["sequence_length"] as? Int == 129 && estimate["target_tokens"] as? Int == 1000,
                "\(estimate)")
        #expect(printed["estimated_epochs"] as? Int == 4)
        #expect(result.stderr.contains("recorded run 1"), "\(result.stderr)")

        let manifest = try #require(try CLI.json(try CLI.run(["export", "1", "--store", store]).stdout) as? [String: Any])
        let run = try #require(manifest["run"] as? [String: Any])
        #expect(run["name"] as? String == "analyse" && run["status"] as? String == "finished" && run["source_repo"] as? String == repo)
        let stats = try #require(manifest["repository_stats"] as? [String: Any])
        #expect(stats["unique_commits"] as? Int == 12 && stats["estimated_epochs"] as? Int == 4)
        let params = try #require(manifest["params"] as? [String: Any])
        #expect(params["epoch_calculation.target_tokens"] as? String == "1000" && params["dataset.sequence_length"] as? String == "129", "\(params)")
        #expect(((manifest["phases"] as? [[String: Any]]) ?? []).map { $0["name"] as? String } == ["analyse"])
    }

    /// Run where the default store would be (./blocklab.db): with `--no-store` none appears
    /// and each command still does its work; without it, each records its run there.
    @Test func noStoreOnEveryPhaseCommandRecordsNothing() throws {
        let dir = TempDir()
        let repo = dir.file("repo")
        try makeRepository(at: repo, commits: 12)
        let model = try EmbedCommandTests().modelEnvironment
        let commands: [[String]] = [
            ["analyse", "--repo", repo],
            ["scrape", "--repo", repo, "--out", dir.file("scrape")],
            ["tokenize", "--input", dir.file("scrape/commits.jsonl"), "--out", dir.file("data"), "--vocab-size", "300", "--sequence-length", "32"],
            ["train", "--data", dir.file("data"), "--out", dir.file("model"), "--set", "model.preset=tiny", "--set", "model.n_positions=32",
             "--set", "training.max_steps=2"],
            ["embed", "--input", try EmbedCommandTests.writeCommits(dir)],
        ]
        // `train` and `embed` record into a store of their own in the temporary folder, removed at the end.
        func throwaways() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.contains("-no-store-") })
        }
        let before = try throwaways()
        for command in commands {
            let result = try CLI.run(command + ["--no-store", "--format", "json"], environment: model, directory: dir.path)
            #expect(result.status == 0, "\(command[0]): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("blocklab.db")), "\(command[0]) --no-store made a store")
            let printed = (try? CLI.json(result.stdout)) as? [String: Any]
            #expect(printed != nil && printed?.keys.contains("run_id") == false, "\(command[0]) names no run: \(result.stdout)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("model/best/model.safetensors")), "train --no-store still writes its model")
        #expect(try throwaways().subtracting(before).isEmpty, "the throwaway stores are removed")

        for command in commands {
            let result = try CLI.run(command, environment: model, directory: dir.path)
            #expect(result.status == 0, "\(command[0]): \(result.stderr)")
        }
        let runs = try CLI.run(["sql", "SELECT name, status FROM runs ORDER BY id", "--store", dir.file("blocklab.db"), "--format", "csv"])
        #expect(runs.stdout == "name,status\r\nanalyse,finished\r\nscrape,finished\r\ntokenize,finished\r\ntrain,finished\r\nembed,finished\r\n",
                "\(runs.stdout)")
    }

    @Test func noStoreRefusesWhatNeedsTheStore() throws {
        let dir = TempDir()
        let resume = try CLI.run(["train", "--data", dir.path, "--resume", "latest", "--no-store"], directory: dir.path)
        #expect(resume.status != 0 && resume.stderr.contains("--resume reads the run to continue from the store: drop --no-store"), "\(resume.stderr)")
        let add = try CLI.run(["embed", "--input", dir.file("c.jsonl"), "--run", "1", "--no-store"], directory: dir.path)
        #expect(add.status != 0 && add.stderr.contains("--run adds to a run in the store: drop --no-store"), "\(add.stderr)")
    }
}
