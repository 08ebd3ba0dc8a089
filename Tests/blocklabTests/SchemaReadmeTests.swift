import Foundation
import TestSupport
import Testing

/// schema/README.md's example queries do what their comments say on a real store.
@Suite struct SchemaReadmeTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schema/README.md")

    /// The first ```sql block under the heading that starts with `heading`.
    static func example(under heading: String) throws -> String {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: heading), "schema/README.md has \(heading)")
        let start = try #require(text.range(of: "```sql\n", range: section.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// The `metric_blocks` example, on a store holding blocks of both sizes (600 steps: 19
    /// blocks of 32 and 3 of 256), gives one row per 32 steps, labelled with the steps it
    /// holds, and the envelope of exactly those steps.
    @Test func theMetricBlocksExampleLabelsEachBlockWithItsSteps() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        for name in ["first", "second", "third"] {   // the example reads run 3
            let logged = try CLI.run(["ingest", "--store", store, "--name", name], stdin: metricLines(0..<600, keys: ["train/loss"]))
            #expect(logged.status == 0, "\(logged.stderr)")
        }
        let sizes = try CLI.run(["sql", "SELECT shift, count(*) AS n FROM metric_blocks WHERE run_id = 3 GROUP BY shift ORDER BY shift",
                                 "--store", store, "--format", "csv"])
        #expect(sizes.stdout == "shift,n\r\n5,19\r\n8,3\r\n", "both sizes are stored: \(sizes.stdout)")

        let query = try Self.example(under: "### `metric_blocks`")
        #expect(query.contains("run_id = 3"), "\(query)")
        // `--` ends the options: the query starts with a comment (`-- ...`).
        let result = try CLI.run(["sql", "--store", store, "--format", "json", "--", query])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try CLI.json(result.stdout) as? [[String: Any]], "\(result.stdout)")
        #expect(rows.count == 19, "one row per 32 steps: \(rows.count)")
        for (index, row) in rows.enumerated() {
            let from = index * 32, to = min(index * 32 + 31, 599)
            #expect(row["from_step"] as? Int == from, "row \(index): \(row)")
            #expect((row["min_value"] as? NSNumber)?.doubleValue == Double(from), "row \(index): \(row)")
            #expect((row["max_value"] as? NSNumber)?.doubleValue == Double(to), "row \(index): \(row)")
            if let last = row["to_step"] { #expect(last as? Int == index * 32 + 31, "row \(index): \(row)") }
        }
    }
}
