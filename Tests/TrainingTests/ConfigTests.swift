import Foundation
import TestSupport
import Testing
@testable import Training

@Suite struct ConfigTests {
    static let repoConfig = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("training_config.yaml")

    @Test func repositoryConfigLoadsWithTheOriginalValues() throws {
        let yaml = try String(contentsOf: Self.repoConfig, encoding: .utf8)
        // The file is the pipeline's: the trainer reads its four sections and accepts the others.
        let others = ["repository", "scrape", "tokenizer", "dataset", "embeddings", "qdrant", "store", "output", "pipeline"]
        let c = try TrainingConfig.load(yaml: yaml, otherSections: others)
        #expect(c.training.baseLearningRate == 5e-5)   // written 5e-5: YAML 1.1 calls it a string
        #expect(c.training.adamEpsilon == 1e-8)
        #expect(c.training.seed == 42)
        #expect(c.training.warmupStepsMin == 100 && c.training.warmupStepsMax == 1000)
        #expect(c.epochCalculation.targetTokens == 20_000_000)
        #expect(c.hardwareMonitoring.intervalSeconds == 10)
        #expect(c.training.batchSize == nil)
        #expect(c.model.preset == "gpt2" && c.model.nPositions == 2048)
        // Every key of the file is known: the defaults equal the file.
        #expect(c == (try TrainingConfig.load(yaml: nil)))
    }

    @Test func quotedNumbersAreNumbers() throws {
        let c = try TrainingConfig.load(yaml: "training:\n  base_learning_rate: \"3e-4\"\n  max_steps: \"20\"\n")
        #expect(c.training.baseLearningRate == 3e-4)
        #expect(c.training.maxSteps == 20)
    }

    @Test func overridesApplyAfterTheFile() throws {
        let c = try TrainingConfig.load(yaml: "training:\n  seed: 1\n", overrides: ["training.seed=7", "model.preset=tiny", "training.batch_size=4"])
        #expect(c.training.seed == 7)
        #expect(c.model.preset == "tiny")
        #expect(c.training.batchSize == 4)
        #expect(c.gptConfig(vocabSize: 100) == .init(vocabSize: 100, nPositions: 2048, nEmbd: 64, nLayer: 2, nHead: 2))
    }

    @Test func unknownKeysAndWrongTypesNameTheKey() {
        #expect(throws: TrainingError.badConfig("unknown config key training.learning_rat (known keys in training: adam_beta1, adam_beta2, adam_epsilon, base_learning_rate, batch_size, checkpoint_every_steps, device, distributed.backend, distributed.bucket_size_mb, distributed.rank_threads, distributed.timeout_seconds, distributed.world_size, eval_every_steps, eval_max_batches, gradient_accumulation_steps, lr_schedule, max_batch_size, max_grad_norm, max_steps, min_delta, min_lr_ratio, patience, progress_every_steps, reference_batch_size, seed, threads, warmup_ratio, warmup_steps_max, warmup_steps_min, weight_decay)")) {
            try TrainingConfig.load(yaml: "training:\n  learning_rat: 1\n")
        }
        #expect(throws: TrainingError.badConfig("training.patience: expected an integer, got \"soon\"")) {
            try TrainingConfig.load(yaml: "training:\n  patience: soon\n")
        }
        #expect(throws: TrainingError.badConfig("model.preset: gpt5 is not one of tiny, gpt2, gpt2-medium")) {
            try TrainingConfig.load(yaml: nil, overrides: ["model.preset=gpt5"])
        }
        #expect(throws: TrainingError.badConfig("unknown config key optimizer.lr (sections are model, training, epoch_calculation, hardware_monitoring)")) {
            try TrainingConfig.load(yaml: nil, overrides: ["optimizer.lr=1"])
        }
        #expect(throws: TrainingError.badConfig("training.batch_size must be positive (or auto), got 0")) {
            try TrainingConfig.load(yaml: nil, overrides: ["training.batch_size=0"])
        }
        #expect(throws: TrainingError.badConfig("training.threads must be positive (or auto), got -1")) {
            try TrainingConfig.load(yaml: nil, overrides: ["training.threads=-1"])
        }
    }

    @Test func resolvedJSONHasSortedKeysAndEveryKey() throws {
        let json = try TrainingConfig.load(yaml: nil, overrides: ["training.max_steps=5"]).resolvedJSON()
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"epoch_calculation":{"max_epochs":10,"min_epochs":3,"target_tokens":20000000},"hardware_monitoring":"#))
        #expect(text.contains(#""batch_size":"auto""#))
        #expect(text.contains(#""max_steps":5"#))
        #expect(text.contains(#""n_layer":null"#))
        // It loads back as a config (a checkpoint keeps it; resume reads it).
        #expect(try TrainingConfig.load(yaml: text) == (try TrainingConfig.load(yaml: nil, overrides: ["training.max_steps=5"])))
    }

    /// As run, no key is null or auto: the preset's sizes (where no key overrides one), the
    /// plan's batch and steps, the device and threads; and it loads back as itself.
    @Test func asRunHoldsEveryChoiceMade() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeDataset(dir, trainSequences: 10, valSequences: 5, sequenceLength: 16, vocabSize: 64)
        let config = try TrainingConfig.load(yaml: nil, overrides: ["model.preset=tiny", "model.n_head=4", "model.n_positions=16",
                                                                    "training.batch_size=4", "training.gradient_accumulation_steps=2",
                                                                    "epoch_calculation.target_tokens=1"])
        let data = try TrainingData(directory: dir)
        let model = config.gptConfig(vocabSize: data.vocabSize)
        let plan = TrainingRunPlan(config: config, data: data, model: model, device: .cpu)
        let ran = config.asRun(model: model, plan: plan, device: .cpu, threads: 3)
        // 10 sequences, 4 × 2 per step: 1 step an epoch, 3 epochs (the minimum); 2 batches of 4 (then 1) validate 5.
        #expect(ran.model.nLayer == 2 && ran.model.nEmbd == 64 && ran.model.nHead == 4)
        #expect(ran.training.batchSize == 4 && ran.training.gradientAccumulationSteps == 2)
        #expect(ran.training.maxSteps == 3 && ran.training.evalMaxBatches == 2)
        #expect(ran.training.device == "cpu" && ran.training.threads == 3)
        let text = String(decoding: try ran.resolvedJSON(), as: UTF8.self)
        #expect(!text.contains("null") && !text.contains("auto"), "\(text)")
        #expect(try TrainingConfig.load(yaml: text) == ran)
    }
}

