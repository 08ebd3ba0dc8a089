import Foundation
import TestSupport
import Testing

/// libtorch is loaded by the commands that use a model, on first use, never at start-up:
/// every other command starts without it and works where it is missing.
@Suite struct StartupTests {
    /// The shared libraries the dynamic linker loads when the binary starts.
    private func neededLibraries(_ binary: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        process.arguments = ["-d", binary]
        let (status, text, _) = try ChildOutput.collect(process)
        #expect(status == 0)
        return text.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            line.firstIndex(of: "[").map { String(line[line.index(after: $0)...].dropLast()) }
        }
    }

    /// `blocklab-full`, beside the launcher.
    private var fullBinary: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("blocklab-full").path
    }

    /// Neither binary links libtorch; the launcher links the store and nothing heavier.
    @Test func theBinariesDoNotLinkLibtorchAndTheLauncherOnlyTheStore() throws {
        let launcher = try neededLibraries(CLI.binary), full = try neededLibraries(fullBinary)
        for needed in [launcher, full] {
            #expect(needed.contains { $0.hasPrefix("libsqlite3") }, "readelf read the binary: \(needed)")
            #expect(!needed.contains { $0.contains("torch") || $0.contains("c10") }, "\(needed)")
        }
        #expect(full.contains { $0.hasPrefix("libgit2") } && full.contains { $0.hasPrefix("libcurl") }, "\(full)")
        #expect(!launcher.contains { $0.hasPrefix("libgit2") || $0.hasPrefix("libcurl") }, "\(launcher)")
        let library = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("libBlockLabTorch.so").path
        #expect(try neededLibraries(library).contains { $0.hasPrefix("libtorch") }, "the model library beside it does")
    }

    /// The launcher exports none of its symbols: the one `dladdr` call at start scans every
    /// exported symbol, and `-static-stdlib` would export all 12,000 (the store, GRDB,
    /// ArgumentParser, swift-crypto's BoringSSL). Its library references stay (undefined ones).
    @Test func theLauncherExportsNoSymbols() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        process.arguments = ["--dyn-syms", "--wide", CLI.binary]
        let text = try ChildOutput.collect(process).stdout
        let symbols = text.split(separator: "\n").map { $0.split(separator: " ") }.filter { $0.count >= 8 && $0[0].hasSuffix(":") && $0[0].dropLast().allSatisfy(\.isNumber) }
        #expect(symbols.contains { $0[6] == "UND" && $0[7].hasPrefix("sqlite3_open") }, "readelf read the table: \(symbols.count) symbols")
        let exported = symbols.filter { $0[6] != "UND" && $0[4] != "LOCAL" }.map { String($0[7]) }
        #expect(exported.count == 0, "exported, e.g. \(exported.prefix(5))")
    }

    /// The launcher runs the store commands by itself (copied alone into an empty directory);
    /// any other command, help, and a command line it cannot parse need `blocklab-full`, whose
    /// absence is named with the fix.
    @Test func theLauncherRunsStoreCommandsAloneAndNamesTheFullBinaryWhenMissing() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        #expect(try CLI.run(["ingest", "--store", store, "--name", "alone"], stdin: metricLines(0..<5)).status == 0)
        let alone = dir.file("blocklab")
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: alone)
        func runAlone(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments, executable: alone) }
        #expect(try runAlone(["--version"]).status == 0)
        let runs = try runAlone(["runs", "--store", store, "--format", "csv"])
        #expect(runs.status == 0 && runs.stdout.contains(",alone,"), "\(runs)")
        let count = try runAlone(["sql", "SELECT count(*) AS n FROM metrics", "--store", store, "--format", "csv"])
        #expect(count.stdout == "n\r\n10\r\n", "\(count)")  // 5 steps x 2 keys

        for arguments in [["train", "--data", dir.file("data")], ["runs", "--help"], ["runs", "--no-such-flag"], []] {
            let result = try runAlone(arguments)
            #expect(result.status == 127, "\(arguments): \(result)")
            #expect(result.stderr.contains(dir.file("blocklab-full")) && result.stderr.contains("make build"), "\(arguments): \(result.stderr)")
        }
        // With it beside the launcher, the same parse error reads as ArgumentParser writes it.
        let typo = try CLI.run(["runs", "--stor", store])
        #expect(typo.status == 64 && typo.stderr.contains("Did you mean '--store'?"), "\(typo)")
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
        let input = try #require(process.standardInput as? Pipe).fileHandleForWriting
        input.write(Data(metricLines(0..<10).utf8) + Data("sync\n".utf8))
        #expect(collector.waitFor { _, err in err.contains("line 11") })
        // /proc files report no size: read until the end, not a stat's worth.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(process.processIdentifier)/maps"))
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(maps.contains("libsqlite3"), "the maps were read")
        // `ingest` is not the launcher's: it exec'd blocklab-full in the same process.
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.processIdentifier)/exe")
        #expect(executable.hasSuffix("/blocklab-full"), "\(executable)")
        #expect(!maps.contains("libtorch") && !maps.contains("libc10"))
        try input.close()
        try collector.finish()
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
