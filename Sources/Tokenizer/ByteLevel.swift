/// GPT-2's byte-to-unicode mapping: every byte gets a printable character, so any byte
/// sequence (invalid UTF-8 included) can be written as a vocabulary string in `vocab.json`
/// and `merges.txt`. Bytes `!`..`~`, `¡`..`¬` and `®`..`ÿ` map to themselves; the other 68
/// map to U+0100 upward in byte order (space → `Ġ`, newline → `Ċ`).
public enum ByteLevel {
    /// `scalar[b]` is the character that stands for byte `b`.
    public static let scalars: [Unicode.Scalar] = {
        var printable = Set<Int>()
        for range in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] { printable.formUnion(range) }
        var result = [Unicode.Scalar](repeating: " ", count: 256)
        var next = 256
        for byte in 0..<256 {
            if printable.contains(byte) {
                result[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                result[byte] = Unicode.Scalar(UInt32(next))!
                next += 1
            }
        }
        return result
    }()

    /// Inverse of `scalars`: the byte a character stands for (scalar values below 324).
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalars.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The vocabulary string for raw bytes.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(scalars[Int(byte)]) }
        return String(text)
    }

    /// The raw bytes of a vocabulary string, or nil when it has a character outside the map.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteOfScalar.count, byteOfScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(byteOfScalar[value]))
        }
        return bytes
    }
}
