import Foundation
import Testing

/// libtorch is loaded by the commands that use a model, on first use, never at start-up:
/// every other command starts without it and works where it is missing.
@Suite struct StartupTests {
    /// The shared libraries the dynamic linker loads when the binary starts.
    private func neededLibraries(_ binary: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        process.arguments = ["-d", binary]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return text.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            line.firstIndex(of: "[").map { String(line[line.index(after: $0)...].dropLast()) }
        }
    }

    @Test func theBinaryDoesNotLinkLibtorch() throws {
        let needed = try neededLibraries(CLI.binary)
        #expect(needed.contains { $0.hasPrefix("libsqlite3") }, "readelf read the binary: \(needed)")
        #expect(!needed.contains { $0.contains("torch") || $0.contains("c10") }, "\(needed)")
        let library = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("libBlockLabTorch.so").path
        #expect(try neededLibraries(library).contains { $0.hasPrefix("libtorch") }, "the model library beside it does")
    }

    /// A store command that is running has not mapped libtorch; the commands that need no
    /// model work with libtorch unavailable; the model commands say what is missing.
    @Test func onlyModelCommandsNeedLibtorch() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        let missing = ["BLOCKLAB_TORCH_LIBRARY": dir.file("no-such-library.so")]

        let process = CLI.start(["ingest", "--store", store, "--name", "live"], environment: missing)
        try process.run()
        let collector = OutputCollector(process)
        let input = (process.standardInput as! Pipe).fileHandleForWriting
        input.write(Data(metricLines(0..<10).utf8) + Data("sync\n".utf8))
        #expect(collector.waitFor { _, err in err.contains("line 11") })
        // /proc files report no size: read until the end, not a stat's worth.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/maps"))
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(maps.contains("libsqlite3"), "the maps were read")
        #expect(!maps.contains("libtorch") && !maps.contains("libc10"))
        try input.close()
        process.waitUntilExit()
        _ = collector.finish()
        #expect(process.terminationStatus == 0)

        for arguments in [["runs"], ["show", "live"], ["metrics", "live", "--format", "csv"], ["sql", "SELECT COUNT(*) FROM metrics"],
                          ["export", "live", "--out", dir.file("m.json")], ["--version"]] {
            let result = try CLI.run(arguments + (arguments == ["--version"] ? [] : ["--store", store]), environment: missing)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }

        for arguments in [["train", "--data", dir.file("data"), "--store", store], ["generate", "--model", dir.file("model"), "--prompt", "x"]] {
            let result = try CLI.run(arguments, environment: missing)
            #expect(result.status != 0)
            #expect(result.stderr.contains("cannot load BlockLab's libtorch library"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("apt-get install libtorch-dev"))
        }
        // The failed model commands recorded nothing.
        let runs = try CLI.run(["sql", "SELECT COUNT(*) AS n FROM runs", "--store", store, "--format", "csv"])
        #expect(runs.stdout == "n\r\n1\r\n")
    }
}
