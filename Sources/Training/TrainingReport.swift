import DurableFiles
import Foundation
import HardwareMonitor

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
}
