import Foundation
import TestSupport
import Testing

/// `blocklab demo` and `scripts/demo.sh` print what the README says: the run recorded, as
/// `blocklab show` prints it (in each format), and the script then `blocklab runs`.
@Suite struct DemoTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func demoPrintsTheRunItRecordedAsShowDoes() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        for (index, format) in ["table", "json", "csv"].enumerated() {
            let demo = try CLI.run(["demo", "--steps", "20", "--out", dir.file("demo"), "--store", store, "--format", format], directory: dir.path)
            #expect(demo.status == 0, "\(demo.stderr)")
            #expect(demo.stderr.contains("blocklab demo: recorded run \(index + 1)"), "progress on stderr: \(demo.stderr)")
            let show = try CLI.run(["show", "\(index + 1)", "--store", store, "--format", format])
            #expect(show.status == 0, "\(show.stderr)")
            // The same document but for when it was made.
            func made(_ text: String) -> String {
                text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("generated_at") }.joined(separator: "\n")
            }
            #expect(made(demo.stdout) == made(show.stdout), "\(format)")
            #expect(demo.stdout.contains(format == "table" ? "run \(index + 1)  demo  [finished]" : "demo"), "\(format): \(demo.stdout)")
        }
        let manifest = try #require(try CLI.json(try CLI.run(["show", "2", "--store", store, "--format", "json"]).stdout) as? [String: Any])
        #expect(((manifest["metrics"] as? [String: Any])?["train/loss"] as? [String: Any])?["count"] as? Int == 20)
        #expect((manifest["checkpoints"] as? [Any])?.isEmpty == false)
    }

    /// The script in a folder of its own, with `BLOCKLAB_STORE` there and a built binary
    /// (`BLOCKLAB_BIN`, so nothing is installed or built): the store and checkpoints go
    /// there, the checkout's `blocklab.db` is left as it was, and stdout is the run then `runs`.
    @Test func theDemoScriptWritesWhereItIsToldAndPrintsTheRunThenRuns() throws {
        let dir = TempDir()
        let checkoutStore = Self.root.appendingPathComponent("blocklab.db").path
        func state(_ path: String) -> String {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "absent" }
            return "\(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        let before = [checkoutStore, checkoutStore + "-wal"].map(state)
        let result = try CLI.run([Self.root.appendingPathComponent("scripts/demo.sh").path],
                                 environment: ["BLOCKLAB_BIN": CLI.binary, "BLOCKLAB_STORE": dir.file("demo.db")],
                                 directory: dir.path, executable: "/bin/bash")
        #expect(result.status == 0, "\(result.stderr)")
        #expect([checkoutStore, checkoutStore + "-wal"].map(state) == before, "the checkout's store is untouched")
        let shown = try #require(result.stdout.range(of: "run 1  demo  [finished]"), "\(result.stdout)")
        let listed = try #require(result.stdout.range(of: "id  name  experiment  status"), "\(result.stdout)")
        #expect(shown.lowerBound < listed.lowerBound, "the run, then `runs`")
        let runs = try CLI.run(["sql", "SELECT name, status FROM runs", "--store", dir.file("demo.db"), "--format", "csv"])
        #expect(runs.stdout == "name,status\r\ndemo,finished\r\n", "\(runs.stdout)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: dir.file("out/demo"))
        #expect(!checkpoints.isEmpty, "checkpoints in the folder it ran in")
    }
}
