import Foundation
import TestSupport
import Testing
@testable import GitHistory

@Suite struct DamagedRepositoryTests {
    /// f.txt's second version is deleted from the object store: the commit that wrote it
    /// and the one that changed it again are marked; the others are whole.
    @Test func missingBlobMarksExactlyTheAffectedCommits() throws {
        let dir = TempDir()
        let hashes = try shell("""
            git init -q -b main .
            echo v1 > f.txt; echo g1 > g.txt; git add -A; git commit -q -m one
            echo v2 > f.txt; git commit -qam two
            echo g2 > g.txt; git commit -qam three
            echo v3 > f.txt; git commit -qam four
            blob=$(git rev-parse HEAD~1:f.txt)
            rm .git/objects/${blob:0:2}/${blob:2}
            git log --reverse --format=%H
            """, in: dir.path).split(separator: "\n").map(String.init)
        let out = TempDir()
        let scraper = try Scraper(repository: dir.path)
        let summary = try scraper.write(to: out.url)
        #expect(summary.commits == 4 && summary.commitsWithErrors == 2)
        let records = try scraper.records()
        #expect(records.map(\.hash) == hashes)
        #expect(records.map { $0.error != nil } == [false, true, false, true])
        let two = records[1]
        #expect(two.diffStats.count == 1 && two.diffStats[0].path == "f.txt" && two.diffStats[0].insertions == nil)
        #expect(two.subject == "two")
        #expect(records[2].insertions == 1 && records[2].deletions == 1)
    }
}

@Suite struct RepositoryErrorTests {
    @Test func missingPath() {
        #expect { try Scraper(repository: "/nonexistent/blocklab-repo") } throws: { error in
            guard case .missingPath = error as? GitHistoryError else { return false }
            return "\(error)".contains("does not exist")
        }
    }

    @Test func notARepository() throws {
        let dir = TempDir()
        #expect { try Scraper(repository: dir.path) } throws: { error in
            guard case .notARepository = error as? GitHistoryError else { return false }
            return "\(error)".contains("is not a git repository")
        }
        try shell("echo hi > file.txt", in: dir.path)
        #expect { try Scraper(repository: dir.path + "/file.txt") } throws: { error in
            guard case .notARepository = error as? GitHistoryError else { return false }
            return true
        }
    }

    @Test func emptyRepository() throws {
        let dir = TempDir()
        try shell("git init -q .", in: dir.path)
        #expect { try Scraper(repository: dir.path) } throws: { error in
            guard case .emptyRepository = error as? GitHistoryError else { return false }
            return "\(error)".contains("has no commits yet")
        }
        #expect(throws: GitHistoryError.self) { try RepositoryAnalysis(repository: dir.path) }
    }

    @Test func bareRepositoryWorks() throws {
        let fixture = try Fixture()
        let bare = TempDir()
        try shell("git clone -q --bare \(fixture.path) \(bare.path)/repo.git", in: bare.path)
        let records = try Scraper(repository: bare.path + "/repo.git").records()
        #expect(records.map(\.hash) == fixture.hashes)
        let analysis = try RepositoryAnalysis(repository: bare.path + "/repo.git")
        #expect(analysis.isBare && analysis.authorsMailmapped == 2)
    }

    @Test func globMatchingNothing() throws {
        let fixture = try Fixture()
        #expect { try Scraper(repository: fixture.path, refs: RefSelection(argument: "refs/heads/release/*")) } throws: { error in
            guard case .noMatchingRefs = error as? GitHistoryError else { return false }
            return "\(error)".contains("refs/heads/main")
        }
        let feature = try Scraper(repository: fixture.path, refs: RefSelection(argument: "feature")).records()
        #expect(feature.map(\.hash) == Array(fixture.hashes[0...2]))
    }
}
