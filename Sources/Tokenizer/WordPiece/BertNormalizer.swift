import Foundation

/// BERT's text normalisation, as Hugging Face `tokenizers`' `BertNormalizer` does it, in
/// this order: clean the text (drop NUL, U+FFFD and control/format/unassigned/private-use
/// characters; every whitespace character, tab and newline included, becomes a space), put
/// spaces around CJK ideographs, strip accents (NFD, then drop non-spacing marks), lower-case
/// (full Unicode mapping). Works on Unicode scalars, as the reference does on `char`s.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText = true
    public var handleChineseChars = true
    public var stripAccents = true
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase  // BERT: unset follows lower-casing
        self.lowercase = lowercase
    }

    public func normalize(_ text: Substring.UnicodeScalarView) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count + 8)
        var ascii = true
        for scalar in text {
            let value = scalar.value
            if value < 0x80 {
                if cleanText {
                    if value == 0x09 || value == 0x0A || value == 0x0D || value == 0x20 { out.append(" "); continue }
                    if value < 0x20 || value == 0x7F { continue }  // ASCII controls (Cc)
                }
                out.append(scalar)
                continue
            }
            ascii = false
            if cleanText {
                if value == 0xFFFD || Self.isOther(scalar) { continue }
                if scalar.properties.isWhitespace { out.append(" "); continue }
            }
            if handleChineseChars && Self.isChinese(value) {
                out.append(" "); out.append(scalar); out.append(" ")
            } else {
                out.append(scalar)
            }
        }
        if !ascii && stripAccents {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: out)
            let decomposed = String(view).decomposedStringWithCanonicalMapping.unicodeScalars
            out = decomposed.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            if ascii {
                for i in out.indices where out[i].value >= 0x41 && out[i].value <= 0x5A {
                    out[i] = Unicode.Scalar(out[i].value + 0x20)!
                }
            } else {
                var lowered: [Unicode.Scalar] = []
                lowered.reserveCapacity(out.count)
                for scalar in out {
                    if scalar.value < 0x80 {
                        lowered.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 0x20)! : scalar)
                    } else if scalar.properties.changesWhenLowercased {
                        lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                    } else {
                        lowered.append(scalar)
                    }
                }
                out = lowered
            }
        }
        return out
    }

    /// Rust's `char::is_other`: control, format, unassigned, private use, surrogate (tab,
    /// newline and carriage return are handled as whitespace before this is asked).
    static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks of `tokenizers`' BertNormalizer.
    static func isChinese(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
