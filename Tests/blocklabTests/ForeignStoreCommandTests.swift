import Foundation
import TestSupport
import Testing

/// Every command, writing or reading, refuses another program's SQLite database and leaves
/// it byte for byte as it was; store errors name the right file, by its absolute path.
@Suite struct ForeignStoreCommandTests {
    static let config = PipelineCommandTests.config
    static let tiny = ["--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.max_steps=2"]

    private func fingerprint(_ path: String) throws -> (Data, String) {
        (try Data(contentsOf: URL(fileURLWithPath: path)), try shell("sqlite3 '\(path)' 'SELECT COUNT(*) FROM sqlite_master'"))
    }

    @Test func noCommandChangesAnotherProgramsDatabase() throws {
        let dir = TempDir()
        let foreign = dir.file("notes.db"), good = dir.file("good.db"), repo = dir.file("repo")
        // In WAL mode, as many programs keep theirs: opening it the usual way, even read-only,
        // would leave a -wal and a -shm beside it.
        _ = try shell("sqlite3 '\(foreign)' \"PRAGMA journal_mode = WAL; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');\"")
        let before = try fingerprint(foreign)
        #expect(before.1.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        try CLI.run(["ingest", "--store", good, "--name", "good"], stdin: metricLines(0..<3))
        try makeRepository(at: repo, commits: 8)
        #expect(try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scrape"), "--no-store"]).status == 0)
        let commits = dir.file("scrape/commits.jsonl")
        #expect(try CLI.run(["tokenize", "--input", commits, "--out", dir.file("data"), "--vocab-size", "300",
                             "--sequence-length", "32", "--no-store"]).status == 0)

        let writing: [[String]] = [
            ["tag", "1", "a=b"], ["note", "1", "text"], ["delete", "1", "--yes"], ["reap"], ["merge", good, "--yes"],
            ["ingest", "--name", "x"], ["demo"],
            ["pipeline", "--repo", repo, "--config", Self.config, "--profile", "quick"] + PipelineCommandTests.shrink,
            ["analyse", "--repo", repo],
            ["scrape", "--repo", repo, "--out", dir.file("scrape-2")],
            ["tokenize", "--input", commits, "--out", dir.file("data-2"), "--vocab-size", "300", "--sequence-length", "32"],
            ["train", "--data", dir.file("data"), "--out", dir.file("model")] + Self.tiny,
            ["embed", "--input", commits],
            ["push", "1", "--qdrant-url", "http://127.0.0.1:9", "--collection", "c"],
        ]
        let reading: [[String]] = [
            ["runs"], ["show", "latest"], ["metrics", "1"], ["compare", "1", "1"], ["export", "1"], ["sql", "SELECT 1"],
            ["report", "1", "--out", dir.file("r.html")], ["search", "x", "--run", "1"],
        ]
        for arguments in writing + reading {
            let result = try CLI.run(arguments + ["--store", foreign], directory: dir.path)
            #expect(result.status != 0, "\(arguments[0])")
            #expect(result.stderr.contains("\(foreign) is an SQLite database, but not a BlockLab store: it holds 1 table of another program (notes)"),
                    "\(arguments[0]): \(result.stderr)")
        }
        // As the other store of a merge, too.
        let merged = try CLI.run(["merge", foreign, "--yes", "--store", good])
        #expect(merged.status != 0 && merged.stderr.contains("\(foreign) is an SQLite database, but not a BlockLab store"), "\(merged.stderr)")

        // (Before sqlite3 reads it again: sqlite3, closing it last, would remove a -wal and a -shm.)
        #expect(!FileManager.default.fileExists(atPath: foreign + "-wal") && !FileManager.default.fileExists(atPath: foreign + "-shm"),
                "nothing was made beside it")
        let after = try fingerprint(foreign)
        #expect(after.0 == before.0, "the file is byte for byte as it was")
        #expect(after.1 == before.1, "its schema objects are as they were")
    }

    /// A file that is not SQLite keeps its own message; an SQLite file with no table at all
    /// (`sqlite3 x.db VACUUM`) becomes a new store, and the command says it made one.
    @Test func aTextFileKeepsItsMessageAndAnEmptySQLiteFileBecomesAStore() throws {
        let dir = TempDir()
        try "hello\n".write(toFile: dir.file("text.db"), atomically: true, encoding: .utf8)
        let text = try CLI.run(["tag", "1", "a=b", "--store", dir.file("text.db")])
        #expect(text.status != 0 && text.stderr.contains("\(dir.file("text.db")) is not a BlockLab store (not an SQLite file)"), "\(text.stderr)")
        _ = try shell("sqlite3 '\(dir.file("vacuumed.db"))' VACUUM")
        let read = try CLI.run(["runs", "--store", dir.file("vacuumed.db")])
        #expect(read.status != 0 && read.stderr.contains("the store \(dir.file("vacuumed.db")) has no runs yet"), "\(read.stderr)")
        let made = try CLI.run(["ingest", "--store", dir.file("vacuumed.db"), "--name", "first"], stdin: metricLines(0..<2))
        #expect(made.status == 0 && made.stderr.contains("blocklab: created a new store at \(dir.file("vacuumed.db"))\n"), "\(made.stderr)")
        let again = try CLI.run(["ingest", "--store", dir.file("vacuumed.db"), "--name", "second"], stdin: "")
        #expect(again.status == 0 && !again.stderr.contains("created a new store"), "\(again.stderr)")
    }

    @Test func errorsNameTheRightFileAndCreateNothing() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        // merge names the other file as missing, and makes neither.
        let merge = try CLI.run(["merge", "missing.db", "--store", "new.db"], directory: dir.path)
        #expect(merge.status != 0 && merge.stderr.contains("nothing to merge: no store at \(dir.file("missing.db"))"), "\(merge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("new.db")) && !FileManager.default.fileExists(atPath: dir.file("missing.db")))
        // push with a mistyped store makes nothing, and says there is no store there.
        let push = try CLI.run(["push", "latest", "--qdrant-url", "http://127.0.0.1:9", "--collection", "c", "--store", "typo.db"],
                               directory: dir.path)
        #expect(push.status != 0 && push.stderr.contains("no experiment store at \(dir.file("typo.db"))"), "\(push.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("typo.db")))
        // A relative store is named by its absolute path.
        let runs = try CLI.run(["runs", "--store", "./sub/../missing.db"], directory: dir.path)
        #expect(runs.stderr.contains("no experiment store at \(dir.file("missing.db")):"), "\(runs.stderr)")
        // A store with no runs says so, and how to make one, for every command taking a run.
        try CLI.run(["ingest", "--store", store, "--name", "gone"], stdin: "")
        #expect(try CLI.run(["delete", "1", "--yes", "--store", store]).status == 0)
        for arguments in [["show", "latest"], ["export", "1"], ["tag", "latest", "a=b"], ["metrics", "demo"]] {
            let result = try CLI.run(arguments + ["--store", store])
            #expect(result.status != 0)
            #expect(result.stderr.contains("the store \(store) has no runs yet: record one with `blocklab pipeline --repo PATH`"),
                    "\(arguments): \(result.stderr)")
        }
    }
}
