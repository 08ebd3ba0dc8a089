import Foundation
import TestSupport
import Testing

/// Every command that prints data, in each format, on a real store: `json` parses with
/// JSONSerialization, `csv` with Python's csv module (a header row, every record as wide as
/// it, CRLF line ends), `table` prints something; and a value known in advance is in both
/// the JSON and the CSV.
@Suite struct OutputFormatTests {
    struct Case {
        var arguments: [String]
        var stdin = ""
        /// Text the JSON and some CSV cell must contain; nil where none is known in advance.
        var needle: String?
        /// Runs before each format (e.g. to give `reap` a run to reap).
        var before: ((OutputFormat) throws -> Void)?
    }
    enum OutputFormat: String, CaseIterable { case table, json, csv }

    @Test func everyDataCommandPrintsEachFormat() throws {
        let dir = TempDir()
        let store = dir.file("s.db"), repo = dir.file("repo")
        try makeRepository(at: repo, commits: 12)
        let scraped = try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scrape"), "--store", store])
        #expect(scraped.status == 0, "\(scraped.stderr)")
        let data = dir.file("data")
        let tokenized = try CLI.run(["tokenize", "--input", dir.file("scrape/commits.jsonl"), dir.file("scrape/files.jsonl"),
                                     "--out", data, "--vocab-size", "300", "--sequence-length", "32", "--store", store])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")

        // A run with a config and every record type, a second one to compare it with, and
        // another store to merge.
        try "training:\n  lr: 0.001\n  label: \"a, \\\"quoted\\\" b\"\n".write(toFile: dir.file("a.yaml"), atomically: true, encoding: .utf8)
        try "training:\n  lr: 0.0003\n".write(toFile: dir.file("b.yaml"), atomically: true, encoding: .utf8)
        try Data("weights".utf8).write(to: URL(fileURLWithPath: dir.file("ckpt.bin")))
        let records = metricLines(0..<20) + """
            {"type": "hardware", "cpu_percent": 40, "ram_percent": 20, "process_rss_bytes": 1000, "gpus": [{"utilization_pct": 70}]}
            {"type": "checkpoint", "path": "\(dir.file("ckpt.bin"))", "step": 10, "is_best": true, "metrics": {"loss": 10}}
            {"type": "artifact", "path": "\(dir.file("a.yaml"))", "kind": "config"}
            {"type": "phase", "name": "train"}
            {"type": "phase", "name": "train", "status": "finished", "stats": {"steps": 20, "note": "line one\\nline two"}}
            {"type": "tag", "key": "team", "value": "ml, research"}

            """
        let logged = try CLI.run(["ingest", "--store", store, "--name", "logged", "--config", dir.file("a.yaml")], stdin: records)
        #expect(logged.status == 0, "\(logged.stderr)")
        try CLI.run(["ingest", "--store", store, "--name", "other", "--config", dir.file("b.yaml")], stdin: metricLines(0..<10))
        try CLI.run(["ingest", "--store", dir.file("other.db"), "--name", "far"], stdin: metricLines(0..<5))

        let tiny = ["--set", "model.preset=tiny", "--set", "model.n_positions=32", "--set", "training.max_steps=2"]
        let cases: [Case] = [
            Case(arguments: ["runs"], needle: "logged"),
            Case(arguments: ["runs", "--status", "finished"], needle: "logged"),
            Case(arguments: ["show", "logged"], needle: "ml, research"),
            Case(arguments: ["metrics", "logged", "--key", "loss"], needle: "19"),
            Case(arguments: ["compare", "logged", "other"], needle: "training.lr"),
            Case(arguments: ["sql", "SELECT name, status, note FROM runs ORDER BY id"], needle: "logged"),
            Case(arguments: ["export", "logged"], needle: "line one\nline two"),
            Case(arguments: ["reap"], needle: "crashed-", before: { format in
                try RunFixtures.crashed(store: store, name: "crashed-\(format.rawValue)")
            }),
            Case(arguments: ["merge", dir.file("other.db"), "--yes"], needle: "metric_points"),
            Case(arguments: ["analyse", "--repo", repo, "--no-store"], needle: "main"),
            Case(arguments: ["scrape", "--repo", repo, "--out", dir.file("scrape-again"), "--no-store"], needle: "commits_with_errors"),
            Case(arguments: ["tokenize", "--input", dir.file("scrape/commits.jsonl"), "--out", dir.file("data-again"),
                             "--vocab-size", "300", "--sequence-length", "32", "--no-store"], needle: "sequence_length"),
            Case(arguments: ["tokenizer", "encode", "--tokenizer", data + "/tokenizer"], stdin: "let total = 3\n"),
            Case(arguments: ["tokenizer", "decode", "--tokenizer", data + "/tokenizer"],
                 stdin: try CLI.run(["tokenizer", "encode", "--tokenizer", data + "/tokenizer"], stdin: "let total = 3").stdout,
                 needle: "let total = 3"),
            Case(arguments: ["train", "--data", data, "--out", dir.file("model"), "--store", store] + tiny, needle: "finished"),
            Case(arguments: ["generate", "--model", dir.file("model/best"), "--prompt", "let total", "--max-tokens", "4",
                             "--temperature", "0"], needle: "let total"),
        ]
        let storeless: Set = ["analyse", "scrape", "tokenize", "tokenizer", "train", "generate"]
        for command in cases {
            var checked = [String]()
            for format in OutputFormat.allCases {
                try command.before?(format)
                let arguments = command.arguments + ["--format", format.rawValue]
                    + (storeless.contains(command.arguments[0]) ? [] : ["--store", store])
                let label = arguments.joined(separator: " ")
                let result = try CLI.run(arguments, stdin: command.stdin)
                guard result.status == 0 else {
                    Issue.record("\(label) exited \(result.status): \(result.stderr)")
                    continue
                }
                switch format {
                case .table:
                    #expect(!result.stdout.isEmpty, "\(label)")
                case .json:
                    let parsed = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
                    #expect(parsed != nil, "\(label) printed no JSON: \(result.stdout)")
                    if let needle = command.needle, let parsed {
                        #expect(jsonStrings(parsed).contains { $0.contains(needle) }, "\(label): no \(needle)")
                    }
                case .csv:
                    let rows: [[String]]
                    do { rows = try parseCSV(result.stdout) } catch {
                        Issue.record("\(label): \(error)\n\(result.stdout)")
                        continue
                    }
                    #expect(result.stdout.hasSuffix("\r\n"), "\(label): records end with CRLF")
                    let header = try #require(rows.first, "\(label) printed no header")
                    #expect(!header.isEmpty && header.allSatisfy { !$0.isEmpty }, "\(label) header: \(header)")
                    #expect(rows.count >= 2, "\(label) printed no record under its header: \(result.stdout)")
                    for (index, row) in rows.enumerated() where row.count != header.count {
                        Issue.record("\(label): record \(index) has \(row.count) fields, the header \(header.count): \(row)")
                    }
                    if let needle = command.needle {
                        #expect(rows.joined().contains { $0.contains(needle) }, "\(label): no cell holds \(needle)")
                    }
                }
                checked.append(format.rawValue)
            }
            #expect(checked == ["table", "json", "csv"], "\(command.arguments.prefix(2))")
        }

        // --json is the older spelling of --format json, still accepted; with another format it is an error.
        let old = try CLI.run(["scrape", "--repo", repo, "--out", dir.file("scrape-old"), "--no-store", "--json"])
        #expect((try? CLI.json(old.stdout) as? [String: Any])??["commits"] as? Int == 12, "\(old.stdout)")
        let both = try CLI.run(["runs", "--store", store, "--json", "--format", "csv"])
        #expect(both.status == 64 && both.stderr.contains("--format"), "\(both.stderr)")
    }

    /// Every key and value in a parsed JSON value, as text.
    private func jsonStrings(_ value: Any) -> [String] {
        switch value {
        case let string as String: return [string]
        case let array as [Any]: return array.flatMap(jsonStrings)
        case let object as [String: Any]: return object.keys + object.values.flatMap(jsonStrings)
        default: return ["\(value)"]
        }
    }
}
