import CTorch

/// One named parameter of a `GPTModel`: Hugging Face's name and layout.
public struct ParameterInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}

/// A GPT-2 on libtorch (owns a `ct_model`). Not thread-safe: one thread uses it at a time.
///
///     let model = try GPTModel(config: GPTConfig(vocabSize: 256, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 2), seed: 42)
///     let logits = try model.logits(tokens: [1, 2, 3], batch: 1, time: 3) // 3 × 256 floats
public final class GPTModel {
    let handle: OpaquePointer
    public let config: GPTConfig
    public let device: Device
    /// The parameters in the C API's order (matrices first).
    public let parameters: [ParameterInfo]

    /// A freshly initialised model: GPT-2's initialisation drawn from the model's own
    /// generator seeded with `seed` (what torch.manual_seed(seed) would give), which dropout
    /// then draws from. Nothing else in the process changes its numbers.
    public init(config: GPTConfig, device: Device = .cpu, seed: UInt64) throws(TorchError) {
        var c = config.c
        var out: OpaquePointer?
        try check(ct_model_new(&c, device.c, seed, &out))
        handle = out!
        self.config = config
        self.device = device.resolved
        var infos: [ParameterInfo] = []
        let count = ct_model_parameter_count(handle)
        var name = [CChar](repeating: 0, count: 256)
        var shape = [Int64](repeating: 0, count: 4)
        var rank: Int32 = 0
        for index in 0..<count {
            try check(ct_model_parameter_info(handle, index, &name, name.count, &rank, &shape))
            let decoded = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            infos.append(ParameterInfo(name: decoded, shape: shape.prefix(Int(rank)).map(Int.init)))
        }
        parameters = infos
    }

    deinit { ct_model_free(handle) }

    /// Total number of parameter values.
    public var parameterValueCount: Int { Int(ct_model_parameter_numel_total(handle)) }

    /// Dropout on (training) or off (evaluation, the initial mode).
    public func setTraining(_ training: Bool) throws(TorchError) {
        try check(ct_model_set_training(handle, training ? 1 : 0))
    }

    /// Reseeds the model's generator: the dropout masks from here on follow from `seed` alone.
    public func setDropoutSeed(_ seed: UInt64) throws(TorchError) {
        try check(ct_model_set_dropout_seed(handle, seed))
    }

    /// Parameter `index`'s values, float32 row-major.
    public func read(parameter index: Int) throws(TorchError) -> [Float] {
        var values = [Float](repeating: 0, count: parameters[index].count)
        try check(ct_model_parameter_read(handle, Int64(index), &values, Int64(values.count)))
        return values
    }

    /// Overwrites parameter `index`; `values.count` must equal its size.
    public func write(parameter index: Int, _ values: [Float]) throws(TorchError) {
        try values.withUnsafeBufferPointer { (buffer) throws(TorchError) in
            try check(ct_model_parameter_write(handle, Int64(index), buffer.baseAddress, Int64(buffer.count)))
        }
    }

    /// Logits for `tokens` (batch × time, row-major): batch × time × vocabSize floats. No gradient.
    public func logits(tokens: [Int64], batch: Int, time: Int) throws(TorchError) -> [Float] {
        precondition(tokens.count == batch * time, "tokens.count must be batch × time")
        var out = [Float](repeating: 0, count: batch * time * config.vocabSize)
        try check(ct_model_logits(handle, tokens, Int64(batch), Int64(time), &out))
        return out
    }

    /// Summed cross-entropy over targets != -1, and how many there were. No gradient.
    public func loss(tokens: [Int64], targets: [Int64], batch: Int, time: Int) throws(TorchError) -> (sum: Double, count: Int) {
        precondition(tokens.count == batch * time && targets.count == tokens.count)
        var sum = 0.0
        var count: Int64 = 0
        try check(ct_model_loss(handle, tokens, targets, Int64(batch), Int64(time), &sum, &count))
        return (sum, Int(count))
    }

    /// The backward half of `AdamW.step`, for data-parallel ranks: zeroes the gradients, then
    /// for each of `microBatches` micro-batches of batch × time tokens, forward, cross-entropy
    /// over targets != -1 divided by `denominators[i]`, and backward of that / microBatches.
    /// A rank passes the real-target count of the whole micro-batch over all ranks, so the
    /// ranks' gradients sum to the gradient of the global batch. Returns this rank's part of
    /// the loss (summed over ranks: the global batch's loss).
    public func backward(tokens: [Int64], targets: [Int64], microBatches: Int, batch: Int, time: Int,
                         denominators: [Double]) throws(TorchError) -> Double {
        precondition(tokens.count == microBatches * batch * time && targets.count == tokens.count && denominators.count == microBatches,
                     "tokens and targets must hold microBatches × batch × time ids, and one denominator per micro-batch")
        var loss = 0.0
        try check(ct_train_backward(handle, tokens, targets, Int64(microBatches), Int64(batch), Int64(time), denominators, &loss))
        return loss
    }
}
