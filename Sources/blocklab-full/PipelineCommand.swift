import ArgumentParser
import StoreCommands
import Dashboard
import DurableFiles
import ExperimentStore
import Foundation
import Pipeline
import Torch

/// `blocklab pipeline`: a repository in; one run in the store with every phase (analyse,
/// scrape, tokenize, embed, train, and push with a Qdrant URL); the run's folder
/// (`reports/<name>-<run id>/` unless `--out`) with `MANIFEST_DYNAMIC.json`,
/// `training_report.json`, `report.html`, and the outputs made in this run (`scrape/`, `dataset/`,
/// `model/`). Phases whose inputs are unchanged since an earlier run reuse its outputs.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run the whole pipeline on a repository: analyse, scrape, tokenize, embed, train (and push), as one run.")

    @Option(name: .long, help: ArgumentHelp("The git repository (work tree, .git folder, or bare).", valueName: "path"))
    var repo: String
    @OptionGroup var configuration: ConfigOptions
    @Option(name: .long, help: ArgumentHelp("The run's output folder (default: output.directory/<name>-<run id>).", valueName: "dir"))
    var out: String?
    @Option(name: .long, help: "Run name (pipeline.name).") var name: String?
    @Option(name: .long, help: ArgumentHelp("Phases to run, comma-separated (pipeline.phases): analyse,scrape,tokenize,embed,train,push.", valueName: "list"))
    var phases: String?
    @Option(name: .long, help: ArgumentHelp("Qdrant's REST URL (qdrant.url); push runs only with one.", valueName: "url"))
    var qdrantUrl: String?
    @Option(name: .long, help: ArgumentHelp("The Qdrant collection (qdrant.collection).", valueName: "name"))
    var qdrantCollection: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption

    /// Test hook (hidden): training stops as killed after this many steps.
    @Option(name: .long, help: .hidden) var stopTrainingAfterSteps: Int?

    /// The command's flags as overrides of their keys, applied after `--set`.
    func flagOverrides() throws -> [String] {
        var keys: [String] = []
        if let name { keys.append("pipeline.name=\(name)") }
        if let phases { keys.append("pipeline.phases=\(try PhaseName.list(phases).joined(separator: ","))") }
        if let qdrantUrl { keys.append("qdrant.url=\(qdrantUrl)") }
        if let qdrantCollection { keys.append("qdrant.collection=\(qdrantCollection)") }
        return keys
    }

    func run() throws {
        // Everything a user can get wrong in the config is found here, before a run exists.
        let (loaded, yaml) = try configuration.load(flags: try flagOverrides())
        if PipelineRunner.needsTorch(loaded) { try Torch.load() }
        // --store, then $BLOCKLAB_STORE, then the config's store.path (as resolved), then ./blocklab.db.
        let store = try storeOptions.openForWriting(config: .resolved(loaded.store.path))
        defer { store.checkpoint() }

        var request = PipelineRequest(repository: repo, config: loaded, yaml: yaml, outDirectory: out)
        request.stopTrainingAfterSteps = stopTrainingAfterSteps
        let progress = Progress(label: "blocklab pipeline")
        let runner = PipelineRunner(request, store: store, progress: progress)
        TerminationSignals.endRunsOnSignal(afterwards: {
            progress.finish()
            if let manifest = runner.writeManifest(final: true) { progress.note("the run was stopped; its manifest is \(manifest.path)") }
            store.checkpoint()
        })
        let result = try runner.run()
        progress.finish()
        let report = writeReport(store, result)
        try print(result, report: report)
        if result.status != .finished {
            throw CLIError("run \(result.runID) \(result.status.rawValue): \(result.error ?? "")\nits manifest, which says why: \(result.manifest?.path ?? "(not written)")")
        }
    }

    /// The run's self-contained HTML report (`blocklab report`) beside its manifest, whatever
    /// the run's outcome; a report that cannot be written is said on stderr, not fatal.
    private func writeReport(_ store: ExperimentStore, _ result: PipelineResult) -> String? {
        let path = result.runDirectory.appendingPathComponent("report.html")
        do {
            let html = try HTMLReport.render(store: store, runs: [String(result.runID)], buckets: HTMLReport.defaultBuckets,
                                             chartLibrary: try ChartLibrary.load())
            try FileManager.default.createDirectory(at: result.runDirectory, withIntermediateDirectories: true)
            try DurableFile.write(Data(html.utf8), to: path)
            return path.path
        } catch {
            Console.warning("blocklab pipeline: the HTML report was not written: \(error)")
            return nil
        }
    }

    private func print(_ result: PipelineResult, report: String?) throws {
        struct Summary: Encodable {
            let runId: Int64, name: String, status: String, error: String?, store: String
            let runDirectory: String, manifest: String?, report: String?, modelDirectory: String?
            let phases: [PipelineResult.Phase]
        }
        let summary = Summary(runId: result.runID, name: result.runName, status: result.status.rawValue, error: result.error,
                              store: result.store, runDirectory: result.runDirectory.path, manifest: result.manifest?.path,
                              report: report, modelDirectory: result.modelDirectory?.path, phases: result.phases)
        try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(summary)) {
            Swift.print(OutputOptions.table(headers: ["phase", "outcome", "seconds", "reused from run"], rows: result.phases.map {
                [$0.name, $0.outcome, String(format: "%.1f", $0.seconds), $0.reusedFromRun.map(String.init)]
            }), terminator: "")
            Swift.print("")
            Swift.print(OutputOptions.table(headers: ["what", "where"], rows: [
                ["run", "\(result.runID) (\(result.runName)): \(result.status.rawValue)"],
                ["store", result.store],
                ["manifest", result.manifest?.path ?? "(not written)"],
                ["report", report ?? "(not written)"],
                ["training report", result.modelDirectory.map { _ in result.runDirectory.appendingPathComponent("training_report.json").path }],
                ["model", result.modelDirectory.map { "\($0.path)/best (and /last)" }],
                ["outputs", result.runDirectory.path],
            ]), terminator: "")
        }
    }
}
