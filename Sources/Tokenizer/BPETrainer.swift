import Foundation
import HeapModule

/// Trains a byte-level BPE tokenizer (Hugging Face's `BpeTrainer` algorithm over GPT-2
/// pre-tokens). Ids: bytes 0...255 (id = byte value), then merges in order, then the
/// special tokens. Deterministic: the most frequent pair merges first, and among equal
/// counts the smaller (left id, right id). Pair counts are kept over the unique
/// pre-tokens (word counts) and updated incrementally after each merge.
///
///     let tokenizer = try BPETrainer(vocabularySize: 16_384).train(texts)
public struct BPETrainer: Sendable {
    public var vocabularySize: Int
    public var specialTokens: [String]
    /// Pairs seen fewer times than this never merge (training then stops early).
    public var minimumFrequency: Int
    public var threads: Int

    public init(vocabularySize: Int = 16_384, specialTokens: [String] = SpecialTokens.all,
                minimumFrequency: Int = 1,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
        self.minimumFrequency = minimumFrequency
        self.threads = threads
    }

    /// Throws when the vocabulary cannot hold the 256 bytes and the special tokens.
    public func validate() throws {
        let minimum = 256 + Set(specialTokens).count
        guard vocabularySize >= minimum else {
            throw TokenizerError("vocabulary size \(vocabularySize) is too small: it must hold the 256 bytes and \(Set(specialTokens).count) special tokens, so at least \(minimum). Raise --vocab-size.")
        }
        guard !specialTokens.contains("") else { throw TokenizerError("a special token is empty; remove it.") }
    }

    /// Trains on `texts`. Throws on bad settings or when the texts are all empty.
    public func train(_ texts: [String], progress: ((Int, Int) -> Void)? = nil) throws -> BPETokenizer {
        try validate()
        let counter = WordCounter(specialTokens: specialTokens, threads: threads)
        counter.add(texts)
        return try train(words: counter.finish(), progress: progress)
    }

    /// Trains on word counts (`WordCounter`, fed as the texts stream by). The counts are
    /// let go of once the merge state holds the words, before the merges run.
    func train(words: consuming WordCounter.Tally, progress: ((Int, Int) -> Void)? = nil) throws -> BPETokenizer {
        try validate()
        guard !words.counts.isEmpty else {
            throw TokenizerError("the training corpus is empty: there is no text to learn merges from. Check the input files.")
        }
        var state = MergeState(words: words)  // the last use: the counts go with it
        let specials = specialTokens.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let targetTokens = vocabularySize - specials.count
        var tokenBytes: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var idOfBytes: [[UInt8]: Int32] = [:]
        for (id, bytes) in tokenBytes.enumerated() { idOfBytes[bytes] = Int32(id) }
        var merges: [(String, String)] = []
        while tokenBytes.count < targetTokens {
            guard let (pair, count) = state.popBest(), count >= minimumFrequency else { break }
            let a = Int32(truncatingIfNeeded: pair >> 32), b = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
            let bytes = tokenBytes[Int(a)] + tokenBytes[Int(b)]
            let merged: Int32
            if let existing = idOfBytes[bytes] {
                merged = existing
            } else {
                merged = Int32(tokenBytes.count)
                tokenBytes.append(bytes)
                idOfBytes[bytes] = merged
            }
            merges.append((ByteLevel.encode(tokenBytes[Int(a)]), ByteLevel.encode(tokenBytes[Int(b)])))
            state.merge(pair: pair, into: merged)
            progress?(tokenBytes.count, targetTokens)
        }
        var vocabulary: [String: Int] = [:]
        for (id, bytes) in tokenBytes.enumerated() { vocabulary[ByteLevel.encode(bytes)] = id }
        var added: [BPETokenizer.AddedToken] = []
        for special in specials {
            let id = vocabulary.count
            vocabulary[special] = id
            added.append(.init(id: id, content: special, special: true))
        }
        return try BPETokenizer(vocabulary: vocabulary, merges: merges, addedTokens: added)
    }
}

/// The words as symbol sequences, the pair counts and the heap of candidate merges.
struct MergeState {
    var symbols: [Int32] = []  // all words, one after another
    var wordStart: [Int] = []
    var wordLength: [Int32] = []
    var wordCount: [Int64] = []
    var pairCounts: [UInt64: Int64] = [:]
    var wordsWithPair: [UInt64: [Int32]] = [:]
    var heap = Heap<MergeCandidate>()
    var visited: [Int32] = []
    var stamp: Int32 = 0

