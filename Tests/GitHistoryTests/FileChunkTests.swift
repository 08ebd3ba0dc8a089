import Foundation
import TestSupport
import Testing
@testable import GitHistory

@Suite struct FileChunkTests {
    @Test func boundsOverlapByFortyLines() {
        let bounds = FileChunker.chunkBounds(lineCount: 450, size: 200, overlap: 40)
        #expect(bounds.map(\.0) == [0, 160, 320])
        #expect(bounds.map(\.1) == [200, 360, 450])
        #expect(FileChunker.chunkBounds(lineCount: 200, size: 200, overlap: 40).count == 1)
        #expect(FileChunker.chunkBounds(lineCount: 0, size: 200, overlap: 40).isEmpty)
    }

    @Test func headFilesAreReadFromTheTree() throws {
        let fixture = try Fixture()
        // A work-tree edit that HEAD does not have must not appear.
        try shell("seq 1 450 > long.txt && git add long.txt && git commit -q -m long && echo dirty >> a.txt",
                  in: fixture.path)
        let out = TempDir()
        let summary = try Scraper(repository: fixture.path).write(to: out.url)
        let text = try String(contentsOf: out.url.appendingPathComponent("files.jsonl"), encoding: .utf8)
        let chunks = try text.split(separator: "\n").map { try JSONDecoder().decode(FileChunk.self, from: Data($0.utf8)) }
        #expect(chunks.map(\.path) == [".mailmap", "a.txt", "b.txt", "long.txt", "long.txt", "long.txt", "src/app.rs"])
        #expect(chunks[1].text == "line1\nline2 changed\nline3\nline4\nline5\n")
        let long = chunks.filter { $0.path == "long.txt" }
        #expect(long.map(\.startLine) == [1, 161, 321] && long.map(\.endLine) == [200, 360, 450])
        #expect(long[1].text.hasPrefix("161\n") && long[2].text.hasSuffix("450\n"))
        #expect(long.allSatisfy { $0.totalLines == 450 && $0.type == "file_chunk" })
        #expect(summary.files.skippedBinary == 1 && summary.files.filesRead == 5 && summary.files.chunks == 7)
    }
}
