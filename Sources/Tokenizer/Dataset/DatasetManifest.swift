/// `dataset.json`: what `blocklab tokenize` built, from what, and the epochs recomputed
/// from the real counts. Keys are written in snake_case (docs/tokenizer.md, "dataset.json").
public struct DatasetManifest: Codable, Sendable, Equatable {
    public var format = "blocklab-dataset"
    public var version = 1
    public var inputs: [Input]
    public var records: RecordCounts
    public var tokenizer: TokenizerInfo
    public var vocabSize: Int
    public var bytesPerToken: Int
    public var sequenceLength: Int
    public var overlap: Int
    public var tail: String
    public var split: Split
    public var train: Part
    public var val: Part
    public var tokensBySource: [String: Int]
    public var epochs: Epochs

    public struct Input: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var bytes: Int
        public var records: Int
    }

    public struct RecordCounts: Codable, Sendable, Equatable {
        public var commit: Int
        public var fileChunk: Int
        public var train: Int
        public var val: Int
    }

    public struct TokenizerInfo: Codable, Sendable, Equatable {
        public var directory: String
        /// "trained" or the directory it was loaded from.
        public var origin: String
        public var sha256: String  // of tokenizer.json
        public var files: [String: String]  // file name -> sha256
        public var specialTokens: [String]
        public var padTokenId: Int
        public var merges: Int
        public var trainSeconds: Double?
    }

    public struct Split: Codable, Sendable, Equatable {
        public var method: SplitMethod
        public var seed: UInt64
        public var validationFraction: Double
    }

    public struct Part: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public var bytes: Int
        public var records: Int
        public var sequences: Int
        /// Tokens of the stream (records and separators) before packing.
        public var streamTokens: Int
        /// sequences × sequence_length: what the file's body holds, padding included.
        public var storedTokens: Int
        public var paddingTokens: Int
        public var droppedTokens: Int
        public var lastSequenceValidTokens: Int
        public var tokensBySource: [String: Int]
    }

    public struct Epochs: Codable, Sendable, Equatable {
        public var value: Int
        public var targetTokens: Int
        public var minEpochs: Int
        public var maxEpochs: Int
        public var trainSequences: Int
    }
}
