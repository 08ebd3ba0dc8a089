import Foundation
import Testing
@testable import Tokenizer

extension Tag {
    @Tag static var slow: Self
    /// Needs Hugging Face `tokenizers` (BLOCKLAB_TOKENIZERS_PYTHON, set by scripts/setup/tokenizer.sh).
    @Tag static var huggingFace: Self
}

/// A fresh empty directory under the temporary directory.
func makeTemporaryDirectory(_ name: String = #function) throws -> String {
    let path = NSTemporaryDirectory() + "blocklab-tok-\(name.filter(\.isLetter))-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A stand-in file hash for the dataset builder (the command layer passes the real sha256).
func fakeSHA256(_ path: String) throws -> String {
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? -1
    return "size-\(size)"
}

/// A small corpus with code, diffs, unicode, whitespace runs and special tokens.
let fixtureCorpus: [String] = [
    "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\n",
    "diff --git a/Sources/main.swift b/Sources/main.swift\n@@ -1,3 +1,4 @@\n-let x = 1\n+let x = 2\n+print(\"héllo, wörld\")\n",
    "Fix the parser's handling of CRLF\r\n\r\nIt's what we'd've done; they'll see. I'm sure you're right.",
    "日本語のテキスト、中文文本。 Emoji: 😀👍🏽 and e\u{301} combining, Ω ≈ ∑ αβγ 123 ٣٤٥ Ⅻ ½",
    "tabs\t\tand  spaces   \n\n\n   trailing   ",
    "x<|endoftext|>y <|commit|>\n<|diff|>  <|file|>code<|code|>",
    "    for (int i = 0; i < n; ++i) { sum += a[i] * 0x1F; }  // C loop\n",
    "a\u{00A0}b\u{3000}c\u{2028}d\u{0085}e \u{00A0}f\u{200B}g",
    "'s 't 're 've 'm 'll 'd 'S 'T ''' it's",
    "1234567890 3.14159 1e-5 -42 0b1010",
    String(repeating: "abcdefghij", count: 30) + " " + String(repeating: "=", count: 120),
]
