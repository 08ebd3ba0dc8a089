import Foundation
import TestSupport
import Testing

/// `show` and `export --format csv` print a run's manifest as `section,item,field,value`
/// rows, as the README says: the rows of a run whose records are known in advance.
@Suite struct ManifestCSVTests {
    @Test func showAndExportPrintTheManifestAsSectionItemFieldValueRows() throws {
        let dir = TempDir()
        let store = dir.file("s.db")
        try "training:\n  lr: 0.001\n".write(toFile: dir.file("a.yaml"), atomically: true, encoding: .utf8)
        let records = """
            {"step": 0, "loss": 2.5, "lr": 0.001}
            {"type": "phase", "name": "train"}
            {"step": 1, "loss": 1.5, "lr": 0.002}
            {"type": "phase", "name": "train", "status": "finished", "stats": {"steps": 2, "epochs": 1}}

            """
        let logged = try CLI.run(["ingest", "--store", store, "--name", "known", "--config", dir.file("a.yaml"), "--tag", "team=ml"], stdin: records)
        #expect(logged.status == 0, "\(logged.stderr)")

        let shown = try CLI.run(["show", "known", "--store", store, "--format", "csv"])
        let exported = try CLI.run(["export", "known", "--store", store, "--format", "csv"])
        #expect(shown.status == 0 && exported.status == 0, "\(shown.stderr)\(exported.stderr)")
        let rows = try parseCSV(shown.stdout)
        #expect(rows.first == ["section", "item", "field", "value"])
        #expect(rows.allSatisfy { $0.count == 4 })
        let body = Array(rows.dropFirst())
        func section(_ name: String) -> [[String]] { body.filter { $0[0] == name } }
        // The same rows from both commands, but for when each was made.
        let made = { (text: String) in try parseCSV(text).filter { $0.first != "generated_at" } }
        #expect(try made(shown.stdout) == (try made(exported.stdout)))

        #expect(section("metrics") == [
            ["metrics", "loss", "count", "2"], ["metrics", "loss", "key", "loss"], ["metrics", "loss", "last", "1.5"],
            ["metrics", "loss", "last_step", "1"], ["metrics", "loss", "max", "2.5"], ["metrics", "loss", "max_step", "0"],
            ["metrics", "loss", "min", "1.5"], ["metrics", "loss", "min_step", "1"],
            ["metrics", "lr", "count", "2"], ["metrics", "lr", "key", "lr"], ["metrics", "lr", "last", "0.002"],
            ["metrics", "lr", "last_step", "1"], ["metrics", "lr", "max", "0.002"], ["metrics", "lr", "max_step", "1"],
            ["metrics", "lr", "min", "0.001"], ["metrics", "lr", "min_step", "0"],
        ])
        #expect(section("params") == [["params", "training.lr", "", "0.001"]])
        #expect(section("phase_stats") == [["phase_stats", "train", "epochs", "1"], ["phase_stats", "train", "steps", "2"]])
        #expect(section("phases").filter { ["name", "status", "stats.epochs", "stats.steps"].contains($0[2]) } == [
            ["phases", "0", "name", "train"], ["phases", "0", "stats.epochs", "1"], ["phases", "0", "stats.steps", "2"],
            ["phases", "0", "status", "finished"],
        ])
        #expect(section("manifest_version") == [["manifest_version", "", "", "2"]])
        #expect(section("repository_stats") == [["repository_stats", "", "", ""]], "a section that is null is one empty row")
        #expect(section("checkpoints").isEmpty && section("artifacts").isEmpty, "an empty list has no rows")
        let run = Dictionary(uniqueKeysWithValues: section("run").map { ($0[2], $0[3]) })
        #expect(run["name"] == "known" && run["status"] == "finished" && run["tags.team"] == "ml" && run["id"] == "1" && run["world_size"] == "1")
        #expect(section("run").allSatisfy { $0[1] == "" }, "run is not keyed by item")
        #expect(section("phase_results").filter { $0[1] == "phase_4_training" && ["status", "steps", "epochs"].contains($0[2]) } == [
            ["phase_results", "phase_4_training", "epochs", "1"], ["phase_results", "phase_4_training", "status", "finished"],
            ["phase_results", "phase_4_training", "steps", "2"],
        ])
        // Sections in the manifest's order, each once, in one run of rows.
        var order: [String] = []
        for row in body where order.last != row[0] { order.append(row[0]) }
        #expect(order == ["manifest_version", "blocklab_version", "generated_at", "run", "execution_timestamp", "total_execution_time_seconds",
                          "repository_stats", "training_parameters", "sequence_metadata", "phase_results", "training_report", "config",
                          "params", "metrics", "phases", "phase_stats", "embeddings", "hardware_peaks"], "\(order)")

        // Each row's section.item.field is its value's path in the JSON.
        let json = try #require(try CLI.json(try CLI.run(["export", "known", "--store", store]).stdout) as? [String: Any])
        for row in body where row[0] != "generated_at" {
            var value: Any? = json[row[0]]
            for part in [row[1]].filter({ !$0.isEmpty }) + row[2].split(separator: ".").map(String.init) {
                if let object = value as? [String: Any] { value = object[part] }
                else if let list = value as? [Any], let index = Int(part), list.indices.contains(index) { value = list[index] }
                else { value = nil }
            }
            let matches: Bool
            switch value {
            case nil, is NSNull: matches = row[3].isEmpty
            case let string as String: matches = string == row[3]
            case let number as NSNumber:
                // (Foundation's JSON parser may keep a double to 15 digits only.)
                matches = Double(row[3]).map { abs($0 - number.doubleValue) <= 1e-12 * max(1, abs($0)) } == true
                    || (["true", "false"].contains(row[3]) && (row[3] == "true") == number.boolValue)
            default: matches = !row[3].isEmpty   // a list: its JSON text
            }
            #expect(matches, "\(row) reads \(String(describing: value)) in the JSON")
        }
    }
}
