import Foundation
import TestSupport
import QdrantTestSupport
import Testing

/// `blocklab embed`, `push` and `search` as a user runs them: a scrape-shaped commits.jsonl
/// made here, the real default model (BLOCKLAB_EMBED_MODEL), a real Qdrant test server.
extension Tag {
    /// Starts the Qdrant test server.
    @Tag static var server: Self
}

@Suite(.serialized) struct EmbedCommandTests {
    static let subjects = [
        "Fix memory leak in the connection pool",
        "Add dark mode to the settings screen",
        "Update README with installation steps for Windows",
        "Speed up database queries with an index on author",
        "Translate the user interface into German",
        "Remove deprecated payment API",
    ]

    static func hash(_ i: Int) -> String { String(repeating: String("abcdef0123"[String.Index(utf16Offset: i, in: "abcdef0123")]), count: 40) }

    /// One commit per subject, each with a small diff, as `blocklab scrape` writes them.
    static func writeCommits(_ dir: TempDir) throws -> String {
        let lines = try subjects.enumerated().map { i, subject -> String in
            let record: [String: Any] = [
                "type": "commit", "hash": hash(i), "author_name": "Author \(i % 2)", "author_timestamp": "2024-03-0\(i + 1)T09:00:00+01:00",
                "subject": subject, "body": "", "branches": ["main"], "files_changed": 1, "insertions": i + 1, "deletions": 0,
                "diff_stats": [["path": "src/file\(i).py", "diff_text": "@@ -0,0 +1 @@\n+# \(subject)\n"]],
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        }
        let path = dir.file("commits.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var modelEnvironment: [String: String] {
        get throws {
            guard let model = ProcessInfo.processInfo.environment["BLOCKLAB_EMBED_MODEL"], !model.isEmpty else {
                throw TestSetupError("BLOCKLAB_EMBED_MODEL is unset: run scripts/setup/embeddings.sh (scripts/test.sh does)")
            }
            return ["XDG_CACHE_HOME": URL(fileURLWithPath: model).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path]
        }
    }

    @Test func embedThenSearchTheStore() throws {
        let dir = TempDir()
        let commits = try Self.writeCommits(dir)
        let env = try modelEnvironment
        let embed = try CLI.run(["embed", "--input", commits, "--store", dir.file("s.db"), "--format", "json"], environment: env)
        try #require(embed.status == 0, "\(embed.stderr)")
        let summary = try #require(try CLI.json(embed.stdout) as? [String: Any])
        let stats = try #require(summary["stats"] as? [String: Any])
        #expect(stats["commits"] as? Int == 6 && stats["dimension"] as? Int == 384 && stats["model"] as? String == "all-MiniLM-L6-v2")
        #expect(embed.stderr.contains("6/6 commits") && embed.stderr.contains("commits/s"))

        let search = try CLI.run(["search", "a leak of memory", "--store", dir.file("s.db"), "--top", "3", "--format", "json"], environment: env)
        try #require(search.status == 0, "\(search.stderr)")
        let hits = try #require(try CLI.json(search.stdout) as? [[String: Any]])
        #expect(hits.count == 3)
        #expect(hits.first?["hash"] as? String == Self.hash(0))
        #expect(hits.first?["subject"] as? String == Self.subjects[0])
        #expect(hits.first?["date"] as? String == "2024-03-01T09:00:00+01:00")
        let table = try CLI.run(["search", "German translation", "--store", dir.file("s.db"), "--top", "1"], environment: env)
        #expect(table.stdout.components(separatedBy: "\n")[2].contains(Self.subjects[4]))
        let csv = try CLI.run(["search", "German translation", "--store", dir.file("s.db"), "--top", "1", "--format", "csv"], environment: env)
        #expect(csv.stdout.hasPrefix("rank,hash,date,score,subject\r\n1,\(Self.hash(4)),"))

        // Embedding into the same run again embeds only what it lacks (nothing here);
        // --force embeds all again and replaces: still 6 rows, three embed phases.
        let again = try CLI.run(["embed", "--input", commits, "--store", dir.file("s.db"), "--run", "latest", "--format", "json"], environment: env)
        try #require(again.status == 0, "\(again.stderr)")
        let againStats = try #require((try CLI.json(again.stdout) as? [String: Any])?["stats"] as? [String: Any])
        #expect(againStats["commits"] as? Int == 0 && againStats["skipped"] as? Int == 6)
        let forced = try CLI.run(["embed", "--input", commits, "--store", dir.file("s.db"), "--run", "latest", "--force", "--format", "json"],
                                 environment: env)
        try #require(forced.status == 0, "\(forced.stderr)")
        let forcedStats = try #require((try CLI.json(forced.stdout) as? [String: Any])?["stats"] as? [String: Any])
        #expect(forcedStats["commits"] as? Int == 6 && forcedStats["skipped"] as? Int == 0)
        let rows = try CLI.run(["sql", "SELECT COUNT(*) AS n, (SELECT COUNT(*) FROM phases WHERE name = 'embed') AS phases FROM embeddings",
                                "--store", dir.file("s.db"), "--format", "csv"])
        #expect(rows.stdout == "n,phases\r\n6,3\r\n")
    }

    /// `count` short commits with distinct hashes, in the scrape's shape.
    static func writeManyCommits(_ dir: TempDir, count: Int) throws -> String {
        let lines = try (0..<count).map { i -> String in
            let record: [String: Any] = [
                "type": "commit", "hash": String(format: "%040x", i + 1), "author_name": "Author \(i % 3)",
                "author_timestamp": "2024-03-01T09:00:00+01:00", "subject": "Change \(i): \(subjects[i % subjects.count])", "body": "",
                "branches": ["main"], "files_changed": 1, "insertions": 1, "deletions": 0,
                "diff_stats": [["path": "src/file\(i).py", "diff_text": "@@ -0,0 +1 @@\n+value = \(i)\n"]],
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        }
        let path = dir.file("many.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func count(_ sql: String, store: String) throws -> Int {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        return Int(result.stdout.components(separatedBy: "\r\n").dropFirst().first ?? "") ?? -1
    }

    /// SIGINT by pid mid-embed: the run is `killed`, the commits finished so far stay in the
    /// store, stderr gives the command that embeds the rest, and that command embeds only those.
    @Test func killedEmbedKeepsWhatItFinishedAndResumes() throws {
        let dir = TempDir()
        let commits = try Self.writeManyCommits(dir, count: 400)
        let store = dir.file("s.db")
        let env = try modelEnvironment
        let process = CLI.start(["embed", "--input", commits, "--store", store, "--batch-size", "8"], environment: env)
        try process.run()
        let collector = OutputCollector(process)
        var saved = 0
        for _ in 0..<3000 where process.isRunning {  // a guard against hanging, not a time limit
            saved = (try? Self.count("SELECT COUNT(*) FROM embeddings", store: store)) ?? 0
            if saved > 0 { break }
            usleep(100_000)
        }
        kill(process.processIdentifier, SIGINT)
        let (_, err) = try collector.finish()
        #expect(saved > 0, "no vector was saved before the embed ended: \(err)")
        #expect(process.terminationStatus == 128 + SIGINT, "\(err)")
        #expect(err.contains("the commits embedded so far are saved in run 1. To embed the rest: blocklab embed --input \(commits) --run 1 --store \(store)"),
                "\(err)")
        let kept = try Self.count("SELECT COUNT(*) FROM embeddings", store: store)
        #expect(kept >= 64 && kept < 400, "\(kept)")
        #expect(try CLI.run(["sql", "SELECT status FROM runs", "--store", store, "--format", "csv"]).stdout == "status\r\nkilled\r\n")

        let resumed = try CLI.run(["embed", "--input", commits, "--store", store, "--run", "1", "--format", "json"], environment: env)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        let stats = try #require((try CLI.json(resumed.stdout) as? [String: Any])?["stats"] as? [String: Any])
        #expect(stats["commits"] as? Int == 400 - kept && stats["skipped"] as? Int == kept)
        #expect(try Self.count("SELECT COUNT(DISTINCT item_id) FROM embeddings", store: store) == 400)
    }

    @Test func badInputLeavesNoRun() throws {
        let dir = TempDir()
        let env = try modelEnvironment
        let missing = try CLI.run(["embed", "--input", dir.file("nope.jsonl"), "--store", dir.file("s.db")], environment: env)
        #expect(missing.status != 0 && missing.stderr.contains("nope.jsonl") && missing.stderr.contains("blocklab scrape"))
        try "not json\n".write(toFile: dir.file("bad.jsonl"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["embed", "--input", dir.file("bad.jsonl"), "--store", dir.file("s.db")], environment: env)
        #expect(bad.status != 0 && bad.stderr.contains("line 1"))
        let noModel = try CLI.run(["embed", "--input", try Self.writeCommits(dir), "--store", dir.file("s.db"), "--model", dir.file("no-model")])
        #expect(noModel.status != 0 && noModel.stderr.contains("no-model") && noModel.stderr.contains("does not exist"))
        let runs = try CLI.run(["runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(runs.stdout.hasPrefix("id,name,experiment,status,started_at,duration_seconds,world_size,uuid,") && runs.stdout.hasSuffix(",tags\r\n")
                && !runs.stdout.dropLast(2).contains("\r\n"), "no run: the header alone, \(runs.stdout)")
    }

    /// embed → push → search on Qdrant, with an API key; a second push is a no-op.
    @Test(.tags(.server)) func pushAndSearchQdrant() throws {
        let dir = TempDir()
        let env = try modelEnvironment
        let server = try QdrantTestServer(apiKey: "cli-secret-key")
        let embed = try CLI.run(["embed", "--input", try Self.writeCommits(dir), "--store", dir.file("s.db")], environment: env)
        try #require(embed.status == 0, "\(embed.stderr)")
        var pushEnv = env
        pushEnv["MY_QDRANT_KEY"] = "cli-secret-key"
        let noKey = try CLI.run(["push", "latest", "--qdrant-url", server.url, "--collection", "c", "--store", dir.file("s.db")], environment: env)
        #expect(noKey.status != 0 && noKey.stderr.contains("401") && noKey.stderr.contains("--api-key-env"))
        let unset = try CLI.run(["push", "latest", "--qdrant-url", server.url, "--collection", "c", "--api-key-env", "UNSET_VAR_X",
                                 "--store", dir.file("s.db")], environment: env)
        #expect(unset.status != 0 && unset.stderr.contains("UNSET_VAR_X"))
        let push = try CLI.run(["push", "latest", "--qdrant-url", server.url, "--collection", "c", "--api-key-env", "MY_QDRANT_KEY",
                                "--batch-size", "4", "--store", dir.file("s.db"), "--format", "json"], environment: pushEnv)
        try #require(push.status == 0, "\(push.stderr)")
        let stats = try #require(try CLI.json(push.stdout) as? [String: Any])
        #expect(stats["sent"] as? Int == 6 && stats["batches"] as? Int == 2 && stats["created_collection"] as? Bool == true)
        #expect(push.stderr.contains("6/6 points") && push.stderr.contains("points/s"))
        try server.reset()
        let again = try CLI.run(["push", "latest", "--qdrant-url", server.url, "--collection", "c", "--api-key-env", "MY_QDRANT_KEY",
                                 "--store", dir.file("s.db"), "--format", "csv"], environment: pushEnv)
        #expect(again.status == 0)
        #expect(again.stdout.components(separatedBy: "\r\n")[1].hasPrefix("1,c,6,0,6,"))
        #expect(try server.requests().allSatisfy { $0.points == nil }, "a second push uploads nothing")

        let search = try CLI.run(["search", "memory leak", "--qdrant-url", server.url, "--collection", "c", "--api-key-env", "MY_QDRANT_KEY",
                                  "--top", "2", "--format", "json"], environment: pushEnv)
        try #require(search.status == 0, "\(search.stderr)")
        let hits = try #require(try CLI.json(search.stdout) as? [[String: Any]])
        #expect(hits.map { $0["hash"] as? String } == [Self.hash(0), hits[1]["hash"] as? String] && hits.count == 2)

        // Filters: the store's exact search and Qdrant's payload filter give the same commits.
        // Commit i is by "Author (i % 2)" at 2024-03-0(i+1)T09:00:00+01:00 (08:00 UTC).
        let filters: [([String], Set<Int>)] = [
            (["--author", "Author 1"], [1, 3, 5]),
            (["--since", "2024-03-04"], [3, 4, 5]),
            (["--until", "2024-03-02"], [0, 1]),  // to the end of that day (UTC)
            (["--author", "Author 0", "--since", "2024-03-03T09:00:00+01:00", "--until", "2024-03-05"], [2, 4]),  // since is inclusive
        ]
        for (filter, expected) in filters {
            let inStore = try CLI.run(["search", "memory leak"] + filter + ["--top", "6", "--store", dir.file("s.db"), "--format", "json"], environment: env)
            let inQdrant = try CLI.run(["search", "memory leak"] + filter + ["--top", "6", "--qdrant-url", server.url, "--collection", "c",
                                                                              "--api-key-env", "MY_QDRANT_KEY", "--format", "json"], environment: pushEnv)
            try #require(inStore.status == 0 && inQdrant.status == 0, "\(inStore.stderr) \(inQdrant.stderr)")
            let storeHashes = try #require(try CLI.json(inStore.stdout) as? [[String: Any]]).map { $0["hash"] as? String }
            let qdrantHashes = try #require(try CLI.json(inQdrant.stdout) as? [[String: Any]]).map { $0["hash"] as? String }
            #expect(Set(storeHashes) == Set(expected.map { Self.hash($0) as String? }), "\(filter)")
            #expect(qdrantHashes == storeHashes, "\(filter)")
        }
        let badDate = try CLI.run(["search", "x", "--since", "yesterday", "--store", dir.file("s.db")], environment: env)
        #expect(badDate.status != 0 && badDate.stderr.contains("'yesterday' is not a date") && badDate.stderr.contains("YYYY-MM-DD"))
        let backwards = try CLI.run(["search", "x", "--since", "2024-03-05", "--until", "2024-03-01", "--store", dir.file("s.db")], environment: env)
        #expect(backwards.status != 0 && backwards.stderr.contains("must come before --until"))
        // The key is nowhere in the store.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("s.db")))
        #expect(bytes.range(of: Data("cli-secret-key".utf8)) == nil)
    }

    @Test func serverDownIsAClearError() throws {
        let dir = TempDir()
        let env = try modelEnvironment
        let embed = try CLI.run(["embed", "--input", try Self.writeCommits(dir), "--store", dir.file("s.db")], environment: env)
        try #require(embed.status == 0, "\(embed.stderr)")
        let url = "http://127.0.0.1:\(try closedLocalPort())"
        let push = try CLI.run(["push", "latest", "--qdrant-url", url, "--collection", "c", "--connect-timeout", "1", "--store", dir.file("s.db")])
        #expect(push.status != 0)
        #expect(push.stderr.contains("cannot reach Qdrant at \(url) after 5 attempts"))
        #expect(push.stderr.contains("0 of 6 points"))
    }
}
