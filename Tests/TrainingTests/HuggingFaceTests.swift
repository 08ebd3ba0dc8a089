import Foundation
import TestSupport
import Testing
import Torch
@testable import Training
import TrainingPlan

extension LibtorchTests {
    /// Hugging Face loads the model directory as is and computes the same logits.
    @Suite struct HuggingFaceTests {
        static let script = #"""
        import json, sys, torch
        from transformers import GPT2LMHeadModel
        model_dir, tokens_json = sys.argv[1], sys.argv[2]
        model = GPT2LMHeadModel.from_pretrained(model_dir)
        model.eval()
        tokens = torch.tensor(json.loads(tokens_json), dtype=torch.long)
        with torch.no_grad():
            logits = model(tokens).logits
        print(json.dumps(logits.reshape(-1).tolist()))
        """#

        @Test(.tags(.slow)) func logitsMatchGPT2LMHeadModel() throws {
            let python = try trainPython()
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let config = GPTConfig(vocabSize: 97, nPositions: 32, nEmbd: 48, nLayer: 3, nHead: 4)
            let model = try GPTModel(config: config, seed: 7)
            // Random init has tiny LayerNorm/bias values of 1 and 0: perturb every parameter so a
            // layout or transposition mistake cannot hide behind symmetric values.
            var rng = SeededGenerator(seed: 3)
            for (index, info) in model.parameters.enumerated() {
                let values = try model.read(parameter: index).map { $0 + Float.random(in: -0.05...0.05, using: &rng) }
                try model.write(parameter: index, values)
                _ = info
            }
            try ModelDirectory.saveModel(model, to: dir)
            let tokens: [[Int64]] = [[5, 17, 96, 0, 42, 42, 13, 8, 77, 1, 2, 3], [9, 9, 9, 1, 50, 60, 70, 80, 90, 95, 96, 4]]
            let ours = try model.logits(tokens: tokens.flatMap { $0 }, batch: 2, time: 12)
            let script = dir.appendingPathComponent("check.py")
            try Self.script.write(to: script, atomically: true, encoding: .utf8)
            let json = String(decoding: try JSONEncoder().encode(tokens), as: UTF8.self)
            let output = try runProcess(python, [script.path, dir.path, json])
            let theirs = try JSONDecoder().decode([Float].self, from: Data(output.utf8))
            #expect(theirs.count == ours.count)
            let diff = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
            #expect(diff <= 1e-4, "max abs difference \(diff)")
        }

        static let stepScript = #"""
        import json, sys, torch
        import torch.nn.functional as F
        from safetensors.torch import load_file
        from transformers import GPT2LMHeadModel
        before, after, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        model = GPT2LMHeadModel.from_pretrained(before)
        model.train()
        params = list(model.parameters())
        decay = [p for p in params if p.dim() >= 2]
        rest = [p for p in params if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": spec["wd"]}, {"params": rest, "weight_decay": 0.0}],
                                lr=spec["lr"], betas=(0.9, 0.999), eps=1e-8)
        tokens = torch.tensor(spec["tokens"]).view(spec["batch"], -1)
        targets = torch.tensor(spec["targets"]).view(-1)
        out = []
        for _ in range(spec["steps"]):
            opt.zero_grad()
            logits = model(tokens).logits
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets, ignore_index=-1)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, spec["clip"])
            opt.step()
            out.append([loss.item(), norm.item()])
        ours = load_file(after + "/model.safetensors")
        theirs = model.state_dict()
        diff = max((ours[k] - theirs[k]).abs().max().item() for k in ours)
        print(json.dumps({"steps": out, "max_param_diff": diff}))
        """#

        /// Two AdamW steps (masked loss, backward, clipping, decay on matrices) give the losses,
        /// gradient norms and weights that PyTorch's AdamW gives on Hugging Face's model.
        @Test(.tags(.slow)) func trainingStepsMatchPyTorch() throws {
            let python = try trainPython()
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let model = try GPTModel(config: GPTConfig(vocabSize: 50, nPositions: 16, nEmbd: 32, nLayer: 2, nHead: 4, dropout: 0), seed: 11)
            let before = dir.appendingPathComponent("before"), after = dir.appendingPathComponent("after")
            try ModelDirectory.saveModel(model, to: before)
            var rng = SeededGenerator(seed: 9)
            let tokens = (0..<(2 * 10)).map { _ in Int64.random(in: 0..<50, using: &rng) }
            var targets = (0..<(2 * 10)).map { _ in Int64.random(in: 0..<50, using: &rng) }
            targets[17] = -1; targets[18] = -1; targets[19] = -1   // padding at the end of the second row
            let optimizer = try AdamW(model: model, weightDecay: 0.1)
            try model.setTraining(true)
            var ours: [[Double]] = []
            for _ in 0..<2 {
                let r = try optimizer.step(tokens: tokens, targets: targets, microBatches: 1, batch: 2, time: 10, learningRate: 1e-2, maxGradNorm: 0.5)
                ours.append([r.loss, r.gradNorm])
            }
            try ModelDirectory.saveModel(model, to: after)
            let spec = #"{"lr": 0.01, "wd": 0.1, "clip": 0.5, "steps": 2, "batch": 2, "tokens": \#(tokens), "targets": \#(targets)}"#
            let script = dir.appendingPathComponent("step.py")
            try Self.stepScript.write(to: script, atomically: true, encoding: .utf8)
            let output = try runProcess(python, [script.path, before.path, after.path, spec])
            struct Reply: Decodable { let steps: [[Double]]; let max_param_diff: Double }
            let reply = try JSONDecoder().decode(Reply.self, from: Data(output.utf8))
            for (a, b) in zip(ours, reply.steps) {
                #expect(abs(a[0] - b[0]) < 1e-4, "loss \(a[0]) vs \(b[0])")
                #expect(abs(a[1] - b[1]) < 1e-4 * max(1, b[1]), "grad norm \(a[1]) vs \(b[1])")
            }
            #expect(ours[0][1] > 0.5)   // the clip is exercised
            // Adam's m / sqrt(v) turns float rounding in near-zero gradients into updates of up
            // to lr × 1e-3 here; a wrong gradient or update moves a weight by ~lr = 1e-2.
            #expect(reply.max_param_diff < 1e-4, "max parameter difference \(reply.max_param_diff)")
        }
    }
}
