import DurableFiles
import Embedding
import ExperimentStore
import Foundation
import GitHistory
import Torch
import Training

/// Runs the chosen phases as one run of the store, in order: analyse, scrape, tokenize,
/// embed, train, push. Each phase is recorded through `RunHandle.phase` with its input hash
/// (`input_sha256`: the repository's reference tips, its config sections, its upstream
/// outputs' sha256) and its outputs (`outputs`, each an artifact with its sha256). A phase
/// whose inputs match a finished phase of an earlier run, whose outputs are still on disk
/// unchanged, is reused instead of run (and says so). A phase left out of the chosen list
/// but needed by a later one must be reusable. A failed phase records its error, fails the
/// run, and stops the sequence; the manifest is written at the end either way.
///
///     let runner = PipelineRunner(request, store: store, progress: progress)
///     let result = try runner.run()    // throws only when the run cannot be started
///     print(result.status, result.manifest?.path ?? "")
public final class PipelineRunner: @unchecked Sendable {
    public let request: PipelineRequest
    public let store: ExperimentStore
    public let progress: PipelineProgress
    /// The config the run records and the phases use: `request.config` with every `auto`
    /// made concrete (threads, and with libtorch loaded, the device and batch size).
    public let config: PipelineConfig

    private let lock = NSLock()
    private var handle: RunHandle?
    private var directory: URL?
    private var summaries: [PipelineResult.Phase] = []
    /// Set once the manifest of a run that was stopped (by a signal) is written: it is final.
    private var stopped = false

    public init(_ request: PipelineRequest, store: ExperimentStore, progress: PipelineProgress = SilentProgress()) {
        self.request = request
        self.store = store
        self.progress = progress
        self.config = Self.resolve(request.config)
    }

    /// The phases that need libtorch (the caller loads it before `run`).
    public static func needsTorch(_ config: PipelineConfig) -> Bool {
        config.phases.contains(.train) || config.phases.contains(.embed)
    }

    /// Threads and workers from the core count; when training is chosen and libtorch is
    /// loaded, the device (`auto` → cpu or cuda) and the batch size (`auto` → from GPU
    /// memory tiers, or on CPU from the model's size at `tokenizer.vocab_size` and free RAM).
    public static func resolve(_ config: PipelineConfig) -> PipelineConfig {
        var c = config.resolvingThreads()
        guard c.phases.contains(.train) else { return c }
        let device = (Device(rawValue: c.training.training.device) ?? .auto).resolved
        c.training.training.device = device.rawValue
        if c.training.training.batchSize == nil {
            let model = c.training.gptConfig(vocabSize: c.tokenizer.vocabSize)
            c.training.training.batchSize = TrainingRunPlan.autoBatchSize(model: model, sequenceLength: c.dataset.sequenceLength,
                                                                          device: device, config: c.training)
        }
        return c
    }

    // MARK: The run

