import Foundation
import TestSupport
import QdrantTestSupport
import Testing

extension Tag {
    /// Loads the real default model (BLOCKLAB_EMBED_MODEL) and runs Python peers.
    @Tag static var model: Self
    /// Starts the Qdrant test server.
    @Tag static var server: Self
}

/// The encoder's suites. They run in parallel with the others: libtorch's thread count is
/// each thread's own (TrainingTests' IsolationTests holds it).
@Suite enum EncoderTests {}

/// The directory of the default model that scripts/setup/embeddings.sh unpacks.
func modelDirectory() throws -> URL {
    guard let path = ProcessInfo.processInfo.environment["BLOCKLAB_EMBED_MODEL"], !path.isEmpty else {
        throw TestSetupError("BLOCKLAB_EMBED_MODEL is unset: run `eval \"$(bash scripts/setup/embeddings.sh | grep ^export)\"` (scripts/test.sh does)")
    }
    return URL(fileURLWithPath: path)
}

/// The repository's root, found from this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Texts that exercise the encoder: prose, code, diffs, non-ASCII scripts, special tokens,
/// an empty text, and texts longer than the model's 256-token input (several windows).
let referenceCorpus: [String] = {
    let diff = (0..<12).map { i in "-    let value\(i) = compute(\(i), scale: 0.\(i))\n+    let value\(i) = try compute(\(i), scale: Double(\(i)) / 10)\n" }.joined()
    let prose = (0..<20).map { i in "Paragraph \(i) explains why the scheduler retries failed jobs with exponential backoff and jitter." }.joined(separator: " ")
    return [
        "Fix off-by-one error in the tokenizer's window cutting",
        "Add Qdrant push with a ledger\n\nA push interrupted halfway sends only the rest next time.",
        "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\n",
        "@@ -1,3 +1,4 @@\n-let x = 1\n+let x = 2\n+print(\"héllo, wörld\")\n",
        "Corrige l'encodage des caractères accentués — ça marche enfin à Zürich, São Paulo et Kraków",
        "日本語のテキスト、中文文本。 Привет, мир! Ελληνικά 한국어 😀👍🏽",
        "[CLS] literal special tokens [SEP] in a commit message [MASK]",
        "",
        "snake_case camelCase kebab-case __init__ a->b x<<=2 #include <stdio.h> 0xDEADBEEF 3.14159",
        "Refactor the store\n\n" + diff,
        prose,
        String(repeating: "supercalifragilisticexpialidocious ", count: 40),
    ]
}()
