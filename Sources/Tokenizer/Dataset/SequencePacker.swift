/// Cuts a token stream into fixed-length training sequences.
///
/// Sequence i covers stream positions [i × stride, i × stride + length), stride =
/// length − overlap. Full sequences come first; when the stream has tokens past the last
/// full sequence and `keepTail` is set, one more sequence starts at the next stride and is
/// padded with `padID`; `lastValidTokens` then says how many of its tokens are real (the
/// trainer masks the rest, so nothing trains on padding). With `keepTail` off the tail is
/// dropped. An empty stream gives no sequences and `lastValidTokens` 0.
public struct SequencePacker: Sendable {
    public let sequenceLength: Int
    public let overlap: Int
    public let keepTail: Bool

    public init(sequenceLength: Int, overlap: Int = 0, keepTail: Bool = true) throws {
        guard sequenceLength >= 2 else {
            throw TokenizerError("sequence length \(sequenceLength) is too short: a training sequence needs at least 2 tokens. Use --sequence-length 2 or more (default 2048).")
        }
        guard overlap >= 0, overlap < sequenceLength else {
            throw TokenizerError("overlap \(overlap) must be at least 0 and smaller than the sequence length \(sequenceLength). Lower --overlap.")
        }
        self.sequenceLength = sequenceLength
        self.overlap = overlap
        self.keepTail = keepTail
    }

    public var stride: Int { sequenceLength - overlap }

    public struct Packed: Sendable, Equatable {
        public var tokens: [UInt32]  // sequenceCount × sequenceLength, row-major
        public var sequenceCount: Int
        public var lastValidTokens: Int
        /// Stream tokens that appear in no sequence (the dropped tail).
        public var droppedTokens: Int
    }

    public func pack(_ stream: [UInt32], padID: UInt32) -> Packed {
        let n = stream.count
        let full = n >= sequenceLength ? (n - sequenceLength) / stride + 1 : 0
        let covered = full > 0 ? (full - 1) * stride + sequenceLength : 0
        let hasTail = n > covered
        let count = full + (hasTail && keepTail ? 1 : 0)
        var tokens = [UInt32](repeating: padID, count: count * sequenceLength)
        stream.withUnsafeBufferPointer { src in
            tokens.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let start = i * stride
                    let real = min(sequenceLength, n - start)
                    for k in 0..<real { dst[i * sequenceLength + k] = src[start + k] }
                }
            }
        }
        let last: Int
        if count == 0 { last = 0 } else if count > full { last = n - full * stride } else { last = sequenceLength }
        return Packed(tokens: tokens, sequenceCount: count, lastValidTokens: last,
                      droppedTokens: hasTail && !keepTail ? n - covered : 0)
    }
}
