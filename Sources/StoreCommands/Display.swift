import Foundation

/// How numbers, times and sizes look in tables.
package enum Display {
    package static func number(_ value: Double?) -> String? {
        guard let value else { return nil }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e6 { return String(format: "%.6g", value) }
        return String(format: "%.4e", value)
    }

    /// UTC, to the second: `2026-11-29T14:42:36Z`. Formatted by hand: Foundation's ISO 8601
    /// style builds a calendar per call, a sixth of `blocklab runs`' time on a 300-run store.
    package static func time(_ seconds: Double?) -> String? {
        guard let seconds, seconds.isFinite else { return nil }
        var clock = time_t(seconds.rounded(.down)), parts = tm()
        guard gmtime_r(&clock, &parts) != nil else { return nil }
        return "\(parts.tm_year + 1900)-\(twoDigits(parts.tm_mon + 1))-\(twoDigits(parts.tm_mday))T"
            + "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec))Z"
    }

    /// `12.3s`, `4m05s`, `2h07m`.
    package static func duration(_ seconds: Double) -> String {
        if seconds < 60 {
            let tenths = Int((max(0, seconds) * 10).rounded())
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60)m\(twoDigits(Int32(total % 60)))s" }
        return "\(total / 3600)h\(twoDigits(Int32((total % 3600) / 60)))m"
    }

    private static func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }

    package static func bytes(_ value: Int64?) -> String? {
        guard let value else { return nil }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024 && unit < units.count - 1 { size /= 1024; unit += 1 }
        return unit == 0 ? "\(value) B" : String(format: "%.1f %@", size, units[unit])
    }
}
