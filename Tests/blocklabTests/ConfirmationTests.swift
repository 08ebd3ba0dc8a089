import Foundation
import TestSupport
import Testing

/// `delete` and `merge` ask before they change a store: at a terminal (a real pty), y goes
/// on and anything else changes nothing; without one, they need `--yes`; `--dry-run` says
/// what would happen and writes nothing.
@Suite struct ConfirmationTests {
    private func runNames(_ store: String) throws -> [String] {
        let result = try CLI.run(["sql", "SELECT name FROM runs ORDER BY id", "--store", store, "--format", "csv"])
        return result.stdout.split(separator: "\r\n").dropFirst().map(String.init)
    }

    @Test func deleteAsksAtATerminalAndDeletesOnlyOnYes() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try CLI.run(["ingest", "--store", store, "--name", "demo"], stdin: metricLines(0..<602))  // 1,204 points
        let no = try Terminal.run(["delete", "demo", "--store", store], answer: "n")
        #expect(no.stdout.contains("delete run 1 (demo, finished, 1,204 points)? [y/N]"), "\(no.stdout)")
        #expect(no.status == 1 && no.stdout.contains("nothing deleted"), "\(no)")
        #expect(try runNames(store) == ["demo"])
        let empty = try Terminal.run(["delete", "1", "--store", store], answer: "")
        #expect(empty.status == 1 && empty.stdout.contains("nothing deleted"), "an empty answer is no: \(empty)")
        let yes = try Terminal.run(["delete", "1", "--store", store], answer: "y")
        #expect(yes.status == 0 && yes.stdout.contains("deleted run 1 (demo"), "\(yes)")
        #expect(try runNames(store).isEmpty)
    }

    @Test func deleteWithoutATerminalNeedsYesAndDryRunDeletesNothing() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try CLI.run(["ingest", "--store", store, "--name", "demo", "--tag", "a=b"], stdin: metricLines(0..<5))
        let refused = try CLI.run(["delete", "demo", "--store", store])
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("no terminal to ask at: pass --yes to delete run 1 (demo), or --dry-run to see what would go"),
                "\(refused.stderr)")
        let dry = try CLI.run(["delete", "demo", "--dry-run", "--store", store, "--format", "json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let preview = try #require(try CLI.json(dry.stdout) as? [String: Any])
        #expect(preview["run_id"] as? Int == 1 && preview["name"] as? String == "demo" && preview["status"] as? String == "finished")
        let records = try #require(preview["records"] as? [String: Int])
        #expect(records["metric_points"] == 10 && records["tags"] == 1 && records["checkpoints"] == 0, "\(records)")
        let csv = try CLI.run(["delete", "demo", "--dry-run", "--store", store, "--format", "csv"])
        #expect(csv.stdout.hasPrefix("name,records.artifacts,records.checkpoints,"), "\(csv.stdout)")
        let table = try CLI.run(["delete", "demo", "--dry-run", "--store", store])
        #expect(table.stdout.contains("would delete run 1 (demo, finished") && table.stdout.contains("metric points     10"), "\(table.stdout)")
        #expect(try runNames(store) == ["demo"], "nothing was deleted")
        let done = try CLI.run(["delete", "demo", "--yes", "--store", store])
        #expect(done.status == 0 && done.stderr.contains("deleted run 1 (demo"), "\(done.stderr)")
        #expect(try runNames(store).isEmpty)
    }

    /// A run whose process is alive is refused, with --yes and with --dry-run alike.
    @Test func aRunningRunIsNotDeleted() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let live = try RunFixtures.live(store: store, name: "busy")
        defer { try? RunFixtures.finish(live) }
        for extra in [["--yes"], ["--dry-run"]] {
            let refused = try CLI.run(["delete", "busy", "--store", store] + extra)
            #expect(refused.status != 0, "\(extra)")
            #expect(refused.stderr.contains("run 1 (busy) is still running (pid \(live.0.processIdentifier)"), "\(extra): \(refused.stderr)")
        }
        #expect(try runNames(store) == ["busy"])
    }

    /// Two runs of one name: the error lists both, and nothing is deleted.
    @Test func anAmbiguousNameDeletesNothing() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        for _ in 0..<2 { try CLI.run(["ingest", "--store", store, "--name", "demo"], stdin: metricLines(0..<2)) }
        let refused = try CLI.run(["delete", "demo", "--yes", "--store", store])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("'demo' matches 2 runs:\n  1  demo  finished  "), "\(refused.stderr)")
        #expect(refused.stderr.contains("\n  2  demo  finished  ") && refused.stderr.contains("pick one by its id (`2`)"), "\(refused.stderr)")
        #expect(try runNames(store) == ["demo", "demo"])
    }

    @Test func mergeAsksAtATerminalNeedsYesWithoutOneAndDryRunWritesNothing() throws {
        let dir = TempDir()
        let store = dir.file("s.db"), other = dir.file("other.db")
        try CLI.run(["ingest", "--store", other, "--name", "far"], stdin: metricLines(0..<3))
        try CLI.run(["ingest", "--store", store, "--name", "near"], stdin: metricLines(0..<3))

        let dry = try CLI.run(["merge", other, "--dry-run", "--store", dir.file("new.db"), "--format", "json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let plan = try #require(try CLI.json(dry.stdout) as? [String: Any])
        #expect((plan["runs"] as? [[String: Any]])?.map { $0["name"] as? String } == ["far"] && plan["metric_points"] as? Int == 6)
        #expect(plan["target"] as? String == dir.file("new.db"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("new.db")), "a dry run makes no store")

        let refused = try CLI.run(["merge", other, "--store", store])
        #expect(refused.status != 0 && refused.stderr.contains("no terminal to ask at: pass --yes to import 1 runs from \(other)"),
                "\(refused.stderr)")
        let no = try Terminal.run(["merge", other, "--store", store], answer: "no")
        #expect(no.stdout.contains("merge 1 run (6 metric points) from \(other) into \(store)? [y/N]"), "\(no.stdout)")
        #expect(no.status == 1 && no.stdout.contains("nothing merged"))
        #expect(try runNames(store) == ["near"])
        let yes = try Terminal.run(["merge", other, "--store", store], answer: "Y")
        #expect(yes.status == 0 && yes.stdout.contains("imported 1 runs (6 metric points)"), "\(yes)")
        #expect(try runNames(store) == ["near", "far"])
        // Nothing left to import: nothing to ask.
        let again = try CLI.run(["merge", other, "--store", store])
        #expect(again.status == 0 && again.stdout.contains("imported 0 runs (0 metric points); 1 already here"), "\(again)")
    }
}
