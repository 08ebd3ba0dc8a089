import Foundation
import HardwareMonitor

/// What the store holds about one run, read once, and the manifest's sections made from it.
///
/// The phase names and stat keys read here are a contract with the code that records the
/// phases (`docs/manifest.md` lists them): a phase is found by its name (the last of that
/// name), and a section is `nil` when its phase is missing or lacks a key it needs, never
/// filled with a guess. Artifacts and checkpoints belong to the phase during which they were
/// recorded.
struct ManifestSource {
    static let analyseNames: Set = ["analyse", "analyze"]
    static let scrapeNames: Set = ["scrape"]
    static let tokenizeNames: Set = ["tokenize"]
    static let embedNames: Set = ["embed"]
    static let trainNames: Set = ["train"]

    typealias Output = RunManifest.PhaseResult.Output

    let run: RunInfo
    let phases: [PhaseRecord]
    let artifacts: [ArtifactRecord]
    let checkpoints: [CheckpointRecord]
    let metrics: [String: MetricSummary]
    let resolvedConfig: JSONValue?
    let peaks: HardwarePeaks

    func phase(_ names: Set<String>) -> PhaseRecord? { phases.last(where: { names.contains($0.name) }) }

    /// The phase if it finished: its stats are whole.
    func finished(_ names: Set<String>) -> PhaseRecord? { phase(names).flatMap { $0.status == .finished ? $0 : nil } }

    /// A phase's status as it stands: one the run left `running` when it was killed, crashed
    /// or failed takes the run's status.
    func status(of phase: PhaseRecord) -> String {
        if phase.status == .running, [.killed, .crashed, .failed].contains(run.status) { return run.status.rawValue }
        return phase.status.rawValue
    }

    /// The value at a dotted path of the resolved config (`training.base_learning_rate`).
    func config(_ path: String) -> JSONValue? {
        path.split(separator: ".").reduce(resolvedConfig) { value, key in value?[String(key)] }
    }

    /// Artifacts (and for the train phase, checkpoints) recorded while `phase` ran.
    func outputs(of phase: PhaseRecord) -> [Output] {
        let end = phase.endedAt ?? .infinity
        let during = { (time: Double) in time >= phase.startedAt && time <= end }
        var outputs = artifacts.filter { during($0.createdAt) }.map {
            Output(kind: $0.kind, name: $0.name, path: $0.path, sha256: $0.sha256, bytes: $0.bytes)
        }
        if Self.trainNames.contains(phase.name) {
            outputs += checkpoints.filter { during($0.createdAt) }.map {
                Output(kind: "checkpoint", name: "step-\($0.step)", path: $0.path, sha256: $0.sha256, bytes: $0.bytes)
            }
        }
        return outputs
    }

