/// The planning formulas every phase shares (the original system's formulas, corrected).
/// Pure functions, no dependencies: phase 0 estimates with them, phase 2
/// recomputes with the real counts, and the trainer uses the same numbers.
public enum TrainingPlan {
    /// Tokens one commit renders to, on average, for phase 0's first estimate.
    /// 341 ≈ 2048 / 6: the original estimated `commits / 6` sequences at 2048 tokens.
    public static let estimatedTokensPerCommit = 341

    /// The epoch formula's defaults (the config's `epoch_calculation` section), written here
    /// once: phase 0's estimate, phase 2's dataset and the trainer's config all start from them.
    public static let defaultTargetTokens = 20_000_000
    public static let defaultMinEpochs = 3
    public static let defaultMaxEpochs = 10

    /// epochs = clamp(floor(target_tokens / (num_sequences × sequence_length)), min, max).
    ///
    ///     TrainingPlan.epochs(targetTokens: 20_000_000, sequences: 1_000,
    ///                         sequenceLength: 2048, minEpochs: 3, maxEpochs: 10) // 9
    public static func epochs(targetTokens: Int, sequences: Int, sequenceLength: Int,
                              minEpochs: Int, maxEpochs: Int) -> Int {
        precondition(minEpochs >= 1 && minEpochs <= maxEpochs, "need 1 <= min_epochs <= max_epochs")
        let tokensPerEpoch = sequences * sequenceLength
        guard tokensPerEpoch > 0 else { return maxEpochs }
        return clamp(targetTokens / tokensPerEpoch, minEpochs, maxEpochs)
    }

    /// Phase 0's estimate of the number of training sequences from the commit count.
    public static func estimatedSequences(commits: Int, sequenceLength: Int,
                                          tokensPerCommit: Int = estimatedTokensPerCommit) -> Int {
        precondition(sequenceLength > 0)
        let tokens = commits * tokensPerCommit
        return (tokens + sequenceLength - 1) / sequenceLength
    }

    /// warmup_steps = clamp(int(warmup_ratio × total_steps), warmup_steps_min, warmup_steps_max).
    /// Never more than `totalSteps`, so a short run still reaches its peak rate.
    public static func warmupSteps(totalSteps: Int, ratio: Double, minSteps: Int, maxSteps: Int) -> Int {
        let bounded = clamp(Int(ratio * Double(totalSteps)), minSteps, maxSteps)
        return min(bounded, totalSteps)
    }

    /// Batch size from GPU memory: >= 8 GB -> 8, >= 4 GB -> 4, else 2.
    public static func batchSize(gpuMemoryBytes: Int64, largeGB: Double = 8, mediumGB: Double = 4) -> Int {
        let gb = Double(gpuMemoryBytes) / 1_000_000_000
        if gb >= largeGB { return 8 }
        if gb >= mediumGB { return 4 }
        return 2
    }

    /// Batch size on CPU: as many sequences as fit in a quarter of the free RAM, given the
    /// bytes one sequence needs in training (activations and gradients), between 1 and `cap`.
    public static func cpuBatchSize(freeRAMBytes: Int64, bytesPerSequence: Int64, cap: Int = 8) -> Int {
        guard bytesPerSequence > 0 else { return 1 }
        return clamp(Int(freeRAMBytes / 4 / bytesPerSequence), 1, cap)
    }

    /// Learning rate scaled linearly by batch / reference batch.
    public static func scaledLearningRate(base: Double, batchSize: Int, referenceBatchSize: Int) -> Double {
        precondition(referenceBatchSize > 0)
        return base * Double(batchSize) / Double(referenceBatchSize)
    }

    static func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value, low), high) }
}