    public func run() throws -> PipelineResult {
        let repositoryPath = URL(fileURLWithPath: request.repository).standardizedFileURL.path
        // The repository is opened before the run starts, for its HEAD; a repository that
        // cannot be opened fails the first phase that reads it, inside the run.
        var scraper: Scraper?
        var openError: Error?
        do { scraper = try Scraper(repository: request.repository, refs: config.refSelection, options: config.scrapeOptions) }
        catch { openError = error }

        let snapshot = ConfigSnapshot(yaml: request.yaml, resolvedJSON: try config.resolvedJSON())
        let run = try store.startRun(RunSpec(name: config.pipeline.name, config: snapshot, sourceRepository: repositoryPath,
                                             sourceCommit: scraper?.headCommit, commandLine: request.commandLine))
        let folder = URL(fileURLWithPath: request.outDirectory ?? (config.output.directory as NSString)
            .appendingPathComponent("\(config.pipeline.name)-\(run.id)")).standardizedFileURL
        lock.withLock { handle = run; directory = folder }
        progress.record(into: run)
        progress.note("run \(run.id) (\(config.pipeline.name)) in \(store.path); outputs in \(folder.path)")

        var status = RunStatus.finished
        var failure: String?
        var modelDirectory: URL?
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            func repository() throws -> Scraper {
                if let scraper { return scraper }
                throw openError ?? PipelineError("the repository \(request.repository) could not be opened")
            }
            var outputs: [PhaseName: [PhaseOutput]] = [:]
            for name in PhaseName.allCases where isNeeded(name) {
                let tips = (name == .analyse || name == .scrape) ? try? repository().referenceTips : nil
                let phaseOutputs = try runPhase(name, run: run, folder: folder, upstream: outputs, tips: tips, repository: repository)
                outputs[name] = phaseOutputs
            }
            if let train = outputs[.train] {
                let model = try TrainPhase.Outputs(reusing: train)
                modelDirectory = model.modelDirectory
                let copy = folder.appendingPathComponent(ModelDirectory.reportFile)
                if model.report.standardizedFileURL != copy {
                    try DurableFile.write(try Data(contentsOf: model.report), to: copy)
                }
            }
        } catch let stopped as TrainPhase.Stopped {
            status = .killed
            failure = stopped.description
        } catch {
            status = .failed
            failure = "\(error)"
        }
        try? run.finish(status: status, error: failure)
        let manifest = writeManifest()
        return PipelineResult(runID: run.id, runName: run.name, status: status, error: failure, store: store.path,
                              runDirectory: folder, manifest: manifest, modelDirectory: modelDirectory,
                              phases: lock.withLock { summaries })
    }

    /// Writes the run's manifest (`MANIFEST_DYNAMIC.json`) into its folder and returns its
    /// path; nil before the run started or when it cannot be written. Safe to call from
    /// another thread (the signal handler calls it after the run was marked killed).
    /// `final`: the run was ended from outside (a signal); later calls write nothing, so
    /// what the stopped phase does afterwards cannot replace this manifest.
    @discardableResult
    public func writeManifest(final: Bool = false) -> URL? {
        guard let (run, folder) = lock.withLock({ () -> (RunHandle, URL)? in
            guard !stopped, let handle, let directory else { return nil }
            if final { stopped = true }
            return (handle, directory)
        }) else { return nil }
        let url = folder.appendingPathComponent("MANIFEST_DYNAMIC.json")
        do {
            let info = try store.run(String(run.id))
            let manifest = try store.manifest(for: info)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try DurableFile.write(try ExperimentStore.jsonEncoder().encode(manifest), to: url)
            return url
        } catch {
            progress.note("could not write \(url.path): \(error)")
            return nil
        }
    }

    // MARK: Phases

    /// Whether `name` runs (chosen) or must at least be reused (a chosen phase needs it).
    private func isNeeded(_ name: PhaseName) -> Bool {
        if name == .push && config.qdrant.url == nil { return false }
        return config.phases.contains(name) || isNeededDownstream(name)
    }

    private func isNeededDownstream(_ name: PhaseName) -> Bool {
        config.phases.contains { chosen in
            guard chosen != .push || config.qdrant.url != nil else { return false }
            var frontier = chosen.upstream
            while let next = frontier.popLast() {
                if next == name { return true }
                frontier += next.upstream
            }
            return false
        }
    }

    private func runPhase(_ name: PhaseName, run: RunHandle, folder: URL, upstream: [PhaseName: [PhaseOutput]],
                          tips: [String: String]?, repository: () throws -> Scraper) throws -> [PhaseOutput] {
        let started = Date()
        let hash = try inputHash(name, upstream: upstream, tips: tips)
        let chosen = config.phases.contains(name)
        let reuse = name == .push || name == .analyse ? nil : try reusable(name, hash: hash, run: run)
        if reuse == nil && !chosen {
            throw PipelineError("\(name.rawValue) is not among the phases to run and no earlier run has its outputs for these inputs: add \(name.rawValue) to --phases")
        }
        progress.begin(phase: name.rawValue, reuse.map { "reusing the outputs of run \($0.runID) (inputs unchanged, sha256 \(hash.prefix(12)))" }
                       ?? "running")
        do {
            // Training samples the hardware itself (with the step); every other phase, and a
            // reused training, is sampled here.
            let sampling = name == .train && reuse == nil ? nil : config.hardwareInterval
            let files: [PhaseOutput] = try run.phase(name.rawValue, hardwareEvery: sampling) { phase in
                phase.set("input_sha256", .string(hash))
                if let reuse { return try adopt(reuse, name: name, into: phase) }
                var files = try execute(name, phase: phase, folder: folder, upstream: upstream, repository: repository)
                for index in files.indices {
                    if files[index].recordedByPhase {
                        files[index].sha256 = try ExperimentStore.sha256(ofPath: files[index].path).hex
                    } else {
                        files[index].sha256 = try phase.artifact(path: files[index].path, kind: files[index].kind, name: files[index].name).sha256
                    }
                }
                phase.set("outputs", try JSONValue.parse(JSONEncoder().encode(files)))
                return files
            }
            record(name, reuse == nil ? "ran" : "reused", reuse?.runID, started)
            return files
        } catch {
            record(name, "failed", nil, started)
            progress.note("\(name.rawValue): failed: \(error)")
            throw error
        }
    }

    private func record(_ name: PhaseName, _ outcome: String, _ from: Int64?, _ started: Date) {
        lock.withLock {
            summaries.append(.init(name: name.rawValue, outcome: outcome, reusedFromRun: from, seconds: Date().timeIntervalSince(started)))
        }
    }

    /// Runs phase `name` for real; returns the files it wrote.
    private func execute(_ name: PhaseName, phase: PhaseRecorder, folder: URL, upstream: [PhaseName: [PhaseOutput]],
                         repository: () throws -> Scraper) throws -> [PhaseOutput] {
        switch name {
        case .analyse:
            _ = try AnalysePhase(.init(scraper: try repository(), estimate: config.estimate)).run(phase)
            return []
        case .scrape:
            let inputs = ScrapePhase.Inputs(scraper: try repository(), directory: folder.appendingPathComponent("scrape"))
            return try ScrapePhase(inputs).run(phase, progress: progress).files
        case .tokenize:
            let scrape = try ScrapePhase.Outputs(reusing: upstream[.scrape] ?? [])
            let inputs = TokenizePhase.Inputs(files: [scrape.commitsFile] + (scrape.filesFile.map { [$0] } ?? []),
                                              directory: folder.appendingPathComponent("dataset"), options: config.datasetOptions())
            return try TokenizePhase(inputs).run(phase, progress: progress).files
        case .embed:
            let scrape = try ScrapePhase.Outputs(reusing: upstream[.scrape] ?? [])
            _ = try EmbeddingPhase(commitsFile: scrape.commitsFile, config: config.embeddings).run(phase, progress: progress)
            return []
        case .train:
            let dataset = try TokenizePhase.Outputs(reusing: upstream[.tokenize] ?? [])
            var inputs = TrainPhase.Inputs(dataDirectory: dataset.directory, modelDirectory: folder.appendingPathComponent("model"),
                                           config: config.training, progress: progress)
            inputs.stopAfterSteps = request.stopTrainingAfterSteps
            return try TrainPhase(inputs).run(phase).files
        case .push:
            guard let url = config.qdrant.url else { return [] }
            var apiKey: String?
            if let variable = config.qdrant.apiKeyEnv {
                guard let key = ProcessInfo.processInfo.environment[variable], !key.isEmpty else {
                    throw PipelineError("qdrant.api_key_env \(variable): that environment variable is unset or empty; export it with the Qdrant API key")
                }
                apiKey = key
            }
            let options = PushPhase.Inputs(url: url, collection: config.qdrant.collection, apiKey: apiKey, batchSize: config.qdrant.batchSize)
            let embedsFrom = lock.withLock { summaries.last { $0.name == PhaseName.embed.rawValue }?.reusedFromRun }
            _ = try PushPhase(options).run(phase, embedsFrom: embedsFrom, progress: progress)
            return []
        }
    }

    private var embeddingModel: URL {
        EmbeddingPhase.modelDirectory(config.embeddings)
    }

    // MARK: Reuse

    private struct Reuse {
        var runID: Int64
        var stats: JSONValue
        var outputs: [PhaseOutput]
    }

    /// sha256 of what phase `name` reads: its config sections, its upstream outputs'
    /// sha256, and for the phases reading the repository, its references' commits.
    private func inputHash(_ name: PhaseName, upstream: [PhaseName: [PhaseOutput]], tips: [String: String]?) throws -> String {
        var object: [String: Any] = [
            "phase": name.rawValue,
            "format": 1,
            "config": try JSONSerialization.jsonObject(with: try config.sectionsJSON(name.configSections)),
        ]
        var inputs: [String: Any] = [:]
        for up in name.upstream {
            for file in upstream[up] ?? [] { inputs["\(up.rawValue)/\(file.name)"] = file.sha256 ?? NSNull() }
        }
        object["upstream"] = inputs
        if let tips { object["references"] = tips }
        if name == .embed { object["model_directory"] = embeddingModel.standardizedFileURL.path }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return ExperimentStore.sha256(of: data)
    }

    /// The newest finished phase of another run with these inputs whose outputs are all
    /// still on disk with the sha256 it recorded (for `embed`: whose vectors are still
    /// stored; for `train`: whose checkpoints are all still whole).
    private func reusable(_ name: PhaseName, hash: String, run: RunHandle) throws -> Reuse? {
        for candidate in try store.finishedPhases(named: name.rawValue, inputSHA256: hash) where candidate.runID != run.id {
            guard let listed = candidate.phase.stats["outputs"],
                  let outputs = try? JSONDecoder().decode([PhaseOutput].self, from: Data(listed.jsonString().utf8)) else { continue }
            if name == .embed, try store.embeddingSets(runID: candidate.runID).isEmpty { continue }
            if name == .train, try !TrainPhase.checkpointsIntact(of: candidate.runID, in: store) { continue }
            let intact = outputs.allSatisfy { output in
                guard let expected = output.sha256, FileManager.default.fileExists(atPath: output.path) else { return false }
                return (try? ExperimentStore.sha256(ofPath: output.path).hex) == expected
            }
            if intact { return Reuse(runID: candidate.runID, stats: candidate.phase.stats, outputs: outputs) }
        }
        return nil
    }

    /// Records a reused phase: the earlier stats (with `reused_from_run`), the same files
    /// as artifacts of this run, for `embed` the vectors copied into this run, and for
    /// `train` the checkpoints recorded in this run.
    private func adopt(_ reuse: Reuse, name: PhaseName, into phase: PhaseRecorder) throws -> [PhaseOutput] {
        let hash = phase.stats["input_sha256"] ?? .null
        phase.stats = reuse.stats
        phase.set("input_sha256", hash)
        phase.set("reused_from_run", .int(reuse.runID))
        for output in reuse.outputs { try phase.artifact(path: output.path, kind: output.kind, name: output.name) }
        if name == .embed { try EmbeddingPhase.copy(from: reuse.runID, into: phase) }
        if name == .train { try TrainPhase.carry(from: reuse.runID, into: phase) }
        return reuse.outputs
    }
}
