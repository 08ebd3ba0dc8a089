import Foundation
import TestSupport
import Testing
@testable import GitHistory

@Suite struct AnalysisTests {
    @Test func fixtureFacts() throws {
        let fixture = try Fixture()
        try shell("git update-ref refs/remotes/origin/main HEAD && git update-ref refs/pull/1/head HEAD~1", in: fixture.path)
        let analysis = try RepositoryAnalysis(repository: fixture.path)
        #expect(analysis.branches == [.init(name: "feature", commits: 3), .init(name: "main", commits: 7)])
        #expect(analysis.tags == ["v1.0", "v1.1"])
        #expect(analysis.otherReferences == ["refs/remotes": 1, "refs/pull": 1])
        #expect(analysis.uniqueCommits == 7 && analysis.merges == 1)
        #expect(analysis.authors == 3 && analysis.authorsMailmapped == 2)
        #expect(analysis.firstCommitTime == "2024-01-01T10:00:00+05:30")
        #expect(analysis.lastCommitTime == "2024-01-01T16:00:00+05:30")
        // 2024-01-01T10:00+05:30 is 04:30 UTC: 1704083400; six hours later, 1704105000.
        #expect(analysis.firstCommitTimestamp == 1_704_083_400 && analysis.lastCommitTimestamp == 1_704_105_000)
        #expect(analysis.spanDays == 0.25 && analysis.commitsPerDay == 7)
        #expect(!analysis.isShallow && !analysis.isBare)
        // 7 commits × 341 tokens = 2387 tokens -> 2 sequences of 2048; 20M / 4096 -> clamped to 10.
        #expect(analysis.estimatedSequences == 2 && analysis.estimatedEpochs == 10)
        let fromScraper = RepositoryAnalysis(of: try Scraper(repository: fixture.path))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(fromScraper) == encoder.encode(analysis))
    }

    @Test func shallowCloneIsReported() throws {
        let fixture = try Fixture()
        let clone = TempDir()
        try shell("git clone -q --depth 2 file://\(fixture.path) shallow", in: clone.path)
        let analysis = try RepositoryAnalysis(repository: clone.path + "/shallow")
        #expect(analysis.isShallow)
        // Depth 2 along main: c7 and c6 (git agrees).
        #expect(analysis.uniqueCommits == 2)
        let gitCount = try shell("git rev-list --count --branches --tags", in: clone.path + "/shallow")
        #expect(gitCount == "2\n")
        let records = try Scraper(repository: clone.path + "/shallow").records()
        #expect(records.map(\.hash) == Array(fixture.hashes[5...6]))
        #expect(records[0].error == nil && records[0].diffStats.count == 6)  // the boundary: against the empty tree
    }
}
