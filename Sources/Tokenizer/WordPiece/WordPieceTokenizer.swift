import Foundation

/// BERT's tokenizer, with the ids Hugging Face's `BertTokenizerFast` gives: special tokens
/// written in the text (`[CLS]`, `[SEP]`, ...) are matched first, exactly as written; the
/// rest is normalised (`BertNormalizer`), split into words (`BertPreTokenizer`), and each
/// word becomes its longest vocabulary prefix, then `##`-prefixed pieces, greedily. A word
/// with no such split, or longer than `maxInputCharsPerWord` scalars, is one `[UNK]`.
/// Immutable and thread-safe.
///
///     let tokenizer = try WordPieceTokenizer.load(directory: modelDirectory)
///     let ids = tokenizer.encode("Fix the parser")   // [9699, 1996, 11968, 8043]: no [CLS]/[SEP]
///
/// Left out: the `[CLS] ... [SEP]` template and truncation; callers add them per window.
public final class WordPieceTokenizer: Sendable {
    /// `tokens[id]`, as in vocab.txt.
    public let tokens: [String]
    public let normalizer: BertNormalizer
    public let maxInputCharsPerWord: Int
    public let unknownID: Int32
    public let clsID: Int32
    public let sepID: Int32
    public let padID: Int32
    /// The longest input the model was trained with, from tokenizer_config.json.
    public let modelMaxLength: Int?

    let ids: [String: Int32]
    /// Special tokens matched in raw text, longest first.
    let specials: [(scalars: [Unicode.Scalar], id: Int32)]
    static let continuingPrefix = "##"

    public struct SpecialTokens: Sendable {
        public var unknown = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", mask = "[MASK]"
        public init() {}
    }

    public init(vocabulary: [String], normalizer: BertNormalizer = BertNormalizer(), specials: SpecialTokens = SpecialTokens(),
                maxInputCharsPerWord: Int = 100, modelMaxLength: Int? = nil) throws {
        var ids: [String: Int32] = [:]
        for (index, token) in vocabulary.enumerated() where ids[token] == nil { ids[token] = Int32(index) }
        func id(_ token: String, _ role: String) throws -> Int32 {
            guard let id = ids[token] else {
                throw TokenizerError("the vocabulary has no \(role) token '\(token)': use the vocab.txt that came with the model")
            }
            return id
        }
        self.tokens = vocabulary
        self.ids = ids
        self.normalizer = normalizer
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.modelMaxLength = modelMaxLength
        unknownID = try id(specials.unknown, "unknown")
        clsID = try id(specials.cls, "[CLS]")
        sepID = try id(specials.sep, "[SEP]")
        padID = try id(specials.pad, "padding")
        var found: [(scalars: [Unicode.Scalar], id: Int32)] = []
        for token in Set([specials.unknown, specials.cls, specials.sep, specials.pad, specials.mask]) {
            if let id = ids[token] { found.append((Array(token.unicodeScalars), id)) }
        }
        self.specials = found.sorted { $0.scalars.count > $1.scalars.count }
    }

    /// The ids of `text`, without `[CLS]` and `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        let scalars = text.unicodeScalars
        var segmentStart = scalars.startIndex
        var index = scalars.startIndex
        // Special tokens are split off the raw text first (Hugging Face's added tokens).
        while index < scalars.endIndex {
            if scalars[index] == "[", let (id, end) = special(at: index, in: scalars) {
                encodePlain(scalars[segmentStart..<index], into: &out)
                out.append(id)
                index = end
                segmentStart = end
            } else {
                index = scalars.index(after: index)
            }
        }
        encodePlain(scalars[segmentStart..<scalars.endIndex], into: &out)
        return out
    }

    private func special(at index: String.UnicodeScalarView.Index, in scalars: String.UnicodeScalarView)
        -> (Int32, String.UnicodeScalarView.Index)? {
        for special in specials {
            var i = index
            var matched = true
            for expected in special.scalars {
                guard i < scalars.endIndex, scalars[i] == expected else { matched = false; break }
                i = scalars.index(after: i)
            }
            if matched { return (special.id, i) }
        }
        return nil
    }

    private func encodePlain(_ text: Substring.UnicodeScalarView, into out: inout [Int32]) {
        guard !text.isEmpty else { return }
        let normalized = normalizer.normalize(text)
        BertPreTokenizer.forEachWord(in: normalized) { range in
            encodeWord(normalized[range], into: &out)
        }
    }

    /// Greedy longest-match-first over the word's scalars.
    func encodeWord(_ word: ArraySlice<Unicode.Scalar>, into out: inout [Int32]) {
        if word.count > maxInputCharsPerWord { out.append(unknownID); return }
        let mark = out.count
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int32?
            while end > start {
                var piece = start == word.startIndex ? "" : Self.continuingPrefix
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = ids[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(mark...)
                out.append(unknownID)
                return
            }
            out.append(id)
            start = end
        }
    }

    /// `encode` of every text, spread over `threads` threads; results in input order.
    public func encodeBatch(_ texts: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Int32]] {
        var results = [[Int32]](repeating: [], count: texts.count)
        let workers = max(1, min(threads, texts.count))
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer  // each index is written by exactly one worker
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: texts.count, by: workers) { out[index] = encode(texts[index]) }
            }
        }
        return results
    }

    /// The tokens of `ids`, for display and tests.
    public func tokens(of ids: [Int32]) -> [String] { ids.map { tokens[Int($0)] } }
}
