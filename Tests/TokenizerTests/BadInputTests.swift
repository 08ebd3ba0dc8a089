import Foundation
import Testing
@testable import Tokenizer

@Suite struct BadInputTests {
    func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let error as TokenizerError { return error.message } catch { return "\(error)" }
    }

    @Test func emptyCorpus() throws {
        #expect(message { _ = try BPETrainer(vocabularySize: 300).train([]) }?.contains("corpus is empty") == true)
        #expect(message { _ = try BPETrainer(vocabularySize: 300).train(["", "<|endoftext|>"]) }?.contains("corpus is empty") == true)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "\n\n".write(toFile: directory + "/empty.jsonl", atomically: true, encoding: .utf8)
        #expect(message { _ = try DatasetBuilder(.init()).build(inputs: [directory + "/empty.jsonl"], output: directory, sha256: fakeSHA256) }?
            .contains("no commit or file_chunk records") == true)
    }

    @Test func vocabularyTooSmall() {
        let text = message { _ = try BPETrainer(vocabularySize: 256 + SpecialTokens.all.count - 1).train(["abc"]) }
        #expect(text?.contains("at least \(256 + SpecialTokens.all.count)") == true)
        #expect(message { _ = try BPETrainer(vocabularySize: 256 + SpecialTokens.all.count).train(["abc"]) } == nil)
    }

    @Test func sequenceLengthAndOverlap() {
        #expect(message { _ = try SequencePacker(sequenceLength: 1) }?.contains("at least 2 tokens") == true)
        #expect(message { _ = try SequencePacker(sequenceLength: 8, overlap: 8) }?.contains("smaller than the sequence length") == true)
        #expect(message { _ = try SequencePacker(sequenceLength: 8, overlap: -1) } != nil)
        #expect(message { _ = try SequencePacker(sequenceLength: 2, overlap: 1) } == nil)
    }

    @Test func corruptTokenizerFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(message { _ = try BPETokenizer.load(directory: directory + "/missing") }?.contains("does not exist") == true)
        #expect(message { _ = try BPETokenizer.load(directory: directory) }?.contains("neither tokenizer.json nor vocab.json") == true)
        try "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0".write(toFile: directory + "/tokenizer.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try BPETokenizer.load(directory: directory) }?.contains("tokenizer.json is corrupt: it is not a JSON object") == true)
        try """
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}, "pre_tokenizer": {"type": "ByteLevel"}}
        """.write(toFile: directory + "/tokenizer.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try BPETokenizer.load(directory: directory) }?.contains("merge 1 ('a c') names a token missing") == true)
        try """
        {"model": {"type": "WordPiece", "vocab": {}}}
        """.write(toFile: directory + "/tokenizer.json", atomically: true, encoding: .utf8)
        #expect(message { _ = try BPETokenizer.load(directory: directory) }?.contains("not BPE") == true)
    }

    @Test func corruptTokenFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("NOTATOKENFILE".utf8 + [UInt8](repeating: 0, count: 60)).write(to: URL(fileURLWithPath: directory + "/x.bin"))
        #expect(message { _ = try TokenFile.read(directory + "/x.bin") }?.contains("magic is not BLOCKTOK") == true)
        let header = TokenFile.Header(bytesPerToken: 2, sequenceLength: 4, overlap: 0, sequenceCount: 2,
                                      lastSequenceValidTokens: 4, padTokenID: 0, vocabularySize: 300)
        try Data(header.encoded() + [1, 0, 2, 0]).write(to: URL(fileURLWithPath: directory + "/short.bin"))
        #expect(message { _ = try TokenFile.read(directory + "/short.bin") }?.contains("does not match the 8 tokens") == true)
    }

    @Test func badJSONLNamesTheLine() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "{\"type\": \"commit\", \"hash\": \"ab\"}\nnot json\n".write(toFile: directory + "/bad.jsonl", atomically: true, encoding: .utf8)
        #expect(message { _ = try DatasetRecord.read(file: directory + "/bad.jsonl") }?.contains("bad.jsonl:2: not a JSON object") == true)
    }
}
