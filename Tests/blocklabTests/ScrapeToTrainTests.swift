import Foundation
import TestSupport
import Testing

/// Phases 1, 2 and 4 through the command line on real repositories: a partial clone whose
/// blobs are missing, and a scrape whose output is tokenized and trained on.
@Suite struct ScrapeToTrainTests {
    private func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// A blobless clone (`--filter=blob:none`) holds only the blobs HEAD's checkout fetched:
    /// the commits that need another blob are recorded with an error and the scrape goes on.
    @Test func aBloblessCloneScrapesWithErrorsOnTheCommitsMissingBlobs() throws {
        let dir = TempDir()
        let source = dir.file("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        // one: a.txt v1. two: a.txt v1 -> v2. three: adds b.txt. HEAD holds a.txt v2 and b.txt:
        // the clone lacks only v1, which one and two need and three does not.
        try shell("""
            git init -q -b main .
            echo v1 > a.txt && git add a.txt && git commit -q -m one
            echo v2 > a.txt && git commit -q -am two
            echo b1 > b.txt && git add b.txt && git commit -q -m three
            git config uploadpack.allowFilter true
            """, in: source)
        try shell("git clone -q --filter=blob:none file://\(source) clone", in: dir.path)
        let clone = dir.file("clone")
        // What git itself says is missing (without fetching it).
        let missing = try shell("git rev-list --objects --missing=print --all | sed -n 's/^?//p'", in: clone)
            .split(separator: "\n").map(String.init)
        let v1 = try shell("git rev-parse HEAD~2:a.txt", in: source).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(missing == [v1], "the clone lacks exactly a.txt's first version")
        let hashes = try shell("git log --reverse --format=%H", in: source).split(separator: "\n").map(String.init)

        let store = dir.file("s.db")
        let result = try CLI.run(["scrape", "--repo", clone, "--out", dir.file("scrape"), "--store", store, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try CLI.json(result.stdout) as? [String: Any])
        #expect(summary["commits"] as? Int == 3 && summary["commits_with_errors"] as? Int == 2, "\(summary)")
        let commits = try lines(dir.file("scrape/commits.jsonl"))
        #expect(commits.map { $0["hash"] as? String } == hashes)
        #expect(commits.map { $0["error"] is String } == [true, true, false], "\(commits.map { $0["error"] ?? "" })")
        #expect(commits.map { $0["subject"] as? String } == ["one", "two", "three"], "the damaged commits keep their metadata")
        // The whole commit is what a scrape of the full repository gives.
        let full = try CLI.run(["scrape", "--repo", source, "--out", dir.file("full"), "--no-store"])
        #expect(full.status == 0, "\(full.stderr)")
        let fullCommits = try lines(dir.file("full/commits.jsonl"))
        #expect(fullCommits.allSatisfy { $0["error"] == nil || $0["error"] is NSNull })
        #expect((commits[2]["diff_stats"] as? [[String: Any]])?.first?["diff_text"] as? String
                == (fullCommits[2]["diff_stats"] as? [[String: Any]])?.first?["diff_text"] as? String)
        #expect(commits[2]["insertions"] as? Int == 1)
        // HEAD's files were fetched by the checkout: both are in files.jsonl.
        #expect(try lines(dir.file("scrape/files.jsonl")).map { $0["path"] as? String } == ["a.txt", "b.txt"])

        // The run finished, its scrape phase names the damage.
        let phases = try CLI.run(["sql", "SELECT r.status, p.name, p.status, p.error FROM phases p JOIN runs r ON r.id = p.run_id ORDER BY p.id",
                                  "--store", store, "--format", "csv"])
        #expect(phases.stdout == "status,name,status,error\r\nfinished,analyse,finished,\r\n"
                + "finished,scrape,finished,2 commits with unreadable objects (see their error field)\r\n", "\(phases.stdout)")
    }

    /// `scrape` → `tokenize` → `train` as a user runs them: each reads what the last wrote.
    @Test func scrapeOutputFeedsTokenizeAndTrain() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 30)
        let scraped = try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scrape"), "--store", store, "--format", "json"])
        #expect(scraped.status == 0, "\(scraped.stderr)")
        #expect((try CLI.json(scraped.stdout) as? [String: Any])?["commits"] as? Int == 30)
        let commits = try lines(dir.file("scrape/commits.jsonl")).count
        let chunks = try lines(dir.file("scrape/files.jsonl")).count
        #expect(commits == 30 && chunks == 8, "seven f*.swift files and main.swift")

        let tokenized = try CLI.run(["tokenize", "--input", dir.file("scrape/commits.jsonl"), dir.file("scrape/files.jsonl"),
                                     "--out", dir.file("data"), "--vocab-size", "320", "--sequence-length", "32",
                                     "--store", store, "--format", "json"])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        let dataset = try #require(try CLI.json(tokenized.stdout) as? [String: Any])
        let records = try #require(dataset["records"] as? [String: Any])
        #expect((records["train"] as? Int ?? 0) + (records["val"] as? Int ?? 0) == commits + chunks, "every scraped record is in the dataset: \(records)")
        let train = try #require(dataset["train"] as? [String: Any])
        #expect((train["sequences"] as? Int ?? 0) > 4)

        let trained = try CLI.run(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--store", store,
                                   "--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.max_steps=4",
                                   "--format", "json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let outcome = try #require(try CLI.json(trained.stdout) as? [String: Any])
        #expect(outcome["status"] as? String == "finished" && outcome["steps"] as? Int == 4, "\(outcome)")
        #expect(FileManager.default.fileExists(atPath: dir.file("model/best/model.safetensors")))

        let runs = try CLI.run(["sql", "SELECT name, status FROM runs ORDER BY id", "--store", store, "--format", "csv"])
        #expect(runs.stdout == "name,status\r\nscrape,finished\r\ntokenize,finished\r\ntrain,finished\r\n", "\(runs.stdout)")
        let losses = try CLI.run(["sql", "SELECT COUNT(*) AS n, SUM(value > 0 AND value < 100) AS sane FROM metric_history WHERE run_name = 'train' AND key = 'train/loss'",
                                  "--store", store, "--format", "csv"])
        #expect(losses.stdout == "n,sane\r\n4,4\r\n", "\(losses.stdout)")
        // The dataset the trainer read is the one tokenize recorded.
        let artifacts = try CLI.run(["sql", "SELECT a.name FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE r.name = 'tokenize' AND a.name = 'train.bin'",
                                     "--store", store, "--format", "csv"])
        #expect(artifacts.stdout == "name\r\ntrain.bin\r\n", "\(artifacts.stdout)")
    }
}
