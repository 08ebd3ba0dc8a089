import ExperimentStore
import Foundation
import HardwareMonitor

/// The JSON documents the API serves and the report embeds; one builder for both, so a report
/// shows exactly what the live pages show. Keys are snake_case (see `ExperimentStore.jsonEncoder`).
public enum DashboardData {
    /// `/api/runs`: every run with its list figures.
    public struct RunList: Codable, Sendable {
        public var store: String
        public var runs: [RunOverview]
    }

    /// `/api/runs/{id}`: everything about one run but its histories.
    public struct RunDetail: Codable, Sendable {
        public struct Config: Codable, Sendable {
            public var yaml: String?
            public var resolvedJson: String
            public var sha256: String
        }
        public var run: RunInfo
        public var metrics: [MetricSummary]
        public var phases: [PhaseRecord]
        public var checkpoints: [CheckpointRecord]
        public var artifacts: [ArtifactRecord]
        public var config: Config?
        public var params: [Param]
        public var hardwarePeaks: HardwarePeaks
        /// The seconds the page waits between two looks at a running run.
        public var pollSeconds: Double
        /// The longest a run's writer holds points before they are in the store (its default
        /// flush interval): a point is on an open page within this plus one or two polls.
        public var writerFlushSeconds: Double
    }

    /// `/api/runs/{id}/metrics`: one series per asked key.
    public struct MetricsResponse: Codable, Sendable {
        public var runId: Int64
        public var series: [MetricSeries]
    }

    /// `/api/compare`: the comparison, every run's params side by side, and the overlaid series.
    public struct Comparison: Codable, Sendable {
        public struct ParamRow: Codable, Sendable {
            public var key: String
            public var values: [String?]
            public var differs: Bool
        }
        public var runs: [RunInfo]
        public var comparison: RunComparison
        public var params: [ParamRow]
        /// Per metric key, one series per run (in the order of `runs`; empty where a run lacks it).
        public var series: [String: [MetricSeries]]
    }

    /// How often a page looks again at a running run: well inside the 2 s it may lag the store.
    public static let pollSeconds = 1.0
    /// The most buckets one series request may ask for.
    public static let maxBuckets = 20_000

    public static func runList(_ store: ExperimentStore) throws -> RunList {
        RunList(store: store.path, runs: try store.runOverviews())
    }

    public static func runDetail(_ store: ExperimentStore, run ref: String) throws -> RunDetail {
        let run = try store.run(ref)
        return RunDetail(
            run: run, metrics: try store.metricSummaries(runID: run.id), phases: try store.phases(runID: run.id),
            checkpoints: try store.checkpoints(runID: run.id), artifacts: try store.artifacts(runID: run.id),
            config: try store.configSnapshot(runID: run.id).map { .init(yaml: $0.yaml, resolvedJson: $0.resolvedJSON, sha256: $0.sha256) },
            params: try store.params(runID: run.id), hardwarePeaks: try store.hardwarePeaks(runID: run.id),
            pollSeconds: pollSeconds, writerFlushSeconds: RunHandle.defaultFlushInterval)
    }

    /// Series of `keys` (nil: every key the run has), each downsampled to `buckets`.
    public static func metrics(_ store: ExperimentStore, run ref: String, keys: [String]?, from: Int?, to: Int?,
                               buckets: Int) throws -> MetricsResponse {
        let run = try store.run(ref)
        let keys = try keys ?? store.metricSummaries(runID: run.id).map(\.key)
        return MetricsResponse(runId: run.id, series: try keys.map {
            try store.metricSeries(runID: run.id, key: $0, fromStep: from, toStep: to, buckets: buckets)
        })
    }

    public static func compare(_ store: ExperimentStore, runs refs: [String], buckets: Int) throws -> Comparison {
        guard !refs.isEmpty else { throw DashboardError.badRequest("compare needs runs: ?runs=ID,ID,... (ids, names or uuid prefixes)") }
        let runs = try refs.map { try store.run($0) }
        let comparison = try store.compare(runs)
        let params = try runs.map { run in
            Dictionary(try store.params(runID: run.id).map { ($0.key, $0.value ?? "null") }, uniquingKeysWith: { a, _ in a })
        }
        let paramRows = Set(params.flatMap(\.keys)).sorted().map { key in
            let values = params.map { $0[key] }
            return Comparison.ParamRow(key: key, values: values, differs: Set(values.map { $0 ?? "\u{0}" }).count > 1)
        }
        var series = [String: [MetricSeries]]()
        for row in comparison.metrics {
            series[row.key] = try zip(runs, row.runs).map { run, summary in
                guard summary != nil else { return MetricSeries(key: row.key, buckets: buckets) }
                return try store.metricSeries(runID: run.id, key: row.key, buckets: buckets)
            }
        }
        return Comparison(runs: runs, comparison: comparison, params: paramRows, series: series)
    }

    /// The JSON text of any document, as served.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        // Series are most of the bytes of these two: written by hand (see SeriesJSON).
        if let response = value as? MetricsResponse { return SeriesJSON.metrics(response) }
        if let comparison = value as? Comparison { return try SeriesJSON.comparison(comparison) }
        return try ExperimentStore.jsonEncoder(pretty: false).encode(value)
    }
}
