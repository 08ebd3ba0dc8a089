import ExperimentStore
import Foundation
import TestSupport
import Testing
import Torch
@testable import Training
import TrainingPlan

/// A tiny model on a made-up dataset: 16 training sequences of 16 tokens, vocabulary 64.
struct TinyRun {
    let dir: URL
    let store: ExperimentStore
    var data: URL { dir.appendingPathComponent("data") }
    var out: URL { dir.appendingPathComponent("model") }

    static let yaml = """
        model:
          preset: tiny
          n_positions: 16
          dropout: 0.1
        training:
          device: cpu
          batch_size: 4
          base_learning_rate: 1e-2
          reference_batch_size: 4
          warmup_steps_min: 2
          warmup_steps_max: 2
          eval_every_steps: 5
          checkpoint_every_steps: 5
          max_steps: 12
          progress_every_steps: 1000
          patience: 100
        epoch_calculation:
          target_tokens: 1000000
          min_epochs: 1
          max_epochs: 50
        hardware_monitoring:
          interval_seconds: 0.2
        """

    init(lastValid: Int? = nil) throws {
        dir = try makeTemporaryDirectory()
        store = try ExperimentStore.open(at: dir.appendingPathComponent("store.db").path)
        try writeDataset(dir.appendingPathComponent("data"), lastValid: lastValid)
    }

    func options(_ overrides: [String] = [], out: URL? = nil) -> TrainOptions {
        var o = TrainOptions(dataDirectory: data, outputDirectory: out ?? self.out)
        o.configYAML = Self.yaml
        o.overrides = overrides
        o.progress = { _ in }
        return o
    }

