import Foundation
import TestSupport
import Testing

/// What people expect of a command line besides the commands themselves: "did you mean",
/// `-q`, `blocklab version`, the man page and completion scripts, and outputs and inputs
/// named the way the user named them.
@Suite struct CommandLineTests {
    private var fullBinary: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("blocklab-full").path
    }

    /// A store with one finished run named `one`.
    private func store(in dir: TempDir) throws -> String {
        let store = dir.file("s.db")
        let ingest = try CLI.run(["ingest", "--store", store, "--name", "one"], stdin: metricLines(0..<3))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return store
    }

    // MARK: Did you mean

    @Test(arguments: [(["rnus"], "'rnus' is not a blocklab command. Did you mean 'runs'?"),
                      (["pipline", "--repo", "."], "Did you mean 'pipeline'?"),
                      (["exprot", "1"], "Did you mean 'export'?"),
                      (["tokenizer", "encdoe"], "'encdoe' is not a blocklab tokenizer command. Did you mean 'encode'?"),
                      (["bench", "stroe"], "Did you mean 'store'?"),
                      (["tok"], "Did you mean 'tokenize' or 'tokenizer'?")])
    func aMistypedCommandGetsDidYouMean(arguments: [String], message: String) throws {
        for binary in [CLI.binary, fullBinary] {
            let result = try CLI.run(arguments, executable: binary)
            #expect(result.status == 64 && result.stderr.contains(message), "\(binary) \(arguments): \(result)")
            #expect(result.stderr.contains("--help' for the commands"), "\(result.stderr)")
        }
    }

    @Test func aWordFarFromEveryCommandGetsNoGuess() throws {
        let result = try CLI.run(["xyzzyplugh"])
        #expect(result.status == 64 && result.stderr.contains("'xyzzyplugh' is not a blocklab command.") && !result.stderr.contains("Did you mean"),
                "\(result)")
    }

    // MARK: -q

    /// `-q` silences progress and notices; errors and warnings still print.
    @Test func quietSilencesProgressAndNoticesButNotWarnings() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        try makeRepository(at: dir.file("repo"), commits: 3)
        let loud = try CLI.run(["scrape", "--repo", dir.file("repo"), "--out", dir.file("a"), "--no-store"])
        #expect(loud.status == 0 && loud.stderr.contains("blocklab scrape"), "\(loud)")
        let quiet = try CLI.run(["scrape", "--repo", dir.file("repo"), "--out", dir.file("b"), "--no-store", "-q"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty && !quiet.stdout.isEmpty, "\(quiet)")

        let export = try CLI.run(["export", "one", "--out", dir.file("m.json"), "--store", store, "--quiet"])
        #expect(export.status == 0 && export.stderr.isEmpty, "\(export)")
        // A line ingest cannot use is a warning, printed with -q; the summary is a notice.
        let ingest = try CLI.run(["ingest", "--store", store, "-q"], stdin: metricLines(0..<2) + "sync\n")
        #expect(ingest.status == 0 && ingest.stderr.contains("line 3:") && !ingest.stderr.contains("points,"), "\(ingest)")
        let failed = try CLI.run(["scrape", "--repo", dir.file("no-repo"), "--out", dir.file("c"), "--no-store", "-q"])
        #expect(failed.status == 66 && failed.stderr.contains("does not exist"), "\(failed)")
    }

    // MARK: version

    @Test func versionReportsTheBuild() throws {
        let json = try CLI.run(["version", "--format", "json"])
        #expect(json.status == 0, "\(json)")
        let report = try #require(try CLI.json(json.stdout) as? [String: Any])
        let plain = try CLI.run(["--version"])
        #expect(report["version"] as? String == plain.stdout.trimmingCharacters(in: .newlines))
        #expect(report["schema_version"] as? Int == 4 || (report["schema_version"] as? Int ?? 0) > 4)
        let sqlite = try runProcess("/usr/bin/python3", ["-c", "import sqlite3; print(sqlite3.sqlite_version)"])
        #expect(report["sqlite_version"] as? String == sqlite.trimmingCharacters(in: .newlines), "\(report)")
        #expect((report["libtorch_version"] as? String)?.hasPrefix("1.") == true && report["libtorch_error"] is NSNull, "\(report)")
        // The commit scripts/build.sh (and scripts/test.sh) recorded, else "unknown".
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let header = try? String(contentsOf: root.appendingPathComponent("Sources/BuildInfo/include/build_commit.h"), encoding: .utf8)
        let recorded = header?.split(separator: "\"").dropFirst().first.map(String.init) ?? "unknown"
        #expect(report["build_commit"] as? String == recorded, "\(report)")

        // libtorch missing: null, and why; the command still succeeds.
        let missing = try CLI.run(["version", "--format", "json"], environment: ["BLOCKLAB_TORCH_LIBRARY": "/nonexistent/libBlockLabTorch.so"])
        let without = try #require(try CLI.json(missing.stdout) as? [String: Any])
        #expect(missing.status == 0 && without["libtorch_version"] is NSNull, "\(missing)")
        #expect((without["libtorch_error"] as? String)?.contains("cannot load BlockLab's libtorch library") == true, "\(without)")

        let csv = try parseCSV(try CLI.run(["version", "--format", "csv"]).stdout)
        #expect(csv.first == ["build_commit", "libtorch_error", "libtorch_version", "schema_version", "sqlite_version", "version"], "\(csv)")
        let table = try CLI.run(["version"])
        #expect(table.stdout.hasPrefix("field") && table.stdout.contains("build_commit"), "\(table)")
    }

    // MARK: Man page and completion

    /// The man page ArgumentParser's generate-manual writes from `--experimental-dump-help`
    /// (`scripts/man.sh`, with the tool scripts/test.sh builds): it generates, and names
    /// every subcommand.
    @Test func theManPageGeneratesAndNamesEverySubcommand() throws {
        let tool = BuiltProducts.path(of: "generate-manual")
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            Issue.record("\(tool) is not built: run `swift build --product generate-manual` (scripts/test.sh does)")
            return
        }
        let dir = TempDir()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let written = try shell("bash scripts/man.sh \(dir.file("man")) \(CLI.binary)", in: root.path,
                                environment: ["BLOCKLAB_GENERATE_MANUAL": tool])
        #expect(written.hasSuffix("man/blocklab.1\n"), "\(written)")
        let page = try String(contentsOfFile: dir.file("man/blocklab.1"), encoding: .utf8)
        let help = try CLI.run(["--help"]).stdout
        let names = help.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                  word.first?.isLowercase == true else { return nil }  // not "See 'blocklab help ...'"
            return String(word)
        } ?? []
        #expect(names.count >= 25 && names.contains("pipeline") && names.contains("version"), "\(names)")
        // Each subcommand is an item of the page's command list (mdoc's `.It Em NAME`), bench's and tokenizer's too.
        for name in names + ["encode", "decode", "store", "cli", "hash"] {
            let listed = page.contains(".It Em \(name)\n")
            #expect(listed, "the man page lists \(name)")
        }
        // The root help's sections: the environment and the exit statuses.
        let sections = page.contains("ENVIRONMENT:") && page.contains("BLOCKLAB_PAGER") && page.contains("EXIT STATUS (after sysexits.h)")
        #expect(sections, "the man page has the environment and the exit statuses")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsGenerate(shell name: String) throws {
        let result = try CLI.run(["--generate-completion-script", name])
        #expect(result.status == 0 && result.stdout.contains("pipeline") && result.stdout.contains("runs"), "\(result.stderr)")
        if name == "bash" {
            let dir = TempDir()
            try result.stdout.write(toFile: dir.file("blocklab.bash"), atomically: true, encoding: .utf8)
            try shell("bash -n blocklab.bash && source blocklab.bash && complete -p blocklab", in: dir.path)
        }
    }

    // MARK: Errors that name what the user named

    @Test func exportOutIntoAMissingFolderMakesIt() throws {
        let dir = TempDir()
        let store = try store(in: dir)
        let result = try CLI.run(["export", "one", "--out", dir.file("new/folder/m.json"), "--store", store])
        #expect(result.status == 0, "\(result)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("new/folder/m.json")))) as? [String: Any])
        #expect(manifest["run"] != nil || !manifest.isEmpty)
    }

    @Test func generateWithAMissingModelFolderNamesTheModelFolder() throws {
        let dir = TempDir()
        let result = try CLI.run(["generate", "--model", dir.file("no-model"), "--prompt", "x"])
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.contains("no model folder at \(dir.file("no-model"))") && !result.stderr.contains("tokenizer"), "\(result.stderr)")
    }
}
