import Foundation
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
        let dir = try TemporaryDirectory()
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
        let dir = try TemporaryDirectory()
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

/// A temporary folder, removed when the value is released.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("blocklab-bench-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs a bash script in `directory` with git's user config ignored and a fixed identity; returns stdout.
@discardableResult
func shell(_ script: String, in directory: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-euo", "pipefail", "-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    for role in ["AUTHOR", "COMMITTER"] {
        environment["GIT_\(role)_NAME"] = "Fixture"
        environment["GIT_\(role)_EMAIL"] = "fixture@example.com"
        environment["GIT_\(role)_DATE"] = "2024-02-01T12:00:00+00:00"
    }
    process.environment = environment
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchError("exit \(process.terminationStatus): \(String(decoding: errorData, as: UTF8.self))\n\(script)")
    }
    return String(decoding: data, as: UTF8.self)
}
