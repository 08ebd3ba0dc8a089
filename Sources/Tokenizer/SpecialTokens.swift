/// The added tokens BlockLab registers: `<|endoftext|>` (record separator and padding) and
/// the structural markers of the dataset template (see docs/tokenizer.md).
public enum SpecialTokens {
    public static let endOfText = "<|endoftext|>"
    public static let commit = "<|commit|>"
    public static let message = "<|message|>"
    public static let author = "<|author|>"
    public static let date = "<|date|>"
    public static let files = "<|files|>"
    public static let diff = "<|diff|>"
    public static let file = "<|file|>"
    public static let code = "<|code|>"

    /// In id order: they follow the merges, `<|endoftext|>` first.
    public static let all = [endOfText, commit, message, author, date, files, diff, file, code]

    /// The zero-width space put between `<` and `|` of a special token that occurs inside
    /// record content, so content cannot inject markers. One-way: decoding keeps it.
    public static let escapeMark = "\u{200B}"

    /// `text` with every occurrence of one of `specials` broken by `escapeMark` after its
    /// first byte (`<|endoftext|>` → `<\u{200B}|endoftext|>`). Matching is on UTF-8 bytes,
    /// as the encoder matches, so no combining character can hide an occurrence.
    public static func escape(_ text: String, specials: [String] = all) -> String {
        let patterns = specials.map { Array($0.utf8) }.filter { !$0.isEmpty }
        var firstBytes = [Bool](repeating: false, count: 256)
        for pattern in patterns { firstBytes[Int(pattern[0])] = true }
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var copied = 0
        var i = 0
        while i < bytes.count {
            if firstBytes[Int(bytes[i])],
               patterns.contains(where: { bytes.count - i >= $0.count && bytes[i..<i + $0.count].elementsEqual($0) }) {
                if result.isEmpty { result.reserveCapacity(bytes.count + 16) }
                result.append(contentsOf: bytes[copied...i])
                result.append(contentsOf: escapeMark.utf8)
                copied = i + 1
            }
            i += 1
        }
        if copied == 0 && result.isEmpty { return text }
        result.append(contentsOf: bytes[copied...])
        return String(decoding: result, as: UTF8.self)
    }
}
