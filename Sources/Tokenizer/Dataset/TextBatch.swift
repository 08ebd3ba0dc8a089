/// Consecutive texts (lines of an input, records of the corpus spool) in one buffer: what
/// the dataset builder's passes hand their worker threads, a few MiB at a time.
struct TextBatch {
    var bytes: [UInt8]
    /// Each text as a range of `bytes`, in order.
    var ranges: [Range<Int>]
    /// The number of `ranges[0]` in its sequence (a line number, a record index).
    var first: Int

    var count: Int { ranges.count }

    /// Calls `body` with text `k`'s bytes.
    @inline(__always)
    func withText<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { all in try body(UnsafeBufferPointer(rebasing: all[ranges[k]])) }
    }
}