    init(words: WordCounter.Tally) {
        let table = words.table
        symbols.reserveCapacity(table.arenaBytes)
        wordStart.reserveCapacity(table.count)
        wordLength.reserveCapacity(table.count)
        wordCount.reserveCapacity(table.count)
        for index in 0..<table.count {
            wordStart.append(symbols.count)
            table.withKey(index) { key in
                wordLength.append(Int32(key.count))
                for byte in key { symbols.append(Int32(byte)) }
            }
            wordCount.append(words.counts[index])
        }
        visited = [Int32](repeating: -1, count: table.count)
        for w in 0..<wordStart.count {
            let start = wordStart[w], count = wordCount[w]
            for i in start..<(start + Int(wordLength[w]) - 1) {
                let pair = PairTable.key(symbols[i], symbols[i + 1])
                pairCounts[pair, default: 0] += count
                if wordsWithPair[pair]?.last != Int32(w) { wordsWithPair[pair, default: []].append(Int32(w)) }
            }
        }
        for (pair, count) in pairCounts { heap.insert(MergeCandidate(count: count, pair: pair)) }
    }

    /// The pair to merge next and its count: the highest count, then the smallest pair.
    mutating func popBest() -> (UInt64, Int)? {
        while let top = heap.popMax() {
            let (count, pair) = (top.count, top.pair)
            let current = pairCounts[pair] ?? 0
            if current == count { return (pair, Int(count)) }
            if current > 0 && current < count { heap.insert(MergeCandidate(count: current, pair: pair)) }
        }
        return nil
    }

    /// Replaces every occurrence of `pair` with `merged` and updates the counts.
    mutating func merge(pair: UInt64, into merged: Int32) {
        let a = Int32(truncatingIfNeeded: pair >> 32), b = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
        stamp += 1
        var grown: [UInt64: Int64] = [:]
        let words = wordsWithPair.removeValue(forKey: pair) ?? []
        pairCounts.removeValue(forKey: pair)
        for w32 in words {
            let w = Int(w32)
            if visited[w] == stamp { continue }
            visited[w] = stamp
            let start = wordStart[w], length = Int(wordLength[w]), count = wordCount[w]
            var read = 0, write = 0
            while read < length {
                let s = symbols[start + read]
                if read + 1 < length && s == a && symbols[start + read + 1] == b {
                    if write > 0 {
                        let before = symbols[start + write - 1]
                        decrement(PairTable.key(before, a), count)
                        increment(PairTable.key(before, merged), count, w32, &grown)
                    }
                    if read + 2 < length {
                        let after = symbols[start + read + 2]
                        decrement(PairTable.key(b, after), count)
                        increment(PairTable.key(merged, after), count, w32, &grown)
                    }
                    symbols[start + write] = merged
                    read += 2
                } else {
                    symbols[start + write] = s
                    read += 1
                }
                write += 1
            }
            wordLength[w] = Int32(write)
        }
        pairCounts.removeValue(forKey: pair)
        for pairKey in grown.keys.sorted() {
            if let count = pairCounts[pairKey], count > 0 { heap.insert(MergeCandidate(count: count, pair: pairKey)) }
        }
    }

    @inline(__always)
    private mutating func decrement(_ pair: UInt64, _ count: Int64) {
        pairCounts[pair, default: 0] -= count
    }

    @inline(__always)
    private mutating func increment(_ pair: UInt64, _ count: Int64, _ word: Int32, _ grown: inout [UInt64: Int64]) {
        pairCounts[pair, default: 0] += count
        grown[pair, default: 0] += count
        if wordsWithPair[pair]?.last != word { wordsWithPair[pair, default: []].append(word) }
    }
}

/// A candidate merge in the trainer's heap: the highest count comes out first, then the
/// smallest pair, so training is deterministic.
struct MergeCandidate: Comparable {
    var count: Int64
    var pair: UInt64

    static func < (a: Self, b: Self) -> Bool {
        a.count < b.count || (a.count == b.count && a.pair > b.pair)
    }
}
