import Foundation
import TestSupport
import Testing
@testable import GitHistory

@Suite struct ScrapeTests {
    let fixture: Fixture
    let records: [CommitRecord]

    init() throws {
        fixture = try Fixture()
        records = try Scraper(repository: fixture.path).records()
    }

    func record(_ n: Int) -> CommitRecord { records[n - 1] }

    @Test func everyCommitOnceParentsFirst() {
        #expect(records.map(\.hash) == fixture.hashes)
    }

    @Test func rootCommitIsDiffedAgainstTheEmptyTree() {
        let c1 = record(1)
        #expect(c1.parents.isEmpty)
        #expect(c1.diffStats.map(\.path) == ["a.txt", "src/main.rs"])
        #expect(c1.diffStats.map(\.changeType) == ["ADD", "ADD"])
        #expect(c1.insertions == 4 && c1.deletions == 0 && c1.filesAdded == 2)
        #expect(c1.filesByTopDir == [".": ["a.txt"], "src": ["src/main.rs"]])
        #expect(c1.timeSinceParent == nil)
        #expect(c1.diffStats[0].diffText == "@@ -0,0 +1,3 @@\n+line1\n+line2\n+line3\n")
    }

    @Test func timesKeepTheirOwnOffsets() {
        let c1 = record(1)
        #expect(c1.authorTimestamp == "2024-01-01T10:00:00+05:30")
        #expect(c1.authorTzOffsetMinutes == 330)
        #expect(c1.commitTimestamp == "2024-01-01T10:30:00-08:00")
        #expect(c1.committerTzOffsetMinutes == -480)
        #expect(c1.authorUnixTime == 1_704_083_400)
        #expect(c1.workHour == 10 && c1.dayOfWeek == "Monday")
        #expect(c1.authorName == "Asha Rao" && c1.committerName == "Bo Chen" && c1.committerEmail == "bo@example.com")
        #expect(record(2).timeSinceParent == 3600)
    }

    @Test func binarySymlinkAndIssues() throws {
        let c2 = record(2)
        let byPath = Dictionary(uniqueKeysWithValues: c2.diffStats.map { ($0.path, $0) })
        #expect(byPath.keys.sorted() == [".mailmap", "a.txt", "img.bin", "link"])
        let image = try #require(byPath["img.bin"])
        #expect(image.isBinary && image.insertions == 0 && image.deletions == 0 && image.diffText == "")
        #expect(byPath["link"]?.insertions == 1)
        #expect(byPath["a.txt"]?.insertions == 1 && byPath["a.txt"]?.deletions == 1 && byPath["a.txt"]?.hunks == 1)
        #expect(c2.subject == "Add image and link (#12)")
        #expect(c2.body == "Refs #7 and issue#9 (not a reference).")
        #expect(c2.relatedIssues == [12, 7])
        #expect(c2.filesChanged == 4 && c2.filesAdded == 3 && c2.filesModified == 1)
    }

    @Test func renameOnTheFeatureBranch() throws {
        let c3 = record(3)
        #expect(c3.branches == ["feature", "main"])
        #expect(c3.authorEmail == "dee@example.com")
        let rename = try #require(c3.diffStats.first { $0.changeType == "RENAME" })
        #expect(rename.path == "src/app.rs" && rename.originalPath == "src/main.rs" && rename.similarity == 100)
        #expect(c3.filesRenamed == 1 && c3.filesAdded == 1 && c3.insertions == 5)
        #expect(record(4).branches == ["main"])
    }

    @Test func commitReferencesMustResolve() {
        #expect(record(4).relatedCommits == [fixture.hashes[1]])
        #expect(record(4).insertions == 2)
    }

    @Test func mergeIsDiffedAgainstItsFirstParent() {
        let c5 = record(5)
        #expect(c5.isMerge)
        #expect(c5.parents == [fixture.hashes[3], fixture.hashes[2]])
        #expect(c5.mergeParents == c5.parents)
        #expect(c5.mergeBase == fixture.hashes[1])
        #expect(c5.diffStats.map(\.changeType).sorted() == ["ADD", "RENAME"])
        #expect(c5.insertions == 5 && c5.deletions == 0)
        #expect(c5.tags == ["v1.0"])
    }

    @Test func emptyCommitAndFlags() {
        let c6 = record(6)
        #expect(c6.diffStats.isEmpty && c6.filesChanged == 0 && c6.complexityScore == 0)
        #expect(c6.isFixup && !c6.isSquash && !c6.isRevert && !c6.isMerge)
    }

    @Test func latin1MessageIsDecoded() {
        let c7 = record(7)
        #expect(c7.subject == "Café au lait")
        #expect(c7.messageEncoding == "ISO-8859-1")
        #expect(c7.deletions == 1 && c7.insertions == 0)
        #expect(c7.tags == ["v1.1"])
    }

    @Test func outputDoesNotDependOnWorkers() throws {
        var options = ScrapeOptions()
        options.workers = 1
        let one = try Scraper(repository: fixture.path, options: options).records()
        options.workers = 5
        let five = try Scraper(repository: fixture.path, options: options).records()
        #expect(one == records && five == records)
    }

    @Test func patchCapsCutAtLineEnds() throws {
        var options = ScrapeOptions()
        options.maxPatchBytesPerFile = 20
        let c1 = try Scraper(repository: fixture.path, options: options).records()[0]
        #expect(c1.diffStats[0].diffText == "@@ -0,0 +1,3 @@\n")
        #expect(c1.diffStats[0].truncated && c1.patchTruncated)
        options.includePatch = false
        let bare = try Scraper(repository: fixture.path, options: options).records()[0]
        #expect(bare.diffStats[0].diffText == "" && !bare.diffStats[0].truncated && bare.insertions == 4)
    }

    @Test func writesJSONLinesThatDecodeToTheSameRecords() throws {
        let out = TempDir()
        let summary = try Scraper(repository: fixture.path).write(to: out.url)
        #expect(summary.commits == 7 && summary.commitsWithErrors == 0)
        let lines = try String(contentsOf: out.url.appendingPathComponent("commits.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        let decoded = try lines.map { try JSONDecoder().decode(CommitRecord.self, from: Data($0.utf8)) }
        #expect(decoded == records)
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["type"] as? String == "commit")
        #expect(first["error"] is NSNull)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["commits.jsonl", "files.jsonl"])
    }
}
