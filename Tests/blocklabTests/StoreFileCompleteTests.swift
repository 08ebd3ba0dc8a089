import Foundation
import TestSupport
import Testing

/// After every command that writes, the store file alone holds everything: people copy
/// `blocklab.db` without its `-wal`. Another process keeps the store open all along (as a
/// dashboard or a notebook would), so SQLite's own checkpoint when the last connection
/// closes never happens: only BlockLab's checkpoint can make the copies complete.
@Suite struct StoreFileCompleteTests {
    /// Everything the commands below change, as one line.
    private static let fingerprint = """
        SELECT (SELECT group_concat(id || ':' || name || ':' || status || ':' || COALESCE(note, ''), ',') FROM runs) AS runs,
               (SELECT COUNT(*) FROM metrics) AS points, (SELECT group_concat(run_id || key || value, ',') FROM tags) AS tags,
               (SELECT COUNT(*) FROM phases) AS phases, (SELECT COUNT(*) FROM artifacts) AS artifacts,
               (SELECT COUNT(*) FROM checkpoints) AS checkpoints, (SELECT COUNT(*) FROM hardware_samples) AS samples
        """

    private func fingerprint(_ store: String) throws -> String {
        let result = try CLI.run(["sql", Self.fingerprint, "--store", store, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// A process that holds the store open (an idle connection, no transaction) until its input closes.
    private func holdOpen(_ store: String) throws -> TestChild {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("SELECT COUNT(*) FROM runs").fetchall()
            print("open", flush=True)
            sys.stdin.read()
            """, store]
        let child = try TestChild(holder, input: true)
        try child.waitFor("the holder opened the store", within: .seconds(60)) { out, _ in out.contains("open") }
        return child
    }

    @Test func everyWritingCommandLeavesTheStoreFileComplete() throws {
        let dir = TempDir()
        let store = dir.file("s.db"), repo = dir.file("repo")
        try makeRepository(at: repo, commits: 10)
        try CLI.run(["ingest", "--store", dir.file("other.db"), "--name", "far"], stdin: metricLines(0..<7))
        #expect(try CLI.run(["ingest", "--store", store, "--name", "first"], stdin: metricLines(0..<3)).status == 0)
        let holder = try holdOpen(store)
        defer {
            holder.send("")  // closes its input: it ends
            _ = try? holder.finish(within: .seconds(60))
        }
        try FileManager.default.createDirectory(atPath: dir.file("copies"), withIntermediateDirectories: true)
        var last = try fingerprint(store)
        var copied = 0
        func checkCopy(_ label: String) throws {
            let now = try fingerprint(store)
            #expect(now != last, "\(label) changed the store")
            last = now
            copied += 1
            let copy = dir.file("copies/\(copied).db")
            try FileManager.default.copyItem(atPath: store, toPath: copy)
            #expect(try fingerprint(copy) == now, "\(label): the store file alone holds what it wrote")
        }
        let steps: [(String, [String], String)] = [
            ("ingest", ["ingest", "--name", "logged"], metricLines(0..<50)),
            ("demo", ["demo"], ""),
            ("tag", ["tag", "1", "k=v"], ""),
            ("note", ["note", "1", "a note"], ""),
        ]
        for (label, arguments, input) in steps {
            let result = try CLI.run(arguments + ["--store", store], stdin: input)
            #expect(result.status == 0, "\(label): \(result.stderr)")
            try checkCopy(label)
        }
        try RunFixtures.crashed(store: store, name: "crashed")
        last = try fingerprint(store)
        #expect(try CLI.run(["reap", "--store", store]).status == 0)
        try checkCopy("reap")
        let merged = try CLI.run(["merge", dir.file("other.db"), "--yes", "--store", store])
        #expect(merged.status == 0, "\(merged.stderr)")
        try checkCopy("merge")
        #expect(try CLI.run(["delete", "demo", "--yes", "--store", store]).status == 0)
        try checkCopy("delete")
        let phases: [(String, [String])] = [
            ("scrape", ["scrape", "--repo", repo, "--out", dir.file("scrape")]),
            ("tokenize", ["tokenize", "--input", dir.file("scrape/commits.jsonl"), "--out", dir.file("data"), "--vocab-size", "300",
                          "--sequence-length", "32"]),
            ("train", ["train", "--data", dir.file("data"), "--out", dir.file("model")] + ForeignStoreCommandTests.tiny),
            ("pipeline", ["pipeline", "--repo", repo, "--config", PipelineCommandTests.config, "--profile", "quick"]
                + PipelineCommandTests.shrink),
        ]
        for (label, arguments) in phases {
            let result = try CLI.run(arguments + ["--store", store], directory: dir.path)
            #expect(result.status == 0, "\(label): \(result.stderr)")
            try checkCopy(label)
        }
    }
}

