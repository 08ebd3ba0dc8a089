import Foundation

/// The text embedded for a commit, and the payload stored (and sent to Qdrant) with it.
///
/// The text is, in this order, separated by blank lines: the subject; the body (when there
/// is one); `Files: a, b, c` (the first 20 changed paths, then `and N more`); the start of
/// the patch: each changed file's `diff_text` under a `diff PATH` line, in the scrape's file
/// order, cut at the last line end within 512 bytes. Nothing else (no hashes, names or
/// dates: they carry no meaning the encoder can use, and they are in the payload).
public enum CommitText {
    public static let maxPaths = 20
    public static let patchBytes = 512

    public static func text(of commit: CommitRecord) -> String {
        var parts = [commit.subject]
        let body = commit.body.trimmingCharacters(in: .whitespacesAndNewlines)
        if !body.isEmpty { parts.append(body) }
        let paths = commit.diffStats.map(\.path)
        if !paths.isEmpty {
            var line = "Files: " + paths.prefix(maxPaths).joined(separator: ", ")
            if paths.count > maxPaths { line += " and \(paths.count - maxPaths) more" }
            parts.append(line)
        }
        let patch = patchStart(commit.diffStats)
        if !patch.isEmpty { parts.append(patch) }
        return parts.joined(separator: "\n\n")
    }

    /// At most `patchBytes` bytes of patch, ending at a line end (or, when the first line
    /// alone is longer, at the last whole character within the limit).
    static func patchStart(_ files: [CommitRecord.FileDiff]) -> String {
        var patch = ""
        for file in files where !file.diffText.isEmpty {
            patch += "diff \(file.path)\n" + file.diffText
            if !patch.hasSuffix("\n") { patch += "\n" }
            if patch.utf8.count > patchBytes { break }
        }
        let bytes = Array(patch.utf8)
        guard bytes.count > patchBytes else { return patch.trimmingCharacters(in: .newlines) }
        var cut = patchBytes
        if let lastNewline = bytes[..<patchBytes].lastIndex(of: 0x0A) {
            cut = lastNewline
        } else {
            while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }  // not inside a UTF-8 sequence
        }
        return String(decoding: bytes[..<cut], as: UTF8.self)
    }

    /// `{"author", "branches", "deletions", "files_changed", "hash", "insertions", "subject", "time"}`
    /// as JSON text with sorted keys; `time` is the author's ISO 8601 timestamp.
    public static func payload(of commit: CommitRecord) -> String {
        let object: [String: Any] = [
            "hash": commit.hash, "author": commit.authorName, "time": commit.authorTimestamp, "subject": commit.subject,
            "branches": commit.branches, "files_changed": commit.filesChanged, "insertions": commit.insertions,
            "deletions": commit.deletions,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
