import Foundation
import TestSupport
import Testing

/// The config mistakes people make, each an error that names the thing and the fix before
/// anything is recorded, and `train` never starting GPT-2 124M without a word.
@Suite struct ConfigMistakeTests {
    /// The built-in defaults' model, which `train` announces when no config file is read.
    static let defaultModelNotice = "no config file (no --config, no ./training_config.yaml): training GPT-2 124M (model.preset gpt2)"

    /// `train` records the run a config error fails (its error names the key); the other
    /// commands refuse before a run exists.
    @Test func anEmptyOrMissingSetValueNamesTheKey() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        for set in ["training.max_steps=", "training.max_steps"] {
            let result = try CLI.run(["train", "--data", dir.file("data"), "--store", store, "--set", "model.preset=tiny", "--set", set],
                                     directory: dir.path)
            #expect(result.status != 0, "--set \(set) was accepted")
            #expect(result.stderr.contains("--set \(set):") && result.stderr.contains("training.max_steps"), "\(result.stderr)")
        }
        let runs = try CLI.run(["sql", "SELECT status, error FROM runs ORDER BY id", "--store", store, "--format", "json"])
        let rows = try #require(try CLI.json(runs.stdout) as? [[String: Any]], "\(runs.stdout)\(runs.stderr)")
        #expect(rows.map { $0["status"] as? String } == ["failed", "failed"])
        #expect((rows.first?["error"] as? String)?.contains("training.max_steps has no value") == true, "\(rows)")
        for command in [["pipeline", "--repo", dir.path], ["scrape", "--repo", dir.path], ["analyse", "--repo", dir.path]] {
            let empty = try CLI.run(command + ["--store", dir.file("other.db"), "--set", "training.max_steps="], directory: dir.path)
            #expect(empty.status != 0 && empty.stderr.contains("training.max_steps has no value"), "\(command[0]): \(empty.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("other.db")), "\(command[0]) recorded nothing")
        }
    }

    /// Without a config file the built-in defaults train GPT-2 124M: `train` says so on
    /// stderr before anything else, and not when a model is chosen.
    @Test func trainWithoutAConfigFileSaysItTrainsGPT2() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        let plain = try CLI.run(["train", "--data", dir.file("data"), "--store", dir.file("s.db")], directory: dir.path)
        #expect(plain.status != 0, "an empty dataset fails the run")
        #expect(plain.stderr.contains(Self.defaultModelNotice), "\(plain.stderr)")
        for chosen in [["--set", "model.preset=tiny"], ["--profile", "quick"]] {
            let result = try CLI.run(["train", "--data", dir.file("data"), "--store", dir.file("s.db")] + chosen, directory: dir.path)
            #expect(result.status != 0 && !result.stderr.contains("no config file"), "\(chosen): \(result.stderr)")
        }
    }

    @Test func malformedYAMLNamesTheFileLineAndColumn() throws {
        let dir = TempDir()
        let config = dir.file("broken.yaml")
        try "training:\n  max_steps: 5\n  seed: [1, 2\nmodel:\n  preset: tiny\n".write(toFile: config, atomically: true, encoding: .utf8)
        for command in [["train", "--data", dir.file("data")], ["scrape", "--repo", dir.path], ["pipeline", "--repo", dir.path]] {
            let store = dir.file("\(command[0]).db")
            let result = try CLI.run(command + ["--config", config, "--store", store], directory: dir.path)
            #expect(result.status != 0)
            #expect(result.stderr.contains("\(config): line 4, column 6: not valid YAML"), "\(command[0]): \(result.stderr)")
            // `train` records the failed run (as for any config it rejects); the others nothing.
            #expect(FileManager.default.fileExists(atPath: store) == (command[0] == "train"), "\(command[0])")
        }
    }

    @Test func aMissingConfigFileIsNamed() throws {
        let dir = TempDir()
        let missing = dir.file("no-such-config.yaml")
        for command in [["train", "--data", dir.file("data")], ["analyse", "--repo", dir.path], ["pipeline", "--repo", dir.path]] {
            let result = try CLI.run(command + ["--config", missing, "--store", dir.file("s.db")], directory: dir.path)
            #expect(result.status != 0)
            #expect(result.stderr.contains("the config \(missing) does not exist: pass an existing YAML file with --config"),
                    "\(command[0]): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("s.db")), "\(command[0]) recorded nothing")
        }
    }
}
