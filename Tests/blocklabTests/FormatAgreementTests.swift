import Foundation
import QdrantTestSupport
import TestSupport
import Testing

/// `--format json` and `--format csv` say the same thing: the CSV's columns are the JSON's
/// keys (nested keys joined by `.`), numbers in full (a duration in seconds, a score not
/// rounded); and `--json`, the documented alias, works wherever `--format` does.
@Suite(.serialized) struct FormatAgreementTests {
    /// A store with a scrape, a dataset, a trained tiny model, embeddings and ingested runs,
    /// and the files they came from, made once for both tests.
    final class Fixture: @unchecked Sendable {
        let dir = TempDir()
        var store: String { dir.file("s.db") }
        var repo: String { dir.file("repo") }
        var data: String { dir.file("data") }
        let model: [String: String]
        let server: QdrantTestServer

        init() throws {
            model = try EmbedCommandTests().modelEnvironment
            server = try QdrantTestServer()
            try makeRepository(at: dir.file("repo"), commits: 12)
            func ok(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws {
                let result = try CLI.run(arguments, stdin: stdin, environment: environment, directory: dir.path)
                try #require(result.status == 0, "\(arguments.prefix(2)): \(result.stderr)")
            }
            try ok(["scrape", "--repo", dir.file("repo"), "--out", dir.file("scrape"), "--store", dir.file("s.db")])
            try ok(["tokenize", "--input", dir.file("scrape/commits.jsonl"), "--out", dir.file("data"), "--vocab-size", "300",
                    "--sequence-length", "32", "--store", dir.file("s.db")])
            try ok(["train", "--data", dir.file("data"), "--out", dir.file("model"), "--store", dir.file("s.db"), "--set", "model.preset=tiny",
                    "--set", "model.n_positions=32", "--set", "training.max_steps=2"])
            try ok(["ingest", "--store", dir.file("s.db"), "--name", "logged", "--tag", "team=ml"], stdin: metricLines(0..<20))
            try ok(["ingest", "--store", dir.file("s.db"), "--name", "other"], stdin: metricLines(0..<10))
            try ok(["ingest", "--store", dir.file("other.db"), "--name", "far"], stdin: metricLines(0..<5))
            try ok(["embed", "--input", try EmbedCommandTests.writeCommits(dir), "--store", dir.file("s.db"), "--name", "vectors"],
                   environment: model)
        }

        deinit { server.stop() }

        /// Every command that takes `--format`, as it is run here (each runs again and again).
        var commands: [[String]] {
            let tokenizer = data + "/tokenizer"
            return [
                ["runs", "--store", store], ["show", "logged", "--store", store], ["metrics", "logged", "--store", store],
                ["compare", "logged", "other", "--store", store], ["sql", "SELECT id, name, status FROM runs", "--store", store],
                ["export", "logged", "--store", store], ["reap", "--store", store], ["merge", dir.file("other.db"), "--yes", "--store", store],
                ["analyse", "--repo", repo, "--store", store], ["scrape", "--repo", repo, "--out", dir.file("again"), "--store", store],
                ["tokenize", "--input", dir.file("scrape/commits.jsonl"), "--out", dir.file("data-again"), "--vocab-size", "300",
                 "--sequence-length", "32", "--store", store],
                ["tokenizer", "encode", "--tokenizer", tokenizer], ["tokenizer", "decode", "--tokenizer", tokenizer],
                ["train", "--data", data, "--out", dir.file("model-again"), "--store", store, "--set", "model.preset=tiny",
                 "--set", "model.n_positions=32", "--set", "training.max_steps=1"],
                ["generate", "--model", dir.file("model/best"), "--prompt", "func", "--max-tokens", "3", "--temperature", "0"],
                ["embed", "--input", dir.file("commits.jsonl"), "--store", store, "--name", "vectors-again"],
                ["push", "vectors", "--qdrant-url", server.url, "--collection", "commits", "--store", store, "--force"],
                ["search", "a leak of memory", "--top", "3", "--run", "vectors", "--store", store],
                ["pipeline", "--repo", repo, "--profile", "quick", "--out", dir.file("pipeline-\(UUID().uuidString)"), "--store", store]
                    + PipelineCommandTests.shrink,
                ["demo", "--steps", "10", "--out", dir.file("demo"), "--store", store],
                ["bench", "hash", "--size-mib", "1", "--repeats", "1", "--file", dir.file("s.db")],
            ]
        }

        func stdin(_ command: [String]) throws -> String {
            switch command.prefix(2) {
            case ["tokenizer", "encode"]: return "let total = 3\n"
            case ["tokenizer", "decode"]:
                return try CLI.run(["tokenizer", "encode", "--tokenizer", data + "/tokenizer"], stdin: "let total = 3").stdout
            default: return ""
            }
        }

        func run(_ command: [String], _ format: [String]) throws -> CLI.Result {
            if command[0] == "reap" { try RunFixtures.crashed(store: store, name: "crashed") }   // a run to reap
            let result = try CLI.run(command + format, stdin: try stdin(command), environment: model, directory: dir.path)
            #expect(result.status == 0, "\((command + format).joined(separator: " ")): \(result.stderr)")
            return result
        }
    }

