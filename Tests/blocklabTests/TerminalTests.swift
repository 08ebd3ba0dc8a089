import Foundation
import TestSupport
import Testing

/// What a person at a terminal sees: the pager (only at a terminal) and progress redrawn or
/// as plain lines, each in a real pseudo-terminal (`Terminal`).
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
}
