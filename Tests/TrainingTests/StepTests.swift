import Foundation
import TestSupport
import Testing
import Torch
@testable import Training
import TrainingPlan

extension LibtorchTests {
    @Suite struct StepTests {
        /// Two micro-batches of 2 give the same step as one batch of 4 (no dropout, no padding).
        @Test func gradientAccumulationEqualsABiggerBatch() throws {
            var rng = SeededGenerator(seed: 4)
            let tokens = (0..<(4 * 8)).map { _ in Int64.random(in: 0..<30, using: &rng) }
            let targets = (0..<(4 * 8)).map { _ in Int64.random(in: 0..<30, using: &rng) }
            func run(microBatches: Int, batch: Int) throws -> (StepResult, [Float]) {
                let model = try GPTModel(config: GPTConfig(vocabSize: 30, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2, dropout: 0), seed: 3)
                let optimizer = try AdamW(model: model)
                let r = try optimizer.step(tokens: tokens, targets: targets, microBatches: microBatches, batch: batch, time: 8,
                                           learningRate: 1e-3, maxGradNorm: 0)
                return (r, try model.read(parameter: 2))
            }
            let (a, pa) = try run(microBatches: 2, batch: 2)
            let (b, pb) = try run(microBatches: 1, batch: 4)
            #expect(abs(a.loss - b.loss) < 1e-5)
            #expect(abs(a.gradNorm - b.gradNorm) < 1e-5)
            #expect(zip(pa, pb).map { abs($0 - $1) }.max()! < 1e-6)
        }

        @Test func greedyTakesTheMostLikelyToken() {
            var rng = SeededGenerator(seed: 1)
            var greedy = SamplingOptions()
            greedy.temperature = 0
            #expect(Generator.sample([0.1, 2.0, -1.0, 1.9, 0.0], options: greedy, using: &rng) == 1)
        }

        /// Hugging Face's temperature, top-k and top-p warpers on the same logits, then softmax.
        static let warperScript = #"""
        import json, sys, torch
        from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
        spec = json.loads(sys.argv[1])
        out = []
        for case in spec["cases"]:
            scores = torch.tensor([spec["logits"]], dtype=torch.float64)
            ids = torch.tensor([[0]])
            scores = TemperatureLogitsWarper(float(case["temperature"]))(ids, scores)
            if case["top_k"]: scores = TopKLogitsWarper(top_k=case["top_k"])(ids, scores)
            if case["top_p"]: scores = TopPLogitsWarper(top_p=float(case["top_p"]))(ids, scores)
            out.append(torch.softmax(scores, dim=-1)[0].tolist())
        print(json.dumps(out))
        """#

        /// Temperature, top-k and top-p give Hugging Face's distribution for the same logits,
        /// and draws follow it: every token in proportion (within 5 standard deviations over
        /// 20,000 draws), none outside it. One seed gives one sequence; another, another.
        @Test(.tags(.slow)) func samplingFollowsHuggingFacesWarpedDistribution() throws {
            let python = try trainPython()
            // Multiples of 1/64: the same numbers in float32 and float64; no ties.
            let logits: [Float] = [0.25, 2.0, -1.0, 1.875, 0.0, 1.0, -0.5, 1.5, 0.5, -2.0, 0.75, 1.25]
            struct Case { let temperature: Double; let topK: Int?; let topP: Double? }
            let cases = [Case(temperature: 1, topK: nil, topP: nil), Case(temperature: 0.7, topK: 3, topP: nil),
                         Case(temperature: 1.3, topK: nil, topP: 0.8), Case(temperature: 0.9, topK: 6, topP: 0.7),
                         Case(temperature: 2.5, topK: nil, topP: 0.5)]
            let spec: [String: Any] = ["logits": logits.map(Double.init), "cases": cases.map {
                ["temperature": $0.temperature, "top_k": $0.topK ?? 0, "top_p": $0.topP ?? 0] as [String: Any] }]
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let script = dir.appendingPathComponent("warpers.py")
            try Self.warperScript.write(to: script, atomically: true, encoding: .utf8)
            let output = try runProcess(python, [script.path, String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)])
            let theirs = try JSONDecoder().decode([[Double]].self, from: Data(output.utf8))
            #expect(theirs.count == cases.count)
            for (c, expected) in zip(cases, theirs) {
                var options = SamplingOptions()
                options.temperature = c.temperature
                options.topK = c.topK
                options.topP = c.topP
                var ours = [Double](repeating: 0, count: logits.count)
                for (token, probability) in Generator.distribution(logits, options: options) { ours[token] = probability }
                for token in logits.indices {
                    #expect(abs(ours[token] - expected[token]) < 1e-9, "T \(c.temperature) k \(c.topK ?? 0) p \(c.topP ?? 0): token \(token) \(ours[token]) vs \(expected[token])")
                }
                #expect(expected.filter { $0 > 0 }.count > 1)   // each case really samples
                let n = 20_000
                var rng = SeededGenerator(seed: 5)
                var counts = [Int](repeating: 0, count: logits.count)
                for _ in 0..<n { counts[Generator.sample(logits, options: options, using: &rng)] += 1 }
                for token in logits.indices {
                    let p = expected[token], share = Double(counts[token]) / Double(n)
                    if p == 0 { #expect(counts[token] == 0, "token \(token) is outside the distribution") }
                    else { #expect(abs(share - p) <= 5 * (p * (1 - p) / Double(n)).squareRoot(), "token \(token): drawn \(share), expected \(p)") }
                }
                var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), other = SeededGenerator(seed: 10)
                let first = (0..<64).map { _ in Generator.sample(logits, options: options, using: &a) }
                #expect(first == (0..<64).map { _ in Generator.sample(logits, options: options, using: &b) })
                #expect(first != (0..<64).map { _ in Generator.sample(logits, options: options, using: &other) })
            }
        }
    }
}
