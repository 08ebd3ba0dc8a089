import Dispatch
import Foundation
import Torch

/// What one `TextEmbedder.embed` call did.
public struct EmbeddingStats: Codable, Sendable, Equatable {
    public var texts = 0
    /// Windows encoded (a text longer than the model's input has several; see `TextWindows`).
    public var windows = 0
    /// Texts that needed more than one window.
    public var longTexts = 0
    /// Word pieces encoded, [CLS] and [SEP] included, padding not.
    public var tokens = 0
    /// Padding positions encoded (batching by length keeps this small).
    public var paddingTokens = 0
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case texts, windows, longTexts = "long_texts", tokens, paddingTokens = "padding_tokens", seconds
    }
}

/// Turns texts into unit vectors with a `SentenceModel`, on all cores: texts are tokenized
/// in parallel, cut into windows (`TextWindows`), and the windows of all texts are sorted by
/// length and encoded in batches of `batchSize`, so each batch pads to nearly nothing;
/// libtorch spreads each batch over `threads` cores.
public final class TextEmbedder {
    public let model: SentenceModel
    public let batchSize: Int
    public let threads: Int
    public private(set) var stats = EmbeddingStats()

    public init(model: SentenceModel, batchSize: Int = 32, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        precondition(batchSize >= 1 && threads >= 1)
        self.model = model
        self.batchSize = batchSize
        self.threads = threads
    }

    /// One vector of `model.dimension` floats per text, in order. `progress(done, total)` is
    /// called as texts complete. After each batch, `completed` gets the texts whose last
    /// window it held, as (index, final vector), so a caller can keep finished work before the
    /// whole call ends; what `completed` throws stops the embedding.
    public func embed(_ texts: [String], progress: (Int, Int) -> Void = { _, _ in },
                      completed: ([(index: Int, vector: [Float])]) throws -> Void = { _ in }) throws -> [[Float]] {
        let start = DispatchTime.now()
        try Torch.setThreads(threads)
        // Batches come longest first, so each one's tensors fit in the blocks the previous one
        // freed: cached, they are reused instead of being mapped and zeroed by the kernel anew
        // (page faults were ~10% of the time). Room for a few (batch, heads, time, time) scores.
        let heads = model.config.numAttentionHeads, longest = model.maxSequenceLength
        try Torch.useCachingAllocator(limit: Int64(max(256 << 20, 4 * batchSize * heads * longest * longest * 4)))
        defer { Torch.releaseCachedMemory() }
        let pieces = model.tokenizer.encodeBatch(texts, threads: threads)
        let content = model.maxSequenceLength - 2
        struct Window { let text: Int; let ids: ArraySlice<Int32> }
        var windows: [Window] = []
        var remaining = [Int](repeating: 0, count: texts.count)
        for (index, ids) in pieces.enumerated() {
            let starts = TextWindows.starts(count: ids.count, content: content)
            remaining[index] = starts.count
            for s in starts { windows.append(Window(text: index, ids: ids[s..<min(ids.count, s + content)])) }
        }
        // Longest first: the first batch shows the worst case for memory at once.
        windows.sort { $0.ids.count != $1.ids.count ? $0.ids.count > $1.ids.count : $0.text < $1.text }

        let dimension = model.dimension
        var sums = [[Float]](repeating: [Float](repeating: 0, count: dimension), count: texts.count)
        var done = 0
        var run = EmbeddingStats(texts: texts.count, windows: windows.count,
                                 longTexts: remaining.filter { $0 > 1 }.count)
        for batchStart in stride(from: 0, to: windows.count, by: batchSize) {
            let batch = windows[batchStart..<min(windows.count, batchStart + batchSize)]
            let time = batch.map(\.ids.count).max()! + 2
            var tokens = [Int64](repeating: Int64(model.tokenizer.padID), count: batch.count * time)
            var lengths: [Int64] = []
            for (row, window) in batch.enumerated() {
                let base = row * time
                tokens[base] = Int64(model.tokenizer.clsID)
                for (offset, id) in window.ids.enumerated() { tokens[base + 1 + offset] = Int64(id) }
                tokens[base + 1 + window.ids.count] = Int64(model.tokenizer.sepID)
                lengths.append(Int64(window.ids.count + 2))
            }
            run.tokens += Int(lengths.reduce(0, +))
            run.paddingTokens += batch.count * time - Int(lengths.reduce(0, +))
            let vectors = try model.encoder.embed(tokens: tokens, lengths: lengths, time: time, pooling: model.pooling,
                                                  normalize: model.normalizes)
            var finished: [(index: Int, vector: [Float])] = []
            for (row, window) in batch.enumerated() {
                for d in 0..<dimension { sums[window.text][d] += vectors[row * dimension + d] }
                remaining[window.text] -= 1
                if remaining[window.text] == 0 {
                    done += 1
                    sums[window.text] = Self.unit(sums[window.text])
                    finished.append((window.text, sums[window.text]))
                }
            }
            progress(done, texts.count)
            if !finished.isEmpty { try completed(finished) }
        }
        run.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        stats = run
        return sums  // each scaled to unit length when its last window was added
    }

    /// `vector` scaled to unit L2 norm (a zero vector stays zero).
    static func unit(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
