import DurableFiles
import Foundation
import Torch

/// A model directory Hugging Face loads as is: `model.safetensors` (GPT-2's names and
/// layouts), `config.json` (a `GPT2Config`), the tokenizer files, `training_report.json`;
/// plus `training_state.safetensors` and `training_state.json` for resume.
public enum ModelDirectory {
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"
    public static let stateTensorsFile = "training_state.safetensors"
    public static let stateFile = "training_state.json"
    public static let reportFile = "training_report.json"

    /// Hugging Face's `GPT2Config` for `config`, as JSON.
    public static func hfConfig(_ config: GPTConfig, bosTokenID: Int?, eosTokenID: Int?) -> [String: Any] {
        [
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "activation_function": "gelu_new",
            "vocab_size": config.vocabSize,
            "n_positions": config.nPositions,
            "n_ctx": config.nPositions,
            "n_embd": config.nEmbd,
            "n_layer": config.nLayer,
            "n_head": config.nHead,
            "n_inner": NSNull(),
            "embd_pdrop": config.embdPdrop,
            "attn_pdrop": config.attnPdrop,
            "resid_pdrop": config.residPdrop,
            "layer_norm_epsilon": config.layerNormEpsilon,
            "initializer_range": config.initializerRange,
            "scale_attn_weights": true,
            "scale_attn_by_inverse_layer_idx": false,
            "reorder_and_upcast_attn": false,
            "tie_word_embeddings": true,
            "use_cache": true,
            "bos_token_id": bosTokenID.map { $0 as Any } ?? NSNull(),
            "eos_token_id": eosTokenID.map { $0 as Any } ?? NSNull(),
            "torch_dtype": "float32",
        ]
    }

    /// Writes the weights and config.json of `model` into `dir` (created if missing).
    public static func saveModel(_ model: GPTModel, to dir: URL, bosTokenID: Int? = nil, eosTokenID: Int? = nil) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (index, info) in model.parameters.enumerated() {
            tensors[info.name] = SafeTensors.Tensor(shape: info.shape, values: try model.read(parameter: index))
        }
        try SafeTensors.write(tensors, to: dir.appendingPathComponent(weightsFile))
        let json = try JSONSerialization.data(withJSONObject: hfConfig(model.config, bosTokenID: bosTokenID, eosTokenID: eosTokenID),
                                              options: [.prettyPrinted, .sortedKeys])
        try DurableFile.write(json, to: dir.appendingPathComponent(configFile))
    }

    /// Reads `config.json` of `dir` into a `GPTConfig`.
    public static func loadConfig(from dir: URL) throws -> GPTConfig {
        let url = dir.appendingPathComponent(configFile)
        guard let data = FileManager.default.contents(atPath: url.path),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TrainingError.badCheckpoint("\(url.path) is missing or not JSON: pass a model directory written by `blocklab train`")
        }
        func int(_ key: String) throws -> Int {
            guard let v = json[key] as? Int else { throw TrainingError.badCheckpoint("\(url.path) lacks the integer \(key)") }
            return v
        }
        var config = GPTConfig(vocabSize: try int("vocab_size"), nPositions: try int("n_positions"), nEmbd: try int("n_embd"),
                               nLayer: try int("n_layer"), nHead: try int("n_head"))
        config.embdPdrop = json["embd_pdrop"] as? Double ?? 0.1
        config.attnPdrop = json["attn_pdrop"] as? Double ?? 0.1
        config.residPdrop = json["resid_pdrop"] as? Double ?? 0.1
        config.layerNormEpsilon = json["layer_norm_epsilon"] as? Double ?? 1e-5
        config.initializerRange = json["initializer_range"] as? Double ?? 0.02
        return config
    }

    /// Loads the weights of `dir` into `model`; every parameter must be present with its shape.
    /// Accepts names with or without the `transformer.` prefix (both are GPT-2 checkpoints).
    public static func loadWeights(into model: GPTModel, from dir: URL) throws {
        let url = dir.appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingError.badCheckpoint("\(url.path) does not exist: pass a model directory written by `blocklab train`")
        }
        let tensors = try SafeTensors.read(url)
        for (index, info) in model.parameters.enumerated() {
            let short = info.name.hasPrefix("transformer.") ? String(info.name.dropFirst("transformer.".count)) : info.name
            guard let t = tensors[info.name] ?? tensors[short] else {
                throw TrainingError.badCheckpoint("\(url.path) has no tensor \(info.name)")
            }
            guard t.shape == info.shape else {
                throw TrainingError.badCheckpoint("\(url.path): \(info.name) has shape \(t.shape), the model expects \(info.shape)")
            }
            try model.write(parameter: index, t.values)
        }
    }

    /// A model read from `dir` (config.json and model.safetensors), in evaluation mode.
    public static func loadModel(from dir: URL, device: Device = .cpu) throws -> GPTModel {
        // Seed 0: every weight is then overwritten from the file; a trainer seeds dropout per step.
        let model = try GPTModel(config: try loadConfig(from: dir), device: device, seed: 0)
        try loadWeights(into: model, from: dir)
        return model
    }
}
