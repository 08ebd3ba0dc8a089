import DurableFiles
import ExperimentStore
import Foundation
import HardwareMonitor
import Torch

/// `training_report.json`: the original system's report (loss histories, gradient-norm and
/// learning-rate min/max/history, hardware peaks, perplexity, early stopping, timing), with
/// real values. Histories carry over a resume, so a resumed run reports the whole curve.
public struct TrainingReport: Codable, Sendable, Equatable {
    public struct EpochLoss: Codable, Sendable, Equatable { public var epoch: Int; public var trainLoss: Double; public var steps: Int }
    public struct Evaluation: Codable, Sendable, Equatable {
        public var step: Int; public var epoch: Double; public var valLoss: Double; public var perplexity: Double
    }
    public struct Series: Codable, Sendable, Equatable {
        public var min: Double?
        public var max: Double?
        public var history: [Double] = []
        mutating func add(_ v: Double) {
            history.append(v)
            min = Swift.min(min ?? v, v)
            max = Swift.max(max ?? v, v)
        }
    }
    public struct EarlyStoppingInfo: Codable, Sendable, Equatable {
        public var patience: Int; public var minDelta: Double
        public var stoppedEarly = false; public var stoppedAtStep: Int?
        public var evaluationsWithoutImprovement = 0
    }
    public struct Timing: Codable, Sendable, Equatable {
        public var startedAt: Double; public var finishedAt: Double?
        public var trainingSeconds = 0.0; public var meanStepSeconds: Double?; public var tokensPerSecond: Double?
    }

    public var status = "running"
    public var error: String?
    public var model: [String: Int] = [:]
    public var trainingParameters: [String: Double] = [:]
    public var device = "cpu"
    public var stepsCompleted = 0
    public var epochsCompleted = 0.0
    public var trainLossHistory: [Double] = []      // every optimizer step
    public var epochLossHistory: [EpochLoss] = []   // mean train loss per epoch
    public var validationHistory: [Evaluation] = []
    public var gradientNorms = Series()
    public var learningRate = Series()
    public var hardwarePeaks = HardwarePeaks()
    public var bestValLoss: Double?
    public var bestStep: Int?
    public var finalTrainLoss: Double?
    public var finalValLoss: Double?
    public var perplexity: Double?
    public var earlyStopping: EarlyStoppingInfo
    public var timing: Timing
    public var resumedFromRun: String?
    public var resumedAtStep: Int?

    public init(patience: Int, minDelta: Double) {
        earlyStopping = EarlyStoppingInfo(patience: patience, minDelta: minDelta)
        timing = Timing(startedAt: Date().timeIntervalSince1970)
    }

    /// A report started now, with the config's early stopping.
    init(_ training: TrainingConfig.Training) {
        self.init(patience: training.patience, minDelta: training.minDelta)
    }

    /// What is trained, where, and the run's plan (`training_parameters`).
    mutating func describe(model g: GPTConfig, device: Device, parameters: [String: Double]) {
        model = ["vocab_size": g.vocabSize, "n_positions": g.nPositions, "n_embd": g.nEmbd, "n_layer": g.nLayer,
                 "n_head": g.nHead, "parameters": g.parameterCount]
        self.device = device.rawValue
        trainingParameters = parameters
    }

    /// One optimizer step: `step` steps completed.
    mutating func add(step: Int, epoch: Double, loss: Double, gradNorm: Double, learningRate rate: Double) {
        trainLossHistory.append(loss)
        gradientNorms.add(gradNorm)
        learningRate.add(rate)
        stepsCompleted = step
        epochsCompleted = epoch
        finalTrainLoss = loss
    }

    /// One evaluation, and where early stopping stands after it.
    mutating func add(evaluation: Evaluation, isBest: Bool, badEvaluations: Int) {
        validationHistory.append(evaluation)
        finalValLoss = evaluation.valLoss
        perplexity = evaluation.perplexity
        earlyStopping.evaluationsWithoutImprovement = badEvaluations
        if isBest {
            bestValLoss = evaluation.valLoss
            bestStep = evaluation.step
        }
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    public func write(to url: URL) throws { try DurableFile.write(try Self.encoder.encode(self), to: url) }

    /// Writes the final report into `directory` (created if missing) and records it as the
    /// run's `report` artifact. Best effort: a run that failed because its output directory
    /// cannot be written still finishes.
    func record(in directory: URL, run: RunHandle) {
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return }
        let url = directory.appendingPathComponent(ModelDirectory.reportFile)
        if (try? write(to: url)) != nil { _ = try? run.recordArtifact(path: url.path, kind: "report", name: ModelDirectory.reportFile) }
    }
}
