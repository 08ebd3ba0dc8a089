import Foundation
import HardwareMonitor

/// The manifest of one run (`MANIFEST_DYNAMIC.json`): everything the store holds about it,
/// in one JSON document that `jq` can read. Sections the pipeline adds later
/// (repository stats, training parameters, training report) come from the run's phases.
public struct RunManifest: Codable, Sendable {
    public struct Config: Codable, Sendable {
        public var yaml: String?
        public var resolved: JSONValue
        public var sha256: String
    }

    public var manifestVersion = 1
    public var blocklabVersion = BlockLabVersion.string
    public var generatedAt: String
    public var run: RunInfo
    public var config: Config?
    public var params: [String: String?]
    public var metrics: [String: MetricSummary]
    public var phases: [PhaseRecord]
    /// Each finished phase's stats by phase name (the pipeline's sections: e.g. `analyse`, `scrape`).
    public var phaseStats: [String: JSONValue]
    public var checkpoints: [CheckpointRecord]
    public var artifacts: [ArtifactRecord]
    /// Over every sample of the run (all ranks).
    public var hardwarePeaks: HardwarePeaks
    /// Per process (host and rank): a data-parallel run has one entry per rank.
    public var hardwarePeaksByRank: [RankPeaks]
}

extension ExperimentStore {
    public func manifest(for run: RunInfo) throws -> RunManifest {
        let config = try configSnapshot(runID: run.id).map { snapshot in
            RunManifest.Config(yaml: snapshot.yaml,
                               resolved: (try? JSONValue.parse(Data(snapshot.resolvedJSON.utf8))) ?? .null,
                               sha256: snapshot.sha256)
        }
        let phases = try phases(runID: run.id)
        var phaseStats = [String: JSONValue]()
        for phase in phases { phaseStats[phase.name] = phase.stats }
        return RunManifest(
            generatedAt: ISO8601DateFormatter().string(from: Date()),
            run: run, config: config,
            params: Dictionary(uniqueKeysWithValues: try params(runID: run.id).map { ($0.key, $0.value) }),
            metrics: Dictionary(uniqueKeysWithValues: try metricSummaries(runID: run.id).map { ($0.key, $0) }),
            phases: phases, phaseStats: phaseStats,
            checkpoints: try checkpoints(runID: run.id), artifacts: try artifacts(runID: run.id),
            hardwarePeaks: try hardwarePeaks(runID: run.id), hardwarePeaksByRank: try hardwarePeaksByRank(runID: run.id))
    }

    /// The encoder every JSON output of BlockLab uses: snake_case keys, sorted, pretty.
    public static func jsonEncoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}
