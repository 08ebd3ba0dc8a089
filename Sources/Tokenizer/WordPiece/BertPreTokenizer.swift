/// BERT's pre-tokenization (`tokenizers`' `BertPreTokenizer`): split on whitespace, and make
/// every punctuation character a word of its own. Punctuation is Unicode's P* categories plus
/// all ASCII symbols (`$`, `+`, `<`, `=`, `>`, `^`, `` ` ``, `|`, `~`), as Rust's
/// `is_ascii_punctuation` counts them.
public enum BertPreTokenizer {
    /// Calls `body` with each word of `text` (a normalised scalar array) as a range.
    public static func forEachWord(in text: [Unicode.Scalar], _ body: (Range<Int>) -> Void) {
        var start = -1
        for (i, scalar) in text.enumerated() {
            if isWhitespace(scalar) {
                if start >= 0 { body(start..<i); start = -1 }
            } else if isPunctuation(scalar) {
                if start >= 0 { body(start..<i); start = -1 }
                body(i..<(i + 1))
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { body(start..<text.count) }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return scalar.properties.isWhitespace
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return (v >= 0x21 && v <= 0x2F) || (v >= 0x3A && v <= 0x40) || (v >= 0x5B && v <= 0x60) || (v >= 0x7B && v <= 0x7E)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation,
             .initialPunctuation, .otherPunctuation, .openPunctuation:
            return true
        default:
            return false
        }
    }
}
