import Foundation
import Testing
@testable import Tokenizer

@Suite struct DatasetBuilderTests {
    /// Twelve commits (one with an injected marker in its diff, one without `type`) and
    /// three file chunks, plus a record of another type that is skipped.
    static func fixtureJSONL() -> String {
        var lines: [String] = []
        for i in 0..<12 {
            let diff = i == 3 ? "+let s = \\\"<|endoftext|>\\\"\\n" : "@@ -\(i),2 +\(i),3 @@\\n-old \(i)\\n+new \(i)\\n+more\\n"
            let type = i == 5 ? "" : "\"type\": \"commit\", "
            lines.append("""
            {\(type)"hash": "\(String(repeating: "a", count: 39))\(i % 10)", "subject": "Change \(i): tidy the parser", "body": "Body \(i).\\n", "author_name": "Ada", "author_email": "ada@example.com", "author_timestamp": "2024-01-\(String(format: "%02d", i + 1))T10:00:00Z", "extra": 1, "diff_stats": [{"path": "Sources/p\(i).swift", "change_type": "M", "insertions": 2, "deletions": 1, "diff_text": "\(diff)"}]}
            """)
        }
        for i in 0..<3 {
            lines.append("""
            {"type": "file_chunk", "path": "README.md", "start_line": \(i * 10 + 1), "end_line": \(i * 10 + 10), "text": "# Title \(i)\\nSome text.\\n"}
            """)
        }
        lines.append("{\"type\": \"summary\", \"commits\": 12}")
        return lines.joined(separator: "\n") + "\n"
    }

    func build(_ configure: (inout DatasetBuilder.Options) -> Void = { _ in }) throws -> (String, DatasetManifest, [DatasetRecord]) {
        let directory = try makeTemporaryDirectory()
        let input = directory + "/commits.jsonl"
        try Self.fixtureJSONL().write(toFile: input, atomically: true, encoding: .utf8)
        var options = DatasetBuilder.Options()
        options.vocabularySize = 400
        options.sequenceLength = 16
        configure(&options)
        let manifest = try DatasetBuilder(options).build(inputs: [input], output: directory, sha256: fakeSHA256)
        return (directory, manifest, try DatasetRecord.read(file: input))
    }

    /// The real tokens of a token file (padding of the last sequence removed; no overlap).
    func stream(_ path: String) throws -> [Int] {
        let file = try TokenFile.read(path)
        var tokens = file.tokens.map { Int($0) }
        if file.header.sequenceCount > 0 {
            tokens.removeLast(Int(file.header.sequenceLength - file.header.lastSequenceValidTokens))
        }
        return tokens
    }

    @Test func recordsStayWholeOnTheirSideOfTheSplit() throws {
        let (directory, manifest, records) = try build()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(records.count == 15)
        #expect(manifest.records.commit == 12 && manifest.records.fileChunk == 3)
        #expect(manifest.records.train == 13 && manifest.records.val == 2)
        let tokenizer = try BPETokenizer.load(directory: directory + "/tokenizer")
        let split = DatasetSplit.split(records, method: .random, validationFraction: 0.1, seed: 42)
        for (indices, file) in [(split.train, "train.bin"), (split.validation, "val.bin")] {
            let expected = indices.map { DatasetTemplate.render(records[$0]) + SpecialTokens.endOfText }.joined()
            #expect(try tokenizer.decode(try stream(directory + "/" + file)) == expected)
        }
        let train = try TokenFile.read(directory + "/train.bin")
        #expect(train.header.sequenceLength == 16 && train.header.bytesPerToken == 2)
        #expect(Int(train.header.sequenceCount) == manifest.train.sequences)
        #expect(Int(train.header.padTokenID) == tokenizer.endOfTextID)
        #expect(Int(train.header.vocabularySize) == tokenizer.vocabularySize)
        #expect(manifest.train.streamTokens + manifest.val.streamTokens
            == manifest.tokensBySource["commit"]! + manifest.tokensBySource["file_chunk"]!)
        #expect(manifest.train.storedTokens == manifest.train.sequences * 16)
    }

    @Test func injectedMarkersAreEscaped() throws {
        let (directory, manifest, _) = try build()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tokenizer = try BPETokenizer.load(directory: directory + "/tokenizer")
        let eos = tokenizer.endOfTextID!
        var separators = 0
        for file in ["train.bin", "val.bin"] { separators += try stream(directory + "/" + file).filter { $0 == eos }.count }
        #expect(separators == manifest.records.train + manifest.records.val)
    }

    @Test func manifestRecomputesEpochsAndReadsBack() throws {
        let (directory, manifest, _) = try build { $0.targetTokens = 16 * 7 * 100 }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(manifest.epochs.value == min(max(16 * 7 * 100 / (manifest.train.sequences * 16), 3), 10))
        #expect(try DatasetManifest.read(directory + "/dataset.json") == manifest)
        let json = try String(contentsOfFile: directory + "/dataset.json", encoding: .utf8)
        #expect(json.contains("\"sequence_length\" : 16"))
        #expect(json.contains("\"tokens_by_source\""))
    }

    @Test func chronologicalHoldsOutTheNewestCommits() throws {
        let records = try DatasetRecord.read(file: { () -> String in
            let path = NSTemporaryDirectory() + "chrono-\(UUID().uuidString).jsonl"
            try! Self.fixtureJSONL().write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }())
        let split = DatasetSplit.split(records, method: .chronological, validationFraction: 0.25, seed: 42)
        #expect(split.validation == [9, 10, 11])  // the three newest of twelve commits
        #expect(split.train.count == 12)
    }

    @Test func givenTokenizerIsReused() throws {
        let (first, _, _) = try build()
        defer { try? FileManager.default.removeItem(atPath: first) }
        let (second, manifest, _) = try build { $0.tokenizerDirectory = first + "/tokenizer" }
        defer { try? FileManager.default.removeItem(atPath: second) }
        #expect(manifest.tokenizer.origin == first + "/tokenizer")
        #expect(FileManager.default.contents(atPath: second + "/train.bin") == FileManager.default.contents(atPath: first + "/train.bin"))
    }
}
