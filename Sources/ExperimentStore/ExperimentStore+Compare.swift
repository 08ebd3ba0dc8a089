import Foundation
import HardwareMonitor

/// Which way a metric improves, decided from its key: losses, perplexities, errors and times
/// go down; accuracies, scores and throughputs go up; anything else is read as lower-is-better.
public enum MetricDirection: String, Codable, Sendable {
    case lowerIsBetter = "lower"
    case higherIsBetter = "higher"

    public static func forKey(_ key: String) -> MetricDirection {
        let lower = key.lowercased()
        for marker in ["acc", "score", "f1", "precision", "recall", "tokens_per_s", "throughput", "per_s"] where lower.contains(marker) {
            return .higherIsBetter
        }
        return .lowerIsBetter
    }
}

/// What `blocklab compare` shows: config keys that differ, each metric's final / min / max
/// and best step per run, durations and hardware peaks.
public struct RunComparison: Codable, Sendable {
    public struct RunBrief: Codable, Sendable {
        public var id: Int64
        public var uuid: String
        public var name: String
        public var status: RunStatus
        public var durationSeconds: Double
        public var worldSize: Int
    }
    public struct ParamDifference: Codable, Sendable {
        public var key: String
        /// One per run, in the order of `runs`; nil where the run has no such key.
        public var values: [String?]
    }
    public struct MetricRow: Codable, Sendable {
        public var key: String
        public var direction: MetricDirection
        /// True when every run has the key.
        public var shared: Bool
        public var runs: [MetricSummary?]
        /// For each run, the best value and the step it was reached at.
        public var best: [BestValue?]
        /// Index into `runs` of the run with the best value.
        public var bestRun: Int?
    }
    public struct BestValue: Codable, Sendable {
        public var value: Double
        public var step: Int
    }

    public var runs: [RunBrief]
    public var differingParams: [ParamDifference]
    public var metrics: [MetricRow]
    /// One per run, over all its samples; and per run, one per process (host and rank).
    public var hardwarePeaks: [HardwarePeaks]
    public var hardwarePeaksByRank: [[RankPeaks]]
    /// Per run, by phase name (`hardwarePeaksByPhase`).
    public var hardwarePeaksByPhase: [[String: HardwarePeaks]]
}

extension ExperimentStore {
    /// Compares runs; with `metricKeys`, only those metrics.
    public func compare(_ runs: [RunInfo], metricKeys: [String]? = nil) throws -> RunComparison {
        let params = try runs.map { run in
            Dictionary(uniqueKeysWithValues: try self.params(runID: run.id).map { ($0.key, $0.value ?? "null") })
        }
        let allKeys = Set(params.flatMap(\.keys)).sorted()
        let differing = allKeys.compactMap { key -> RunComparison.ParamDifference? in
            let values = params.map { $0[key] }
            return Set(values.map { $0 ?? "\u{0}absent" }).count > 1 ? .init(key: key, values: values) : nil
        }
        let summaries = try runs.map { run in
            Dictionary(uniqueKeysWithValues: try metricSummaries(runID: run.id).map { ($0.key, $0) })
        }
        var metricKeysToShow = Set(summaries.flatMap(\.keys)).sorted()
        if let metricKeys {
            let missing = metricKeys.filter { !metricKeysToShow.contains($0) }
            if !missing.isEmpty {
                throw StoreError.invalid("no run being compared has the metric \(missing.joined(separator: ", ")); its keys are: \(metricKeysToShow.joined(separator: ", "))")
            }
            metricKeysToShow = metricKeys
        }
        let rows = metricKeysToShow.map { key -> RunComparison.MetricRow in
            let direction = MetricDirection.forKey(key)
            let perRun = summaries.map { $0[key] }
            let best = perRun.map { summary -> RunComparison.BestValue? in
                guard let summary else { return nil }
                switch direction {
                case .lowerIsBetter:
                    guard let value = summary.min, let step = summary.minStep else { return nil }
                    return .init(value: value, step: step)
                case .higherIsBetter:
                    guard let value = summary.max, let step = summary.maxStep else { return nil }
                    return .init(value: value, step: step)
                }
            }
            var bestRun: Int?
            for (index, candidate) in best.enumerated() {
                guard let candidate else { continue }
                if let current = bestRun, let currentBest = best[current] {
                    let better = direction == .lowerIsBetter ? candidate.value < currentBest.value : candidate.value > currentBest.value
                    if better { bestRun = index }
                } else {
                    bestRun = index
                }
            }
            return .init(key: key, direction: direction, shared: !perRun.contains { $0 == nil },
                         runs: perRun, best: best, bestRun: bestRun)
        }
        return RunComparison(
            runs: runs.map { .init(id: $0.id, uuid: $0.uuid, name: $0.name, status: $0.status, durationSeconds: $0.durationSeconds,
                                   worldSize: $0.worldSize) },
            differingParams: differing, metrics: rows,
            hardwarePeaks: try runs.map { try hardwarePeaks(runID: $0.id) },
            hardwarePeaksByRank: try runs.map { try hardwarePeaksByRank(runID: $0.id) },
            hardwarePeaksByPhase: try runs.map { try hardwarePeaksByPhase(runID: $0.id) })
    }
}
