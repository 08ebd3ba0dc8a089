import Embedding
import Foundation
import TestSupport
import QdrantTestSupport
import Testing
import Tokenizer

extension EncoderTests {
    /// BlockLab's vectors against sentence-transformers' on the same model and the same
    /// documented windows (scripts/bench/embed_peers.py, mode encode).
    @Suite(.tags(.model)) struct ReferenceTests {
        @Test func vectorsMatchSentenceTransformers() throws {
            let python = try embeddingPython()
            let model = try SentenceModel.load(directory: try modelDirectory())
            #expect(model.dimension == 384 && model.maxSequenceLength == 256 && model.pooling == .mean && model.normalizes)
            let directory = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let textsFile = directory.appendingPathComponent("texts.json")
            try JSONSerialization.data(withJSONObject: referenceCorpus).write(to: textsFile)
            _ = try runProcess(python, [repositoryRoot.appendingPathComponent("scripts/bench/embed_peers.py").path, "encode",
                                        "--model", model.directory.path, "--texts", textsFile.path,
                                        "--out", directory.appendingPathComponent("st.f32").path,
                                        "--ids-out", directory.appendingPathComponent("ids.json").path])
            let theirIDs = try JSONDecoder().decode([[Int32]].self, from: Data(contentsOf: directory.appendingPathComponent("ids.json")))
            let raw = try Data(contentsOf: directory.appendingPathComponent("st.f32"))
            let theirs = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let embedder = TextEmbedder(model: model, batchSize: 4)
            let ours = try embedder.embed(referenceCorpus)
            #expect(embedder.stats.longTexts >= 3, "the corpus must exercise windows")
            // Both sides run the same libtorch (Debian's 1.13 and its BLAS) on the same ids and
            // windows, so the vectors differ only by float32 rounding of sums taken in another
            // order: measured here, the lowest cosine over the corpus is 0.99999992 (the vectors'
            // norms are 1 within ~1e-7). 1 - 1e-6 leaves that a margin; a real difference in
            // the model (a layer norm's epsilon, pooling, a window) falls below it.
            var lowest = 1.0
            for (index, vector) in ours.enumerated() {
                #expect(model.tokenizer.encode(referenceCorpus[index]) == theirIDs[index], "ids of text \(index)")
                let reference = theirs[(index * 384)..<((index + 1) * 384)]
                let cosine = zip(vector, reference).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                #expect(cosine >= 1 - 1e-6, "text \(index): cosine \(cosine)")
                #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
                lowest = min(lowest, cosine)
            }
            print("lowest cosine vs sentence-transformers: \(lowest)")
        }

        /// Batching must not change a vector: one text alone and in a batch with longer ones.
        @Test func batchingByLengthChangesNothing() throws {
            let model = try SentenceModel.load(directory: try modelDirectory())
            let texts = Array(referenceCorpus.prefix(8)) + [referenceCorpus.last!]
            let alone = try TextEmbedder(model: model, batchSize: 1).embed(texts)
            let batched = try TextEmbedder(model: model, batchSize: 16).embed(texts)
            for (a, b) in zip(alone, batched) {
                #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
            }
        }
    }
}
