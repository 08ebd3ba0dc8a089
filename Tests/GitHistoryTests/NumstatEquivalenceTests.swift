import Foundation
import TestSupport
import Testing
@testable import GitHistory

/// Per-file counts must equal `git log --numstat` (same refs, no renames, merges against
/// their first parent). Binary files: git prints "-", the scrape 0 with `is_binary`.
@Suite struct NumstatEquivalenceTests {
    /// hash -> sorted "insertions\tdeletions\tpath" lines, as git prints them.
    static func gitNumstat(_ path: String, refs: String = "--branches --tags", renames: Bool = false) throws -> [String: [String]] {
        let output = try shell("git log \(refs) --numstat \(renames ? "-M" : "--no-renames") --diff-merges=first-parent --format='commit %H'",
                               in: path)
        var result: [String: [String]] = [:]
        var current = ""
        for line in output.split(separator: "\n") {
            if line.hasPrefix("commit ") {
                current = String(line.dropFirst(7)); result[current] = []
            } else {
                result[current, default: []].append(String(line))
            }
        }
        return result.mapValues { $0.sorted() }
    }

    static func scrapedNumstat(_ path: String, renames: Bool = false) throws -> [String: [String]] {
        var options = ScrapeOptions()
        options.detectRenames = renames
        options.includePatch = false
        let records = try Scraper(repository: path, options: options).records()
        var result: [String: [String]] = [:]
        for record in records {
            #expect(record.error == nil)
            result[record.hash] = record.diffStats.map { file in
                file.isBinary ? "-\t-\t\(file.path)" : "\(file.insertions ?? -1)\t\(file.deletions ?? -1)\t\(file.path)"
            }.sorted()
        }
        return result
    }

    @Test func fixtureMatchesGitLog() throws {
        let fixture = try Fixture()
        let git = try Self.gitNumstat(fixture.path)
        #expect(git.count == 7)
        #expect(try Self.scrapedNumstat(fixture.path) == git)
    }

    /// A symlink that becomes a file, a file that becomes a symlink, a submodule that
    /// moves and one that becomes a file: git diffs their contents as one entry each (a
    /// submodule reads as "Subproject commit <hash>").
    @Test func typeChangesMatchGitLog() throws {
        let dir = TempDir()
        try shell("""
            git init -q -b main .
            printf 'a\\nb\\nc\\n' > target.txt; ln -s target.txt link; printf 'x\\ny\\n' > plain
            git add -A; git commit -q -m one
            rm link plain; printf '1\\n2\\n3\\n4\\n' > link; ln -s target.txt plain
            git add -A; git commit -q -m two
            git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,sub
            git commit -q -m "add a submodule"
            git update-index --cacheinfo 160000,2222222222222222222222222222222222222222,sub
            git commit -q -m "move the submodule"
            git rm -q --cached sub; printf 'now a file\\n' > sub; git add sub; git commit -q -m "submodule to file"
            """, in: dir.path)
        let git = try Self.gitNumstat(dir.path)
        #expect(try Self.scrapedNumstat(dir.path) == git)
        let two = try Scraper(repository: dir.path).records()[1]
        #expect(two.diffStats.map(\.changeType) == ["TYPE_CHANGE", "TYPE_CHANGE"])
        #expect(two.diffStats[0].path == "link" && two.diffStats[0].insertions == 4 && two.diffStats[0].deletions == 1)
        #expect(two.diffStats[0].diffText == "@@ -1 +1,4 @@\n-target.txt\n\\ No newline at end of file\n+1\n+2\n+3\n+4\n")
        // A deleted file whose content reappears where a symlink was: git does not call that
        // a rename (libgit2 alone would).
        try shell("""
            git rm -q target.txt
            rm plain; printf 'a\\nb\\nc\\n' > plain
            git add -A; git commit -q -m "symlink back to a file holding the deleted file's text"
            """, in: dir.path)
        #expect(try Self.scrapedNumstat(dir.path, renames: true) == Self.gitNumstat(dir.path, renames: true))
        let six = try Scraper(repository: dir.path).records()[5]
        #expect(six.diffStats.map(\.changeType) == ["TYPE_CHANGE", "DELETE"] && six.filesRenamed == 0)
        let last = try Scraper(repository: dir.path).records()[4]
        #expect(last.diffStats.map(\.changeType) == ["TYPE_CHANGE"] && last.insertions == 1 && last.deletions == 1)
        #expect(last.diffStats[0].diffText == "@@ -1 +1 @@\n-Subproject commit 2222222222222222222222222222222222222222\n+now a file\n")
    }

    /// A shallow clone: every commit it holds, the boundary included (git and the scrape both
    /// diff it against the empty tree, since its parent is not there), as git log counts them.
    @Test func shallowCloneMatchesGitLog() throws {
        let dir = TempDir()
        try makeRepository(at: dir.file("full"), commits: 40)
        try shell("git clone -q --depth 15 file://\(dir.file("full")) shallow", in: dir.path)
        let shallow = dir.file("shallow")
        #expect(FileManager.default.fileExists(atPath: shallow + "/.git/shallow"))
        let git = try Self.gitNumstat(shallow)
        #expect(git.count == 15)
        #expect(try Self.scrapedNumstat(shallow) == git)
        // The boundary (the oldest commit here) adds every file it holds: 7 functions and main.swift.
        let boundary = try shell("git rev-list --max-parents=0 HEAD", in: shallow).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(git[boundary]?.count == 8, "\(git[boundary] ?? [])")
    }

    /// This project's own history (the repository holding this file).
    @Test(.tags(.slow)) func ownHistoryMatchesGitLog() throws {
        var root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path) {
            let parent = root.deletingLastPathComponent()
            try #require(parent.path != root.path, "this test must run inside BlockLab's git checkout")
            root = parent
        }
        let git = try Self.gitNumstat(root.path)
        let scraped = try Self.scrapedNumstat(root.path)
        #expect(git.count > 0)
        #expect(scraped.count == git.count)
        for (hash, lines) in git where scraped[hash] != lines {
            Issue.record("\(hash): git \(lines) scrape \(scraped[hash] ?? [])")
        }
    }
}
