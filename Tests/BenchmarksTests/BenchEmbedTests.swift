import ExperimentStore
import Foundation
import TestSupport
import Testing
@testable import Benchmarks

/// `bench embed` end to end on a few commits: the real model, sentence-transformers and
/// qdrant-client from scripts/setup/embeddings.sh, the Qdrant test server.
@Suite struct BenchEmbedTests {
    @Test func bothSidesAgreeAndEveryFigureIsThere() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["BLOCKLAB_EMBED_PYTHON"], !python.isEmpty,
              let model = environment["BLOCKLAB_EMBED_MODEL"], !model.isEmpty else {
            Issue.record("BLOCKLAB_EMBED_PYTHON and BLOCKLAB_EMBED_MODEL must be set: run scripts/setup/embeddings.sh (scripts/test.sh does)")
            return
        }
        let dir = TempDir()
        let subjects = ["Fix a memory leak in the parser", "Add a command-line flag for verbose output",
                        "Document the configuration file format", "Speed up the tokenizer with a cache"]
        let lines = try subjects.enumerated().map { i, subject in
            let record: [String: Any] = [
                "type": "commit", "hash": String(repeating: String(i), count: 40), "author_name": "Author",
                "author_timestamp": "2024-03-0\(i + 1)T09:00:00+01:00", "subject": subject, "body": "", "branches": ["main"],
                "files_changed": 1, "insertions": 1, "deletions": 0,
                "diff_stats": [["path": "src/file\(i).py", "diff_text": "@@ -0,0 +1 @@\n+# \(subject)\n"]],
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        }
        let input = dir.path + "/commits.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)

        let report = try await BenchEmbed.parse(["--input", input, "--model", model, "--python", python, "--push-rounds", "2",
                                                 "--chunks", "3", "--truncating"]).measure()
        for key in ["embed_texts_per_s", "st_texts_per_s", "st_truncating_texts_per_s", "push_points_per_s", "qdrant_client_points_per_s"] {
            #expect((report[key] ?? 0) > 0, "\(key): \(String(describing: report[key]))")
        }
        #expect(report["texts"] == 4 && report["dimension"] == 384 && report["chunks"] == 3 && report["windows"] == 4)
        #expect(report["long_texts"] == 0 && report["push_rounds"] == 2)
        // The same libtorch on both sides: only float32 rounding apart (EmbeddingTests'
        // ReferenceTests measure 1 - 8e-8 at worst), so the bench's own check holds to 1 - 1e-6.
        #expect((report["min_cosine_vs_st"] ?? 0) >= 1 - 1e-6, "\(String(describing: report["min_cosine_vs_st"]))")
        #expect(report.peers["sentence-transformers"] == "2.7.0" && report.peers["qdrant-client"] == "1.20.0")
        let table = report.render(.table)
        #expect(table.contains("sentence-transformers 2.7.0") && table.contains("qdrant-client 1.20.0"), "\(table)")
    }

    /// Without a scrape at the default input, the error names the command that makes one.
    @Test func missingInputNamesTheFix() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["BLOCKLAB_EMBED_PYTHON"], !python.isEmpty else {
            Issue.record("BLOCKLAB_EMBED_PYTHON must be set: run scripts/setup/embeddings.sh (scripts/test.sh does)")
            return
        }
        let dir = TempDir()
        do {
            _ = try await BenchEmbed.parse(["--input", dir.path + "/none.jsonl", "--python", python]).measure()
            Issue.record("a missing input must fail")
        } catch {
            #expect("\(error)".contains("blocklab scrape --repo") && "\(error)".contains("pass --input FILE"), "\(error)")
        }
    }
}
