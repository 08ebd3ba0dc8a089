import Foundation
import Tokenizer

/// What the store's `phases.stats_json` holds for phase 2.
public struct TokenizeStats: Encodable, Sendable {
    var vocabSize, sequenceLength, overlap, trainSequences, valSequences, trainTokens, valTokens, epochs: Int
    var tokensBySource: [String: Int]
    var tokenizerSHA256: String
    var trainSeconds: Double?

    public init(_ m: DatasetManifest) {
        vocabSize = m.vocabSize; sequenceLength = m.sequenceLength; overlap = m.overlap
        trainSequences = m.train.sequences; valSequences = m.val.sequences
        trainTokens = m.train.streamTokens; valTokens = m.val.streamTokens; epochs = m.epochs.value
        tokensBySource = m.tokensBySource; tokenizerSHA256 = m.tokenizer.sha256; trainSeconds = m.tokenizer.trainSeconds
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", sequenceLength = "sequence_length", overlap
        case trainSequences = "train_sequences", valSequences = "val_sequences", trainTokens = "train_tokens"
        case valTokens = "val_tokens", epochs, tokensBySource = "tokens_by_source"
        case tokenizerSHA256 = "tokenizer_sha256", trainSeconds = "train_seconds"
    }
}
