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

    /// Packs a whole stream at once (the stream's rule, `Stream`, applied to an array).
    public func pack(_ stream: [UInt32], padID: UInt32) -> Packed {
        var tokens: [UInt32] = []
        var packing = Stream(self, padID: padID)
        packing.append(stream) { tokens.append(contentsOf: $0) }
        let end = packing.finish { tokens.append(contentsOf: $0) }
        return Packed(tokens: tokens, sequenceCount: end.sequenceCount, lastValidTokens: end.lastValidTokens,
                      droppedTokens: end.droppedTokens)
    }

    /// Packing as the stream arrives: each sequence is handed out as soon as its last token
    /// is in, and `finish` hands out the padded tail. Holds at most one sequence and the
    /// tokens of the latest `append`.
    public struct Stream {
        public let packer: SequencePacker
        public let padID: UInt32
        private var window: [UInt32] = []  // window[head...]: the next sequence's tokens so far
        private var head = 0
        private var full = 0
        /// Tokens appended so far.
        public private(set) var streamTokens = 0

        public init(_ packer: SequencePacker, padID: UInt32) {
            self.packer = packer
            self.padID = padID
        }

        /// Appends stream tokens; `emit` gets each sequence completed (`sequenceLength` ids).
        public mutating func append(_ tokens: some Collection<UInt32>, emit: (ArraySlice<UInt32>) throws -> Void) rethrows {
            window.append(contentsOf: tokens)
            streamTokens += tokens.count
            let length = packer.sequenceLength
            while window.count - head >= length {
                try emit(window[head..<head + length])
                full += 1
                head += packer.stride
            }
            if head >= 1 << 16 || head > window.count / 2 {
                window.removeFirst(head)
                head = 0
            }
        }

        /// Ends the stream: hands out the tail padded with `padID` when it is kept, and says
        /// what the packed file holds (`Packed` without the tokens).
        public mutating func finish(emit: (ArraySlice<UInt32>) throws -> Void) rethrows
            -> (sequenceCount: Int, lastValidTokens: Int, droppedTokens: Int) {
            let rest = window.count - head  // stream tokens from the next sequence's start
            let uncovered = full > 0 ? rest - packer.overlap : rest
            let tail = uncovered > 0
            defer { window = []; head = 0 }
            if tail && packer.keepTail {
                var last = Array(window[head...])
                last.append(contentsOf: repeatElement(padID, count: packer.sequenceLength - rest))
                try emit(last[...])
                return (full + 1, rest, 0)
            }
            return (full, full > 0 ? packer.sequenceLength : 0, tail ? uncovered : 0)
        }
    }
}