    static let fixture = Result { try Fixture() }

    /// The paths of a JSON value's leaves: nested keys joined by `.`; an empty object, an
    /// array and a scalar are leaves.
    static func leaves(_ value: Any, _ prefix: String = "") -> Set<String> {
        guard let object = value as? [String: Any], !object.isEmpty else { return [prefix] }
        return Set(object.flatMap { leaves($0.value, prefix.isEmpty ? $0.key : prefix + "." + $0.key) })
    }

    @Test func csvColumnsAreTheJSONKeysForEveryDataCommand() throws {
        let f = try Self.fixture.get()
        for command in f.commands {
            let label = command.prefix(2).joined(separator: " ")
            let json = try f.run(command, ["--format", "json"]), csv = try f.run(command, ["--format", "csv"])
            guard json.status == 0, csv.status == 0 else { continue }
            let parsed = try #require(try? CLI.json(json.stdout), "\(label): no JSON: \(json.stdout)")
            let rows = try parseCSV(csv.stdout)
            let header = try #require(rows.first, "\(label): no CSV header")
            switch command[0] {
            case "show", "export", "demo":
                // `section,item,field,value`: each section a key of the JSON, every key with a value a section.
                #expect(header == ["section", "item", "field", "value"], "\(label)")
                let object = try #require(parsed as? [String: Any])
                let sections = Set(rows.dropFirst().map { $0[0] })
                let filled = Set(object.filter { !(($0.value as? [Any])?.isEmpty ?? false) && !(($0.value as? [String: Any])?.isEmpty ?? false) }.keys)
                #expect(sections.isSubset(of: Set(object.keys)) && filled.isSubset(of: sections), "\(label): \(sections.symmetricDifference(filled))")
            case "compare":
                #expect(Array(header.prefix(3)) == ["section", "key", "stat"], "\(label)")
                let object = try #require(parsed as? [String: Any])
                #expect(Set(rows.dropFirst().map { $0[0] }).isSubset(of: Set(object.keys)), "\(label): \(rows.map { $0[0] })")
            case "metrics":
                let byKey = try #require(parsed as? [String: [[String: Any]]])
                let point = try #require(byKey.values.first?.first)
                #expect(header == ["key"] + ["step", "value", "epoch", "wall_time"] && Set(point.keys) == Set(header.dropFirst()), "\(label): \(header)")
            case "tokenizer":
                if command[1] == "encode" {
                    let ids = try #require(parsed as? [Int])
                    #expect(header == ["line", "position", "id", "token"] && rows.dropFirst().map { Int($0[2]) } == ids, "\(label)")
                } else {
                    #expect(header == ["line", "text"] && rows.dropFirst().map { $0[1] } == [parsed as? String], "\(label)")
                }
            case "bench":
                continue   // benchmarks print a report of measures (BenchReport), checked by their own tests
            default:
                // Records: one object, or a list of them; the union of their keys.
                var records = parsed as? [[String: Any]] ?? []
                if records.isEmpty, let one = parsed as? [String: Any] { records = [one] }
                #expect(!records.isEmpty, "\(label): records")
                var keys = records.reduce(into: Set<String>()) { $0.formUnion(Self.leaves($1)) }
                keys = keys.filter { key in !keys.contains { $0.hasPrefix(key + ".") } }   // `tags` empty in one run, `tags.team` in another
                #expect(Set(header) == keys, "\(label): only in CSV \(Set(header).subtracting(keys)), only in JSON \(keys.subtracting(header))")
                #expect(rows.count - 1 == records.count, "\(label): a row per record")
            }
        }
    }

