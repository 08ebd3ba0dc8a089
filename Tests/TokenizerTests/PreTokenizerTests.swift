import Testing
@testable import Tokenizer
import TrainingPlan

/// Expected pieces are what Hugging Face `tokenizers` 0.23 (`ByteLevel(add_prefix_space=False)`)
/// gives, in its byte-level spelling.
@Suite struct PreTokenizerTests {
    func pieces(_ text: String) -> [String] {
        PreTokenizer.split(Array(text.utf8)).map { ByteLevel.encode($0) }
    }

    @Test func splitsLikeGPT2() {
        #expect(pieces("Hello, world!") == ["Hello", ",", "Ġworld", "!"])
        #expect(pieces("I'm  here\n\nnow") == ["I", "'m", "Ġ", "Ġhere", "Ċ", "Ċ", "now"])
        #expect(pieces("x = 12345 + y3;  // 'll 'S\t\tz  ")
            == ["x", "Ġ=", "Ġ12345", "Ġ+", "Ġy", "3", ";", "Ġ", "Ġ//", "Ġ'", "ll", "Ġ'", "S", "ĉ", "ĉ", "z", "ĠĠ"])
        #expect(pieces("it's  ''s") == ["it", "'s", "Ġ", "Ġ''", "s"])
        #expect(pieces("  \n  x") == ["ĠĠĊĠ", "Ġx"])
    }

    @Test func unicodeClassesAndWhitespace() {
        #expect(pieces("a\u{00A0}b\u{3000}c\u{2028}d\u{0085}e \u{00A0}f")
            == ["a", "Âł", "b", "ãĢĢ", "c", "âĢ¨", "d", "Âħ", "e", "Ġ", "Âł", "f"])
        #expect(pieces("café ñ 日本語 😀 e\u{301}") == ["cafÃ©", "ĠÃ±", "ĠæĹ¥æľ¬èªŀ", "ĠðŁĺĢ", "Ġe", "Ìģ"])
    }

    @Test func invalidUTF8BytesAreSymbols() {
        let bytes: [UInt8] = [0x61, 0xFF, 0xC3, 0x20, 0x80, 0x62]
        #expect(PreTokenizer.split(bytes) == [[0x61], [0xFF, 0xC3], [0x20, 0x80], [0x62]])
    }

    @Test func piecesCoverTheInput() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let bytes = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            #expect(PreTokenizer.split(bytes).flatMap { $0 } == bytes)
        }
    }
}
