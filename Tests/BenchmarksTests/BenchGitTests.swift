import Foundation
import TestSupport
import Testing
@testable import Benchmarks

@Suite struct RecordCounterTests {
    /// Only a 0x01 at the start of a line counts, wherever the chunks happen to split.
    @Test func countsLineStartsAcrossChunkBoundaries() {
        let text = Array("\u{1}c1 subject\n \u{1}message line\n+\u{1}patch\u{1}\n\n\u{1}c2\n\u{1}".utf8)
        for cut in 0...text.count {
            var counter = BenchGit.RecordCounter()
            text[..<cut].withUnsafeBytes { counter.consume($0) }
            text[cut...].withUnsafeBytes { counter.consume($0) }
            #expect(counter.records == 3, "cut at \(cut)")
        }
    }
}

@Suite(.serialized) struct BenchGitTests {
    /// Patch text and a message holding 0x01 bytes, even at the start of a line: git log's
    /// records are still counted right, so the check against BlockLab's count passes.
    @Test func patchTextWithControlBytes() async throws {
        let dir = TempDir()
        try shell(#"""
            git init -q -b main .
            printf 'a\n' > f.txt; git add f.txt; git commit -q -m one
            printf '\001start\nmid\001dle\n' >> f.txt; git commit -qam two
            printf 'subject\n\n\001body line\n' > .git/msg; git commit -q --allow-empty -F .git/msg
            printf '\001\001\n' > g.txt; git add g.txt; git commit -q -m four
            """#, in: dir.path)
        let report = try await BenchGit.parse(["--repo", dir.path, "--repeats", "1", "--pydriller-commits", "0"]).measure()
        #expect(report["commits"] == 4)
        #expect(report["commits_with_errors"] == 0)
        #expect(report["git_log_s"] != nil && report["git_log_patch_s"] != nil)
        #expect(report.figures["missing_objects"] == .array([]))
    }

    /// A blobless partial clone whose promisor is gone: the bench names every missing blob,
    /// reports BlockLab's side (each commit recorded with an error), and times git on a copy
    /// with placeholders, leaving the clone itself untouched.
    @Test func bloblessPartialClone() async throws {
        let dir = TempDir()
        let blobs = try shell(#"""
            git init -q -b main src && cd src
            echo one > f.txt; git add f.txt; git commit -q -m one
            echo two >> f.txt; git commit -qam two
            echo g > g.txt; git add g.txt; git commit -q -m three
            git config uploadpack.allowFilter true
            cd .. && git clone -q --bare --filter=blob:none "file://$PWD/src" partial.git
            git -C src rev-list --objects --all | cut -d' ' -f1 | git -C src cat-file --batch-check='%(objecttype) %(objectname)' | sed -n 's/^blob //p'
            rm -rf src
            """#, in: dir.path).split(separator: "\n").map(String.init)
        let clone = dir.path + "/partial.git"
        let refsBefore = try shell("git for-each-ref; git count-objects -v", in: clone)
        let report = try await BenchGit.parse(["--repo", clone, "--repeats", "1", "--pydriller-commits", "0"]).measure()
        guard case .array(let missing)? = report.figures["missing_objects"] else { Issue.record("no missing_objects"); return }
        let names = missing.compactMap { if case .string(let name) = $0 { name } else { nil } }
        #expect(Set(names) == Set(blobs) && names.count == 3, "\(names) \(blobs)")
        #expect(report["commits"] == 3)
        #expect(report["commits_with_errors"] == 3)
        #expect(report["git_log_s"] != nil && report["git_log_patch_s"] != nil && report.figures["git_log_error"] == nil)
        #expect(report.notes.contains { $0.contains("missing objects (3)") })
        #expect(try shell("git for-each-ref; git count-objects -v", in: clone) == refsBefore)
    }
}
