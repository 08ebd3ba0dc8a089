import Foundation

/// Commit text as git stores it (bytes in the commit's declared encoding) made into Strings.
enum TextDecoding {
    /// UTF-8 when the bytes are valid UTF-8; otherwise the declared encoding (git's
    /// `encoding` header, e.g. ISO-8859-1); otherwise Latin-1, which maps every byte.
    static func string(_ bytes: [UInt8], declaredEncoding: String? = nil) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        if let name = declaredEncoding, let encoding = encoding(named: name),
           let text = String(data: Data(bytes), encoding: encoding) {
            return text
        }
        return String(data: Data(bytes), encoding: .isoLatin1) ?? String(decoding: bytes, as: UTF8.self)
    }

    /// Patch and file text: invalid UTF-8 sequences become U+FFFD.
    static func lossy(_ bytes: some Collection<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    static func encoding(named name: String) -> String.Encoding? {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": return .utf8
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1": return .isoLatin1
        case "iso-8859-2", "latin2": return .isoLatin2
        case "windows-1252", "cp1252": return .windowsCP1252
        case "windows-1251", "cp1251": return .windowsCP1251
        case "windows-1250", "cp1250": return .windowsCP1250
        case "shift-jis", "shift_jis", "sjis": return .shiftJIS
        case "euc-jp": return .japaneseEUC
        case "utf-16": return .utf16
        default: return nil
        }
    }
}

/// Git times: seconds since the epoch plus the author's or committer's UTC offset.
public struct GitTime: Sendable, Equatable {
    public var seconds: Int64
    public var offsetMinutes: Int

    public init(seconds: Int64, offsetMinutes: Int) {
        self.seconds = seconds
        self.offsetMinutes = offsetMinutes
    }

    /// The wall-clock fields at the offset: year, month, day, hour, minute, second, weekday
    /// (0 = Monday).
    var local: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int) {
        let t = seconds + Int64(offsetMinutes) * 60
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secondOfDay = Int(t - days * 86_400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        let weekday = Int(((days % 7) + 7 + 3) % 7)
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, weekday)
    }

    /// ISO 8601 with the offset, e.g. `2024-03-05T14:07:09+05:30`.
    public var iso8601: String {
        let l = local
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let sign = offsetMinutes < 0 ? "-" : "+"
        let off = abs(offsetMinutes)
        let year = l.year < 1000 ? String(repeating: "0", count: 4 - String(l.year).count) + "\(l.year)" : "\(l.year)"
        return "\(year)-\(two(l.month))-\(two(l.day))T\(two(l.hour)):\(two(l.minute)):\(two(l.second))\(sign)\(two(off / 60)):\(two(off % 60))"
    }

    public static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
}
