import Foundation

/// A byte-level BPE tokenizer compatible with GPT-2 and Hugging Face `tokenizers`: GPT-2's
/// pre-tokenization and byte-to-unicode mapping, merges applied lowest rank first, and
/// added (special) tokens recognised in the text before anything else, leftmost-longest.
/// Immutable and thread-safe; each thread that encodes a lot should use its own
/// `BPEEncoder` (`makeEncoder()`), which keeps a cache of encoded words.
///
///     let tokenizer = try BPETokenizer.load(directory: "out/tokenizer")
///     let ids = tokenizer.encode("let x = 1<|endoftext|>")
///     let text = try tokenizer.decode(ids)
///
/// Left out: normalizers, dropout, unknown tokens and `lstrip`/`rstrip` on added tokens.
public final class BPETokenizer: Sendable {
    /// `tokens[id]`: the vocabulary string (byte-level characters; added tokens as written).
    public let tokens: [String]
    /// The merges in rank order, as pairs of token ids.
    public let merges: [(left: Int, right: Int)]
    /// Added tokens (the specials), matched in text as single unsplittable tokens.
    public let addedTokens: [AddedToken]
    /// Hugging Face's `ignore_merges`: a pre-token that is a whole vocabulary entry is
    /// emitted as that entry without applying merges.
    public let ignoreMerges: Bool

    let tokenBytes: [[UInt8]]
    let pairTable: PairTable
    let byteIDs: [Int32]  // id of each single byte, or -1 when the vocabulary lacks it
    let specials: [(bytes: [UInt8], id: Int32)]  // longest first
    let specialFirstByte: [Bool]
    let idsByString: [String: Int]

    public struct AddedToken: Sendable, Equatable {
        public var id: Int
        public var content: String
        public var special: Bool
        public init(id: Int, content: String, special: Bool = true) {
            self.id = id; self.content = content; self.special = special
        }
    }

    /// Builds a tokenizer from its parts; `merges` are pairs of vocabulary strings.
    /// Throws when a merge names a string the vocabulary lacks, or ids are not 0..<count.
    public init(vocabulary: [String: Int], merges mergeStrings: [(String, String)],
                addedTokens: [AddedToken], ignoreMerges: Bool = false) throws {
        var all = vocabulary
        for added in addedTokens where all[added.content] == nil {
            all[added.content] = added.id
        }
        var tokens = [String?](repeating: nil, count: all.count)
        for (token, id) in all {
            guard id >= 0, id < all.count, tokens[id] == nil else {
                throw TokenizerError("vocabulary ids must be 0..<\(all.count) with no repeats; '\(token)' has id \(id). Fix or regenerate the tokenizer files.")
            }
            tokens[id] = token
        }
        self.tokens = tokens.map { $0! }
        self.addedTokens = addedTokens.sorted { $0.id < $1.id }
        self.ignoreMerges = ignoreMerges
        self.idsByString = all

        let addedIDs = Set(addedTokens.map(\.id))
        var tokenBytes: [[UInt8]] = []
        tokenBytes.reserveCapacity(self.tokens.count)
        for (id, token) in self.tokens.enumerated() {
            if addedIDs.contains(id) { tokenBytes.append(Array(token.utf8)); continue }
            tokenBytes.append(ByteLevel.decode(token) ?? Array(token.utf8))
        }
        self.tokenBytes = tokenBytes

        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = all[String(Character(ByteLevel.scalars[byte]))], !addedIDs.contains(id) {
                byteIDs[byte] = Int32(id)
            }
        }
        self.byteIDs = byteIDs

        var merges: [(left: Int, right: Int)] = []
        var table: [(left: Int, right: Int, merged: Int)] = []
        merges.reserveCapacity(mergeStrings.count)
        for (line, (left, right)) in mergeStrings.enumerated() {
            guard let l = all[left], let r = all[right], let m = all[left + right] else {
                throw TokenizerError("merge \(line + 1) ('\(left) \(right)') names a token missing from the vocabulary. The tokenizer files are corrupt or do not belong together.")
            }
            merges.append((l, r))
            table.append((l, r, m))
        }
        self.merges = merges
        self.pairTable = PairTable(merges: table)

        let specials = addedTokens.filter { !$0.content.isEmpty }
            .map { (bytes: Array($0.content.utf8), id: Int32($0.id)) }
            .sorted { $0.bytes.count > $1.bytes.count }
        self.specials = specials
        var first = [Bool](repeating: false, count: 256)
        for special in specials { first[Int(special.bytes[0])] = true }
        self.specialFirstByte = first
    }

    /// Number of ids (the vocabulary with the added tokens).
    public var vocabularySize: Int { tokens.count }

    /// The id of a vocabulary string or added token.
    public func id(of token: String) -> Int? { idsByString[token] }

    /// The id of `<|endoftext|>`, the separator and padding id of the dataset.
    public var endOfTextID: Int? { id(of: SpecialTokens.endOfText) }

    /// Ids of `text`, as Hugging Face's `Tokenizer.encode(text).ids` gives them.
    public func encode(_ text: String) -> [Int] {
        makeEncoder().encode(text).map { Int($0) }
    }

    /// Ids of raw bytes (any bytes, not only UTF-8).
    public func encode(bytes: [UInt8]) -> [Int] {
        let encoder = makeEncoder()
        var out: [UInt32] = []
        bytes.withUnsafeBufferPointer { encoder.encode($0, into: &out) }
        return out.map { Int($0) }
    }

    public func makeEncoder() -> BPEEncoder { BPEEncoder(self) }

    /// Encodes many texts on `threads` threads (each with its own cache), in input order.
    public func encodeBatch(_ texts: [String], threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[UInt32]] {
        var results = [[UInt32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            parallelForEach(count: texts.count, threads: threads) { encoder, index in
                out[index] = encoder.encode(texts[index])
            }
        }
        return results
    }

    /// Runs `body(encoder, index)` for every index in 0..<count, spread over `threads`
    /// threads that each own one encoder; indices are claimed in small batches.
    public func parallelForEach(count: Int, threads: Int, _ body: (BPEEncoder, Int) -> Void) {
        let encoders = (0..<max(1, min(threads, count))).map { _ in makeEncoder() }
        parallelIndices(count: count, workers: encoders.count) { worker, index in body(encoders[worker], index) }
    }

    /// The bytes the ids stand for. Throws on an id outside the vocabulary.
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, id < tokenBytes.count else {
                throw TokenizerError("token id \(id) is outside the vocabulary (0..<\(tokenBytes.count)); decode with the tokenizer that produced the ids.")
            }
            bytes.append(contentsOf: tokenBytes[id])
        }
        return bytes
    }

    /// The text the ids stand for; bytes that are not valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
