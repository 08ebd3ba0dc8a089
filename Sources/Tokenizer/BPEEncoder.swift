import HeapModule

/// One thread's encoder: the tokenizer plus a cache from pre-token bytes to ids, so each
/// distinct word is merged once. Not thread-safe; make one per thread
/// (`BPETokenizer.makeEncoder()`). The cache is emptied when it passes `cacheLimitBytes`.
public final class BPEEncoder {
    public let tokenizer: BPETokenizer
    private let cache = ByteStringTable(capacity: 1 << 14)
    private var cacheStart: [Int32] = []
    private var cacheCount: [Int32] = []
    private var cacheIDs: [UInt32] = []
    private var scratch: [Int32] = []
    private let classes = PreTokenizer.table
    private let byteIDs: [Int32]
    private let pairs: PairTable
    public var cacheLimitBytes = 64 << 20
    /// Words longer than this many bytes are merged with a heap (n log n) instead of
    /// repeated scans (n²); both give the same ids.
    static let heapThreshold = 48

    init(_ tokenizer: BPETokenizer) {
        self.tokenizer = tokenizer
        self.byteIDs = tokenizer.byteIDs
        self.pairs = tokenizer.pairTable
    }

    /// Ids of `text` (Hugging Face's `encode(text).ids`).
    public func encode(_ text: String) -> [UInt32] {
        var text = text
        var out: [UInt32] = []
        out.reserveCapacity(text.utf8.count / 3)
        text.withUTF8 { encode($0, into: &out) }
        return out
    }

    /// Appends the ids of `text` (raw bytes) to `out`.
    public func encode(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        guard let p = text.baseAddress, text.count > 0 else { return }
        let n = text.count
        let specials = tokenizer.specials
        if specials.isEmpty {
            encodeSegment(p, 0, n, &out)
            return
        }
        let first = tokenizer.specialFirstByte
        var segmentStart = 0
        var i = 0
        while i < n {
            if first[Int(p[i])], let (length, id) = matchSpecial(p, i, n, specials) {
                encodeSegment(p, segmentStart, i, &out)
                out.append(UInt32(id))
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        encodeSegment(p, segmentStart, n, &out)
    }

    /// The longest added token at `i`, if any (`specials` are sorted longest first).
    @inline(__always)
    private func matchSpecial(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int,
                              _ specials: [(bytes: [UInt8], id: Int32)]) -> (Int, Int32)? {
        for special in specials where special.bytes.count <= n - i && special.bytes[0] == p[i] {
            let matched = special.bytes.withUnsafeBufferPointer { memcmpBytes($0.baseAddress!, p + i, $0.count) }
            if matched { return (special.bytes.count, special.id) }
        }
        return nil
    }

    /// Calls `body` with each pre-token of `text` (added tokens excluded): what training counts.
    func forEachWord(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<UInt8>, Int) -> Void) {
        guard let p = text.baseAddress, text.count > 0 else { return }
        let n = text.count
        let specials = tokenizer.specials
        let first = tokenizer.specialFirstByte
        var segmentStart = 0
        var i = 0
        func words(_ start: Int, _ end: Int) {
            var k = start
            while k < end {
                let j = PreTokenizer.tokenEnd(p, k, end, classes)
                body(p + k, j - k)
                k = j
            }
        }
        while i < n {
            if first[Int(p[i])], let (length, _) = matchSpecial(p, i, n, specials) {
                words(segmentStart, i)
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        words(segmentStart, n)
    }

    @inline(__always)
    private func encodeSegment(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ out: inout [UInt32]) {
        var i = start
        while i < end {
            let j = PreTokenizer.tokenEnd(p, i, end, classes)
            encodeWord(p + i, j - i, &out)
            i = j
        }
    }

    @inline(__always)
    private func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: inout [UInt32]) {
        if n == 1 {
            let id = byteIDs[Int(p[0])]
            if id >= 0 { out.append(UInt32(id)) }
            return
        }
        let hash = ByteStringTable.hash(p, n)
        let found = cache.find(p, n, hash: hash)
        if found >= 0 {
            let start = Int(cacheStart[found])
            let count = Int(cacheCount[found])
            cacheIDs.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<start + count])) }
            return
        }
        if cache.arenaBytes + cacheIDs.count * 4 > cacheLimitBytes {
            cache.removeAll()
            cacheStart.removeAll(keepingCapacity: true)
            cacheCount.removeAll(keepingCapacity: true)
            cacheIDs.removeAll(keepingCapacity: true)
        }
        let start = cacheIDs.count
        mergeWord(p, n, into: &cacheIDs)
        _ = cache.insert(p, n, hash: hash)
        cacheStart.append(Int32(start))
        cacheCount.append(Int32(cacheIDs.count - start))
        out.append(contentsOf: cacheIDs[start...])
    }

    /// Appends the ids of one pre-token, merging its bytes lowest rank first.
    func mergeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt32]) {
        if tokenizer.ignoreMerges, let id = tokenizer.idsByString[ByteLevel.encode(UnsafeBufferPointer(start: p, count: n))] {
            out.append(UInt32(id))
            return
        }
        scratch.removeAll(keepingCapacity: true)
        for k in 0..<n {
            let id = byteIDs[Int(p[k])]
            if id >= 0 { scratch.append(id) }
        }
        if scratch.count > Self.heapThreshold {
            BPEMerge.heap(&scratch, pairs)
        } else {
            BPEMerge.scan(&scratch, pairs)
        }
        for id in scratch { out.append(UInt32(id)) }
    }
}

