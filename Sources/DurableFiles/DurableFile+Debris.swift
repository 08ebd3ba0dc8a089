import Foundation

extension DurableFile {
    /// The marker of a temporary name: `.NAME.partial-PID`.
    static let debrisMarker = "partial-"
    /// Markers earlier BlockLab versions used for their temporaries (links, single files).
    static let legacyDebrisMarkers = ["link-", "tmp-"]

    /// Removes the temporaries (`.NAME.partial-PID`) that processes which no longer exist
    /// left in `directory` when they were killed mid-write. Those of live processes (this one
    /// included) stay: they may still be renamed into place. Returns the names removed.
    @discardableResult
    public static func removeDebris(in directory: URL) -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            guard let pid = debrisOwner(name), !isRunning(pid) else { continue }
            if (try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))) != nil {
                removed.append(name)
            }
        }
        return removed.sorted()
    }

    /// The process id in a temporary's name, or nil when `name` is not a temporary.
    static func debrisOwner(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return nil }
        let suffix = name[name.index(after: dot)...]
        for marker in [debrisMarker] + legacyDebrisMarkers where suffix.hasPrefix(marker) {
            let digits = suffix.dropFirst(marker.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let pid = pid_t(digits), pid > 0 else { return nil }
            return pid
        }
        return nil
    }

    /// Whether a process with this id exists (EPERM: it exists but belongs to someone else).
    static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
