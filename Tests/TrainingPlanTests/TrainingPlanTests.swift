import Testing
@testable import TrainingPlan

@Test func epochsFollowTheFormulaWithTheRealSequenceLength() {
    // 20M / (1000 × 2048) = 9.77 -> 9
    #expect(TrainingPlan.epochs(targetTokens: 20_000_000, sequences: 1_000, sequenceLength: 2048, minEpochs: 3, maxEpochs: 10) == 9)
    // the same data at 512 tokens: 20M / 512_000 = 39 -> clamped to 10
    #expect(TrainingPlan.epochs(targetTokens: 20_000_000, sequences: 1_000, sequenceLength: 512, minEpochs: 3, maxEpochs: 10) == 10)
    // a huge corpus: 20M / (100_000 × 2048) = 0 -> clamped to 3
    #expect(TrainingPlan.epochs(targetTokens: 20_000_000, sequences: 100_000, sequenceLength: 2048, minEpochs: 3, maxEpochs: 10) == 3)
    #expect(TrainingPlan.epochs(targetTokens: 20_000_000, sequences: 0, sequenceLength: 2048, minEpochs: 3, maxEpochs: 10) == 10)
}

@Test func estimatedSequencesMatchTheOriginalAt2048() {
    // the original: commits / 6 at 2048 tokens
    #expect(TrainingPlan.estimatedSequences(commits: 600, sequenceLength: 2048) == 100)
    #expect(TrainingPlan.estimatedSequences(commits: 600, sequenceLength: 1024) == 200)
    #expect(TrainingPlan.estimatedSequences(commits: 0, sequenceLength: 2048) == 0)
}

@Test func warmupIsBounded() {
    #expect(TrainingPlan.warmupSteps(totalSteps: 500, ratio: 0.1, minSteps: 100, maxSteps: 1000) == 100)
    #expect(TrainingPlan.warmupSteps(totalSteps: 5_000, ratio: 0.1, minSteps: 100, maxSteps: 1000) == 500)
    #expect(TrainingPlan.warmupSteps(totalSteps: 50_000, ratio: 0.1, minSteps: 100, maxSteps: 1000) == 1000)
    #expect(TrainingPlan.warmupSteps(totalSteps: 40, ratio: 0.1, minSteps: 100, maxSteps: 1000) == 40)
}

@Test func batchSizeTiersAndLearningRateScaling() {
    #expect(TrainingPlan.batchSize(gpuMemoryBytes: 24_000_000_000) == 8)
    #expect(TrainingPlan.batchSize(gpuMemoryBytes: 6_000_000_000) == 4)
    #expect(TrainingPlan.batchSize(gpuMemoryBytes: 2_000_000_000) == 2)
    #expect(TrainingPlan.cpuBatchSize(freeRAMBytes: 8_000_000_000, bytesPerSequence: 500_000_000) == 4)
    #expect(TrainingPlan.cpuBatchSize(freeRAMBytes: 100, bytesPerSequence: 500_000_000) == 1)
    #expect(TrainingPlan.scaledLearningRate(base: 5e-5, batchSize: 4, referenceBatchSize: 8) == 2.5e-5)
}
