import Dashboard
import ExperimentStore
import Foundation
import TestSupport
import Testing

/// The server against a store that changes under it: written by four runs at once, deleted,
/// replaced by another file.
@Suite struct StoreLifecycleTests {
    @Test func fourRunsWritingAtOnceNeverBreakTheServer() async throws {
        let dir = TempDir()
        let path = dir.file("s.db")
        _ = try ExperimentStore.open(at: path)
        let server = try await TestServer(store: path)
        defer { Task { await server.stop() } }

        // Four writers, each with its own store handle and background flush thread, as four
        // training runs would be.
        let failures = Locked<[String]>([])
        let writers = (0..<4).map { index in
            Thread {
                do {
                    let store = try ExperimentStore.open(at: path)
                    let run = try store.startRun(RunSpec(name: "writer-\(index)"))
                    for step in 0..<20_000 {
                        run.log(step: step, ["train/loss": 1 / Double(step + 1), "val/loss": Double(index)])
                        if step % 2_000 == 0 { try run.flush() }
                    }
                    try run.finish()
                } catch {
                    failures.update { $0.append("writer \(index): \(error)") }
                }
            }
        }
        writers.forEach { $0.start() }
        var answered = 0
        let deadline = ContinuousClock.now + .seconds(600)   // a guard against a hang, not a speed limit
        while writers.contains(where: { !$0.isFinished }) {
            try #require(ContinuousClock.now < deadline, "the writers did not finish within 10 minutes")
            let list = try await server.get("/api/runs")
            #expect(list.status == 200)
            for run in list.object["runs"] as? [[String: Any]] ?? [] {
                let id = try #require((run["run"] as? [String: Any])?["id"] as? Int)
                let metrics = try await server.get("/api/runs/\(id)/metrics?buckets=50")
                #expect(metrics.status == 200, "\(metrics.text)")
                answered += 1
            }
        }
        let final = try await server.get("/api/runs")
        #expect(failures.value == [])
        let runs = try #require(final.object["runs"] as? [[String: Any]])
        #expect(runs.count == 4)
        #expect(runs.allSatisfy { ($0["metric_points"] as? Int) == 40_000 })
        #expect(runs.allSatisfy { (($0["run"] as? [String: Any])?["status"] as? String) == "finished" })
        #expect(answered > 0)
    }

    @Test func aDeletedStoreIsAClearErrorAndAReplacedOneIsReadAfresh() async throws {
        let dir = TempDir()
        let path = dir.file("s.db")
        let store = try ExperimentStore.open(at: path)
        try Fixtures.run(in: store, name: "first", steps: 10, dir: dir.path)
        let other = try ExperimentStore.open(at: dir.file("other.db"))
        try Fixtures.run(in: other, name: "second", steps: 10, dir: dir.path)
        try Fixtures.run(in: other, name: "third", steps: 10, dir: dir.path)
        let server = try await TestServer(store: path)
        defer { Task { await server.stop() } }
        #expect(try await server.get("/api/runs").status == 200)

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let gone = try await server.get("/api/runs")
        #expect(gone.status == 503)
        #expect(gone.error.contains("no longer exists"))
        let page = try await server.get("/")
        #expect(page.status == 503 && page.text.contains("no longer exists"))

        // Another store moved into its place (as `mv` would): the server reads the new file.
        _ = try other.integrityCheck()
        try FileManager.default.copyItem(atPath: dir.file("other.db"), toPath: dir.file("next.db"))
        for suffix in ["-wal"] where FileManager.default.fileExists(atPath: dir.file("other.db") + suffix) {
            try FileManager.default.copyItem(atPath: dir.file("other.db") + suffix, toPath: dir.file("next.db") + suffix)
        }
        try FileManager.default.moveItem(atPath: dir.file("next.db"), toPath: path)
        if FileManager.default.fileExists(atPath: dir.file("next.db-wal")) {
            try FileManager.default.moveItem(atPath: dir.file("next.db-wal"), toPath: path + "-wal")
        }
        let replaced = try await server.get("/api/runs")
        #expect(replaced.status == 200)
        #expect((replaced.object["runs"] as? [[String: Any]])?.map { ($0["run"] as? [String: Any])?["name"] as? String } == ["second", "third"])
    }
}
