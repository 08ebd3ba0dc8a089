import Foundation
import TestSupport
import Testing
import Torch
@testable import Training

extension LibtorchTests {
    @Suite struct DataTests {
        @Test func tokenFileRoundTripsAndMasksPadding() throws {
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("train.bin")
            try writeTokenFile(url, sequences: [[1, 2, 3, 4], [5, 6, 0, 0]], sequenceLength: 4, vocabSize: 70_000,
                               lastValid: 2, bytesPerToken: 4)
            let file = try MappedTokenFile(url: url)
            #expect(file.header.vocabularySize == 70_000 && file.sequenceCount == 2 && file.validTokens(ofSequence: 1) == 2)
            var batch = Batch()
            batch.append(sequence: 0, of: file)
            batch.append(sequence: 1, of: file)
            #expect(batch.tokens == [1, 2, 3, 5, 6, 0])
            #expect(batch.targets == [2, 3, 4, 6, -1, -1])
            #expect(batch.realTokens == 4)
        }

        @Test func badFilesGiveClearErrors() throws {
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(throws: TrainingError.badDataset("\(dir.path)/train.bin does not exist: run `blocklab tokenize` first, or pass --data DIR with train.bin and val.bin")) {
                try TrainingData(directory: dir)
            }
            try Data().write(to: dir.appendingPathComponent("train.bin"))
            #expect(throws: TrainingError.badDataset("\(dir.path)/train.bin is not a valid BlockLab token file: it is shorter than the 64-byte header. Rebuild it with `blocklab tokenize`.")) {
                try TrainingData(directory: dir)
            }
            try writeTokenFile(dir.appendingPathComponent("train.bin"), sequences: [], sequenceLength: 8, vocabSize: 10)
            #expect(throws: TrainingError.badDataset("\(dir.path)/train.bin holds no sequences: the dataset is empty (tokenize more history, or a larger --validation-fraction for val.bin)")) {
                try TrainingData(directory: dir)
            }
        }

        @Test func epochOrderIsAPermutationFixedBySeedAndEpoch() {
            let a = epochOrder(sequences: 50, seed: 42, epoch: 0)
            #expect(a.sorted() == Array(0..<50))
            #expect(a == epochOrder(sequences: 50, seed: 42, epoch: 0))
            #expect(a != epochOrder(sequences: 50, seed: 42, epoch: 1))
            #expect(a != epochOrder(sequences: 50, seed: 43, epoch: 0))
        }

        @Test func safetensorsHeaderParsesAndNamesMatchGPT2() throws {
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let model = try GPTModel(config: GPTConfig(vocabSize: 11, nPositions: 8, nEmbd: 8, nLayer: 2, nHead: 2), seed: 1)
            try ModelDirectory.saveModel(model, to: dir)
            let header = try SafeTensors.header(of: dir.appendingPathComponent("model.safetensors"))
            var expected: [String: [Int]] = ["transformer.wte.weight": [11, 8], "transformer.wpe.weight": [8, 8],
                                             "transformer.ln_f.weight": [8], "transformer.ln_f.bias": [8]]
            for i in 0..<2 {
                let p = "transformer.h.\(i)."
                expected[p + "ln_1.weight"] = [8]; expected[p + "ln_1.bias"] = [8]
                expected[p + "attn.c_attn.weight"] = [8, 24]; expected[p + "attn.c_attn.bias"] = [24]
                expected[p + "attn.c_proj.weight"] = [8, 8]; expected[p + "attn.c_proj.bias"] = [8]
                expected[p + "ln_2.weight"] = [8]; expected[p + "ln_2.bias"] = [8]
                expected[p + "mlp.c_fc.weight"] = [8, 32]; expected[p + "mlp.c_fc.bias"] = [32]
                expected[p + "mlp.c_proj.weight"] = [32, 8]; expected[p + "mlp.c_proj.bias"] = [8]
            }
            #expect(header.entries.mapValues(\.shape) == expected)
            #expect(header.entries.values.allSatisfy { $0.dtype == "F32" })
            #expect(header.metadata == ["format": "pt"])
            #expect(header.dataStart % 8 == 0)
            // Offsets tile the data without gaps.
            let spans = header.entries.values.map(\.offsets).sorted { $0[0] < $1[0] }
            #expect(spans.first?[0] == 0)
            #expect(zip(spans, spans.dropFirst()).allSatisfy { $0[1] == $1[0] })
            // And the weights load back unchanged.
            let again = try ModelDirectory.loadModel(from: dir)
            for i in model.parameters.indices { #expect(try again.read(parameter: i) == model.read(parameter: i)) }
        }
    }
}
