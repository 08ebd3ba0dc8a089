import CTorch

/// What one optimizer step reports.
public struct StepResult: Sendable, Equatable {
    /// Mean cross-entropy of the micro-batches.
    public let loss: Double
    /// Global gradient norm before clipping.
    public let gradNorm: Double

    public init(loss: Double, gradNorm: Double) {
        self.loss = loss
        self.gradNorm = gradNorm
    }
}

/// AdamW over a `GPTModel` (owns a `ct_optim`); weight decay on matrices only.
public final class AdamW {
    let handle: OpaquePointer
    public let model: GPTModel

    public init(model: GPTModel, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0.01) throws(TorchError) {
        var out: OpaquePointer?
        try check(ct_optim_new(model.handle, beta1, beta2, eps, weightDecay, &out))
        handle = out!
        self.model = model
    }

    deinit { ct_optim_free(handle) }

    public var stepCount: Int { Int(ct_optim_step_count(handle)) }

    /// One step over `microBatches` micro-batches of batch × time tokens (gradient accumulation):
    /// forward, loss over targets != -1, backward, clip at `maxGradNorm`, AdamW at `learningRate`.
    /// A non-finite loss or norm leaves the parameters unchanged; the caller decides what to do.
    public func step(tokens: [Int64], targets: [Int64], microBatches: Int, batch: Int, time: Int,
                     learningRate: Double, maxGradNorm: Double) throws(TorchError) -> StepResult {
        precondition(tokens.count == microBatches * batch * time && targets.count == tokens.count,
                     "tokens and targets must hold microBatches × batch × time ids")
        var loss = 0.0
        var norm = 0.0
        try check(ct_train_step(model.handle, handle, tokens, targets, Int64(microBatches), Int64(batch),
                                Int64(time), learningRate, maxGradNorm, &loss, &norm))
        return StepResult(loss: loss, gradNorm: norm)
    }

    /// The update half of `step`, for data-parallel ranks: the gradient norm, clipping and AdamW
    /// on the gradients as they stand (summed over ranks). A non-finite `loss` (the global
    /// one) or norm leaves the parameters unchanged. Returns the norm before clipping.
    public func apply(loss: Double, learningRate: Double, maxGradNorm: Double) throws(TorchError) -> Double {
        var norm = 0.0
        try check(ct_optim_apply(handle, loss, learningRate, maxGradNorm, &norm))
        return norm
    }

    /// The first (`which` 0) or second (1) moments, flat in parameter order.
    public func moments(_ which: Int) throws(TorchError) -> [Float] {
        var values = [Float](repeating: 0, count: model.parameterValueCount)
        try check(ct_optim_state_read(handle, Int32(which), &values, Int64(values.count)))
        return values
    }

    /// Restores both moments and the step count (resume).
    public func restore(expAvg: [Float], expAvgSq: [Float], stepCount: Int) throws(TorchError) {
        try check(ct_optim_state_write(handle, 0, expAvg, Int64(expAvg.count), Int64(stepCount)))
        try check(ct_optim_state_write(handle, 1, expAvgSq, Int64(expAvgSq.count), Int64(stepCount)))
    }
}