    static func iso8601(_ time: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    static func megabytes(_ bytes: Int64) -> Double { Double(bytes) / 1_048_576 }

    // MARK: Sections

    /// `repository_stats`, from the finished `analyse` phase (`RepositoryAnalysis`).
    var repositoryStats: RunManifest.RepositoryStats? {
        guard let s = finished(Self.analyseNames)?.stats, case .array(let branches)? = s["branches"],
              let uniqueCommits = s["unique_commits"]?.intValue, let authors = s["authors"]?.intValue,
              let span = s["span_days"]?.number, let perDay = s["commits_per_day"]?.number else { return nil }
        let perBranch = branches.compactMap { b in b["name"]?.stringValue.flatMap { name in b["commits"]?.intValue.map { (name, $0) } } }
        return RunManifest.RepositoryStats(
            totalCommitsAcrossBranches: perBranch.reduce(0) { $0 + $1.1 }, uniqueCommits: uniqueCommits, uniqueAuthors: authors,
            branches: perBranch.count, branchNames: perBranch.map(\.0),
            commitsPerBranch: Dictionary(perBranch, uniquingKeysWith: { first, _ in first }),
            firstCommitTimestamp: s["first_commit_timestamp"]?.intValue.map(Int64.init),
            lastCommitTimestamp: s["last_commit_timestamp"]?.intValue.map(Int64.init),
            timeSpanDays: span, commitsPerDay: perDay,
            references: s["references"]?.stringValue ?? "", merges: s["merges"]?.intValue ?? 0,
            tags: s["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            authorsMailmapped: s["authors_mailmapped"]?.intValue,
            firstCommitTime: s["first_commit_time"]?.stringValue, lastCommitTime: s["last_commit_time"]?.stringValue,
            isShallow: s["is_shallow"]?.boolValue ?? false,
            estimatedSequences: s["estimated_sequences"]?.intValue ?? 0, estimatedEpochs: s["estimated_epochs"]?.intValue ?? 0)
    }

    /// `training_parameters`: the `train` phase's `plan`, else the finished `tokenize`
    /// phase's recompute, else the finished `analyse` phase's estimate.
    var trainingParameters: RunManifest.TrainingParameters? {
        let targetTokens = (config("epoch_calculation.target_tokens") ?? config("tokenize.target_tokens"))?.intValue
        let minEpochs = (config("epoch_calculation.min_epochs") ?? config("tokenize.min_epochs"))?.intValue
        let maxEpochs = (config("epoch_calculation.max_epochs") ?? config("tokenize.max_epochs"))?.intValue
        if let train = phase(Self.trainNames), let plan = train.stats["plan"],
           let sequences = plan["train_sequences"]?.intValue, let epochs = plan["epochs"]?.intValue {
            return RunManifest.TrainingParameters(
                source: "train", numSequences: sequences, epochs: epochs,
                stepsPerEpoch: plan["steps_per_epoch"]?.intValue, totalSteps: plan["total_steps"]?.intValue,
                warmupSteps: plan["warmup_steps"]?.intValue, batchSize: plan["batch_size"]?.intValue, targetTokens: targetTokens,
                gradientAccumulationSteps: plan["gradient_accumulation_steps"]?.intValue,
                baseLearningRate: config("training.base_learning_rate")?.number, peakLearningRate: plan["peak_learning_rate"]?.number,
                validationSequences: plan["validation_sequences"]?.intValue, sequenceLength: plan["sequence_length"]?.intValue,
                minEpochs: minEpochs, maxEpochs: maxEpochs, device: train.stats["device"]?.stringValue, threads: plan["threads"]?.intValue)
        }
        if let s = finished(Self.tokenizeNames)?.stats, let sequences = s["train_sequences"]?.intValue, let epochs = s["epochs"]?.intValue {
            return RunManifest.TrainingParameters(
                source: "tokenize", numSequences: sequences, epochs: epochs, targetTokens: targetTokens,
                validationSequences: s["val_sequences"]?.intValue, sequenceLength: s["sequence_length"]?.intValue,
                minEpochs: minEpochs, maxEpochs: maxEpochs)
        }
        if let s = finished(Self.analyseNames)?.stats, let sequences = s["estimated_sequences"]?.intValue,
           let epochs = s["estimated_epochs"]?.intValue {
            let estimate = s["estimate"]
            return RunManifest.TrainingParameters(
                source: "analyse", numSequences: sequences, epochs: epochs, targetTokens: estimate?["target_tokens"]?.intValue,
                sequenceLength: estimate?["sequence_length"]?.intValue,
                minEpochs: estimate?["min_epochs"]?.intValue, maxEpochs: estimate?["max_epochs"]?.intValue)
        }
        return nil
    }

    /// `sequence_metadata`, from the finished `tokenize` phase (`TokenizeStats`) and the
    /// `train.bin` and `val.bin` artifacts it recorded.
    var sequenceMetadata: RunManifest.SequenceMetadata? {
        guard let phase = finished(Self.tokenizeNames) else { return nil }
        let s = phase.stats
        guard let trainSequences = s["train_sequences"]?.intValue, let valSequences = s["val_sequences"]?.intValue,
              let trainTokens = s["train_tokens"]?.intValue, let valTokens = s["val_tokens"]?.intValue,
              let length = s["sequence_length"]?.intValue, let epochs = s["epochs"]?.intValue,
              let vocab = s["vocab_size"]?.intValue else { return nil }
        let outputs = outputs(of: phase)
        typealias Part = RunManifest.SequenceMetadata.Part
        return RunManifest.SequenceMetadata(
            training: Part(path: outputs.last(where: { $0.name == "train.bin" })?.path, numSequences: trainSequences,
                           sequenceLength: length, totalTokens: trainTokens),
            validation: Part(path: outputs.last(where: { $0.name == "val.bin" })?.path, numSequences: valSequences,
                             sequenceLength: length, totalTokens: valTokens),
            combined: Part(path: nil, numSequences: trainSequences + valSequences, sequenceLength: length,
                           totalTokens: trainTokens + valTokens),
            epochs: epochs, vocabSize: vocab, overlap: s["overlap"]?.intValue ?? 0,
            tokensBySource: (s["tokens_by_source"]?.objectValue ?? [:]).compactMapValues(\.intValue),
            tokenizerSha256: s["tokenizer_sha256"]?.stringValue)
    }
}

extension JSONValue {
    /// A whole number, from an integer or an integral double.
    var intValue: Int? {
        switch self {
        case .int(let value): return Int(value)
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: return Int(value)
        default: return nil
        }
    }
    var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    var boolValue: Bool? { if case .bool(let value) = self { value } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var objectValue: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
}
