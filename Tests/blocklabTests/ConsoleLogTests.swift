import Foundation
import TestSupport
import Testing

/// A run's console log: what `ingest -- CMD`'s command printed that is not a record (stdout)
/// and its stderr, kept in the store within the documented bound, printed by `blocklab logs`
/// (also as it is written, with --follow), deleted with its run and carried by merge.
@Suite struct ConsoleLogTests {
    private func ingest(_ script: String, store: String, name: String = "printer") throws -> CLI.Result {
        try CLI.run(["ingest", "--store", store, "--name", name, "--", "/bin/sh", "-c", script])
    }

    @Test func ingestKeepsTheCommandsOtherLinesAndItsStderr() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try ingest("""
            echo 'loading data'
            echo '{"step": 3, "loss": 1.5}'
            echo 'a warning' >&2
            printf 'epoch 1\\r 50%%\\r100%%\\n'
            echo 'done'
            """, store: store)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("loading data") && !result.stdout.contains("\"loss\""), "\(result.stdout)")
        #expect(result.stderr.contains("a warning"))
        let rows = try Python.query(store, "SELECT seq, stream, COALESCE(step, '-'), line FROM console_lines WHERE stream = 'stdout' ORDER BY seq")
        #expect(rows.map { $0.split(separator: ",", maxSplits: 1).last.map(String.init) } == ["stdout,-,loading data", "stdout,3,100%", "stdout,3,done"])
        #expect(try Python.query(store, "SELECT stream, line FROM console_lines WHERE stream = 'stderr'") == ["stderr,a warning"])
        // The three formats say the same lines.
        let table = try CLI.run(["logs", "printer", "--store", store])
        #expect(table.stdout.hasPrefix("time "), "\(table.stdout)")
        #expect(table.stdout.contains("stdout       3  done"), "\(table.stdout)")
        let json = try #require(try CLI.json(CLI.run(["logs", "printer", "--store", store, "--format", "json"]).stdout) as? [[String: Any]])
        #expect(json.count == 4)
        let done = json.first { $0["line"] as? String == "done" }
        #expect(done?["step"] as? Int == 3 && done?["stream"] as? String == "stdout", "\(json)")
        let csv = try CLI.run(["logs", "printer", "--store", store, "--format", "csv"])
        #expect(csv.stdout.hasPrefix("seq,time,stream,step,line\r\n"), "\(csv.stdout)")
        #expect(csv.stdout.contains(",stdout,3,done\r\n"), "\(csv.stdout)")
    }

    /// 25,000 lines and one of 10,000 bytes: the first 10,000 and the latest 10,000 are kept,
    /// the summary and the table say 5,001 were dropped, the long line is cut at 4 KiB.
    @Test func theLogIsBoundedAndSaysWhatItDropped() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let result = try ingest("seq 1 25000; head -c 10000 /dev/zero | tr '\\0' x; echo", store: store)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Python.query(store, "SELECT lines_printed, lines_kept, lines_dropped FROM console_summary") == ["25001,20000,5001"])
        #expect(try Python.query(store, "SELECT MIN(seq), MAX(seq) FROM console_lines WHERE seq > 10000") == ["15002,25001"])
        #expect(try Python.query(store, "SELECT line FROM console_lines WHERE seq IN (10000, 15002) ORDER BY seq") == ["10000", "15002"])
        let long = try Python.query(store, "SELECT length(line) FROM console_lines WHERE seq = 25001")
        #expect(long == [String(4096 + " … [line cut: 5904 more bytes]".count)])
        let table = try CLI.run(["logs", "1", "--store", store])
        #expect(table.stdout.contains("(5001 lines dropped: a run keeps its first 10000 and latest 10000)"), "\(table.stdout.prefix(300))")
    }

    /// --follow prints lines as the running run writes them and ends when the run ends.
    @Test func followPrintsLinesAsTheyAreWritten() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let writer = CLI.start(["ingest", "--store", store, "--name", "live", "--flush-interval", "0.1"])
        try writer.run()
        let writerOutput = OutputCollector(writer)
        let input = try #require(writer.standardInput as? Pipe).fileHandleForWriting
        input.write(Data("{\"step\": 1, \"loss\": 2}\n{\"type\": \"console\", \"stream\": \"stdout\", \"line\": \"first\"}\n".utf8))
        _ = try Python.wait(store, "SELECT COUNT(*) FROM console_lines", for: ["1"])
        let follower = CLI.start(["logs", "live", "--follow", "--format", "json", "--store", store])
        try follower.run()
        let followed = OutputCollector(follower)
        try followed.waitFor("the first line") { out, _ in out.contains("\"first\"") }
        input.write(Data("{\"type\": \"console\", \"stream\": \"stderr\", \"line\": \"second\"}\n".utf8))
        try followed.waitFor("the second line, written after --follow started") { out, _ in out.contains("\"second\"") }
        try input.close()
        _ = try writerOutput.finish()
        let (out, err) = try followed.finish()
        #expect(follower.terminationStatus == 0, "\(err)")
        let lines = out.split(separator: "\n").compactMap { try? CLI.json(String($0)) as? [String: Any] }
        #expect(lines.map { $0["line"] as? String } == ["first", "second"], "\(out)")
        #expect(lines.last?["stream"] as? String == "stderr" && lines.last?["step"] as? Int == 1)
    }

    @Test func deleteTakesTheLogAndMergeCarriesIt() throws {
        let dir = TempDir()
        let from = dir.file("from.db"), into = dir.file("into.db")
        #expect(try ingest("echo hello; echo oops >&2", store: from).status == 0)
        #expect(try ingest("echo other", store: into, name: "other").status == 0)
        let merged = try CLI.run(["merge", from, "--store", into, "--yes"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Python.query(into, """
            SELECT r.name, l.stream, l.line FROM console_lines l JOIN runs r ON r.id = l.run_id ORDER BY r.id, l.stream
            """) == ["other,stdout,other", "printer,stderr,oops", "printer,stdout,hello"])
        let deleted = try CLI.run(["delete", "1", "--store", from, "--yes"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(try Python.query(from, "SELECT COUNT(*) FROM console_lines") == ["0"])
    }

    /// The pipeline's and a phase command's own progress notes are their run's console log
    /// (stream `blocklab`, which a program's records cannot claim), each as printed; the counts
    /// drawn before a count's last line are not kept.
    @Test func thePipelinesAndAPhaseCommandsNotesAreTheirRunsLog() throws {
        let dir = TempDir()
        let repo = dir.file("repo"), store = dir.file("s.db")
        try makeRepository(at: repo, commits: 12)
        let pipeline = try CLI.run(["pipeline", "--repo", repo, "--config", PipelineCommandTests.config, "--profile", "quick",
                                    "--store", store, "--name", "piped", "--phases", "analyse,scrape"], directory: dir.path)
        #expect(pipeline.status == 0, "\(pipeline.stderr)")
        let scrape = try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scraped"), "--store", store, "--name", "scraped"],
                                 directory: dir.path)
        #expect(scrape.status == 0, "\(scrape.stderr)")
        // The first count is printed (as a line: stderr is a pipe) but only the last is kept.
        #expect(scrape.stderr.contains("blocklab scrape: 1/12 commits"), "\(scrape.stderr)")
        for (run, result, first) in [("piped", pipeline, "blocklab pipeline: run 1 (piped)"), ("scraped", scrape, "blocklab scrape: 12/12 commits")] {
            let logs = try CLI.run(["logs", run, "--store", store, "--format", "json"])
            #expect(logs.status == 0, "\(logs.stderr)")
            let lines = try #require(try CLI.json(logs.stdout) as? [[String: Any]])
            let texts = lines.compactMap { $0["line"] as? String }
            #expect(texts.count == lines.count && texts.count >= (run == "piped" ? 3 : 1), "\(run): \(logs.stdout)")
            #expect(!texts.contains { $0.contains(" 1/12 commits") }, "\(run): \(texts)")
            #expect(texts.first?.hasPrefix(first) == true, "\(run): \(texts)")
            #expect(lines.allSatisfy { $0["stream"] as? String == "blocklab" }, "\(run): \(lines)")
            let printed = Set(result.stderr.split(separator: "\n").map(String.init))
            #expect(texts.allSatisfy(printed.contains), "\(run): kept \(texts), printed \(result.stderr)")
        }
        // -q silences the terminal, not the run's account.
        let quiet = try CLI.run(["scrape", "-q", "--repo", repo, "--out", dir.file("quiet"), "--store", store, "--name", "quiet"], directory: dir.path)
        #expect(quiet.status == 0 && !quiet.stderr.contains("commits/s"), "\(quiet.stderr)")
        let kept = try CLI.json(CLI.run(["logs", "quiet", "--store", store, "--format", "json"]).stdout) as? [[String: Any]]
        #expect(kept?.compactMap { ($0["line"] as? String)?.hasPrefix("blocklab scrape: 12/12 commits") } == [true], "\(kept ?? [])")
    }
}
