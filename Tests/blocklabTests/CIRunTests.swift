import Foundation
import TestSupport
import Testing

/// `.ci/run` over a copy whose scripts/test.sh is written here: a run past the time limit is
/// stopped, with everything it started, and says so; a run within it keeps its own status.
@Suite struct CIRunTests {
    static let ciRun = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".ci/run")

    /// Runs a copy of .ci/run whose scripts/test.sh is `testScript`, with `limit`.
    func run(_ dir: TempDir, testScript: String, limit: String) throws -> ChildResult {
        try FileManager.default.createDirectory(atPath: dir.file("repo/.ci"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("repo/scripts"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.ciRun.path, toPath: dir.file("repo/.ci/run"))
        try testScript.write(toFile: dir.file("repo/scripts/test.sh"), atomically: true, encoding: .utf8)
        // Started with no signal blocked, as from a shell: this test process blocks SIGTERM,
        // and a child inherits that mask, which would leave timeout's SIGTERM pending.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv('/bin/bash', ['bash', sys.argv[1]])",
                             dir.file("repo/.ci/run")]
        process.environment = ProcessInfo.processInfo.environment.merging(["BLOCKLAB_CI_TIME_LIMIT": limit]) { $1 }
        return try TestChild(process).finish(within: .seconds(120))   // far past any limit used here
    }

    @Test func aRunPastTheLimitIsStoppedAndSaysSo() throws {
        let dir = TempDir()
        let result = try run(dir, testScript: "echo testing\nsleep 600 &\necho $! > \(dir.file("pid"))\nwait\n", limit: "2s")
        #expect(result.status == 124, "\(result.stderr)")
        #expect(result.stdout == "testing\n")
        #expect(result.stderr.contains(".ci/run: scripts/test.sh was still running after 2s (BLOCKLAB_CI_TIME_LIMIT) and was stopped"), "\(result.stderr)")
        let sleeper = try #require(pid_t(try String(contentsOfFile: dir.file("pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        var gone = false
        for _ in 0..<500 where !gone {
            let stat = (try? String(contentsOfFile: "/proc/\(sleeper)/stat", encoding: .utf8)) ?? ""
            gone = stat.isEmpty || stat.contains(") Z ")
            if !gone { usleep(20_000) }
        }
        #expect(gone, "the sleep that scripts/test.sh started is still running")
    }

    @Test func aRunWithinTheLimitKeepsItsStatus() throws {
        let failing = try run(TempDir(), testScript: "echo 'a test failed' >&2\nexit 3\n", limit: "5m")
        #expect(failing.status == 3 && failing.stderr == "a test failed\n", "\(failing.stderr)")
        let passing = try run(TempDir(), testScript: "echo ok\n", limit: "5m")
        #expect(passing.status == 0 && passing.stdout == "ok\n" && passing.stderr.isEmpty)
    }
}
