import Foundation

extension ManifestSource {
    /// `phase_results`: each of the original's five phases, `not_run` when the run has none.
    var phaseResults: RunManifest.PhaseResults {
        RunManifest.PhaseResults(
            analyze: result("phase_0_analyze", Self.analyseNames) { _, _, _ in },
            scrape: result("phase_1_scrape", Self.scrapeNames) { r, s, outputs in
                let commits = outputs.last(where: { $0.name == "commits.jsonl" })
                r.outputFile = commits?.path
                r.sizeMb = (commits?.bytes ?? s["commits_bytes"]?.intValue.map(Int64.init)).map(Self.megabytes)
                r.commitsProcessed = s["commits"]?.intValue
                r.commitsWithErrors = s["commits_with_errors"]?.intValue
            },
            tokenize: result("phase_2_tokenize", Self.tokenizeNames) { r, s, outputs in
                let train = outputs.last(where: { $0.name == "train.bin" })
                r.outputFile = train?.path
                r.sizeMb = train.map { Self.megabytes($0.bytes) }
                if let t = s["train_sequences"]?.intValue, let v = s["val_sequences"]?.intValue { r.numSequences = t + v }
                if let t = s["train_tokens"]?.intValue, let v = s["val_tokens"]?.intValue { r.totalTokens = t + v }
            },
            embeddings: result("phase_3_embeddings", Self.embedNames) { r, s, _ in
                r.embeddingDimension = s["dimension"]?.intValue
                r.model = s["model"]?.stringValue
                r.commitsProcessed = s["commits"]?.intValue
            },
            training: result("phase_4_training", Self.trainNames) { r, s, outputs in
                let report = outputs.last(where: { $0.kind == "report" })
                let model = checkpoints.last(where: { $0.isBest }) ?? checkpoints.last
                r.outputFile = report?.path
                r.modelDir = model?.path
                r.modelSizeMb = model.map { Self.megabytes($0.bytes) }
                r.sizeMb = r.modelSizeMb
                r.epochs = s["epochs"]?.number
                r.steps = s["steps"]?.intValue
                r.numSequences = s["plan"]?["train_sequences"]?.intValue
            })
    }

    /// The result (`phase_results.KEY`) of the last phase named one of `names`; `fill` adds its own numbers
    /// from the phase's stats and outputs. A failed phase always has an error: its own, the
    /// run's, or one saying that none was recorded (a client of `ingest` may send none).
    private func result(_ key: String, _ names: Set<String>,
                        _ fill: (inout RunManifest.PhaseResult, JSONValue, [Output]) -> Void) -> RunManifest.PhaseResult {
        let own = RunManifest.PhaseResult.fields[key] ?? []
        guard let phase = phase(names) else { return RunManifest.PhaseResult(status: "not_run", outputs: [], ownFields: own) }
        let status = status(of: phase)
        let outputs = outputs(of: phase)
        var result = RunManifest.PhaseResult(
            status: status, phase: phase.name, timestamp: Self.iso8601(phase.endedAt ?? phase.startedAt),
            durationSeconds: phase.durationSeconds, outputs: outputs,
            error: phase.error ?? (status != phase.status.rawValue ? run.error : nil)
                ?? (status == PhaseStatus.failed.rawValue ? "the phase failed without recording an error" : nil),
            ownFields: own)
        fill(&result, phase.stats, outputs)
        return result
    }
}