    /// Numbers in CSV and JSON as they are: durations in seconds, scores not rounded, no `0.00`.
    @Test func csvNumbersAreInFull() throws {
        let f = try Self.fixture.get()
        let runs = try parseCSV(try f.run(["runs", "--store", f.store], ["--format", "csv"]).stdout)
        let durations = try #require(runs.first?.firstIndex(of: "duration_seconds"), "\(runs.first ?? [])")
        // JSONDecoder reads a double to its last digit (JSONSerialization may stop at 15).
        struct Run: Decodable { let duration_seconds: Double }
        let listed = try JSONDecoder().decode([Run].self, from: Data(try f.run(["runs", "--store", f.store], ["--format", "json"]).stdout.utf8))
        #expect(runs.dropFirst().map { Double($0[durations]) } == listed.map(\.duration_seconds),
                "durations are seconds, the same in both: \(runs.dropFirst().map { $0[durations] })")
        #expect(!runs.joined().contains { $0.hasSuffix("s") && Double($0.dropLast()) != nil }, "no `6.8s` in CSV")

        let search = ["search", "a leak of memory", "--top", "3", "--run", "vectors", "--store", f.store]
        struct Hit: Decodable { let score: Double }
        let hits = try JSONDecoder().decode([Hit].self, from: Data(try f.run(search, ["--format", "json"]).stdout.utf8))
        let rows = try parseCSV(try f.run(search, ["--format", "csv"]).stdout)
        let score = try #require(rows.first?.firstIndex(of: "score")), hash = try #require(rows.first?.firstIndex(of: "hash"))
        #expect(rows.dropFirst().map { Double($0[score]) } == hits.map(\.score), "scores not rounded")
        #expect(rows.dropFirst().allSatisfy { $0[score].count > 6 && $0[hash].count == 40 }, "\(rows)")

        let embed = ["embed", "--input", f.dir.file("commits.jsonl"), "--store", f.store, "--name", "vectors-numbers"]
        let embedded = try parseCSV(try f.run(embed, ["--format", "csv"]).stdout)
        let seconds = try #require(embedded.first?.firstIndex(of: "stats.seconds"), "\(embedded.first ?? [])")
        let value = try #require(embedded.dropFirst().first?[seconds])
        #expect(Double(value).map { $0 > 0 } == true && value != "0.00" && (value.split(separator: ".").last?.count ?? 0) > 2, "\(value)")
    }

    /// `--json` gives what `--format json` gives, for every command that takes `--format`.
    @Test func jsonIsAcceptedWhereverFormatIs() throws {
        let f = try Self.fixture.get()
        for command in f.commands {
            let label = command.prefix(2).joined(separator: " ")
            let alias = try f.run(command, ["--json"]), spelled = try f.run(command, ["--format", "json"])
            guard alias.status == 0, spelled.status == 0 else { continue }
            let a = try? CLI.json(alias.stdout), b = try? CLI.json(spelled.stdout)
            #expect(a != nil && b != nil, "\(label): \(alias.stdout)")
            if let a = a as? [String: Any], let b = b as? [String: Any] {
                #expect(Set(a.keys) == Set(b.keys), "\(label)")
            } else if let a = a as? [Any], let b = b as? [Any] {
                #expect(a.count == b.count || command[0] == "reap", "\(label)")
            } else {
                #expect(a as? String != nil && a as? String == b as? String, "\(label): \(alias.stdout)")
            }
        }
        let both = try CLI.run(["export", "logged", "--store", f.store, "--json", "--format", "csv"])
        #expect(both.status != 0 && both.stderr.contains("--json means --format json"), "\(both.stderr)")
    }
}
