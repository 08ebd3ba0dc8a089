import Foundation
import GRDB

/// A run with the figures a list of runs shows, read from the running summaries (never from
/// the metric history, so a list of long runs costs one small query).
public struct RunOverview: Codable, Sendable, Equatable {
    public var run: RunInfo
    /// The lowest `val/loss` (else `val_loss`), and the step it was reached at.
    public var bestValLoss: Double?
    public var bestValLossStep: Int?
    /// The last `train/loss` (else `train_loss`, else `loss`).
    public var lastTrainLoss: Double?
    public var metricKeys: Int
    public var metricPoints: Int
    /// The highest step logged for any key (nil before the first point).
    public var lastStep: Int?
}

extension ExperimentStore {
    /// Keys read as "validation loss" and "training loss", in order of preference.
    public static let validationLossKeys = ["val/loss", "val_loss"]
    public static let trainingLossKeys = ["train/loss", "train_loss", "loss"]

    /// Every run, oldest first, with its best validation loss, last training loss and counts.
    public func runOverviews() throws -> [RunOverview] {
        let runs = try self.runs()
        let figures = try read { db in
            var byRun = [Int64: [String: (min: Double?, minStep: Int?, last: Double?, count: Int, lastStep: Int)]]()
            for row in try Row.fetchAll(db, sql: """
                SELECT s.run_id, k.key, s.min, s.min_step, s.last, s.count, s.last_step
                FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
                """) {
                byRun[row[0], default: [:]][row[1]] = (row[2], row[3], row[4], row[5], row[6])
            }
            return byRun
        }
        return runs.map { run in
            let keys = figures[run.id] ?? [:]
            let validation = Self.validationLossKeys.lazy.compactMap { keys[$0] }.first
            let training = Self.trainingLossKeys.lazy.compactMap { keys[$0] }.first
            return RunOverview(run: run, bestValLoss: validation?.min, bestValLossStep: validation?.minStep,
                               lastTrainLoss: training?.last, metricKeys: keys.count,
                               metricPoints: keys.values.reduce(0) { $0 + $1.count },
                               lastStep: keys.values.map(\.lastStep).max())
        }
    }
}
