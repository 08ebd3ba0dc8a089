import Foundation

/// Training's word counts, fed a batch of texts at a time: how often each pre-token (GPT-2's
/// pre-tokenization, added tokens left out) occurs. Each worker thread counts the texts it
/// claims in a table of its own; `finish` adds the tables up. Memory grows with the distinct
/// pre-tokens, never with the amount of text, so a corpus streams through it.
///
///     let counter = WordCounter(specialTokens: SpecialTokens.all, threads: 4)
///     counter.add(["let x = 1", "let y = 2"])
///     let words = counter.finish()   // "let" and " =" twice, ...
final class WordCounter {
    /// One worker's table: a key's index in `table` is its index in `counts`.
    final class Tally {
        let table = ByteStringTable(capacity: 1 << 16)
        var counts: [Int64] = []
        /// Pre-tokenization and added tokens only: it holds no merges.
        let splitter: BPEEncoder

        init(splitter: BPEEncoder) { self.splitter = splitter }

        @inline(__always)
        func count(_ p: UnsafePointer<UInt8>, _ n: Int, times: Int64 = 1) {
            let (entry, inserted) = table.insert(p, n, hash: ByteStringTable.hash(p, n))
            if inserted { counts.append(times) } else { counts[entry] += times }
        }
    }

    private var tallies: [Tally]

    init(specialTokens: [String], threads: Int) {
        let specials = specialTokens.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let base = try! BPETokenizer(
            vocabulary: Dictionary(uniqueKeysWithValues: (0..<256).map { (String(Character(ByteLevel.scalars[$0])), $0) }),
            merges: [],
            addedTokens: specials.enumerated().map { .init(id: 256 + $0.offset, content: $0.element) })
        tallies = (0..<max(1, threads)).map { _ in Tally(splitter: base.makeEncoder()) }
    }

    /// Counts the pre-tokens of `texts`.
    func add(_ texts: [String]) {
        forEachText(count: texts.count) { k, body in
            var text = texts[k]
            text.withUTF8(body)
        }
    }

    /// Counts the pre-tokens of the batch's texts whose number (`batch.first + k`) passes `include`.
    func add(_ batch: TextBatch, where include: (Int) -> Bool = { _ in true }) {
        batch.bytes.withUnsafeBufferPointer { all in
            nonisolated(unsafe) let all = all
            forEachText(count: batch.count) { k, body in
                if include(batch.first + k) { body(UnsafeBufferPointer(rebasing: all[batch.ranges[k]])) }
            }
        }
    }

    /// Counts texts 0..<count on the workers; `text(k, body)` calls `body` with text k's
    /// bytes (or does not, to skip it).
    private func forEachText(count: Int, _ text: (Int, (UnsafeBufferPointer<UInt8>) -> Void) -> Void) {
        let tallies = self.tallies
        parallelIndices(count: count, workers: tallies.count) { worker, k in
            let tally = tallies[worker]
            text(k) { bytes in tally.splitter.forEachWord(bytes) { p, n in tally.count(p, n) } }
        }
    }

    /// The counts of every text added, summed over the workers (into the first's table).
    func finish() -> Tally {
        let total = tallies[0]
        for tally in tallies.dropFirst() {
            let table = tally.table
            for entry in 0..<table.count {
                table.withKey(entry) { total.count($0.baseAddress!, $0.count, times: tally.counts[entry]) }
            }
        }
        tallies = [total]
        return total
    }
}
