import Foundation
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
                try Torch.manualSeed(3)
                let model = try GPTModel(config: GPTConfig(vocabSize: 30, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2, dropout: 0))
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

        @Test func samplingRules() {
            let logits: [Float] = [0.1, 2.0, -1.0, 1.9, 0.0]
            var rng = SeededGenerator(seed: 1)
            var greedy = SamplingOptions()
            greedy.temperature = 0
            #expect(Generator.sample(logits, options: greedy, using: &rng) == 1)
            var topK = SamplingOptions()
            topK.topK = 2
            let drawn = Set((0..<200).map { _ in Generator.sample(logits, options: topK, using: &rng) })
            #expect(drawn == [1, 3])                       // only the two most likely
            var topP = SamplingOptions()
            topP.topP = 0.01
            #expect((0..<50).allSatisfy { _ in Generator.sample(logits, options: topP, using: &rng) == 1 })
            var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
            let first = (0..<20).map { _ in Generator.sample(logits, options: SamplingOptions(), using: &a) }
            #expect(first == (0..<20).map { _ in Generator.sample(logits, options: SamplingOptions(), using: &b) })
            #expect(Set(first).count > 1)                   // temperature 1 really samples
        }
    }
}
