/// An immutable open-addressing map from a pair of token ids to its merge: the rank (its
/// line in `merges.txt`) and the id of the merged token. Built once per tokenizer.
struct PairTable: Sendable {
    private let keys: [UInt64]  // left << 32 | right, or `empty`
    private let values: [UInt64]  // rank << 32 | merged id
    private let mask: Int
    static let empty = UInt64.max

    /// `merges[rank] = (left, right, merged)`; a repeated pair keeps its first (lowest) rank.
    init(merges: [(left: Int, right: Int, merged: Int)]) {
        var size = 16
        while size < merges.count * 2 + 2 { size <<= 1 }
        var keys = [UInt64](repeating: Self.empty, count: size)
        var values = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        for (rank, merge) in merges.enumerated() {
            let key = Self.key(Int32(merge.left), Int32(merge.right))
            var slot = Self.slot(key, mask)
            while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & mask }
            if keys[slot] == key { continue }
            keys[slot] = key
            values[slot] = UInt64(rank) << 32 | UInt64(UInt32(merge.merged))
        }
        self.keys = keys
        self.values = values
        self.mask = mask
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// `rank << 32 | merged`, or nil when the pair never merges.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64? {
        let key = Self.key(left, right)
        return keys.withUnsafeBufferPointer { keys in
            var slot = Self.slot(key, mask)
            while true {
                let k = keys[slot]
                if k == key { return values[slot] }
                if k == Self.empty { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}
