import Foundation
import TestSupport
import Testing

/// The package's integrations, run for real: the W&B script shape, the PyTorch example and
/// the Hugging Face callback on a tiny model trained a few steps (torch and transformers
/// from scripts/setup/python.sh).
@Suite struct PythonIntegrationTests {
    @Test func theWandBScriptShapeRunsUnchanged() throws {
        let dir = TempDir()
        let result = try Python.run("""
            import blocklab.compat.wandb as wandb
            wandb.init(project="mnist", name="baseline", config={"lr": 1e-3, "epochs": 2}, tags=["cnn"], notes="first")
            print("lr", wandb.config.lr, wandb.config["epochs"])
            wandb.config.batch_size = 64
            for step in range(5):
                wandb.log({"loss": 1.0 / (step + 1)}, commit=False)
                wandb.log({"acc": step / 5})
            wandb.finish()
            wandb.init(project="mnist", name="broken")
            wandb.log({"loss": 9.0})
            wandb.finish(exit_code=1)
            """, in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("lr 0.001 2\n"), "\(result.stdout)")
        let store = dir.file("s.db")
        #expect(try Python.query(store, "SELECT name, experiment, status, COALESCE(note, ''), COALESCE(error, '') FROM runs ORDER BY id")
            == ["baseline,mnist,finished,first,", "broken,mnist,failed,,exit code 1"])
        #expect(try Python.query(store, "SELECT key, value FROM tags WHERE run_id = 1 ORDER BY key") == ["cnn,", "config.batch_size,64"])
        #expect(try Python.query(store, """
            SELECT k.key, group_concat(m.step) FROM metrics m JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = 1 GROUP BY k.key ORDER BY k.key
            """) == ["acc,\"0,1,2,3,4\"", "loss,\"0,1,2,3,4\""])
        #expect(try Python.query(store, "SELECT json_extract(resolved_json, '$.epochs') FROM config_snapshots WHERE run_id = 1") == ["2"])
    }

    @Test func thePyTorchExampleRunsEndToEnd() throws {
        guard let python = Python.requireTorch() else { return }
        let dir = TempDir()
        let example = URL(fileURLWithPath: Python.packageRoot).deletingLastPathComponent().appendingPathComponent("examples/pytorch_train.py").path
        let script = try String(contentsOfFile: example, encoding: .utf8)
        let result = try Python.run(script, in: dir, python: python, arguments: ["--steps", "100", "--out", dir.file("ckpt")],
                                    within: .seconds(600))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("best val/loss"), "\(result.stdout)")
        let store = dir.file("s.db")
        #expect(try Python.query(store, "SELECT name, status FROM runs") == ["sine-mlp,finished"])
        #expect(try Python.query(store, """
            SELECT k.key, COUNT(*) FROM metrics m JOIN metric_keys k ON k.id = m.key_id GROUP BY k.key ORDER BY k.key
            """) == ["train/loss,100", "train/lr,100", "val/loss,2"])
        let best = try Python.query(store, "SELECT format, is_best, bytes > 0 FROM checkpoints")
        #expect(!best.isEmpty && best.allSatisfy { $0 == "pt,1,1" }, "\(best)")
        #expect(try Python.query(store, "SELECT COUNT(*) FROM console_lines WHERE line LIKE 'step 99: train %'") == ["1"])
    }

    /// A tiny GPT-2 (one layer, 16 wide) trained 6 steps by the Trainer, logging every 2,
    /// evaluating and saving every 3; then one whose data raises at step 4.
    @Test func theHuggingFaceCallbackRecordsATrainerRun() throws {
        guard let python = Python.requireTorch() else { return }
        let dir = TempDir()
        let common = """
            import torch
            from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments
            from blocklab.integrations.transformers import BlockLabCallback
            torch.manual_seed(0)

            class Data(torch.utils.data.Dataset):
                def __init__(self, n, bad=None):
                    self.n, self.bad = n, bad
                def __len__(self):
                    return self.n
                def __getitem__(self, i):
                    if self.bad is not None and i == self.bad:
                        raise ValueError(f"bad example {i}")
                    ids = torch.randint(0, 64, (8,))
                    return {"input_ids": ids, "labels": ids}

            def trainer(output, data, name):
                model = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=16, n_embd=16, n_layer=1, n_head=2))
                args = TrainingArguments(output_dir=output, max_steps=6, per_device_train_batch_size=2, logging_steps=2,
                                         evaluation_strategy="steps", eval_steps=3, save_steps=3, report_to="none",
                                         use_cpu=True, dataloader_num_workers=0, learning_rate=1e-3)
                return Trainer(model=model, args=args, train_dataset=data, eval_dataset=Data(4),
                               callbacks=[BlockLabCallback(name=name)])

            """
        let good = try Python.run(common + "trainer('out', Data(12), 'tiny').train()\n", in: dir, python: python,
                                  within: .seconds(600))
        #expect(good.status == 0, "\(good.stderr)")
        let bad = try Python.run(common + "trainer('out2', Data(12, bad=7), 'tiny-bad').train()\n", in: dir, name: "bad.py",
                                 python: python, within: .seconds(600))
        #expect(bad.status == 1, "\(bad.stderr)")
        let store = dir.file("s.db")
        #expect(try Python.query(store, "SELECT name, status, COALESCE(error, '') FROM runs ORDER BY id")
            == ["tiny,finished,", "tiny-bad,failed,ValueError: bad example 7"])
        #expect(try Python.query(store, """
            SELECT k.key, group_concat(m.step) FROM metrics m JOIN metric_keys k ON k.id = m.key_id
            WHERE m.run_id = 1 AND k.key IN ('train/loss', 'eval/loss', 'train/learning_rate') GROUP BY k.key ORDER BY k.key
            """) == ["eval/loss,\"3,6\"", "train/learning_rate,\"2,4,6\"", "train/loss,\"2,4,6\""])
        #expect(try Python.query(store, "SELECT COUNT(*) FROM metrics WHERE run_id = 1 AND epoch IS NOT NULL AND epoch > 0") != ["0"])
        #expect(try Python.query(store, "SELECT step, format, path LIKE '%/out/checkpoint-' || step, bytes > 0 FROM checkpoints WHERE run_id = 1 ORDER BY step")
            == ["3,huggingface,1,1", "6,huggingface,1,1"])
        #expect(try Python.query(store, """
            SELECT json_extract(resolved_json, '$.args.max_steps'), json_extract(resolved_json, '$.model.n_embd')
            FROM config_snapshots WHERE run_id = 1
            """) == ["6,16"])
    }
}
