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

    /// The texts of a token file's records: its real tokens cut at each end of text, decoded.
    func recordTexts(_ path: String, tokenizer: BPETokenizer) throws -> [String] {
        let eos = try #require(tokenizer.endOfTextID)
        var texts: [String] = [], current: [Int] = []
        for id in try stream(path) {
            if id == eos { texts.append(try tokenizer.decode(current)); current = [] } else { current.append(id) }
        }
        #expect(current.isEmpty, "every record ends with its end of text")
        return texts
    }

    @Test func recordsStayWholeOnTheirSideOfTheSplit() throws {
        let (directory, manifest, records) = try build()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(records.count == 15)
        let tokenizer = try BPETokenizer.load(directory: directory + "/tokenizer")
        let rendered = records.map { DatasetTemplate.render($0) }
        #expect(Set(rendered).count == 15)
        // Each file's records, as indices into the input.
        let train = try recordTexts(directory + "/train.bin", tokenizer: tokenizer).map { rendered.firstIndex(of: $0) }
        let validation = try recordTexts(directory + "/val.bin", tokenizer: tokenizer).map { rendered.firstIndex(of: $0) }
        #expect(!train.contains(nil) && !validation.contains(nil), "every piece is one whole record")
        // round(15 × 0.1) = 2 validate, 13 train; every record on exactly one side, each side in input order.
        #expect(validation.count == 2 && train.count == 13)
        #expect((train + validation).compactMap { $0 }.sorted() == Array(0..<15))
        #expect(train.compactMap { $0 } == train.compactMap { $0 }.sorted() && validation.compactMap { $0 } == validation.compactMap { $0 }.sorted())
        #expect(manifest.records.train == 13 && manifest.records.val == 2)
        // Another seed holds out other records.
        let (other, _, _) = try build { $0.seed = 7 }
        defer { try? FileManager.default.removeItem(atPath: other) }
        let otherTokenizer = try BPETokenizer.load(directory: other + "/tokenizer")
        let otherValidation = try recordTexts(other + "/val.bin", tokenizer: otherTokenizer).map { rendered.firstIndex(of: $0) }
        #expect(otherValidation.count == 2 && otherValidation != validation)

        let file = try TokenFile.read(directory + "/train.bin")
        #expect(file.header.sequenceLength == 16 && file.header.bytesPerToken == 2)
        #expect(Int(file.header.sequenceCount) == manifest.train.sequences)
        #expect(Int(file.header.padTokenID) == tokenizer.endOfTextID)
        #expect(Int(file.header.vocabularySize) == tokenizer.vocabularySize)
        let commitTokens = try #require(manifest.tokensBySource["commit"]), chunkTokens = try #require(manifest.tokensBySource["file_chunk"])
        #expect(manifest.train.streamTokens + manifest.val.streamTokens == commitTokens + chunkTokens)
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

    /// Epochs = clamp(floor(target_tokens / (train sequences × 16)), 3, 10), with the train
    /// sequences counted from train.bin's size, and targets chosen to land on 7 and on each bound.
    @Test func manifestRecomputesEpochsAndReadsBack() throws {
        let (first, _, _) = try build()
        defer { try? FileManager.default.removeItem(atPath: first) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: first + "/train.bin")[.size] as? Int)
        let sequences = (size - 64) / (16 * 2)   // 64-byte header, 16 tokens of 2 bytes each
        #expect(sequences > 0 && (size - 64) % (16 * 2) == 0)
        for (target, epochs) in [(sequences * 16 * 7 + 5, 7), (sequences * 16 * 2, 3), (sequences * 16 * 40, 10)] {
            let (directory, manifest, _) = try build { $0.targetTokens = target }
            defer { try? FileManager.default.removeItem(atPath: directory) }
            #expect(manifest.train.sequences == sequences)
            #expect(manifest.epochs.value == epochs, "target \(target)")
            #expect(try DatasetManifest.read(directory + "/dataset.json") == manifest)
            let json = try String(contentsOfFile: directory + "/dataset.json", encoding: .utf8)
            #expect(json.contains("\"sequence_length\" : 16"))
            #expect(json.contains("\"tokens_by_source\""))
        }
    }

    @Test func chronologicalHoldsOutTheNewestCommits() throws {
        let path = NSTemporaryDirectory() + "chrono-\(UUID().uuidString).jsonl"
        try Self.fixtureJSONL().write(toFile: path, atomically: true, encoding: .utf8)
        let records = try DatasetRecord.read(file: path)
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
