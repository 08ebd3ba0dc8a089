/// Renders a record to the text the model trains on (docs/tokenizer.md, "Template").
/// Every content field is escaped (`SpecialTokens.escape`) so it cannot inject a marker;
/// the markers themselves are special tokens. The record separator `<|endoftext|>` is
/// not part of the rendering: the dataset builder appends its id after each record.
///
///     <|commit|><|message|>{subject}\n
///     \n{body}\n                                   (only when the body is not empty)
///     <|author|>{author_name} <{author_email}>\n
///     <|date|>{author_timestamp}\n
///     <|files|>{change_type} {path} +{insertions} -{deletions}\n   (one line per file;
///                                   a rename or copy writes `{original_path} -> {path}`)
///     <|diff|>{path}\n{diff_text}\n                (one block per file with a diff)
///
///     <|file|>{path}:{start_line}-{end_line}\n<|code|>{text}
public enum DatasetTemplate {
    public static func render(_ record: DatasetRecord, specials: [String] = SpecialTokens.all) -> String {
        func e(_ text: String) -> String { SpecialTokens.escape(text, specials: specials) }
        switch record {
        case .commit(let c):
            var out = SpecialTokens.commit + SpecialTokens.message + e(c.subject) + "\n"
            let body = c.body.trimmingTrailingNewlines()
            if !body.isEmpty { out += "\n" + e(body) + "\n" }
            out += SpecialTokens.author + e(c.authorName) + " <" + e(c.authorEmail) + ">\n"
            out += SpecialTokens.date + e(c.authorTimestamp) + "\n"
            if !c.files.isEmpty {
                out += SpecialTokens.files
                for file in c.files {
                    let path = file.originalPath.map { e($0) + " -> " + e(file.path) } ?? e(file.path)
                    out += "\(e(file.changeType)) \(path) +\(file.insertions) -\(file.deletions)\n"
                }
            }
            for file in c.files where !file.diffText.isEmpty {
                out += SpecialTokens.diff + e(file.path) + "\n" + e(file.diffText)
                if !file.diffText.hasSuffix("\n") { out += "\n" }
            }
            return out
        case .fileChunk(let f):
            return SpecialTokens.file + "\(e(f.path)):\(f.startLine)-\(f.endLine)\n" + SpecialTokens.code + e(f.text)
        }
    }
}

extension String {
    fileprivate func trimmingTrailingNewlines() -> String {
        var end = endIndex
        while end > startIndex, self[index(before: end)].isNewline { end = index(before: end) }
        return String(self[..<end])
    }
}
