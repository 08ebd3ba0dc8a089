import ExperimentStore
import Foundation
import TestSupport
import Testing

/// `blocklab report` and `blocklab ui` as a user runs them: files, messages, exit codes.
@Suite struct CommandTests {
    @Test func reportWritesOneSelfContainedFileUnderReportsByDefault() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try Fixtures.run(in: store, name: "base line", steps: 300, dir: dir.path)
        let made = try Binary.run(["report", "latest", "--store", store.path], in: dir.path)
        #expect(made.status == 0, "\(made.stderr)")
        let path = "reports/base_line-\(run.id).html"
        #expect(made.stdout == path + "\n")
        let html = try String(contentsOfFile: dir.file(path), encoding: .utf8)
        // Data, chart library, script and styles inlined; nothing refers to another file or host.
        #expect(html.contains("id=\"blocklab-data\"") && html.contains("Dygraph") && html.contains("blocklab:charts-drawn"))
        #expect(!html.contains("<script src") && !html.contains("<link") && !html.contains("sourceMappingURL"))
        #expect(html.contains("\"name\":\"base line\""))
    }

    @Test func reportErrorsNameTheProblemAndWriteNothing() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        try Fixtures.run(in: store, name: "a", steps: 10, dir: dir.path)
        let out = dir.file("r.html")

        let unknown = try Binary.run(["report", "a", "nope", "--store", store.path, "--out", out])
        #expect(unknown.status != 0 && unknown.stderr.contains("no run matches 'nope'"))
        let noLibrary = try Binary.run(["report", "a", "--store", store.path, "--out", out],
                                       environment: ["BLOCKLAB_DYGRAPHS_DIR": dir.file("missing")])
        #expect(noLibrary.status != 0 && noLibrary.stderr.contains("sudo apt-get install libjs-dygraphs"))
        let noStore = try Binary.run(["report", "a", "--store", dir.file("none.db"), "--out", out])
        #expect(noStore.status != 0 && noStore.stderr.contains("no experiment store at"))
        let unwritable = try Binary.run(["report", "a", "--store", store.path, "--out", dir.file("s.db/r.html")])
        #expect(unwritable.status != 0 && unwritable.stderr.contains("cannot write the report"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func uiRefusesWhatWouldMakeItUselessOrUnsafe() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let open = try Binary.run(["ui", "--store", store.path, "--host", "0.0.0.0", "--port", "0"])
        #expect(open.status != 0 && open.stderr.contains("--token-env"))
        let unset = try Binary.run(["ui", "--store", store.path, "--host", "0.0.0.0", "--token-env", "BLOCKLAB_NO_SUCH_VAR"])
        #expect(unset.status != 0 && unset.stderr.contains("BLOCKLAB_NO_SUCH_VAR is not set"))
        let noStore = try Binary.run(["ui", "--store", dir.file("none.db"), "--port", "0"])
        #expect(noStore.status != 0 && noStore.stderr.contains("no experiment store at"))
        let noLibrary = try Binary.run(["ui", "--store", store.path, "--port", "0"], environment: ["BLOCKLAB_DYGRAPHS_DIR": dir.file("missing")])
        #expect(noLibrary.status != 0 && noLibrary.stderr.contains("apt-get install libjs-dygraphs"))
    }
}
