import Foundation
import class TestSupport.TestChild
import Testing
@testable import Tokenizer

@Suite struct WordPieceTests {
    /// A vocabulary small enough to reason about: ids are the line numbers.
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", ",", "!",
                             "cafe", "你", "好", "a", "##b", "x", "$", "=", "##=", "ω"]

    static func tokenizer(lowercase: Bool = true, stripAccents: Bool? = nil) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: vocabulary, normalizer: BertNormalizer(stripAccents: stripAccents, lowercase: lowercase))
    }

    /// BERT's textbook example: "unaffable" → un ##aff ##able.
    @Test func greedyLongestMatchFirst() throws {
        let t = try Self.tokenizer()
        #expect(t.tokens(of: t.encode("UnAffable, hello!")) == ["un", "##aff", "##able", ",", "hello", "!"])
        #expect(t.encode("unaffable") == [5, 6, 7])
    }

    /// A word with no complete split is one [UNK], not a partial split.
    @Test func unsplittableWordIsOneUnknown() throws {
        let t = try Self.tokenizer()
        #expect(t.tokens(of: t.encode("unaffz hello")) == ["[UNK]", "hello"])
        #expect(t.tokens(of: t.encode("abbb")) == ["a", "##b", "##b", "##b"])
    }

    @Test func wordsLongerThanTheLimitAreUnknown() throws {
        let t = try Self.tokenizer()
        #expect(t.encode("a" + String(repeating: "b", count: 99)) == [14] + [Int32](repeating: 15, count: 99))
        #expect(t.encode("a" + String(repeating: "b", count: 100)) == [t.unknownID])
    }

    @Test func accentsCaseAndCJK() throws {
        #expect(try Self.tokenizer().tokens(of: Self.tokenizer().encode("CAFÉ 你好")) == ["cafe", "你", "好"])
        // Without accent stripping "é" stays, so "café" has no split.
        #expect(try Self.tokenizer(stripAccents: false).tokens(of: Self.tokenizer(stripAccents: false).encode("café")) == ["[UNK]"])
        // Cased: "Hello" is not in the vocabulary.
        #expect(try Self.tokenizer(lowercase: false).encode("Hello hello") == [1, 8])
        // Ω lower-cases to ω (not ASCII).
        #expect(try Self.tokenizer().tokens(of: Self.tokenizer().encode("Ω")) == ["ω"])
    }

    /// ASCII symbols are punctuation for BERT: "$x==" is four words.
    @Test func punctuationAndSymbolsSplit() throws {
        let t = try Self.tokenizer()
        #expect(t.tokens(of: t.encode("$x==")) == ["$", "x", "=", "="])
    }

    @Test func controlCharactersVanishAndWhitespaceSplits() throws {
        let t = try Self.tokenizer()
        #expect(t.tokens(of: t.encode("hello\u{0}\u{7}\u{200B}!\thello\u{00A0}x\u{3000}a")) == ["hello", "!", "hello", "x", "a"])
    }

    /// Special tokens written in the text are matched as written, before normalisation.
    @Test func specialTokensInTextKeepTheirIDs() throws {
        let t = try Self.tokenizer()
        #expect(t.encode("hello[SEP]x [MASK]") == [8, 3, 16, 4])
        #expect(t.tokens(of: t.encode("[sep]")) == ["[UNK]", "[UNK]", "[UNK]"])  // "[", "sep", "]": only exact spelling counts
    }

    @Test func missingFilesAndTokensAreNamed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer.load(directory: URL(fileURLWithPath: directory)) }
        try "[PAD]\nhello\n".write(toFile: directory + "/vocab.txt", atomically: true, encoding: .utf8)
        do {
            _ = try WordPieceTokenizer.load(directory: URL(fileURLWithPath: directory))
            Issue.record("a vocabulary without [UNK] must be refused")
        } catch let error as TokenizerError {
            #expect(error.message.contains("vocab.txt") && error.message.contains("[UNK]"))
        }
    }

    /// The ids of Hugging Face `tokenizers` loading the model's own tokenizer.json, on texts
    /// that exercise every rule (needs BLOCKLAB_TOKENIZERS_PYTHON and BLOCKLAB_EMBED_MODEL).
    @Test(.tags(.huggingFace)) func matchesHuggingFaceOnTheDefaultModel() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["BLOCKLAB_TOKENIZERS_PYTHON"], !python.isEmpty,
              let model = environment["BLOCKLAB_EMBED_MODEL"], !model.isEmpty else {
            Issue.record("BLOCKLAB_TOKENIZERS_PYTHON and BLOCKLAB_EMBED_MODEL must be set: run scripts/setup/tokenizer.sh and scripts/setup/embeddings.sh (scripts/test.sh does)")
            return
        }
        let texts = fixtureCorpus + [
            "Ünïcödé ÀÉÎÕÜ façade naïve coöperate İstanbul ß ǅ Σίσυφος ΣΑΣ",
            "Привет, мир! Ελληνικά עברית العربية हिन्दी ไทย 한국어 ｆｕｌｌｗｉｄｔｈ",
            "[CLS] hello [SEP][PAD][MASK][UNK] [cls] [ SEP ]",
            "snake_case camelCase kebab-case __init__ a->b a::b x<<=2 #include <stdio.h>",
            "\u{1F600}\u{1F44D}\u{1F3FD} \u{2764}\u{FE0F} \u{E000}private \u{FFFD}replacement \u{0}nul",
            String(repeating: "supercalifragilistic", count: 6),
        ]
        let script = """
        import json, sys
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
        tok.no_padding()
        tok.no_truncation()
        texts = json.load(sys.stdin)
        print(json.dumps([tok.encode(t, add_special_tokens=False).ids for t in texts]))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, model]
        let child = try TestChild(process, input: true)
        child.send(String(decoding: try JSONSerialization.data(withJSONObject: texts), as: UTF8.self))
        let result = try child.finish()
        try #require(result.status == 0, "the Hugging Face tokenizers peer failed: \(result.stderr)")
        let theirs = try JSONDecoder().decode([[Int32]].self, from: Data(result.stdout.utf8))
        let tokenizer = try WordPieceTokenizer.load(directory: URL(fileURLWithPath: model))
        for (index, text) in texts.enumerated() {
            let ours = tokenizer.encode(text)
            #expect(ours == theirs[index], "text \(index) \(text.debugDescription): \(tokenizer.tokens(of: ours)) vs \(tokenizer.tokens(of: theirs[index]))")
        }
    }
}
