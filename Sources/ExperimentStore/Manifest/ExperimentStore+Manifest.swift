import Foundation
import HardwareMonitor

extension ExperimentStore {
    /// The manifest of `run`: everything the store holds about it (see `RunManifest`).
    public func manifest(for run: RunInfo) throws -> RunManifest {
        let snapshot = try configSnapshot(runID: run.id)
        let config = snapshot.map { snapshot in
            RunManifest.Config(yaml: snapshot.yaml,
                               resolved: (try? JSONValue.parse(Data(snapshot.resolvedJSON.utf8))) ?? .null,
                               sha256: snapshot.sha256)
        }
        let phases = try phases(runID: run.id)
        var phaseStats = [String: JSONValue]()
        for phase in phases { phaseStats[phase.name] = phase.stats }
        let source = ManifestSource(
            run: run, phases: phases, artifacts: try artifacts(runID: run.id), checkpoints: try checkpoints(runID: run.id),
            metrics: Dictionary(uniqueKeysWithValues: try metricSummaries(runID: run.id).map { ($0.key, $0) }),
            resolvedConfig: config?.resolved, peaks: try hardwarePeaks(runID: run.id))
        let trainingReport = try source.trainingReport { try metricHistory(runID: run.id, key: $0) }
        return RunManifest(
            generatedAt: ManifestSource.iso8601(Date().timeIntervalSince1970),
            executionTimestamp: ManifestSource.iso8601(run.startedAt),
            totalExecutionTimeSeconds: run.durationSeconds,
            repositoryStats: source.repositoryStats, trainingParameters: source.trainingParameters,
            sequenceMetadata: source.sequenceMetadata, phaseResults: source.phaseResults,
            trainingReport: trainingReport,
            run: RunManifest.Run(run, store: URL(fileURLWithPath: path).standardizedFileURL.path), config: config,
            params: Dictionary(uniqueKeysWithValues: try params(runID: run.id).map { ($0.key, $0.value) }),
            metrics: source.metrics, phases: phases, phaseStats: phaseStats,
            checkpoints: source.checkpoints, artifacts: source.artifacts,
            embeddings: try manifestEmbeddings(source), hardwarePeaks: source.peaks,
            hardwarePeaksByRank: try hardwarePeaksByRank(runID: run.id),
            hardwarePeaksByPhase: try hardwarePeaksByPhase(runID: run.id))
    }

    /// Phase 3's section: the vectors of the model the `embed` phase used (or the run's
    /// first set), and the ledger's pushes. `nil` when the run holds no embeddings.
    private func manifestEmbeddings(_ source: ManifestSource) throws -> RunManifest.Embeddings? {
        let sets = try embeddingSets(runID: source.run.id)
        let model = source.phase(ManifestSource.embedNames)?.stats["model"]?.stringValue
        guard let set = sets.first(where: { $0.model == model }) ?? sets.first else { return nil }
        return RunManifest.Embeddings(model: set.model, dimension: set.dimension, count: set.count,
                                      qdrantPushes: try qdrantPushSummaries(runID: source.run.id))
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
