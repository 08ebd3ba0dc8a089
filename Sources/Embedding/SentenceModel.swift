import Foundation
import Tokenizer
import Torch

/// A BERT-family sentence encoder loaded from a Hugging Face / sentence-transformers model
/// directory: `config.json`, `model.safetensors`, `vocab.txt`, `tokenizer_config.json`,
/// `modules.json`, `1_Pooling/config.json` and, when present, `sentence_bert_config.json`.
///
///     let model = try SentenceModel.load(directory: SentenceModel.defaultDirectory)
///     let vectors = try TextEmbedder(model: model).embed(["Fix the parser"])  // [[Float]] of model.dimension
///
/// What is read from where: the architecture from config.json (BERT only); pooling (mean or
/// CLS) from 1_Pooling/config.json; whether vectors are L2-normalised from modules.json (a
/// `Normalize` module; BlockLab normalises the final text vector in any case, see
/// `TextEmbedder`); the longest input (`max_seq_length`) from sentence_bert_config.json, else
/// the tokenizer's `model_max_length`, else `max_position_embeddings`.
public final class SentenceModel {
    /// The directory's name, recorded as the model of each stored embedding.
    public let name: String
    public let directory: URL
    public let config: BertConfig
    public let tokenizer: WordPieceTokenizer
    public let encoder: SentenceEncoder
    public let pooling: Pooling
    public let normalizes: Bool
    /// Tokens per window, [CLS] and [SEP] included.
    public let maxSequenceLength: Int
    public var dimension: Int { config.hiddenSize }

    /// `${XDG_CACHE_HOME:-~/.cache}/blocklab/models/all-MiniLM-L6-v2`, where
    /// scripts/setup/embeddings.sh unpacks the default model.
    public static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return URL(fileURLWithPath: cache).appendingPathComponent("blocklab/models/all-MiniLM-L6-v2")
    }

    init(name: String, directory: URL, config: BertConfig, tokenizer: WordPieceTokenizer, encoder: SentenceEncoder,
         pooling: Pooling, normalizes: Bool, maxSequenceLength: Int) {
        self.name = name
        self.directory = directory
        self.config = config
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.pooling = pooling
        self.normalizes = normalizes
        self.maxSequenceLength = maxSequenceLength
    }
}
