@testable import Embedding
import Foundation
import TestSupport
import Testing

@Suite struct CommitTextTests {
    static let commit = CommitRecord(
        hash: "9fceb02d0ae598e95dc970b74767f19372d61af8", authorName: "Ada", authorTimestamp: "2024-01-01T10:00:00+05:30",
        subject: "Fix the parser", body: "  It dropped CRLF.\n", branches: ["main"], filesChanged: 2, insertions: 3, deletions: 1,
        diffStats: [.init(path: "Sources/Parser.swift", diffText: "@@ -1 +1 @@\n-a\n+b\n"), .init(path: "logo.png", diffText: "")])

    @Test func textIsSubjectBodyPathsAndPatchStart() {
        #expect(CommitText.text(of: Self.commit) == """
            Fix the parser

            It dropped CRLF.

            Files: Sources/Parser.swift, logo.png

            diff Sources/Parser.swift
            @@ -1 +1 @@
            -a
            +b
            """)
    }

    @Test func pathsAndPatchAreCapped() {
        var commit = Self.commit
        commit.body = ""
        commit.diffStats = (0..<25).map { .init(path: "f\($0)", diffText: String(repeating: "+line \($0)\n", count: 10)) }
        let text = CommitText.text(of: commit)
        #expect(text.contains("Files: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19 and 5 more"))
        let patch = text.components(separatedBy: "\n\n").last!
        #expect(patch.utf8.count <= CommitText.patchBytes && patch.hasSuffix("+line 5"))   // whole lines only
        // One line longer than the cap is cut at a character boundary.
        commit.diffStats = [.init(path: "x", diffText: "+" + String(repeating: "é", count: 600))]
        let cut = CommitText.patchStart(commit.diffStats)
        #expect(cut.utf8.count <= CommitText.patchBytes && !cut.contains("\u{FFFD}"))
    }

    @Test func payloadHasTheDocumentedFields() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(CommitText.payload(of: Self.commit).utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["hash", "author", "time", "subject", "branches", "files_changed", "insertions", "deletions"])
        #expect(object["time"] as? String == "2024-01-01T10:00:00+05:30")
        #expect(object["insertions"] as? Int == 3)
    }

    @Test func readingReportsTheBadLine() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("commits.jsonl")
        let good = #"{"hash":"a","author_name":"A","author_timestamp":"t","subject":"s","body":"","branches":[],"files_changed":0,"insertions":0,"deletions":0,"diff_stats":[],"extra":1}"#
        try (good + "\n" + good + "\n\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(try CommitRecord.read(file).count == 1, "duplicates are kept once, blank lines skipped")
        try (good + "\n{\"hash\": 3}\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: EmbeddingError.self) { try CommitRecord.read(file) }
        do { _ = try CommitRecord.read(file) } catch let error as EmbeddingError {
            #expect(error.message.contains("line 2"))
        }
        #expect(throws: EmbeddingError.self) { try CommitRecord.read(directory.appendingPathComponent("missing.jsonl")) }
    }
}

@Suite struct WindowAndSearchTests {
    @Test func windowsCoverTheTextWithAQuarterOverlap() {
        #expect(TextWindows.starts(count: 0, content: 254) == [0])
        #expect(TextWindows.starts(count: 254, content: 254) == [0])
        #expect(TextWindows.starts(count: 255, content: 254) == [0, 1])
        #expect(TextWindows.starts(count: 600, content: 254) == [0, 191, 346])
        for count in [300, 1000, 4097] {
            let starts = TextWindows.starts(count: count, content: 100)
            #expect(starts.last! + 100 == count)
            #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 - $0 <= 75 && $1 > $0 })
        }
    }

    /// Against a sort of every score, on several threads.
    @Test func exactSearchFindsTheTopK() {
        var generator = SystemRandomNumberGenerator()
        let dimension = 7, count = 1001
        let vectors = (0..<(count * dimension)).map { _ in Float.random(in: -1...1, using: &generator) }
        let query = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        let scores = (0..<count).map { row in (0..<dimension).reduce(Float(0)) { $0 + vectors[row * dimension + $1] * query[$1] } }
        let expected = scores.enumerated().sorted { $0.element > $1.element }.prefix(10).map(\.offset)
        for threads in [1, 2, 5] {
            let hits = ExactSearch.top(10, query: query, vectors: vectors, dimension: dimension, threads: threads)
            #expect(hits.map(\.index) == expected)
        }
        #expect(ExactSearch.top(5, query: query, vectors: [], dimension: dimension, threads: 2).isEmpty)
        #expect(ExactSearch.top(50, query: query, vectors: Array(vectors.prefix(3 * dimension)), dimension: dimension, threads: 2).count == 3)
    }
}
