import DurableFiles
import Foundation
import Testing

@Suite struct DurableFileTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    @Test func aWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let url = dir.appendingPathComponent("a.json")
        try DurableFile.write(Data("old".utf8), to: url)
        try DurableFile.write(to: url) { handle in
            try handle.write(contentsOf: Data("new ".utf8))
            try handle.write(contentsOf: Data("content".utf8))
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "new content")
        #expect(try names() == ["a.json"])
    }

    @Test func aFailedWriteLeavesTheOldFileAndNoTemporary() throws {
        struct Stop: Error {}
        let url = dir.appendingPathComponent("a.json")
        try DurableFile.write(Data("old".utf8), to: url)
        #expect(throws: Stop.self) {
            try DurableFile.write(to: url) { handle in
                try handle.write(contentsOf: Data("half".utf8))
                #expect(FileManager.default.fileExists(atPath: DurableFile.temporaryURL(for: url).path))
                throw Stop()
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "old")
        #expect(try names() == ["a.json"])
    }

    @Test func aWriteIntoAMissingFolderNamesTheFolder() throws {
        let url = dir.appendingPathComponent("missing/a.json")
        let error = try #require(throws: DurableFileError.self) { try DurableFile.write(Data(), to: url) }
        #expect(error.description == "cannot create \(dir.path)/missing/.a.json.partial-\(getpid()): No such file or directory; check that \(dir.path)/missing exists and is writable")
    }

    @Test func aDirectoryAppearsWholeAndReplacesAnOlderOne() throws {
        let target = dir.appendingPathComponent("step-000001")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("stale".utf8).write(to: target.appendingPathComponent("stale.txt"))
        try DurableFile.writeDirectory(at: target) { tmp in
            #expect(tmp.lastPathComponent == ".step-000001.partial-\(getpid())")
            #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("model.bin").path) )
            try DurableFile.write(Data("weights".utf8), to: tmp.appendingPathComponent("model.bin"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == ["model.bin"])
        #expect(try names() == ["step-000001"])

        struct Stop: Error {}
        #expect(throws: Stop.self) { try DurableFile.writeDirectory(at: target) { _ in throw Stop() } }
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == ["model.bin"])
        #expect(try names() == ["step-000001"])
    }

    @Test func aLinkIsSwappedAndReplacesARealDirectory() throws {
        let fm = FileManager.default
        for name in ["step-1", "step-2"] { try fm.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: false) }
        let best = dir.appendingPathComponent("best")
        try fm.createDirectory(at: best, withIntermediateDirectories: false)   // an older layout: a real directory
        try DurableFile.link(best, to: "step-1")
        #expect(try fm.destinationOfSymbolicLink(atPath: best.path) == "step-1")
        try DurableFile.link(best, to: "step-2")
        #expect(try fm.destinationOfSymbolicLink(atPath: best.path) == "step-2")
        #expect(try names() == ["best", "step-1", "step-2"])
    }

    /// Temporaries of a process that has exited go; those of a live process (a child still
    /// running, and this process) stay, as do files that only look alike.
    @Test func debrisOfDeadProcessesIsRemovedAndOfLiveOnesKept() throws {
        let dead = try exitedProcessID()
        let live = Process()
        live.executableURL = URL(fileURLWithPath: "/bin/sleep")
        live.arguments = ["600"]
        try live.run()
        // SIGKILL: a child may inherit a mask that blocks SIGTERM.
        defer { kill(live.processIdentifier, SIGKILL); live.waitUntilExit() }
        let fm = FileManager.default
        let planted = [".step-000005.partial-\(dead)", ".step-000006.partial-\(live.processIdentifier)",
                       ".step-000007.partial-\(getpid())"]
        for name in planted {
            try fm.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: false)
            try Data("x".utf8).write(to: dir.appendingPathComponent(name).appendingPathComponent("model.safetensors"))
        }
        try Data().write(to: dir.appendingPathComponent(".training_report.json.partial-\(dead)"))
        #expect(symlink("step-000005", dir.appendingPathComponent(".best.link-\(dead)").path) == 0)   // an older version's name
        let keep = ["notes.partial-\(dead)", ".config.partial-abc", ".partial-\(dead)x", "step-000005"]
        for name in keep { try Data().write(to: dir.appendingPathComponent(name)) }

        let removed = DurableFile.removeDebris(in: dir)
        #expect(removed == [".best.link-\(dead)", ".step-000005.partial-\(dead)", ".training_report.json.partial-\(dead)"])
        #expect(try names() == (planted.dropFirst() + keep).sorted())
    }

    /// The id of a child that has exited and been reaped: no process has it (until reuse,
    /// which the kernel delays by cycling through the whole pid space).
    func exitedProcessID() throws -> pid_t {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        #expect(kill(child.processIdentifier, 0) != 0 && errno == ESRCH)
        return child.processIdentifier
    }

    @Test func syncAcceptsFilesAndTreesAndNamesAMissingPath() throws {
        let tree = dir.appendingPathComponent("tree/inner")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: tree.appendingPathComponent("f"))
        #expect(symlink("inner", dir.appendingPathComponent("tree/link").path) == 0)
        try DurableFile.sync(path: dir.appendingPathComponent("tree").path)
        try DurableFile.sync(path: tree.appendingPathComponent("f").path)
        #expect(throws: DurableFileError(path: dir.path + "/nothing", operation: "sync", reason: "No such file or directory")) {
            try DurableFile.sync(path: dir.path + "/nothing")
        }
    }
}
