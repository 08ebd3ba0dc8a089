import CTorch
import Foundation

/// A BERT-family sentence encoder on libtorch (owns a `ct_encoder`): Hugging Face's
/// `BertModel` forward pass, then mean or CLS pooling and, optionally, L2 normalisation.
/// CPU, inference only. `embed` may be called from one thread at a time; libtorch spreads
/// each call over `Torch.threads` cores.
///
///     let encoder = try SentenceEncoder(config: config)
///     try encoder.load(SafeTensorsFile(url: dir.appendingPathComponent("model.safetensors")))
///     let vectors = try encoder.embed(tokens: ids, lengths: [5, 3], time: 5)  // 2 × hiddenSize floats
public final class SentenceEncoder {
    let handle: OpaquePointer
    public let config: BertConfig
    /// The parameters in the C API's order, with Hugging Face's names.
    public let parameters: [ParameterInfo]

    /// An encoder with every parameter 0; `load` fills them.
    public init(config: BertConfig) throws(TorchError) {
        var c = config.c
        var out: OpaquePointer?
        try check(ct_encoder_new(&c, &out))
        handle = out!
        self.config = config
        var infos: [ParameterInfo] = []
        var name = [CChar](repeating: 0, count: 256)
        var shape = [Int64](repeating: 0, count: 4)
        var rank: Int32 = 0
        for index in 0..<ct_encoder_parameter_count(handle) {
            try check(ct_encoder_parameter_info(handle, index, &name, name.count, &rank, &shape))
            let decoded = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            infos.append(ParameterInfo(name: decoded, shape: shape.prefix(Int(rank)).map(Int.init)))
        }
        parameters = infos
    }

    deinit { ct_encoder_free(handle) }

    /// Overwrites parameter `index`; `values.count` must equal its size.
    public func write(parameter index: Int, _ values: [Float]) throws(TorchError) {
        try values.withUnsafeBufferPointer { (buffer) throws(TorchError) in
            try check(ct_encoder_parameter_write(handle, Int64(index), buffer.baseAddress, Int64(buffer.count)))
        }
    }

    /// Fills every parameter from a checkpoint with Hugging Face's names, bare (`BertModel`)
    /// or under `bert.` (`BertForMaskedLM` and kin). Tensors the encoder does not use (the
    /// pooler, `position_ids`, a masked-LM head) are ignored; a missing one or a wrong shape
    /// is an error that names it.
    public func load(_ file: SafeTensorsFile) throws(TorchError) {
        let prefix = parameters.allSatisfy { file.entries[$0.name] != nil } ? "" : "bert."
        let missing = parameters.map(\.name).filter { file.entries[prefix + $0] == nil }
        guard missing.isEmpty else {
            throw TorchError(kind: .invalidArgument, message: "\(file.url.path) lacks \(missing.count) of the encoder's tensors (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", ..." : "")): is it a BERT model matching config.json?")
        }
        for (index, info) in parameters.enumerated() {
            let entry = file.entries[prefix + info.name]!
            guard entry.shape == info.shape else {
                throw TorchError(kind: .invalidArgument, message: "\(file.url.path): \(prefix + info.name) has shape \(entry.shape), but config.json implies \(info.shape)")
            }
            try write(parameter: index, try file.floats(prefix + info.name))
        }
    }

    /// One vector per sequence: `tokens` holds batch × time ids (row-major), row i's first
    /// `lengths[i]` real and the rest padding. Returns batch × hiddenSize floats.
    public func embed(tokens: [Int64], lengths: [Int64], time: Int, pooling: Pooling = .mean,
                      normalize: Bool = true) throws(TorchError) -> [Float] {
        let batch = lengths.count
        precondition(tokens.count == batch * time, "tokens must hold lengths.count × time ids")
        var out = [Float](repeating: 0, count: batch * config.hiddenSize)
        try check(ct_encoder_embed(handle, tokens, lengths, Int64(batch), Int64(time),
                                   pooling == .cls ? CT_POOLING_CLS : CT_POOLING_MEAN, normalize ? 1 : 0, &out))
        return out
    }
}
