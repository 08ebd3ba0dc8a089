/// An open-addressing hash set of byte strings, each given a dense index (0, 1, 2, ... in
/// insertion order), so callers keep what they know about a string in parallel arrays.
/// It owns its keys in one arena. Used by the encode cache and by training's word counts;
/// not thread-safe (one per thread).
final class ByteStringTable {
    private var slots: UnsafeMutablePointer<Int32>  // entry index, or -1 when empty
    private var capacity: Int  // a power of two
    private(set) var count = 0
    private var hashes: [UInt64] = []
    private var keyOffsets: [Int] = []
    private var keyLengths: [Int32] = []
    private(set) var arena: [UInt8] = []

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        self.capacity = size
        slots = .allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
    }

    deinit { slots.deallocate() }

    /// Bytes held by keys, for callers that bound the table's memory.
    var arenaBytes: Int { arena.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { w |= UInt64(p[i]) << shift; shift += 8; i += 1 }
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        h ^= h >> 29
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 32
        return h
    }

    /// The index of the key, or -1.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> Int {
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { return -1 }
            if hashes[entry] == h, Int(keyLengths[entry]) == n, equalKey(entry, p, n) { return entry }
            slot = (slot + 1) & mask
        }
    }

    /// The index of the key, inserting it when missing (`inserted` says which).
    @inline(__always)
    func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> (index: Int, inserted: Bool) {
        if (count + 1) * 2 > capacity { grow() }
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { break }
            if hashes[entry] == h, Int(keyLengths[entry]) == n, equalKey(entry, p, n) { return (entry, false) }
            slot = (slot + 1) & mask
        }
        let index = count
        slots[slot] = Int32(index)
        hashes.append(h)
        keyOffsets.append(arena.count)
        keyLengths.append(Int32(n))
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        count += 1
        return (index, true)
    }

    /// The bytes of key `index`.
    func key(_ index: Int) -> ArraySlice<UInt8> {
        let start = keyOffsets[index]
        return arena[start..<start + Int(keyLengths[index])]
    }

    /// Calls `body` with the bytes of key `index`, in place.
    @inline(__always)
    func withKey<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = keyOffsets[index]
        return try arena.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<start + Int(keyLengths[index])])) }
    }

    func removeAll() {
        slots.initialize(repeating: -1, count: capacity)
        count = 0
        hashes.removeAll(keepingCapacity: true)
        keyOffsets.removeAll(keepingCapacity: true)
        keyLengths.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func equalKey(_ entry: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let start = keyOffsets[entry]
        return arena.withUnsafeBufferPointer { buffer in
            memcmpBytes(buffer.baseAddress! + start, p, n)
        }
    }

    private func grow() {
        let newCapacity = capacity * 2
        let newSlots = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        newSlots.initialize(repeating: -1, count: newCapacity)
        let mask = newCapacity - 1
        for entry in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[entry]) & mask
            while newSlots[slot] >= 0 { slot = (slot + 1) & mask }
            newSlots[slot] = Int32(entry)
        }
        slots.deallocate()
        slots = newSlots
        capacity = newCapacity
    }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
