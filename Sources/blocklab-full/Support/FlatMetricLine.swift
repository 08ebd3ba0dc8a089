import Foundation

/// The fast path of `ingest` for the commonest line, a flat metrics record as the Python
/// package and most scripts write it: `{"step": 3, "train/loss": 2.31, "lr": null}`: string
/// keys without escapes, each value a JSON number or null. Anything else (a nested object, a
/// string, an escape, a `type`, a bad `step`) is not parsed here: `parse` returns nil and the
/// line takes the general path (`JSONValue`), which also names what is wrong with it.
/// Parsing with `JSONDecoder` cost about ten times as much per line as writing the points.
struct FlatMetricLine {
    var step: Int?
    var epoch: Double?
    var values: [String: Double] = [:]

    /// `bytes` is one line without its newline.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> FlatMetricLine? {
        guard let base = bytes.baseAddress else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        var end = bytes.count
        while end > 0, p[end - 1] == 0x20 || p[end - 1] == 0x09 || p[end - 1] == 0x0D { end -= 1 }
        // The closing brace is what stops `strtod` at the latest, so it must be there.
        guard end > 1, p[end - 1] == UInt8(ascii: "}") else { return nil }
        var i = 0
        func skipBlanks() { while i < end, p[i] == 0x20 || p[i] == 0x09 { i += 1 } }
        skipBlanks()
        guard i < end, p[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var result = FlatMetricLine()
        skipBlanks()
        if p[i] == UInt8(ascii: "}") { return i == end - 1 ? result : nil }
        while true {
            skipBlanks()
            guard i < end, p[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            i = keyStart
            while i < end, p[i] != UInt8(ascii: "\"") {
                if p[i] == UInt8(ascii: "\\") || p[i] < 0x20 { return nil }
                i += 1
            }
            guard i < end else { return nil }
            let key = String(decoding: UnsafeBufferPointer(start: p + keyStart, count: i - keyStart), as: UTF8.self)
            i += 1
            skipBlanks()
            guard i < end, p[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipBlanks()
            guard i < end else { return nil }
            let value: Double
            if p[i] == UInt8(ascii: "n") {
                guard i + 4 <= end, p[i + 1] == UInt8(ascii: "u"), p[i + 2] == UInt8(ascii: "l"), p[i + 3] == UInt8(ascii: "l") else { return nil }
                value = .nan
                i += 4
            } else {
                let numberStart = i
                while i < end, isNumberByte(p[i]) { i += 1 }
                guard i > numberStart else { return nil }
                var stop: UnsafeMutablePointer<CChar>?
                let start = UnsafeMutableRawPointer(mutating: p + numberStart).assumingMemoryBound(to: CChar.self)
                value = strtod(start, &stop)
                guard let stop, stop - start == i - numberStart else { return nil }
            }
            switch key {
            case "type": return nil
            case "time": break
            case "step":
                guard value == value.rounded(), value >= 0, value < 9e18 else { return nil }
                result.step = Int(value)
            case "epoch": result.epoch = value.isNaN ? nil : value
            default: result.values[key] = value
            }
            skipBlanks()
            guard i < end else { return nil }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            return p[i] == UInt8(ascii: "}") && i == end - 1 ? result : nil
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }
}
