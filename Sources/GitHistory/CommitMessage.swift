/// What a commit message says about itself: subject and body as git splits them, the
/// squash/fixup/revert conventions, and the issues and commits it mentions.
struct CommitMessage {
    var full: String
    /// git's `%s`: the first paragraph, its lines joined with spaces.
    var subject: String
    /// git's `%b`: everything after the first paragraph, trimmed.
    var body: String

    init(_ full: String) {
        self.full = full
        let lines = full.split(separator: "\n", omittingEmptySubsequences: false)
        var firstParagraph: [Substring] = []
        var index = 0
        while index < lines.count, lines[index].allSatisfy(\.isWhitespace) { index += 1 }
        while index < lines.count, !lines[index].allSatisfy(\.isWhitespace) {
            firstParagraph.append(lines[index]); index += 1
        }
        subject = firstParagraph.map { $0.trimmingWhitespace() }.joined(separator: " ")
        body = index < lines.count ? lines[index...].joined(separator: "\n").trimmingWhitespace() : ""
    }

    /// `squash! ...` (git commit --squash) or git merge --squash's "Squashed commit of the following".
    var isSquash: Bool { subject.hasPrefix("squash! ") || full.contains("Squashed commit of the following") }
    /// `fixup! ...` or `amend! ...` (git commit --fixup).
    var isFixup: Bool { subject.hasPrefix("fixup! ") || subject.hasPrefix("amend! ") }
    /// git revert's `Revert "..."` subject or its "This reverts commit" line.
    var isRevert: Bool { subject.hasPrefix("Revert \"") || full.contains("This reverts commit ") }

    /// Numbers written as `#123` (not inside a word), in order of first mention.
    var issueReferences: [Int] {
        var result: [Int] = []
        let bytes = Array(full.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "#"), i == 0 || !isWordByte(bytes[i - 1]) {
                var j = i + 1, value = 0
                while j < bytes.count, isDigit(bytes[j]), j - i <= 9 { value = value * 10 + Int(bytes[j] - 48); j += 1 }
                if j > i + 1, j == bytes.count || !isWordByte(bytes[j]), !result.contains(value) { result.append(value) }
                i = j
            } else {
                i += 1
            }
        }
        return result
    }

    /// Lowercase hex words of 7 to 40 digits: candidate commit ids, still to be resolved.
    var hashCandidates: [Substring] {
        var result: [Substring] = []
        let utf8 = full.utf8
        var start: String.Index? = nil
        var count = 0
        var index = utf8.startIndex
        func finish(at end: String.Index) {
            if let s = start, count >= 7, count <= 40 {
                let word = full[s..<end]
                if !result.contains(word) { result.append(word) }
            }
            start = nil; count = 0
        }
        while index != utf8.endIndex {
            let byte = utf8[index]
            if isLowerHex(byte) {
                if start == nil { start = index }
                count += 1
            } else if isWordByte(byte) {
                // A hex run glued to other letters or digits is a word, not an id.
                start = nil; count = 0
                while index != utf8.endIndex, isWordByte(utf8[index]) { index = utf8.index(after: index) }
                continue
            } else {
                finish(at: index)
            }
            index = utf8.index(after: index)
        }
        finish(at: utf8.endIndex)
        return result
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    private func isLowerHex(_ b: UInt8) -> Bool { isDigit(b) || (b >= 97 && b <= 102) }
    private func isWordByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "_") || b >= 0x80
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
