import Foundation
import TestSupport
import Testing

/// What a person at a terminal sees: the pager (only at a terminal), progress redrawn or as
/// plain lines, and Ctrl-C typed at the keyboard (the kernel's SIGINT to the foreground
/// process group, not `kill`), each in a real pseudo-terminal (`Terminal`).
@Suite struct TerminalTests {
    /// A store with one finished run named `one`.
    private func store(in dir: TempDir) throws -> String {
        let store = dir.file("s.db")
        let ingest = try CLI.run(["ingest", "--store", store, "--name", "one"], stdin: metricLines(0..<3))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return store
    }

    private func query(_ store: String, _ sql: String) throws -> [String] {
        let result = try CLI.run(["sql", sql, "--store", store, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\r\n").dropFirst().map(String.init)
    }

    // MARK: The pager

    @Test func longOutputIsPagedAtATerminalByBLOCKLAB_PAGERThenPAGER() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let paged = try Terminal.run(["runs", "--store", store],
                                     environment: ["BLOCKLAB_PAGER": "sed s/^/blocklab-pager:/", "PAGER": "sed s/^/pager:/"])
        #expect(paged.status == 0 && paged.failure == nil, "\(paged)")
        #expect(paged.output.contains("blocklab-pager:id  name") && paged.output.contains("blocklab-pager:1   one"), "\(paged.output)")
        let byPager = try Terminal.run(["sql", "SELECT name FROM runs", "--store", store], environment: ["PAGER": "sed s/^/pager:/"],
                                       unset: ["BLOCKLAB_STORE", "BLOCKLAB_PAGER"])
        #expect(byPager.output.contains("pager:name") && byPager.output.contains("pager:one"), "\(byPager.output)")
        for arguments in [["show", "one"], ["metrics", "one"], ["compare", "one", "one"]] {
            let result = try Terminal.run(arguments + ["--store", store], environment: ["BLOCKLAB_PAGER": "sed s/^/paged:/"])
            #expect(result.status == 0 && result.output.contains("paged:"), "\(arguments): \(result.output)")
        }
        // --no-pager, and a pager variable that is empty or `cat`, page nothing.
        let unpaged = try Terminal.run(["runs", "--store", store, "--no-pager"], environment: ["BLOCKLAB_PAGER": "sed s/^/paged:/"])
        #expect(unpaged.status == 0 && unpaged.output.contains("id  name") && !unpaged.output.contains("paged:"), "\(unpaged.output)")
        for none in ["", "cat"] {
            let result = try Terminal.run(["runs", "--store", store], environment: ["BLOCKLAB_PAGER": none, "PAGER": "sed s/^/paged:/"])
            #expect(result.output.contains("id  name") && !result.output.contains("paged:"), "'\(none)': \(result.output)")
        }
    }

    /// Without either variable the pager is `less -FRX` (here a `less` first on PATH that
    /// records its arguments).
    @Test func theDefaultPagerIsLessFRX() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho \"$*\" > \(dir.file("less-arguments"))\nsed s/^/less:/\n".utf8).write(to: URL(fileURLWithPath: dir.file("bin/less")))
        try shell("chmod +x bin/less", in: dir.path)
        let path = dir.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try Terminal.run(["runs", "--store", store], environment: ["PATH": path], unset: ["BLOCKLAB_STORE", "BLOCKLAB_PAGER", "PAGER"])
        #expect(result.status == 0 && result.output.contains("less:1   one"), "\(result.output)")
        #expect(try String(contentsOfFile: dir.file("less-arguments"), encoding: .utf8) == "-FRX\n")
    }

    /// Into a pipe, never: not even with a pager set.
    @Test func pipedOutputIsNeverPaged() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        for arguments in [["runs"], ["show", "one"], ["metrics", "one"], ["compare", "one", "one"], ["sql", "SELECT name FROM runs"]] {
            let result = try CLI.run(arguments + ["--store", store], environment: ["BLOCKLAB_PAGER": "sed s/^/paged:/", "PAGER": "sed s/^/paged:/"])
            #expect(result.status == 0 && !result.stdout.isEmpty && !result.stdout.contains("paged:"), "\(arguments): \(result)")
        }
    }

    // MARK: Progress

    /// At a terminal progress redraws its line (`\r`, erase to the end); with TERM=dumb, as
    /// into a pipe, each report is a plain line.
    @Test func progressIsPlainLinesWhenTERMIsDumb() throws {
        let dir = TempDir()
        try makeRepository(at: dir.file("repo"), commits: 3)
        func scrape(_ term: String) throws -> Terminal.Result {
            try Terminal.run(["scrape", "--repo", dir.file("repo"), "--out", dir.file("out-\(term)"), "--no-store"], environment: ["TERM": term])
        }
        let redrawn = try scrape("xterm")
        #expect(redrawn.status == 0 && redrawn.output.contains("\rblocklab scrape: 3/3") && redrawn.output.contains("\u{1B}[K"),
                "\(redrawn.output.debugDescription)")
        let plain = try scrape("dumb")
        #expect(plain.status == 0 && plain.output.contains("blocklab scrape: 3/3"), "\(plain.output.debugDescription)")
        #expect(!plain.output.contains("\u{1B}") && !plain.output.replacingOccurrences(of: "\r\n", with: "\n").contains("\r"),
                "\(plain.output.debugDescription)")
    }

    // MARK: Ctrl-C

    /// `ingest` reading lines typed at the terminal; ^C: it says at once which run it is
    /// finishing, stores what it buffered, records the run `killed`, and exits 130.
    @Test func ctrlCFinishesTheRunAndExits130() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try Terminal.run(["ingest", "--store", store, "--name", "typed", "--flush-interval", "3600"], steps: [
            .send("{\"step\": 1, \"loss\": 2.5}\n{\"step\": 2, \"loss\": 2.25}\nsync\n"),
            .expect("line 3:"),  // the unusable third line is reported: the two before it are buffered
            .send(Terminal.ctrlC),
            .expect("SIGINT: finishing run 1 'typed'"),
        ])
        #expect(result.failure == nil && result.status == 130, "\(result)")
        #expect(result.output.contains("Ctrl-C again ends at once"), "\(result.output)")
        #expect(try query(store, "SELECT status, error FROM runs") == ["killed,stopped by SIGINT"])
        #expect(try query(store, "SELECT count(*) FROM metrics") == ["2"])
    }

    /// A final flush that cannot finish (another process holds the store's write lock): a
    /// second ^C ends at once with 130, saying what was not written; the run is left
    /// `running`, and reads as crashed.
    @Test func aSecondCtrlCEndsAtOnceDuringAStalledFlush() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try Terminal.run(["ingest", "--store", store, "--name", "stalled", "--flush-interval", "3600"], steps: [
            .send("{\"step\": 1, \"loss\": 2.5}\nsync\n"),
            .expect("line 2:"),
            .lockStore(store),
            .send(Terminal.ctrlC),
            .expect("SIGINT: finishing run 1 'stalled'"),
            .send(Terminal.ctrlC),
            .expect("SIGINT again: ending now"),
        ])
        #expect(result.failure == nil && result.status == 130, "\(result)")
        #expect(result.output.contains("run 1 'stalled' was not finished: 1 metric point and 0 hardware samples not written"), "\(result.output)")
        // Ended while the lock was still held: the flush never ran, so nothing was written.
        #expect(try query(store, "SELECT status, count(m.step) FROM runs LEFT JOIN metrics m ON m.run_id = runs.id") == ["running,0"])
        let runs = try CLI.run(["runs", "--store", store, "--format", "csv"])
        #expect(runs.stdout.contains(",stalled,default,crashed,"), "\(runs.stdout)")
    }

    /// With no second ^C, the stalled flush is given up after 10 s, saying so.
    @Test func aStalledFinalFlushIsGivenUpAtItsDeadline() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try Terminal.run(["ingest", "--store", store, "--name", "stalled", "--flush-interval", "3600"], steps: [
            .send("{\"step\": 1, \"loss\": 2.5}\nsync\n"),
            .expect("line 2:"),
            .lockStore(store),
            .send(Terminal.ctrlC),
            .expect("SIGINT: finishing run 1 'stalled'"),
            .expect("the final flush did not end within 10 s"),
        ])
        #expect(result.failure == nil && result.status == 130, "\(result)")
        #expect(result.output.contains("run 1 'stalled' was not finished: 1 metric point"), "\(result.output)")
    }
}
