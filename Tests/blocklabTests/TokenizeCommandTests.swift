import Foundation
import TestSupport
import Testing

/// `blocklab tokenize` and `blocklab tokenizer encode|decode`, run as a user runs them.
@Suite struct TokenizeCommandTests {
    /// Forty commits (one diff injects `<|endoftext|>`) and four file chunks.
    static func writeRecords(_ path: String) throws {
        var lines: [String] = []
        for i in 0..<40 {
            let diff = i == 7 ? "+let s = \\\"<|endoftext|>\\\"\\n" : "@@ -1 +1,2 @@\\n-let a = \(i)\\n+let a = \(i + 1)\\n"
            lines.append("""
            {"type": "commit", "hash": "\(String(format: "%040x", i))", "subject": "Change \(i)", "body": "", "author_name": "Ada", "author_email": "ada@example.com", "author_timestamp": "2024-02-01T10:\(String(format: "%02d", i)):00Z", "diff_stats": [{"path": "a.swift", "change_type": "M", "insertions": 1, "deletions": 1, "diff_text": "\(diff)"}]}
            """)
        }
        for i in 0..<4 {
            lines.append("{\"type\": \"file_chunk\", \"path\": \"a.swift\", \"start_line\": \(i + 1), \"end_line\": \(i + 1), \"text\": \"let a = \(i)\\n\"}")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func tokenizeWritesFilesAndRecordsTheRun() throws {
        let dir = TempDir()
        try Self.writeRecords(dir.file("records.jsonl"))
        let result = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("out"),
                                  "--vocab-size", "400", "--sequence-length", "32", "--store", dir.file("s.db"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("blocklab tokenize: wrote train.bin"))
        let manifest = try #require(try CLI.json(result.stdout) as? [String: Any])
        #expect(manifest["sequence_length"] as? Int == 32)
        #expect((manifest["records"] as? [String: Any])?["val"] as? Int == 4)
        for name in ["train.bin", "val.bin", "dataset.json", "tokenizer/tokenizer.json", "tokenizer/vocab.json", "tokenizer/merges.txt"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("out/\(name)")), "\(name)")
        }
        let header = try #require(FileManager.default.contents(atPath: dir.file("out/train.bin")))
        #expect(String(decoding: header.prefix(8), as: UTF8.self) == "BLOCKTOK")
        let artifacts = try CLI.run(["sql", "SELECT count(*) AS n FROM artifacts", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(artifacts.stdout.contains("\r\n8\r\n"))
        let phases = try CLI.run(["sql", "SELECT name, status FROM phases", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(phases.stdout.contains("tokenize,finished"))
    }

    /// The tokenize phase is sampled as it runs: its peaks are in `show`, `compare` and the
    /// exported manifest (which the schema accepts).
    @Test func theTokenizePhasesHardwarePeaksAreShownComparedAndExported() throws {
        let dir = TempDir()
        try Self.writeRecords(dir.file("records.jsonl"))
        let store = dir.file("s.db")
        for name in ["one", "two"] {
            let result = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file(name), "--name", name,
                                      "--vocab-size", "300", "--sequence-length", "32", "--store", store])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let show = try CLI.run(["show", "one", "--store", store])
        #expect(show.status == 0, "\(show.stderr)")
        let table = try #require(show.stdout.components(separatedBy: "hardware peaks by phase").dropFirst().first, "\(show.stdout)")
        #expect(table.contains("rss anon"))
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("tokenize ") })
        let json = try #require(try CLI.json(try CLI.run(["show", "one", "--store", store, "--format", "json"]).stdout) as? [String: Any])
        let tokenize = try #require((json["hardware_peaks_by_phase"] as? [String: [String: Any]])?["tokenize"], "\(json.keys)")
        #expect((tokenize["samples"] as? Int ?? 0) >= 2, "a sample as it starts and one as it ends")
        #expect((tokenize["process_rss_anon_bytes"] as? Int ?? 0) > 0 && (tokenize["process_rss_bytes"] as? Int ?? 0) > 0)
        let compare = try CLI.run(["compare", "one", "two", "--store", store])
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("tokenize rss anon"))
        let csv = try CLI.run(["compare", "one", "two", "--store", store, "--format", "csv"])
        #expect(csv.stdout.contains("hardware_peaks_by_phase,tokenize,process_rss_anon_bytes,"))
        let export = try CLI.run(["export", "one", "--out", dir.file("m.json"), "--store", store])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try ManifestSchema.errors(dir.file("m.json")) == [])
    }

    @Test func encodeAndDecodeRoundTrip() throws {
        let dir = TempDir()
        try Self.writeRecords(dir.file("records.jsonl"))
        // Run where the default store (./blocklab.db) would go: --no-store leaves none there.
        let built = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("out"),
                                 "--vocab-size", "400", "--sequence-length", "32", "--no-store"], directory: dir.path)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("blocklab.db")))
        // The same run without --no-store records it in that very file.
        let stored = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("stored"),
                                  "--vocab-size", "400", "--sequence-length", "32"], directory: dir.path)
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("blocklab.db")))
        let tokenizer = dir.file("out/tokenizer")
        let text = "let a = 1<|endoftext|> é😀\n"
        let encoded = try CLI.run(["tokenizer", "encode", "--tokenizer", tokenizer], stdin: text)
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let ids = try #require(try CLI.json(encoded.stdout) as? [Int])
        #expect(!ids.isEmpty)
        let decoded = try CLI.run(["tokenizer", "decode", "--tokenizer", tokenizer], stdin: encoded.stdout)
        #expect(decoded.stdout == text)
        let lines = try CLI.run(["tokenizer", "encode", "--jsonl", "--tokenizer", tokenizer], stdin: "\"let a\"\n\"b\\n\"\n")
        #expect(lines.stdout.split(separator: "\n").count == 2)
        let back = try CLI.run(["tokenizer", "decode", "--jsonl", "--tokenizer", tokenizer], stdin: lines.stdout)
        #expect(back.stdout == "\"let a\"\n\"b\\n\"\n")
    }

    @Test func badArgumentsNameTheFix() throws {
        let dir = TempDir()
        try Self.writeRecords(dir.file("records.jsonl"))
        let short = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("o"), "--sequence-length", "1", "--no-store"])
        #expect(short.status != 0 && short.stderr.contains("at least 2 tokens"))
        let overlap = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("o"), "--sequence-length", "8", "--overlap", "8", "--no-store"])
        #expect(overlap.status != 0 && overlap.stderr.contains("smaller than the sequence length"))
        let vocab = try CLI.run(["tokenize", "--input", dir.file("records.jsonl"), "--out", dir.file("o"), "--vocab-size", "100", "--no-store"])
        #expect(vocab.status != 0 && vocab.stderr.contains("Raise --vocab-size"))
        let missing = try CLI.run(["tokenizer", "encode", "--tokenizer", dir.file("nowhere")], stdin: "x")
        #expect(missing.status != 0 && missing.stderr.contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("o/train.bin")))
    }
}
