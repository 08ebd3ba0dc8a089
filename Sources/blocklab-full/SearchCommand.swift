import ArgumentParser
import StoreCommands
import Embedding
import ExperimentStore
import Foundation
import Torch

/// `blocklab search`: the commits nearest in meaning to a text, from Qdrant or, without
/// `--qdrant-url`, by exact search over the store's vectors.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the commits nearest in meaning to a text (Qdrant, or exact search over the store).")

    @Argument(help: "What to look for.") var text: String
    @Option(name: .customLong("run"), help: ArgumentHelp("Search this run's embeddings in the store (default: the newest run with any).", valueName: "run"))
    var runRef: String?
    @Option(name: .long, help: "How many commits to show.") var top = 10
    @Option(name: .long, help: ArgumentHelp("Only commits by this author (the name, exactly).", valueName: "name")) var author: String?
    @Option(name: .long, help: ArgumentHelp("Only commits authored at or after this date (YYYY-MM-DD, UTC) or time (RFC 3339 with its zone).", valueName: "date"))
    var since: String?
    @Option(name: .long, help: ArgumentHelp("Only commits authored before the end of this date (YYYY-MM-DD, UTC) or before this time.", valueName: "date"))
    var until: String?
    @Option(name: .long, help: ArgumentHelp("Ask this Qdrant server instead of the store.", valueName: "url")) var qdrantUrl: String?
    @Option(name: .long, help: "The Qdrant collection (with --qdrant-url).") var collection: String?
    @OptionGroup var qdrant: QdrantOptions
    @Option(name: .long, help: ArgumentHelp("The model the commits were embedded with (default: all-MiniLM-L6-v2).", valueName: "dir"))
    var model: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
        guard (qdrantUrl == nil) == (collection == nil) else {
            throw ValidationError("pass --qdrant-url and --collection together (or neither, to search the store).")
        }
        guard qdrantUrl == nil || runRef == nil else {
            throw ValidationError("--run searches the store; with --qdrant-url the collection is searched. Pass one of them.")
        }
        try qdrant.validate()
    }

    func run() throws {
        let filter: CommitFilter
        do { filter = try CommitFilter.parse(author: author, since: since, until: until) } catch { throw CLIError("\(error)", status: .usage) }
        try Torch.load()
        let sentenceModel = try SentenceModel.load(directory: model.map { URL(fileURLWithPath: $0) } ?? SentenceModel.defaultDirectory)
        let search = CommitSearch(model: sentenceModel)
        let hits: [CommitSearch.Hit]
        if let qdrantUrl, let collection {
            hits = try search.inQdrant(url: qdrantUrl, collection: collection, apiKey: try qdrant.apiKey(), query: text, top: top,
                                       filter: filter, timeouts: qdrant.timeouts)
        } else {
            hits = try search.inStore(try storeOptions.openForReading(), runRef: runRef, query: text, top: top, filter: filter).hits
        }
        // JSON and CSV: every hit's fields, the score in full and the whole hash; the table shortens both.
        try output.printRecords(json: try ExperimentStore.jsonEncoder().encode(hits), leading: ["rank", "hash", "date", "score", "subject"]) {
            Swift.print(OutputOptions.table(headers: ["rank", "hash", "date", "score", "subject"], rows: hits.map { hit in
                [String(hit.rank), String(hit.hash.prefix(12)), hit.date, String(format: "%.4f", hit.score), hit.subject]
            }), terminator: "")
        }
    }
}
