import ArgumentParser
import StoreCommands
import Embedding
import ExperimentStore
import Foundation

/// `blocklab push`: a run's commit embeddings to a Qdrant collection, over REST.
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a run's commit embeddings to a Qdrant collection; points already sent are skipped.")

    @Argument(help: ArgumentHelp("The run: an id, a uuid prefix, a name or latest.", valueName: "run")) var runRef: String
    @Option(name: .long, help: ArgumentHelp("Qdrant's REST URL, e.g. http://127.0.0.1:6333.", valueName: "url")) var qdrantUrl: String
    @Option(name: .long, help: "The collection (created when missing).") var collection: String
    @OptionGroup var qdrant: QdrantOptions
    @Option(name: .long, help: "Points per request.") var batchSize = QdrantPush.Options.defaultBatchSize
    @Option(name: .long, help: "The model whose embeddings to push, when the run has several.") var model: String?
    @Flag(name: .long, help: "Send every point again, whatever the store's ledger says.") var force = false
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var quiet: QuietOption

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1.") }
        try qdrant.validate()
    }

    func run() throws {
        // A run to push must be recorded already: a mistyped --store is named, never made.
        let store = try storeOptions.openExistingForWriting()
        defer { store.checkpoint() }
        let options = QdrantPush.Options(url: qdrantUrl, collection: collection, apiKey: try qdrant.apiKey(), batchSize: batchSize,
                                         model: model, force: force, timeouts: qdrant.timeouts)
        let meter = Progress(label: "blocklab push")
        defer { meter.finish() }
        let stats = try QdrantPush(options).run(store: store, runRef: runRef, progress: { meter.update($0, unit: "points") })
        meter.finish()
        // JSON and CSV: the stats' fields, numbers in full; the table rounds them for reading.
        try output.printRecord(json: try ExperimentStore.jsonEncoder().encode(stats),
                              leading: ["run_id", "collection", "points", "sent", "skipped", "seconds"]) {
            Swift.print(OutputOptions.table(headers: ["run", "collection", "points", "sent", "skipped", "seconds", "points_per_s"], rows: [[
                String(stats.runID), stats.collection, String(stats.points), String(stats.sent), String(stats.skipped),
                String(format: "%.2f", stats.seconds), String(format: "%.1f", stats.pointsPerSecond),
            ]]), terminator: "")
        }
    }
}
