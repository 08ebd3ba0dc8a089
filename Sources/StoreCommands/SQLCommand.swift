import ArgumentParser
import ExperimentStore
import Foundation

package struct SQLCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run a read-only SQL query against the store (schema: schema/README.md).",
        discussion: "Writes, ATTACH and PRAGMAs that change anything are refused; the file is opened read-only.")
    package init() {}

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var pager: PagerOption
    @Argument(help: "The query, e.g. \"SELECT name, status FROM run_summary\".") var query: String
    @Option(help: "At most this many rows (0: no cap).") var maxRows = 1000

    package func run() throws {
        let result = try ReadOnlyQuery.run(query, storePath: storeOptions.path, maxRows: maxRows)
        pager.start()
        if output.format == .json {
            let objects: [JSONValue] = result.rows.map { .object(Dictionary(zip(result.columns, $0), uniquingKeysWith: { a, _ in a })) }
            print(JSONValue.array(objects).jsonString(pretty: true))
        } else {
            output.print(headers: result.columns, rows: result.rows.map { $0.map { $0 == .null ? nil : $0.displayText } })
        }
        if result.truncated {
            Console.warning("blocklab: showing the first \(maxRows) rows; more exist. Page with LIMIT/OFFSET in the query, or pass --max-rows N (0 for all).")
        }
    }
}
