import Foundation
import Testing
@testable import Tokenizer
import TrainingPlan

@Suite struct BPETokenizerTests {
    /// The fixture corpus's tokenizer, trained once; a failed training fails each test that uses it.
    static let training = Result { try BPETrainer(vocabularySize: 600).train(fixtureCorpus) }

    /// minbpe's textbook case: three merges on "aaabdaaabac" give [258, 100, 258, 97, 99].
    @Test func minbpeTextbookCase() throws {
        let tokenizer = try BPETrainer(vocabularySize: 256 + 3 + SpecialTokens.all.count).train(["aaabdaaabac"])
        #expect(tokenizer.merges.count == 3)
        #expect(tokenizer.merges.map { [$0.left, $0.right] } == [[97, 97], [97, 98], [256, 257]])
        #expect(tokenizer.encode("aaabdaaabac") == [258, 100, 258, 97, 99])
        #expect(try tokenizer.decode([258, 100, 258, 97, 99]) == "aaabdaaabac")
        #expect(tokenizer.id(of: SpecialTokens.endOfText) == 259)
        #expect(tokenizer.vocabularySize == 268)
    }

    @Test func trainingIsDeterministic() throws {
        let trained = try Self.training.get()
        let again = try BPETrainer(vocabularySize: 600, threads: 1).train(fixtureCorpus)
        #expect(again.merges.map { [$0.left, $0.right] } == trained.merges.map { [$0.left, $0.right] })
        #expect(again.tokens == trained.tokens)
    }

    @Test(arguments: ["", "😀👍🏽🇫🇷", "日本語のテキスト", "e\u{301}\u{302} n\u{303}", "let x = 1\n\n\t  ", "<|endoftext|><|endoftext|>"])
    func textRoundTrips(_ text: String) throws {
        let trained = try Self.training.get()
        let ids = trained.encode(text)
        #expect(try trained.decode(ids) == text)
    }

    @Test func randomBytesRoundTrip() throws {
        let trained = try Self.training.get()
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<100 {
            let bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            #expect(try trained.decodeBytes(trained.encode(bytes: bytes)) == bytes)
        }
    }

    @Test func specialTokensAreSingleIDs() throws {
        let tokenizer = try Self.training.get()
        let eos = try #require(tokenizer.endOfTextID)
        let ids = tokenizer.encode("a<|endoftext|>b<|diff|>")
        #expect(ids.filter { $0 == eos }.count == 1)
        #expect(ids.contains(try #require(tokenizer.id(of: "<|diff|>"))))
        let escaped = SpecialTokens.escape("a<|endoftext|>b")
        #expect(escaped == "a<\u{200B}|endoftext|>b")
        #expect(!tokenizer.encode(escaped).contains(eos))
    }

    @Test func escapeSeesMarkersThatGraphemesHide() {
        // ">" followed by a combining mark is one Character, but the bytes still match.
        #expect(SpecialTokens.escape("<|endoftext|>\u{301}") == "<\u{200B}|endoftext|>\u{301}")
        #expect(SpecialTokens.escape("no markers here") == "no markers here")
    }

    /// Long words merge with a heap, short ones by scans; both must agree.
    @Test func heapAndScanMergesAgree() throws {
        let tokenizer = try Self.training.get()
        var generator = SeededGenerator(seed: 11)
        let alphabet = Array("abcdefghij  =_".utf8)
        for _ in 0..<300 {
            let n = 2 + Int(generator.next() % 200)
            let symbols = (0..<n).map { _ in tokenizer.byteIDs[Int(alphabet[Int(generator.next() % UInt64(alphabet.count))])] }
            var scanned = symbols, heaped = symbols
            BPEMerge.scan(&scanned, tokenizer.pairTable)
            BPEMerge.heap(&heaped, tokenizer.pairTable)
            #expect(scanned == heaped)
        }
    }

    @Test func batchEncodeMatchesSingle() throws {
        let trained = try Self.training.get()
        let batch = trained.encodeBatch(fixtureCorpus, threads: 3)
        for (text, ids) in zip(fixtureCorpus, batch) {
            #expect(ids.map { Int($0) } == trained.encode(text))
        }
    }

    @Test func saveAndLoadGiveTheSameIDs() throws {
        let trained = try Self.training.get()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try trained.save(directory: directory)
        for name in BPETokenizer.fileNames {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name))
        }
        let loaded = try BPETokenizer.load(directory: directory)
        #expect(loaded.tokens == trained.tokens)
        // GPT-2's pair of files alone (no tokenizer.json) loads to the same tokenizer.
        try FileManager.default.removeItem(atPath: directory + "/tokenizer.json")
        let gpt2 = try BPETokenizer.load(directory: directory)
        #expect(gpt2.addedTokens == trained.addedTokens)
        for text in fixtureCorpus {
            #expect(loaded.encode(text) == trained.encode(text))
            #expect(gpt2.encode(text) == trained.encode(text))
        }
    }
}