    func train(_ overrides: [String] = [], out: URL? = nil, configure: (inout TrainOptions) -> Void = { _ in }) throws -> TrainOutcome {
        var o = options(overrides, out: out)
        configure(&o)
        return try Trainer.run(o, store: store)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

extension LibtorchTests {
    @Suite struct TrainerTests {
        @Test func aTinyModelOverfitsOneBatch() throws {
            try Torch.setThreads(ProcessInfo.processInfo.activeProcessorCount)
            let model = try GPTModel(config: GPTConfig(vocabSize: 64, nPositions: 16, nEmbd: 64, nLayer: 2, nHead: 2, dropout: 0), seed: 42)
            let optimizer = try AdamW(model: model, weightDecay: 0)
            var rng = SeededGenerator(seed: 1)
            let tokens = (0..<(4 * 16)).map { _ in Int64.random(in: 0..<64, using: &rng) }
            let targets = (0..<(4 * 16)).map { _ in Int64.random(in: 0..<64, using: &rng) }
            var losses: [Double] = []
            try model.setTraining(true)
            for _ in 0..<80 {
                losses.append(try optimizer.step(tokens: tokens, targets: targets, microBatches: 1, batch: 4, time: 16,
                                                 learningRate: 1e-2, maxGradNorm: 1.0).loss)
            }
            #expect(abs(losses[0] - log(64.0)) < 0.3)   // starts near uniform: ln 64 = 4.16
            #expect(losses.last! < 0.1)                   // random targets memorised
            #expect(optimizer.stepCount == 80)
        }

        @Test(.tags(.slow)) func aRunIsRecordedCompletely() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let outcome = try t.train()
            #expect(outcome.status == .finished)
            #expect(outcome.stepsCompleted == 12)
            let run = try t.store.run("\(outcome.runID)")
            #expect(run.status == .finished)
            let summaries = Dictionary(uniqueKeysWithValues: try t.store.metricSummaries(runID: outcome.runID).map { ($0.key, $0) })
            for key in ["train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "train/step_time_s"] {
                #expect(summaries[key]?.count == 12, "\(key)")
            }
            // Evaluations at steps 5, 10 and the last (12); 4 steps per epoch adds epoch ends 4, 8.
            #expect(summaries["val/loss"]?.count == 5)
            #expect(summaries["val/perplexity"]?.count == 5)
            let loss = try t.store.metricHistory(runID: outcome.runID, key: "train/loss")
            #expect(loss.first!.value! > loss.last!.value!)
            #expect(abs(loss[3].epoch! - 1.0) < 1e-9)
            #expect(try !t.store.hardwareSamples(runID: outcome.runID).isEmpty)
            // The report, with real values.
            let reportURL = t.out.appendingPathComponent("training_report.json")
            let report = try TrainingReport.decoder.decode(TrainingReport.self, from: Data(contentsOf: reportURL))
            #expect(report.trainLossHistory.count == 12 && report.gradientNorms.history.count == 12)
            #expect(abs(report.learningRate.max! - 1e-2) < 1e-12 && report.status == "finished")
            #expect(report.epochLossHistory.count == 3 && report.validationHistory.count == 5)
            #expect(report.hardwarePeaks.samples > 0 && report.hardwarePeaks.processRSSBytes! > 0)
            #expect(try t.store.artifacts(runID: outcome.runID).contains { $0.kind == "report" })
            // Directories step-N, each recorded once; best and last link to them; the
            // periodic ones (5, 10) and the last (12) stay.
            let checkpoints = try t.store.checkpoints(runID: outcome.runID)
            #expect(Set(checkpoints.map(\.step)).isSuperset(of: [5, 10, 12]))
            #expect(checkpoints.count == Set(checkpoints.map(\.step)).count)
            for c in checkpoints { #expect(c.path.hasSuffix(String(format: "/step-%06d", c.step))) }
            let fm = FileManager.default
            #expect(try fm.destinationOfSymbolicLink(atPath: t.out.appendingPathComponent("last").path) == "step-000012")
            // `best` is the evaluation with the lowest validation loss (the first, on a tie:
            // min_delta is 0), as the store's history has it; its row alone is marked best.
            let evaluations = try t.store.metricHistory(runID: outcome.runID, key: "val/loss")
            let lowest = try #require(evaluations.compactMap(\.value).min())
            let bestStep = try #require(evaluations.first { $0.value == lowest }?.step)
            #expect(try fm.destinationOfSymbolicLink(atPath: t.out.appendingPathComponent("best").path) == String(format: "step-%06d", bestStep))
            #expect(report.bestStep == bestStep && report.bestValLoss == lowest)
            #expect(checkpoints.filter(\.isBest).map(\.step).max() == bestStep)
            for step in [5, 10, 12] {
                let dir = t.out.appendingPathComponent(String(format: "step-%06d", step))
                #expect(try ExperimentStore.sha256(ofPath: dir.path).0 == checkpoints.first { $0.step == step }?.sha256)
            }
            for name in ["best", "last"] {
                for file in ["model.safetensors", "config.json", "tokenizer_config.json", "training_state.json", "training_report.json"] {
                    #expect(fm.fileExists(atPath: t.out.appendingPathComponent(name).appendingPathComponent(file).path), "\(name)/\(file)")
                }
            }
            let lastReport = try TrainingReport.decoder.decode(TrainingReport.self, from: Data(contentsOf: t.out.appendingPathComponent("last/training_report.json")))
            #expect(lastReport.status == "finished" && lastReport.stepsCompleted == 12)
            // Superseded bests that nothing else kept are gone; every directory left is recorded.
            let dirs = try fm.contentsOfDirectory(atPath: t.out.path).filter { $0.hasPrefix("step-") }
            #expect(Set(dirs).isSubset(of: Set(checkpoints.map { URL(fileURLWithPath: $0.path).lastPathComponent })))
            #expect(try t.store.phases(runID: outcome.runID).map(\.status) == [.finished])
        }

        @Test(.tags(.slow)) func checkpointRowsNeverPrecedeTheirFiles() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let outcome = try t.train()
            let checkpoints = try t.store.checkpoints(runID: outcome.runID).filter { $0.path.hasSuffix("step-000005") }
            #expect(checkpoints.count == 1)
            for c in checkpoints {
                let weights = URL(fileURLWithPath: c.path).appendingPathComponent("model.safetensors")
                let attributes = try FileManager.default.attributesOfItem(atPath: weights.path)
                let written = try #require(attributes[.modificationDate] as? Date).timeIntervalSince1970
                #expect(written <= c.createdAt)
                #expect(try ExperimentStore.sha256(ofPath: c.path).0 == c.sha256)
                #expect(c.metrics["val/loss"] != nil)
            }
        }

        @Test(.tags(.slow)) func twoRunsOfOneConfigGiveIdenticalLosses() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let a = try t.train(["training.max_steps=6"], out: t.dir.appendingPathComponent("a"))
            let b = try t.train(["training.max_steps=6"], out: t.dir.appendingPathComponent("b"))
            #expect(a.losses.count == 6)
            #expect(a.losses == b.losses)
            let c = try t.train(["training.max_steps=6", "training.seed=43"], out: t.dir.appendingPathComponent("c"))
            #expect(c.losses != a.losses)
        }

        @Test(.tags(.slow)) func resumeContinuesTheCurve() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let straight = try t.train(out: t.dir.appendingPathComponent("straight"))
            let killed = try t.train { $0.stopAfterSteps = 7 }
            #expect(killed.status == .killed && killed.stepsCompleted == 7)
            let resumed = try t.train { $0.resume = "\(killed.runID)"; $0.configYAML = nil }
            #expect(resumed.status == .finished)
            #expect(try t.store.run("\(resumed.runID)").parentRunID == killed.runID)
            #expect(Array(resumed.losses.keys).sorted() == Array(8...12))
            for step in 8...12 { #expect(resumed.losses[step] == straight.losses[step], "step \(step)") }
            for step in 1...7 { #expect(killed.losses[step] == straight.losses[step], "step \(step)") }
            let history = try t.store.metricHistory(runID: resumed.runID, key: "train/loss")
            #expect(history.first?.step == 8)
        }

        @Test(.tags(.slow)) func earlyStoppingFiresOnAPlateau() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let outcome = try t.train(["training.base_learning_rate=1e-12", "training.patience=2", "training.min_delta=0.1",
                                       "training.eval_every_steps=1", "training.max_steps=50"])
            #expect(outcome.status == .finished)
            #expect(outcome.stepsCompleted == 3)   // best at 1, no gain at 2 and 3
            let report = try TrainingReport.decoder.decode(TrainingReport.self, from: Data(contentsOf: t.out.appendingPathComponent("training_report.json")))
            #expect(report.earlyStopping.stoppedEarly && report.earlyStopping.stoppedAtStep == 3)
            // The best is the first evaluation; the run ended two steps later.
            #expect(report.bestStep == 1)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: t.out.appendingPathComponent("best").path) == "step-000001")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: t.out.appendingPathComponent("last").path) == "step-000003")
        }

        @Test func paddingIsMaskedOutOfTheLoss() throws {
            let model = try GPTModel(config: GPTConfig(vocabSize: 20, nPositions: 8, nEmbd: 16, nLayer: 1, nHead: 2), seed: 5)
            let tokens: [Int64] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
            let targets: [Int64] = [2, 3, 4, 5, 6, -1, 8, 9, 10, -1, -1, -1]   // -1: padding
            let r = try model.loss(tokens: tokens, targets: targets, batch: 2, time: 6)
            #expect(r.count == 8)
            // The same sum from the logits, over the real targets only.
            let logits = try model.logits(tokens: tokens, batch: 2, time: 6)
            var expected = 0.0
            for (i, t) in targets.enumerated() where t >= 0 {
                let row = logits[(i * 20)..<((i + 1) * 20)].map(Double.init)
                let top = row.max()!
                expected += log(row.map { exp($0 - top) }.reduce(0, +)) + top - row[Int(t)]
            }
            #expect(abs(r.sum - expected) < 1e-4)
        }

        @Test(.tags(.slow)) func theMemoryStopThresholdStopsCleanlyWithACheckpoint() throws {
            let t = try TinyRun()
            defer { t.remove() }
            var lines: [String] = []
            let outcome = try t.train(["hardware_monitoring.memory_threshold_warn_pct=0", "hardware_monitoring.memory_threshold_stop_pct=0.0001"]) {
                $0.progress = { lines.append($0) }
            }
            #expect(outcome.status == .failed)
            #expect(outcome.error?.contains("reached hardware_monitoring.memory_threshold_stop_pct") == true)
            #expect(outcome.stepsCompleted == 1)   // the sampler's first reading is taken before step 1 ends
            #expect(try t.store.checkpoints(runID: outcome.runID).map(\.step) == [1])
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: t.out.appendingPathComponent("last").path) == "step-000001")
            // A clean stop can be resumed (the checkpoint's config, with the thresholds set back).
            let resumed = try t.train(["training.max_steps=3", "hardware_monitoring.memory_threshold_warn_pct=100",
                                       "hardware_monitoring.memory_threshold_stop_pct=100"]) { $0.resume = "\(outcome.runID)"; $0.configYAML = nil }
            #expect(resumed.status == .finished && Array(resumed.losses.keys).sorted() == [2, 3])
        }

        @Test(.tags(.slow)) func theMemoryWarnThresholdWarnsOnce() throws {
            let t = try TinyRun()
            defer { t.remove() }
            var lines: [String] = []
            let outcome = try t.train(["hardware_monitoring.memory_threshold_warn_pct=0.0001", "training.max_steps=4"]) { o in
                o.progress = { lines.append($0) }
            }
            #expect(outcome.status == .finished)
            #expect(lines.filter { $0.hasPrefix("warning: memory use") }.count == 1)
        }

        // MARK: Bad input: a clear error, status failed, a consistent store.

        func expectFailedRun(_ t: TinyRun, _ outcome: TrainOutcome, containing text: String) throws {
            #expect(outcome.status == .failed)
            #expect(outcome.error?.contains(text) == true, "\(outcome.error ?? "no error")")
            let run = try t.store.run("\(outcome.runID)")
            #expect(run.status == .failed && run.error == outcome.error)
            #expect(try t.store.phases(runID: outcome.runID).map(\.status) == [.failed])
            #expect(try t.store.integrityCheck() == "ok")
        }

        @Test func missingDatasetFailsTheRun() throws {
            let t = try TinyRun()
            defer { t.remove() }
            try FileManager.default.removeItem(at: t.data.appendingPathComponent("val.bin"))
            try expectFailedRun(t, try t.train(), containing: "val.bin does not exist")
        }

        @Test func emptyDatasetFailsTheRun() throws {
            let t = try TinyRun()
            defer { t.remove() }
            try writeTokenFile(t.data.appendingPathComponent("train.bin"), sequences: [], sequenceLength: 16, vocabSize: 64)
            try expectFailedRun(t, try t.train(), containing: "holds no sequences")
        }

        @Test func sequencesLongerThanThePositionsFailTheRun() throws {
            let t = try TinyRun()
            defer { t.remove() }
            try expectFailedRun(t, try t.train(["model.n_positions=8"]), containing: "sequence_length 16 is above model.n_positions 8")
        }

        /// What a machine without a CUDA device (Debian's libtorch has no CUDA) says when asked
        /// for one; where a device is visible there is nothing to refuse, and the test says so.
        @Test(.enabled(if: !Torch.cudaIsAvailable, "a CUDA device is visible: training.device=cuda is not refused here"))
        func cudaWithoutADeviceFailsTheRun() throws {
            let t = try TinyRun()
            defer { t.remove() }
            try expectFailedRun(t, try t.train(["training.device=cuda"]), containing: "this libtorch build has no CUDA device")
        }

        @Test func batchZeroFailsTheRun() throws {
            let t = try TinyRun()
            defer { t.remove() }
            #expect(throws: TrainingError.badConfig("training.batch_size must be positive (or auto), got 0")) { try t.train(["training.batch_size=0"]) }
            let run = try t.store.run("latest")
            #expect(run.status == .failed && run.error == "training.batch_size must be positive (or auto), got 0")
            #expect(try t.store.integrityCheck() == "ok")
        }

        @Test(.tags(.slow)) func anInjectedNaNFailsTheRunAndKeepsTheLastGoodCheckpoint() throws {
            let t = try TinyRun()
            defer { t.remove() }
            let outcome = try t.train { $0.injectNaNAtStep = 6 }
            try expectFailedRun(t, outcome, containing: "the loss became nan")
            #expect(outcome.stepsCompleted == 6)
            let checkpoints = try t.store.checkpoints(runID: outcome.runID)
            #expect(checkpoints.map(\.step).max() == 5)
            // The kept checkpoint has finite weights.
            let model = try ModelDirectory.loadModel(from: t.out.appendingPathComponent("step-000005"))
            #expect(try model.read(parameter: 0).allSatisfy(\.isFinite))
            #expect(!FileManager.default.fileExists(atPath: t.out.appendingPathComponent("last").path))
        }

        @Test func anAllocationFailureFailsTheRun() throws {
            let t = try TinyRun()
            defer { t.remove() }
            // c_attn alone would need 4 × 3 × 2^20 × 2^20 bytes = 12 TiB.
            let outcome = try t.train(["model.n_embd=1048576", "model.n_head=1"])
            try expectFailedRun(t, outcome, containing: "out of memory")
        }
    }
}
