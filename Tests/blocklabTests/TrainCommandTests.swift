import Foundation
import TestSupport
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
    print(json.dumps({"prompt_ids": ids[0].tolist(), "generated_ids": out[0, ids.shape[1]:].tolist(),
                      "eos_token_id": tok.eos_token_id}))
    """#

    /// Runs a Python script; its stdout. Expects exit status 0 (else shows its stderr).
    static func runPython(_ python: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let (status, stdout, stderr) = try ChildOutput.collect(process)
        #expect(status == 0, "\(python) \(arguments.first ?? "") exited \(status): \(stderr.suffix(3000))")
        return Data(stdout.utf8)
    }

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
        let data = try Self.runPython(python, [script, dir.file("model/best"), "let a = 3", "12"])
        let theirs = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(ours["prompt_ids"] as? [Int] == theirs["prompt_ids"] as? [Int])
        // The same tokens, up to and including the first end of text (where ours stops); all 12 if none.
        let a = ours["generated_ids"] as? [Int] ?? [], b = theirs["generated_ids"] as? [Int] ?? []
        let eos = try #require(theirs["eos_token_id"] as? Int)
        let expected = b.firstIndex(of: eos).map { Array(b[...$0]) } ?? b
        #expect(expected.count == 12 || expected.last == eos)
        #expect(a == expected, "ours \(a), transformers \(b)")
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
                                  "--set", "training.batch_size=0"], directory: dir.path)   // no ./training_config.yaml there
        #expect(result.status != 0)
        #expect(result.stderr.contains("training.batch_size must be positive (or auto), got 0"))
        let runs = try CLI.run(["sql", "SELECT status, error FROM runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(runs.stdout == "status,error\r\nfailed,\"training.batch_size must be positive (or auto), got 0\"\r\n")
        let tooLong = try CLI.run(["train", "--data", dir.file("data"), "--store", dir.file("s.db"), "--out", dir.file("m"),
                                   "--set", "model.preset=tiny", "--set", "model.n_positions=8"])
        #expect(tooLong.status != 0)
        let second = try CLI.run(["sql", "SELECT status, error FROM runs WHERE id = 2", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(second.stdout.contains("failed,the dataset's sequence_length 32 is above model.n_positions 8"))
        // The trainer's lines, the error among them, are the run's console log.
        let log = try CLI.run(["logs", "2", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(log.stdout.contains(",blocklab,,error: the dataset's sequence_length 32 is above model.n_positions 8"), "\(log.stdout)")
    }

    /// For each generated token: its probability under Hugging Face's temperature, top-k and
    /// top-p warpers applied to `GPT2LMHeadModel`'s logits for the context so far (0: outside
    /// the set it may be drawn from), the size of that set, and whether it is the argmax.
    static let warpedScript = #"""
    import json, sys, torch
    from transformers import GPT2LMHeadModel
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
    model_dir, spec = sys.argv[1], json.loads(sys.argv[2])
    model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
    context, out = list(spec["prompt_ids"]), []
    for token in spec["generated_ids"]:
        window = torch.tensor([context[-model.config.n_positions:]])
        with torch.no_grad():
            scores = model(window).logits[:, -1, :].double()
        ids = torch.tensor([[0]])
        greedy = int(scores[0].argmax())
        scores = TemperatureLogitsWarper(float(spec["temperature"]))(ids, scores)
        if spec["top_k"]: scores = TopKLogitsWarper(top_k=spec["top_k"])(ids, scores)
        if spec["top_p"]: scores = TopPLogitsWarper(top_p=float(spec["top_p"]))(ids, scores)
        probs = torch.softmax(scores, dim=-1)[0]
        out.append({"p": float(probs[token]), "kept": int((probs > 0).sum()), "greedy": token == greedy})
        context.append(token)
    print(json.dumps(out))
    """#

    /// `generate --temperature/--top-k/--top-p/--seed` from the command line: each sampled
    /// token lies in the set Hugging Face's warpers keep for that context, sampling is not
    /// greedy, one seed gives one text, and another seed another.
    @Test func sampledGenerationFollowsTopKTopPAndTheSeed() throws {
        guard let python = ProcessInfo.processInfo.environment["BLOCKLAB_TRAIN_PYTHON"], !python.isEmpty else {
            Issue.record("BLOCKLAB_TRAIN_PYTHON is unset: run `eval \"$(scripts/setup/training.sh | tail -1)\"` first")
            return
        }
        let dir = TempDir()
        try Self.tokenize(in: dir)
        let trained = try CLI.run(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--store", dir.file("s.db"),
                                   "--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.max_steps=10",
                                   "--set", "training.base_learning_rate=3e-3"])
        #expect(trained.status == 0, "\(trained.stderr)")
        func generate(_ options: [String]) throws -> (prompt: [Int], ids: [Int], text: String) {
            let result = try CLI.run(["generate", "--model", dir.file("model/last"), "--prompt", "let a = 3", "--max-tokens", "24", "--json"] + options)
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(try CLI.json(result.stdout) as? [String: Any])
            return (json["prompt_ids"] as? [Int] ?? [], json["generated_ids"] as? [Int] ?? [], json["text"] as? String ?? "")
        }
        let script = dir.file("warped.py")
        try Self.warpedScript.write(toFile: script, atomically: true, encoding: .utf8)
        struct Warped: Decodable { let p: Double; let kept: Int; let greedy: Bool }
        func warped(_ g: (prompt: [Int], ids: [Int], text: String), temperature: Double, topK: Int?, topP: Double?) throws -> [Warped] {
            let spec: [String: Any] = ["prompt_ids": g.prompt, "generated_ids": g.ids, "temperature": temperature,
                                       "top_k": topK ?? 0, "top_p": topP ?? 0]
            let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
            return try JSONDecoder().decode([Warped].self, from: try Self.runPython(python, [script, dir.file("model/last"), json]))
        }

        let topK = try generate(["--temperature", "0.8", "--top-k", "5", "--seed", "7"])
        #expect(topK.ids.count >= 8)
        let k = try warped(topK, temperature: 0.8, topK: 5, topP: nil)
        #expect(k.count == topK.ids.count && k.allSatisfy { $0.p > 0 && $0.kept == 5 }, "\(k)")
        #expect(k.contains { !$0.greedy })
        #expect(try generate(["--temperature", "0.8", "--top-k", "5", "--seed", "7"]).ids == topK.ids)

        let topP = try generate(["--temperature", "1.2", "--top-p", "0.5", "--seed", "7"])
        let p = try warped(topP, temperature: 1.2, topK: nil, topP: 0.5)
        #expect(p.count == topP.ids.count && p.allSatisfy { $0.p > 0 }, "\(p)")
        #expect(p.contains { !$0.greedy } && p.contains { $0.kept > 1 })

        let one = try generate(["--temperature", "1.0", "--seed", "1"]), two = try generate(["--temperature", "1.0", "--seed", "2"])
        #expect(one.ids.count >= 8 && two.ids.count >= 8)
        #expect(try generate(["--temperature", "1.0", "--seed", "1"]).text == one.text)
        #expect(one.text != two.text)
    }

    /// RAM in use now, in percent, as the hardware monitor reads it (/proc/meminfo).
    static func ramPercentNow() throws -> Double {
        let text = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        func kib(_ key: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(key + ":") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) }
        }
        let total = try #require(kib("MemTotal")), available = try #require(kib("MemAvailable"))
        return 100 * (total - available) / total
    }

    /// `hardware_monitoring.memory_threshold_stop_pct` below the RAM this machine is using
    /// stops the run after its first step: a clear error, a failed run, a resumable
    /// checkpoint as `last`; `--resume` with the threshold raised finishes it.
    @Test func theMemoryStopThresholdStopsARunCleanlyAndItResumes() throws {
        let dir = TempDir()
        try Self.tokenize(in: dir)
        let threshold = String(format: "%.3f", try Self.ramPercentNow() / 2)
        let common = ["--data", dir.file("data"), "--out", dir.file("model"), "--store", dir.file("s.db"), "--set", "model.preset=tiny",
                      "--set", "model.n_positions=32"]
        let stopped = try CLI.run(["train"] + common + ["--set", "training.max_steps=50",
                                   "--set", "hardware_monitoring.memory_threshold_warn_pct=\(threshold)",
                                   "--set", "hardware_monitoring.memory_threshold_stop_pct=\(threshold)"])
        #expect(stopped.status != 0)
        let message = try #require(stopped.stderr.firstMatch(of: /memory use [0-9.]+% reached hardware_monitoring.memory_threshold_stop_pct [0-9]+%: stopped cleanly with a checkpoint; free memory or lower training.batch_size, then --resume/))
        let runs = try CLI.run(["sql", "SELECT status, error FROM runs", "--store", dir.file("s.db"), "--format", "json"])
        let rows = try #require(try CLI.json(runs.stdout) as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["status"] as? String == "failed" && rows[0]["error"] as? String == String(message.0))
        let checkpoints = try CLI.run(["sql", "SELECT step FROM checkpoints", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(checkpoints.stdout == "step\r\n1\r\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("model/last")) == "step-000001")
        for file in ["model.safetensors", "training_state.json", "training_state.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("model/last/\(file)")), "\(file)")
        }

        let resumed = try CLI.run(["train"] + common + ["--resume", "latest", "--set", "training.max_steps=3",
                                   "--set", "hardware_monitoring.memory_threshold_warn_pct=100",
                                   "--set", "hardware_monitoring.memory_threshold_stop_pct=100"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at step 1"))
        let after = try CLI.run(["sql", "SELECT id, parent_run_id, status FROM runs ORDER BY id", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(after.stdout.contains("2,1,finished"))
        let steps = try CLI.run(["sql", "SELECT MIN(step) AS first, MAX(step) AS last FROM metric_history WHERE run_id = 2 AND key = 'train/loss'",
                                 "--store", dir.file("s.db"), "--format", "csv"])
        #expect(steps.stdout == "first,last\r\n2,3\r\n")
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
        try collector.finish()
        #expect(process.terminationStatus == 130)
        let killed = try CLI.run(["sql", "SELECT id, status FROM runs", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(killed.stdout.contains("1,killed"))
        let checkpoint = try CLI.run(["sql", "SELECT MAX(step) AS s FROM checkpoints WHERE run_id = 1", "--store", dir.file("s.db"), "--format", "csv"])
        let resumeStep = Int(checkpoint.stdout.split(separator: "\r\n")[1])!
        #expect(resumeStep >= 5)   // step 10's row may still be on its way when the signal lands
        #expect(FileManager.default.fileExists(atPath: dir.file(String(format: "model/step-%06d/model.safetensors", resumeStep))))

        // What a killed writer leaves: a half-written checkpoint of the process just killed
        // (dead), and one of a process still running, which must stay.
        let live = Process()
        live.executableURL = URL(fileURLWithPath: "/bin/sleep")
        live.arguments = ["600"]
        try live.run()
        defer { kill(live.processIdentifier, SIGKILL); live.waitUntilExit() }
        let dead = ".step-000099.partial-\(process.processIdentifier)", running = ".step-000098.partial-\(live.processIdentifier)"
        for name in [dead, running] {
            try FileManager.default.createDirectory(atPath: dir.file("model/\(name)"), withIntermediateDirectories: false)
            try Data("half".utf8).write(to: URL(fileURLWithPath: dir.file("model/\(name)/model.safetensors")))
        }

        let resumed = try CLI.run(["train"] + common + ["--resume", "latest", "--set", "training.max_steps=\(resumeStep + 3)"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at step \(resumeStep)"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.file("model")).filter { $0.contains(".partial-") }
        #expect(leftovers == [running])
        let runs = try CLI.run(["sql", "SELECT id, parent_run_id, status FROM runs ORDER BY id", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(runs.stdout.contains("2,1,finished"))
        let steps = try CLI.run(["sql", "SELECT MIN(step) AS first, MAX(step) AS last FROM metric_history WHERE run_id = 2 AND key = 'train/loss'",
                                 "--store", dir.file("s.db"), "--format", "csv"])
        #expect(steps.stdout.contains("\(resumeStep + 1),\(resumeStep + 3)"))
    }
}
