import Foundation
import Testing
import Torch
@testable import Training

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
        try Torch.manualSeed(7)
        let config = GPTConfig(vocabSize: 97, nPositions: 32, nEmbd: 48, nLayer: 3, nHead: 4)
        let model = try GPTModel(config: config)
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
}