/// The two ways of applying merges to one word's symbols; they give the same result
/// (the lowest-ranked pair first, leftmost first among equal ranks).
enum BPEMerge {
    /// Repeated scans: find the lowest-ranked pair, merge its occurrences left to right.
    static func scan(_ symbols: inout [Int32], _ pairs: PairTable) {
        var n = symbols.count
        symbols.withUnsafeMutableBufferPointer { s in
            while n >= 2 {
                var best = UInt64.max
                var bestPos = -1
                for i in 0..<(n - 1) {
                    if let merge = pairs.lookup(s[i], s[i + 1]), merge < best { best = merge; bestPos = i }
                }
                if bestPos < 0 { break }
                let a = s[bestPos], b = s[bestPos + 1]
                let merged = Int32(bitPattern: UInt32(truncatingIfNeeded: best))
                var read = bestPos, write = bestPos
                while read < n {
                    if read + 1 < n && s[read] == a && s[read + 1] == b {
                        s[write] = merged
                        read += 2
                    } else {
                        s[write] = s[read]
                        read += 1
                    }
                    write += 1
                }
                n = write
            }
        }
        symbols.removeLast(symbols.count - n)
    }

    /// A linked list of symbols and a min-heap of (rank, position): n log n for long words.
    static func heap(_ symbols: inout [Int32], _ pairs: PairTable) {
        let n = symbols.count
        guard n >= 2 else { return }
        var next = [Int32](0..<Int32(n)).map { $0 + 1 }
        next[n - 1] = -1
        var prev = [Int32](0..<Int32(n)).map { $0 - 1 }
        var heap = Heap<UInt64>()
        for i in 0..<(n - 1) {
            if let merge = pairs.lookup(symbols[i], symbols[i + 1]) {
                heap.insert((merge >> 32) << 32 | UInt64(i))
            }
        }
        while let top = heap.popMin() {
            let rank = top >> 32
            let pos = Int(top & 0xFFFF_FFFF)
            let right = Int(next[pos])
            guard symbols[pos] >= 0, right >= 0,
                  let merge = pairs.lookup(symbols[pos], symbols[right]), merge >> 32 == rank
            else { continue }
            symbols[pos] = Int32(bitPattern: UInt32(truncatingIfNeeded: merge))
            symbols[right] = -1
            let after = Int(next[right])
            next[pos] = Int32(after)
            if after >= 0 { prev[after] = Int32(pos) }
            let before = Int(prev[pos])
            if before >= 0, let m = pairs.lookup(symbols[before], symbols[pos]) {
                heap.insert((m >> 32) << 32 | UInt64(before))
            }
            if after >= 0, let m = pairs.lookup(symbols[pos], symbols[after]) {
                heap.insert((m >> 32) << 32 | UInt64(pos))
            }
        }
        symbols.removeAll { $0 < 0 }
    }
}
