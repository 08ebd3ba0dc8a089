import Foundation
import Testing

/// `blocklab tokenize` → `blocklab train` → `blocklab generate`, run as a user runs them,
/// and the model directory checked with Hugging Face transformers.
@Suite struct TrainCommandTests {
    static let generateScript = #"""
    import json, sys
    from transformers import AutoTokenizer, GPT2LMHeadModel
    model_dir, prompt, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
    ids = tok(prompt, return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=n, do_sample=False, pad_token_id=0)
    print(json.dumps({"prompt_ids": ids[0].tolist(), "generated_ids": out[0, ids.shape[1]:].tolist()}))
    """#

    @Test func trainGenerateAndLoadInHuggingFace() throws {
        guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_TRAIN_PYTHON"], !python.isEmpty else {
            Issue.record("BLOCKLAB_TRAIN_PYTHON is unset: run `eval \"$(scripts/setup/training.sh | tail -1)\"` first")
            return
        }
        let dir = TempDir()
        try TokenizeCommandTests.writeRecords(dir.file("records.jsonl"))
        let tokenized = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("data"),
                                     "--vocab-size", "400", "--sequence-length", "32", "--store", dir.file("s.db")])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        let trained = try CLI.run(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--store", dir.file("s.db"),
                                   "--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.max_steps=20",
                                   "--set", "training.base_learning_rate=3e-3", "--set", "training.progress_every_steps=5", "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("step 20/20"))
        let summary = try #require(try CLI.json(trained.stdout) as? [String: Any])
        #expect(summary["status"] as? String == "finished" && summary["steps"] as? Int == 20)
        let metrics = try CLI.run(["sql", "SELECT count(*) AS n FROM metric_history WHERE key = 'train/loss'", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(metrics.stdout.contains("\r\n20\r\n"))

        let generated = try CLI.run(["generate", "--model", dir.file("model/best"), "--prompt", "let a = 3", "--max-tokens", "12",
                                     "--temperature", "0", "--json"])
        #expect(generated.status == 0, "\(generated.stderr)")
        let ours = try #require(try CLI.json(generated.stdout) as? [String: Any])
        let script = dir.file("generate.py")
        try Self.generateScript.write(toFile: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, dir.file("model/best"), "let a = 3", "12"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(ours["prompt_ids"] as? [Int] == theirs["prompt_ids"] as? [Int])
        // Greedy decoding stops at <|endoftext|> here and runs on in transformers: compare the common prefix.
        let a = ours["generated_ids"] as? [Int] ?? [], b = theirs["generated_ids"] as? [Int] ?? []
        #expect(!a.isEmpty && Array(b.prefix(a.count)) == a)
    }

    /// A dataset of 32-token sequences from `TokenizeCommandTests.writeRecords`, in `dir/data`.
    static func tokenize(in dir: TempDir) throws {
        try TokenizeCommandTests.writeRecords(dir.file("records.jsonl"))
        let tokenized = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("data"),
                                     "--vocab-size", "400", "--sequence-length", "32", "--no-store"])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
    }

    /// The config snapshot holds the values that ran, never null or `auto`: the preset's
    /// model sizes, the batch `auto` picked, the device and threads used (as the run's own
    /// progress lines say), beside the YAML as given; so `compare` shows a change of size.
    @Test func theSnapshotRecordsTheValuesThatRan() throws {
        let dir = TempDir()
        try Self.tokenize(in: dir)
        let yaml = "model:\n  preset: gpt2\n  n_positions: 32\ntraining:\n  batch_size: auto\n  max_steps: 2\n  eval_max_batches: null\n"
        try yaml.write(toFile: dir.file("config.yaml"), atomically: true, encoding: .utf8)
        let common = ["--data", dir.file("data"), "--store", dir.file("s.db"), "--config", dir.file("config.yaml"), "--set", "model.preset=tiny"]
        let a = try CLI.run(["train", "--out", dir.file("a")] + common)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CLI.run(["train", "--out", dir.file("b"), "--set", "model.n_embd=32"] + common)
        #expect(b.status == 0, "\(b.stderr)")

        // "train: 2 layers × 64 wide, ... on cpu with 2 threads" and "..., batch 4 × 1, ...".
        let said = try #require(a.stderr.firstMatch(of: /train: (\d+) layers × (\d+) wide, .* on (\w+) with (\d+) threads/))
        let batch = try #require(a.stderr.firstMatch(of: /batch (\d+) × 1,/))
        let shown = try #require(try CLI.json(try CLI.run(["show", "1", "--store", dir.file("s.db"), "--format", "json"]).stdout) as? [String: Any])
        let params = try #require(shown["params"] as? [String: Any])
        #expect(params["model.n_layer"] as? String == String(said.1) && String(said.1) == "2")
        #expect(params["model.n_embd"] as? String == String(said.2) && String(said.2) == "64")
        #expect(params["model.n_head"] as? String == "2")
        #expect(params["training.device"] as? String == String(said.3))
        #expect(params["training.threads"] as? String == String(said.4))
        #expect(params["training.max_steps"] as? String == "2")
        #expect(Int(params["training.eval_max_batches"] as? String ?? "") != nil)
        let nullOrAuto = params.filter { !($0.value is String) || $0.value as? String == "auto" }.map(\.key).sorted()
        #expect(nullOrAuto.isEmpty, "null or auto: \(nullOrAuto)")
        #expect((shown["config"] as? [String: Any])?["yaml"] as? String == yaml)
        let sql = try CLI.run(["sql", "SELECT value FROM params WHERE run_id = 1 AND key = 'training.batch_size'", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(sql.stdout == "value\r\n\(batch.1)\r\n")

        let compared = try #require(try CLI.json(try CLI.run(["compare", "1", "2", "--store", dir.file("s.db"), "--format", "json"]).stdout) as? [String: Any])
        let differing = try #require(compared["differing_params"] as? [[String: Any]])
        let sizes = differing.first { $0["key"] as? String == "model.n_embd" }
        #expect(sizes?["values"] as? [String] == ["64", "32"])
    }

    /// A config error found before the run can start still leaves a failed run with the error.
    @Test func aConfigErrorBeforeTheRunStillRecordsAFailedRun() throws {
        let dir = TempDir()
        try Self.tokenize(in: dir)
        let result = try CLI.run(["train", "--data", dir.file("data"), "--store", dir.file("s.db"), "--set", "model.preset=tiny",
                                  "--set", "training.batch_size=0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("training.batch_size must be positive (or auto), got 0"))
        let runs = try CLI.run(["sql", "SELECT status, error FROM runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(runs.stdout == "status,error\r\nfailed,\"training.batch_size must be positive (or auto), got 0\"\r\n")
        let tooLong = try CLI.run(["train", "--data", dir.file("data"), "--store", dir.file("s.db"), "--out", dir.file("m"),
                                   "--set", "model.preset=tiny", "--set", "model.n_positions=8"])
        #expect(tooLong.status != 0)
        let second = try CLI.run(["sql", "SELECT status, error FROM runs WHERE id = 2", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(second.stdout.contains("failed,the dataset's sequence_length 32 is above model.n_positions 8"))
    }

    @Test func trainWithoutADatasetFailsClearly() throws {
        let dir = TempDir()
        let result = try CLI.run(["train", "--data", dir.file("missing"), "--store", dir.file("s.db"), "--set", "model.preset=tiny"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("dataset directory \(dir.file("missing")) does not exist"))
        let runs = try CLI.run(["sql", "SELECT status FROM runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(runs.stdout.contains("failed"))
    }

    /// SIGINT marks the run killed; `--resume latest` continues it from its newest checkpoint
    /// as a new run whose parent it is.
    @Test func aRunStoppedBySIGINTResumes() throws {
        let dir = TempDir()
        try TokenizeCommandTests.writeRecords(dir.file("records.jsonl"))
        let tokenized = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("data"),
                                     "--vocab-size", "400", "--sequence-length", "32", "--no-store"])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        let common = ["--data", dir.file("data"), "--out", dir.file("model"), "--store", dir.file("s.db"), "--set", "model.preset=tiny",
                      "--set", "model.n_positions=32", "--set", "training.checkpoint_every_steps=5"]
        let process = CLI.start(["train"] + common + ["--set", "training.max_steps=100000", "--set", "epoch_calculation.min_epochs=10000",
                                                      "--set", "epoch_calculation.max_epochs=10000"])
        try process.run()
        let collector = OutputCollector(process)
        // Wait (bounded by a count, not a clock) until a checkpoint exists, then interrupt.
        var polls = 0
        while !FileManager.default.fileExists(atPath: dir.file("model/step-000010")) && polls < 6000 {
            usleep(50_000)
            polls += 1
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = collector.finish()
        #expect(process.terminationStatus == 130)
        let killed = try CLI.run(["sql", "SELECT id, status FROM runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(killed.stdout.contains("1,killed"))
        let checkpoint = try CLI.run(["sql", "SELECT MAX(step) AS s FROM checkpoints WHERE run_id = 1", "--store", dir.file("s.db"), "--format", "csv"])
        let resumeStep = Int(checkpoint.stdout.split(separator: "\r\n")[1])!
        #expect(resumeStep >= 5)   // step 10's row may still be on its way when the signal lands
        #expect(FileManager.default.fileExists(atPath: dir.file(String(format: "model/step-%06d/model.safetensors", resumeStep))))

        let resumed = try CLI.run(["train"] + common + ["--resume", "latest", "--set", "training.max_steps=\(resumeStep + 3)"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at step \(resumeStep)"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.file("model")).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty)
        let runs = try CLI.run(["sql", "SELECT id, parent_run_id, status FROM runs ORDER BY id", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(runs.stdout.contains("2,1,finished"))
        let steps = try CLI.run(["sql", "SELECT MIN(step) AS first, MAX(step) AS last FROM metric_history WHERE run_id = 2 AND key = 'train/loss'",
                                 "--store", dir.file("s.db"), "--format", "csv"])
        #expect(steps.stdout.contains("\(resumeStep + 1),\(resumeStep + 3)"))
    }
}
