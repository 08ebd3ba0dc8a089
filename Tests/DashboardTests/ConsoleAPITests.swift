import Dashboard
import ExperimentStore
import Foundation
import TestSupport
import Testing

/// `/api/runs/{run}/console`: a run's console lines after a `seq`, a page at a time, with the
/// log's figures; a printed line comes back as JSON text whatever it holds.
@Suite struct ConsoleAPITests {
    @Test func linesComeAfterASeqAPageAtATimeAsText() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "printer"))
        defer { try? run.finish() }
        run.logConsole(.stdout, "loading data", step: nil)
        run.logConsole(.stderr, "<script>alert(1)</script>", step: 3)
        for n in 1...5 { run.logConsole(.stdout, "line \(n)", step: 3 + n) }
        try run.flush()
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }

        let first = try await server.raw("/api/runs/printer/console?limit=2", host: server.ownHost)
        #expect(first.status == 200, "\(first)")
        #expect(first.header("content-type")?.hasPrefix("application/json") == true, "\(first)")
        let lines = try #require(first.object["lines"] as? [[String: Any]], "\(first)")
        #expect(lines.map { $0["seq"] as? Int } == [1, 2])
        #expect(lines.first?["step"] is NSNull, "\(lines)")   // no step: null, not left out
        let script = try #require(lines.last)
        #expect(script["line"] as? String == "<script>alert(1)</script>" && script["stream"] as? String == "stderr"
                && script["step"] as? Int == 3 && script["time"] is Double, "\(script)")
        let summary = try #require(first.object["summary"] as? [String: Any])
        #expect(summary["run_status"] as? String == "running" && summary["more"] as? Bool == true, "\(summary)")
        #expect(summary["lines_printed"] as? Int == 7 && summary["lines_kept"] as? Int == 7 && summary["lines_dropped"] as? Int == 0)
        #expect(summary["keeps_first"] as? Int == RunHandle.consoleHead && summary["keeps_latest"] as? Int == RunHandle.consoleTail)

        // The next page starts after the last seq it had; the last page says no more.
        let rest = try await server.get("/api/runs/printer/console?after=2")
        #expect((rest.object["lines"] as? [[String: Any]])?.map { $0["line"] as? String } == (1...5).map { "line \($0)" })
        #expect((rest.object["summary"] as? [String: Any])?["more"] as? Bool == false, "\(rest.text)")
        let none = try await server.get("/api/runs/printer/console?after=7")
        #expect((none.object["lines"] as? [[String: Any]])?.isEmpty == true, "\(none.text)")

        // A line printed later is there on the next ask.
        run.logConsole(.stdout, "later", step: 9)
        try run.flush()
        let later = try await server.get("/api/runs/printer/console?after=7")
        #expect((later.object["lines"] as? [[String: Any]])?.map { $0["line"] as? String } == ["later"], "\(later.text)")
    }

    @Test func badAsksAre4xxWithTheirReason() async throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 5, dir: dir.path)
        let server = try await TestServer(store: store.path)
        defer { Task { await server.stop() } }
        let cases: [(String, Int, String)] = [
            ("/api/runs/nope/console", 404, "no run matches 'nope'"),
            ("/api/runs/a/console?after=x", 400, "after=x is not an integer"),
            ("/api/runs/a/console?after=-1", 400, "after=-1 is out of range"),
            ("/api/runs/a/console?limit=0", 400, "limit=0 is out of range"),
            ("/api/runs/a/console?limit=10001", 400, "limit=10001 is out of range"),
        ]
        for (path, status, message) in cases {
            let reply = try await server.get(path)
            #expect(reply.status == status && reply.error.contains(message), "\(path): \(reply.status) \(reply.error)")
        }
        // A run that printed nothing: no lines, figures of 0.
        let empty = try await server.get("/api/runs/a/console")
        #expect(empty.status == 200 && (empty.object["lines"] as? [Any])?.isEmpty == true, "\(empty.text)")
        #expect((empty.object["summary"] as? [String: Any])?["lines_printed"] as? Int == 0, "\(empty.text)")
    }
}
