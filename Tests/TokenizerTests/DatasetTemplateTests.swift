import Testing
@testable import Tokenizer

@Suite struct DatasetTemplateTests {
    @Test func commitRendersByTheDocumentedTemplate() throws {
        let line = """
        {"type": "commit", "hash": "ab12", "subject": "Rename the parser", "body": "Why it moved.\\n\\n", "author_name": "Ada", "author_email": "ada@example.com", "author_timestamp": "2024-01-01T10:00:00+05:30", "diff_stats": [{"path": "new.swift", "original_path": "old.swift", "change_type": "RENAME", "insertions": 1, "deletions": 0, "diff_text": "@@ -1 +1,2 @@\\n+// <|endoftext|>"}, {"path": "logo.png", "change_type": "ADD", "insertions": 0, "deletions": 0, "diff_text": ""}]}
        """
        let record = try #require(try DatasetRecord.parse(line: line[...], file: "t.jsonl", lineNumber: 1))
        #expect(DatasetTemplate.render(record) == """
        <|commit|><|message|>Rename the parser

        Why it moved.
        <|author|>Ada <ada@example.com>
        <|date|>2024-01-01T10:00:00+05:30
        <|files|>RENAME old.swift -> new.swift +1 -0
        ADD logo.png +0 -0
        <|diff|>new.swift
        @@ -1 +1,2 @@
        +// <\u{200B}|endoftext|>

        """)
    }

    @Test func fileChunkAndTypelessCommit() throws {
        let chunk = try #require(try DatasetRecord.parse(
            line: "{\"type\": \"file_chunk\", \"path\": \"a.md\", \"start_line\": 3, \"end_line\": 4, \"text\": \"x\\ny\\n\", \"blob_hash\": \"f0\"}",
            file: "f", lineNumber: 1))
        #expect(DatasetTemplate.render(chunk) == "<|file|>a.md:3-4\n<|code|>x\ny\n")
        let commit = try #require(try DatasetRecord.parse(line: "{\"hash\": \"cd\", \"subject\": \"s\"}", file: "f", lineNumber: 1))
        #expect(DatasetTemplate.render(commit) == "<|commit|><|message|>s\n<|author|> <>\n<|date|>\n")
        #expect(try DatasetRecord.parse(line: "{\"type\": \"summary\"}", file: "f", lineNumber: 1) == nil)
    }
}
