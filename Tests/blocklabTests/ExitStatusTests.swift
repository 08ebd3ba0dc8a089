import Foundation
import TestSupport
import Testing

/// The exit statuses (`blocklab --help`, README "Exit statuses"): each case of the table,
/// reached the way a user reaches it, through the launcher and, where the command is the
/// launcher's, through `blocklab-full` too.
@Suite struct ExitStatusTests {
    private var fullBinary: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("blocklab-full").path
    }

    /// A store with one finished run named `one`.
    private func store(in dir: TempDir) throws -> String {
        let store = dir.file("s.db")
        let ingest = try CLI.run(["ingest", "--store", store, "--name", "one"], stdin: metricLines(0..<3))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return store
    }

    /// Runs the command with both binaries; both must end the same way.
    private func both(_ arguments: [String]) throws -> CLI.Result {
        let launcher = try CLI.run(arguments)
        let full = try CLI.run(arguments, executable: fullBinary)
        #expect(launcher.status == full.status, "\(arguments): launcher \(launcher.status), blocklab-full \(full.status)")
        #expect(launcher.stderr == full.stderr, "\(arguments)")
        return launcher
    }

    @Test func usageErrorsEnd64() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let flag = try both(["runs", "--no-such-flag", "--store", store])
        #expect(flag.status == 64 && flag.stderr.contains("Unknown option '--no-such-flag'"), "\(flag)")
        let value = try both(["runs", "--status", "sleeping", "--store", store])
        #expect(value.status == 64, "\(value)")
        let formats = try both(["runs", "--json", "--format", "csv", "--store", store])
        #expect(formats.status == 64 && formats.stderr.contains("--json means --format json"), "\(formats)")
    }

    @Test func badInputEnds65() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let query = try both(["sql", "SELEC 1", "--store", store])
        #expect(query.status == 65 && query.stderr.contains("SQL error"), "\(query)")
        let refused = try both(["sql", "DELETE FROM runs", "--store", store])
        #expect(refused.status == 65 && refused.stderr.contains("read-only"), "\(refused)")
        try Data("not a database, just text\n".utf8).write(to: URL(fileURLWithPath: dir.file("notes.db")))
        let notAStore = try both(["runs", "--store", dir.file("notes.db")])
        #expect(notAStore.status == 65 && notAStore.stderr.contains("not a BlockLab store"), "\(notAStore)")
        try shell("python3 -c 'import sqlite3; c = sqlite3.connect(\"\(dir.file("other.db"))\"); c.execute(\"CREATE TABLE notes(t)\"); c.commit()'")
        let foreign = try both(["tag", "1", "x=y", "--store", dir.file("other.db")])
        #expect(foreign.status == 65 && foreign.stderr.contains("an SQLite database, but not a BlockLab store"), "\(foreign)")
    }

    @Test func anAmbiguousRunEnds64AndAnEmptyStore66() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        #expect(try CLI.run(["ingest", "--store", store, "--name", "one"], stdin: metricLines(0..<3)).status == 0)
        let ambiguous = try both(["show", "one", "--store", store])
        #expect(ambiguous.status == 64 && ambiguous.stderr.contains("matches 2 runs"), "\(ambiguous)")
        for id in ["1", "2"] { #expect(try CLI.run(["delete", id, "--yes", "--store", store]).status == 0) }
        let none = try both(["show", "latest", "--store", store])
        #expect(none.status == 66 && none.stderr.contains("has no runs"), "\(none)")
    }

    @Test func missingThingsEnd66() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let noStore = try both(["runs", "--store", dir.file("missing.db")])
        #expect(noStore.status == 66 && noStore.stderr.contains("no experiment store at"), "\(noStore)")
        let noRun = try both(["show", "nosuchrun", "--store", store])
        #expect(noRun.status == 66 && noRun.stderr.contains("no run matches 'nosuchrun'"), "\(noRun)")
        let noMetric = try both(["metrics", "one", "--key", "nope", "--store", store])
        #expect(noMetric.status == 66 && noMetric.stderr.contains("has no metric 'nope'"), "\(noMetric)")
        let noProgram = try CLI.run(["ingest", "--store", store, "--", "no-such-program-here"])
        #expect(noProgram.status == 66 && noProgram.stderr.contains("command not found: no-such-program-here"), "\(noProgram)")
        let noConfig = try CLI.run(["ingest", "--store", store, "--config", dir.file("missing.yaml")], stdin: "")
        #expect(noConfig.status == 66 && noConfig.stderr.contains("cannot read the config file"), "\(noConfig)")
    }

    /// An SQLite failure BlockLab does not expect (here a trigger another program added to
    /// the store refuses the insert) is an internal error, with SQLite's message.
    @Test func anUnexpectedSQLiteFailureEnds70() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        try shell("""
            python3 -c 'import sqlite3; c = sqlite3.connect("\(store)"); c.execute("CREATE TRIGGER no_tags BEFORE INSERT ON tags BEGIN SELECT RAISE(ABORT, \\"tags are frozen here\\"); END"); c.commit()'
            """)
        let tag = try both(["tag", "one", "team=ml", "--store", store])
        #expect(tag.status == 70 && tag.stderr.contains("tags are frozen here"), "\(tag)")
    }

    @Test func outputsThatCannotBeCreatedEnd73() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        try Data("a file, not a folder\n".utf8).write(to: URL(fileURLWithPath: dir.file("plain")))
        let export = try both(["export", "one", "--out", dir.file("plain/sub/m.json"), "--store", store])
        #expect(export.status == 73 && export.stderr.contains("cannot write"), "\(export)")
        let newStore = try CLI.run(["ingest", "--store", dir.file("plain/s.db")], stdin: metricLines(0..<1))
        #expect(newStore.status == 73 && newStore.stderr.contains("cannot create the store"), "\(newStore)")
    }

    /// A store another process holds the write lock of, for longer than the busy timeout (60 s).
    @Test func aStoreLockedPastTheBusyTimeoutEnds75() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.read()
            """, store]
        let holder = try TestChild(process, input: true)
        try holder.waitFor("the lock holder's 'locked'") { out, _ in out.contains("locked") }
        let tag = try CLI.run(["tag", "one", "team=ml", "--store", store])
        #expect(tag.status == 75 && tag.stderr.contains("stayed locked by another process"), "\(tag)")
        holder.send("")  // closes its stdin: it ends and lets the lock go
        #expect(try holder.finish().status == 0)
    }

    @Test func badConfigEnds78() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        try Data("training: [unclosed\n".utf8).write(to: URL(fileURLWithPath: dir.file("bad.yaml")))
        let yaml = try CLI.run(["ingest", "--store", store, "--config", dir.file("bad.yaml")], stdin: "")
        #expect(yaml.status == 78 && yaml.stderr.contains("is not valid YAML"), "\(yaml)")
        let key = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("data"), "--no-store",
                               "--set", "tokenizer.no_such_key=1"])
        #expect(key.status == 78 && key.stderr.contains("no_such_key"), "\(key)")
    }

    /// A run that ends `failed` (here the command ingest wraps exits 3) ends with that command's status.
    @Test func aFailedRunEndsNonZero() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let failed = try CLI.run(["ingest", "--store", store, "--", "/bin/sh", "-c", "exit 3"])
        #expect(failed.status == 3, "\(failed)")
        let ended = try CLI.run(["sql", "SELECT status FROM runs WHERE id = 2", "--store", store, "--format", "csv"])
        #expect(ended.stdout == "status\r\nfailed\r\n", "\(ended)")
    }

    /// The table is in `--help` (and so in the man page) and in the README, the same codes.
    @Test func theTableIsInTheHelpAndTheReadme() throws {
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md").path, encoding: .utf8)
        for code in [0, 1, 64, 65, 66, 70, 73, 75, 77, 78, 127, 130, 143] {
            let inHelp = help.stdout.contains("\n  \(code) ")
            #expect(inHelp, "--help lists \(code)")
            let listed = readme.contains("| \(code) |")
            #expect(listed, "README lists \(code)")
        }
        #expect(help.stdout.contains("ENVIRONMENT:") && help.stdout.contains("BLOCKLAB_PAGER"), "\(help.stdout)")
    }
}
