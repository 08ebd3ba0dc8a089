/// GPT-2's pre-tokenization, as a scanner over UTF-8 bytes. It splits exactly where
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// does (Hugging Face's `ByteLevel` pre-tokenizer with `use_regex`), without a regex engine.
/// `\s` is Unicode White_Space; `\p{L}` and `\p{N}` are the general categories, read from
/// the standard library's Unicode tables as of Unicode 16.0 (`unicodeVersion`). A byte that
/// is not part of valid UTF-8 counts as a character of its own outside all three classes
/// (as U+FFFD would), so raw bytes split too.
enum PreTokenizer {
    // Character classes, as raw values so the hot loop compares bytes.
    static let letter: UInt8 = 0, number: UInt8 = 1, space: UInt8 = 2, other: UInt8 = 3

    /// Classes of the Basic Multilingual Plane (ASCII included), computed once and never
    /// freed; other planes are looked up in the standard library's tables.
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        for value in 0..<0x10000 {
            table[value] = Unicode.Scalar(UInt32(value)).map(classify) ?? other
        }
        return UnsafePointer(table)
    }()

    /// The Unicode version of Hugging Face's regex engine (Oniguruma in `tokenizers` 0.2x):
    /// characters assigned later are unassigned there (neither letter, number nor space),
    /// so they are here too, whatever the standard library's newer tables say.
    static let unicodeVersion = (major: 16, minor: 0)

    static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if let age = properties.age,
           (age.major, age.minor) > (unicodeVersion.major, unicodeVersion.minor) {
            return other
        }
        if properties.isWhitespace { return space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return other
        }
    }

    /// The class and byte length of the character at `i` (`i < end`).
    @inline(__always)
    static func charAt(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int,
                       _ bmp: UnsafePointer<UInt8>) -> (UInt8, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (bmp[Int(b0)], 1) }
        return decodeNonASCII(p, i, end, bmp)
    }

    static func decodeNonASCII(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int,
                               _ bmp: UnsafePointer<UInt8>) -> (UInt8, Int) {
        let b0 = UInt32(p[i])
        @inline(__always) func cont(_ k: Int) -> UInt32? {
            guard i + k < end else { return nil }
            let b = p[i + k]
            return b & 0xC0 == 0x80 ? UInt32(b & 0x3F) : nil
        }
        var value: UInt32
        var length: Int
        switch b0 {
        case 0xC2...0xDF:
            guard let c1 = cont(1) else { return (other, 1) }
            value = (b0 & 0x1F) << 6 | c1; length = 2
        case 0xE0...0xEF:
            guard let c1 = cont(1), let c2 = cont(2) else { return (other, 1) }
            value = (b0 & 0x0F) << 12 | c1 << 6 | c2; length = 3
            if value < 0x800 || (0xD800...0xDFFF).contains(value) { return (other, 1) }
        case 0xF0...0xF4:
            guard let c1 = cont(1), let c2 = cont(2), let c3 = cont(3) else { return (other, 1) }
            value = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3; length = 4
            if value < 0x10000 || value > 0x10FFFF { return (other, 1) }
        default:
            return (other, 1)
        }
        if value < 0x10000 { return (bmp[Int(value)], length) }
        return (classify(Unicode.Scalar(value)!), length)
    }

    /// The end of the pre-token that starts at `start` (`start < end`), within a segment
    /// that ends at `end` (a special token or the end of the text).
    @inline(__always)
    static func tokenEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                         _ bmp: UnsafePointer<UInt8>) -> Int {
        let b0 = p[start]
        if b0 == 0x27, start + 1 < end {  // 's 't 're 've 'm 'll 'd
            let b1 = p[start + 1]
            if b1 == 0x73 || b1 == 0x74 || b1 == 0x6D || b1 == 0x64 { return start + 2 }
            if start + 2 < end {
                let b2 = p[start + 2]
                if (b1 == 0x72 && b2 == 0x65) || (b1 == 0x76 && b2 == 0x65) || (b1 == 0x6C && b2 == 0x6C) {
                    return start + 3
                }
            }
        }
        var i = start
        var (cls, length) = charAt(p, i, end, bmp)
        if b0 == 0x20, start + 1 < end {  // the optional space before a letter, number or symbol run
            let (nextClass, nextLength) = charAt(p, start + 1, end, bmp)
            if nextClass != space { i = start + 1; cls = nextClass; length = nextLength }
        }
        if cls != space {
            i += length
            while i < end {
                let b = p[i]
                let c: UInt8
                let l: Int
                if b < 0x80 { c = bmp[Int(b)]; l = 1 } else { (c, l) = decodeNonASCII(p, i, end, bmp) }
                if cls == other ? c != other : c != cls { break }
                i += l
            }
            return i
        }
        // A whitespace run: all of it at the end of the segment, else all but its last
        // character (which then leads the next token), and a single character alone.
        var count = 1
        var lastStart = i
        i += length
        while i < end {
            let (c, l) = charAt(p, i, end, bmp)
            if c != space { break }
            lastStart = i
            count += 1
            i += l
        }
        if i == end || count == 1 { return i }
        return lastStart
    }
}

extension PreTokenizer {
    /// The pre-tokens of `bytes` (no added tokens), for tests and inspection.
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        bytes.withUnsafeBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return }
            var i = 0
            while i < buffer.count {
                let j = tokenEnd(p, i, buffer.count, table)
                pieces.append(Array(buffer[i..<j]))
                i = j
            }
        }
        return pieces
    }
}