@Suite struct ScheduleTests {
    @Test func cosineValuesAtChosenSteps() {
        let s = LearningRateSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 111, decay: .cosine, minRatio: 0.1)
        #expect(abs(s.rate(at: 0) - 1e-4) < 1e-15)          // (0 + 1) / 10 × peak
        #expect(abs(s.rate(at: 4) - 5e-4) < 1e-15)
        #expect(abs(s.rate(at: 9) - 1e-3) < 1e-15)           // warmup ends at the peak
        #expect(abs(s.rate(at: 10) - 1e-3) < 1e-15)          // decay starts at the peak
        #expect(abs(s.rate(at: 60) - 5.5e-4) < 1e-12)        // halfway: floor + (peak - floor) / 2
        #expect(abs(s.rate(at: 35) - (1e-4 + 9e-4 * 0.5 * (1 + cos(Double.pi / 4)))) < 1e-15)
        #expect(abs(s.rate(at: 110) - 1e-4) < 1e-15)         // last step: the floor
        #expect(abs(s.rate(at: 500) - 1e-4) < 1e-15)
    }

    @Test func linearValuesAtChosenSteps() {
        let s = LearningRateSchedule(peak: 2.0, warmupSteps: 0, totalSteps: 11, decay: .linear, minRatio: 0)
        #expect(s.rate(at: 0) == 2.0)
        #expect(abs(s.rate(at: 5) - 1.0) < 1e-12)
        #expect(s.rate(at: 10) == 0)
    }

    @Test func warmupIsBoundedByMinAndMax() {
        #expect(TrainingPlanBridge.warmup(totalSteps: 100) == 100)        // 10 < min 100 → 100 (= total)
        #expect(TrainingPlanBridge.warmup(totalSteps: 5_000) == 500)      // 10 %
        #expect(TrainingPlanBridge.warmup(totalSteps: 50_000) == 1_000)   // capped at max
        #expect(TrainingPlanBridge.warmup(totalSteps: 40) == 40)          // never more than the run
    }

    @Test func earlyStoppingFiresOnAPlateau() {
        var e = EarlyStopping(patience: 3, minDelta: 0.01)
        let improved = [2.0, 1.5, 1.495, 1.6, 1.5].map { e.record($0) }  // 1.495: below min_delta, no improvement
        #expect(improved == [true, true, false, false, false])
        #expect(e.shouldStop)
        #expect(e.best == 1.5 && e.badEvaluations == 3)
    }
}

import TrainingPlan
enum TrainingPlanBridge {
    static func warmup(totalSteps: Int) -> Int {
        TrainingPlan.warmupSteps(totalSteps: totalSteps, ratio: 0.1, minSteps: 100, maxSteps: 1000)
    }
}
