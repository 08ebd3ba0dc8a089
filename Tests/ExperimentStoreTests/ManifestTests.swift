import Foundation
import TestSupport
import Testing
@testable import ExperimentStore

/// The manifest's sections from one run that recorded every phase (as the pipeline does),
/// with stats known in advance: each original key is read from the stat it names, phases
/// map to `phase_results`, outputs to the phase they were recorded in, and a run killed
/// mid-phase says so.
@Suite struct ManifestTests {
    private func stats(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    private func encoded(_ manifest: RunManifest) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: ExperimentStore.jsonEncoder().encode(manifest)) as? [String: Any])
    }

    @Test func everyPhaseOfOneRunFillsItsSection() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let config = #"{"epoch_calculation": {"target_tokens": 1000, "min_epochs": 1, "max_epochs": 4}, "model": {"preset": "tiny"}, "training": {"base_learning_rate": 5e-05}}"#
        let run = try store.startRun(RunSpec(name: "all", config: ConfigSnapshot(yaml: nil, resolvedJSON: json(config)),
                                             sourceRepository: "/src/repo", sourceCommit: "abc123"))
        try run.startPhase("analyse")
        try run.finishPhase("analyse", stats: try stats("""
            {"repository": "/src/repo", "references": "heads", "is_bare": false, "is_shallow": false,
             "branches": [{"name": "feature", "commits": 3}, {"name": "main", "commits": 7}], "tags": ["v1"],
             "other_references": {}, "unique_commits": 8, "merges": 1, "authors": 3, "authors_mailmapped": 2,
             "first_commit_time": "2024-01-01T10:00:00+05:30", "last_commit_time": "2024-01-02T10:00:00+05:30",
             "first_commit_timestamp": 1704083400, "last_commit_timestamp": 1704169800, "span_days": 1.0, "commits_per_day": 8.0,
             "estimate": {"target_tokens": 1000, "sequence_length": 32, "min_epochs": 1, "max_epochs": 4},
             "estimated_sequences": 5, "estimated_epochs": 4}
            """))
        try run.startPhase("scrape")
        try Data(repeating: 65, count: 2_097_152).write(to: URL(fileURLWithPath: dir.file("commits.jsonl")))
        try run.recordArtifact(path: dir.file("commits.jsonl"), kind: "dataset")
        try run.finishPhase("scrape", stats: try stats(#"{"commits": 8, "commits_with_errors": 1, "commits_bytes": 2097152}"#),
                            error: "1 commits with unreadable objects (see their error field)")
        try run.startPhase("tokenize")
        for file in ["train.bin", "val.bin"] {
            try Data(file.utf8).write(to: URL(fileURLWithPath: dir.file(file)))
            try run.recordArtifact(path: dir.file(file), kind: "dataset")
        }
        try run.finishPhase("tokenize", stats: try stats("""
            {"vocab_size": 320, "sequence_length": 32, "overlap": 0, "train_sequences": 40, "val_sequences": 5,
             "train_tokens": 1270, "val_tokens": 150, "epochs": 4, "tokens_by_source": {"commit": 1000, "file_chunk": 420},
             "tokenizer_sha256": "\(String(repeating: "a", count: 64))"}
            """))
        try run.startPhase("embed")
        try store.saveEmbeddings(runID: run.id, model: "mini", dimension: 2,
                                 records: ["c1", "c2", "c3"].map { EmbeddingRecord(itemID: $0, vector: [1, 0]) })
        try store.recordPushes(runID: run.id, url: "http://127.0.0.1:6333", collection: "commits",
                               points: [("c1", "p1"), ("c2", "p2")])
        try run.finishPhase("embed", stats: try stats(#"{"model": "mini", "dimension": 2, "commits": 3}"#))
        try run.startPhase("train")
        for step in 1...4 {
            run.log(step: step, epoch: Double(step) / 2, ["train/loss": 5 - Double(step), "train/lr": 0.001 * Double(step), "train/grad_norm": Double(step)])
            if step % 2 == 0 { run.log(step: step, epoch: Double(step) / 2, ["val/loss": 6 - Double(step), "val/perplexity": exp(6 - Double(step))]) }
        }
        try Data("weights".utf8).write(to: URL(fileURLWithPath: dir.file("weights")))
        try run.recordCheckpoint(path: dir.file("weights"), step: 4, epoch: 2, format: "safetensors", isBest: true)
        try run.finishPhase("train", stats: try stats("""
            {"steps": 4, "epochs": 2.0, "best_val_loss": 2.0, "best_step": 4, "final_train_loss": 1.0, "final_val_loss": 2.0,
             "perplexity": 7.389, "device": "cpu", "stopped_early": false, "training_seconds": 1.5, "mean_step_seconds": 0.25,
             "tokens_per_second": 500.0, "epoch_train_losses": [3.5, 1.5], "model": {"n_layer": 2, "parameters": 1000},
             "plan": {"epochs": 2, "total_steps": 4, "steps_per_epoch": 2, "warmup_steps": 1, "batch_size": 16,
                      "gradient_accumulation_steps": 1, "peak_learning_rate": 0.004, "train_sequences": 40,
                      "validation_sequences": 5, "sequence_length": 32, "threads": 2}}
            """))
        try run.finish()

        let manifest = try store.manifest(for: try store.run("all"))
        let repository = try #require(manifest.repositoryStats)
        #expect(repository.totalCommitsAcrossBranches == 10 && repository.uniqueCommits == 8 && repository.uniqueAuthors == 3)
        #expect(repository.branches == 2 && repository.branchNames == ["feature", "main"] && repository.commitsPerBranch == ["feature": 3, "main": 7])
        #expect(repository.firstCommitTimestamp == 1_704_083_400 && repository.lastCommitTimestamp == 1_704_169_800)
        #expect(repository.timeSpanDays == 1 && repository.commitsPerDay == 8 && repository.estimatedEpochs == 4)

        let parameters = try #require(manifest.trainingParameters)
        #expect(parameters.source == "train" && parameters.numSequences == 40 && parameters.epochs == 2)
        #expect(parameters.stepsPerEpoch == 2 && parameters.totalSteps == 4 && parameters.warmupSteps == 1 && parameters.batchSize == 16)
        #expect(parameters.targetTokens == 1000 && parameters.baseLearningRate == 5e-05 && parameters.peakLearningRate == 0.004)
        #expect(parameters.minEpochs == 1 && parameters.maxEpochs == 4 && parameters.device == "cpu" && parameters.threads == 2)

        let sequences = try #require(manifest.sequenceMetadata)
        #expect(sequences.training.numSequences == 40 && sequences.training.totalTokens == 1270 && sequences.training.path == dir.file("train.bin"))
        #expect(sequences.validation.numSequences == 5 && sequences.validation.path == dir.file("val.bin"))
        #expect(sequences.combined.numSequences == 45 && sequences.combined.totalTokens == 1420 && sequences.combined.path == nil)
        #expect(sequences.epochs == 4 && sequences.tokensBySource == ["commit": 1000, "file_chunk": 420])

        let results = manifest.phaseResults
        #expect([results.analyze, results.scrape, results.tokenize, results.embeddings, results.training].map(\.status)
                == ["finished", "finished", "finished", "finished", "finished"])
        #expect(results.scrape.commitsProcessed == 8 && results.scrape.commitsWithErrors == 1 && results.scrape.sizeMb == 2)
        #expect(results.scrape.error == "1 commits with unreadable objects (see their error field)")
        #expect(results.scrape.outputs.map(\.name) == ["commits.jsonl"] && results.scrape.outputFile == dir.file("commits.jsonl"))
        #expect(results.tokenize.outputs.map(\.name) == ["train.bin", "val.bin"] && results.tokenize.numSequences == 45 && results.tokenize.totalTokens == 1420)
        #expect(results.embeddings.embeddingDimension == 2 && results.embeddings.model == "mini" && results.embeddings.outputs.isEmpty)
        #expect(results.training.outputs.map(\.kind) == ["checkpoint"] && results.training.modelDir == dir.file("weights"))
        #expect(results.training.epochs == 2 && results.training.steps == 4 && results.training.numSequences == 40)
        #expect(results.analyze.outputs.isEmpty)

        let report = try #require(manifest.trainingReport)
        #expect(report.modelName == "tiny" && report.epochsCompleted == 2 && report.stepsCompleted == 4 && report.status == "finished")
        #expect(report.training.finalTrainLoss == 1 && report.training.finalValLoss == 2 && report.training.bestValLoss == 2)
        #expect(report.training.minTrainLoss == 1 && report.training.maxTrainLoss == 4 && report.training.minValLoss == 2 && report.training.maxValLoss == 4)
        #expect(report.training.lossHistory.train == [3.5, 1.5] && report.training.lossHistory.val == [4, 2])
        #expect(report.gradients.minNorm == 1 && report.gradients.maxNorm == 4 && report.gradients.history == [1, 2, 3, 4])
        #expect(report.learningRate.history == [0.001, 0.002, 0.003, 0.004] && report.learningRate.max == 0.004)
        #expect(report.hardware.batchSize == 16 && report.hardware.numWorkers == 2 && !report.hardware.hasGpu)
        #expect(report.model == ["n_layer": 2, "parameters": 1000] && report.timing.meanStepSeconds == 0.25)

        let embeddings = try #require(manifest.embeddings)
        #expect(embeddings.model == "mini" && embeddings.dimension == 2 && embeddings.count == 3)
        #expect(embeddings.qdrantPushes.map(\.points) == [2] && embeddings.qdrantPushes.first?.collection == "commits")

        #expect(manifest.run.store == dir.file("s.db") && manifest.run.sourceRepo == "/src/repo" && manifest.run.sourceCommit == "abc123")
        let json = try encoded(manifest)
        let keys = ["execution_timestamp", "total_execution_time_seconds", "repository_stats", "training_parameters",
                    "sequence_metadata", "phase_results", "training_report", "run", "checkpoints", "artifacts", "embeddings"]
        #expect(keys.allSatisfy { json[$0] != nil }, "\(json.keys.sorted())")
        #expect(Set(((json["phase_results"] as? [String: Any]) ?? [:]).keys)
                == ["phase_0_analyze", "phase_1_scrape", "phase_2_tokenize", "phase_3_embeddings", "phase_4_training"])
    }

    @Test func aRunKilledDuringAPhaseNamesItAndLeavesTheRestNull() throws {
        let dir = TempDir()
        let store = try ExperimentStore.open(at: dir.file("s.db"))
        let run = try store.startRun(RunSpec(name: "cut"))
        try run.startPhase("train")
        run.log(step: 1, ["train/loss": 3])
        try run.finish(status: .killed, error: "interrupted (SIGINT)")

        let manifest = try store.manifest(for: try store.run("cut"))
        // The store closes the open phase as failed, with the run's error.
        #expect(manifest.run.status == .killed && manifest.run.error == "interrupted (SIGINT)")
        #expect(manifest.phaseResults.training.status == "failed" && manifest.phaseResults.training.error == "interrupted (SIGINT)")
        #expect(manifest.phaseResults.training.durationSeconds != nil && manifest.phaseResults.training.phase == "train")
        #expect(manifest.trainingReport?.status == "failed" && manifest.trainingReport?.training.finalTrainLoss == 3)
        #expect(manifest.trainingParameters == nil && manifest.repositoryStats == nil && manifest.sequenceMetadata == nil && manifest.embeddings == nil)
        #expect([manifest.phaseResults.analyze, manifest.phaseResults.scrape, manifest.phaseResults.tokenize, manifest.phaseResults.embeddings]
                    .allSatisfy { $0.status == "not_run" && $0.phase == nil && $0.outputs.isEmpty })
        // Absent sections are null, not missing, so `jq .training_parameters` says null.
        let json = try encoded(manifest)
        for key in ["training_parameters", "repository_stats", "sequence_metadata", "embeddings"] {
            #expect(json[key] is NSNull, "\(key)")
        }
        let scrape = try #require((json["phase_results"] as? [String: [String: Any]])?["phase_1_scrape"])
        #expect(scrape["status"] as? String == "not_run" && scrape["error"] is NSNull && scrape["duration_seconds"] is NSNull)
    }
}
