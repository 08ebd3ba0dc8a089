import Foundation
import TestSupport
import Testing

/// Children started by tests: a hang becomes a failed test with what the child printed, and
/// nothing it started is left running. The short deadlines here are the thing under test
/// (the children would otherwise run for ten minutes), not limits on speed.
@Suite struct TestChildTests {
    func bash(_ script: String) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        return process
    }

    /// A child that hangs is killed at the deadline with the process it started, and the
    /// failure names the command and holds what it printed on both streams.
    @Test func aHungChildIsKilledWithWhatItStartedAndTheFailureShowsItsOutput() throws {
        let dir = TempDir()
        let child = try TestChild(bash("echo started; echo warming >&2; setsid sleep 600 & echo $! > \(dir.file("pid")); wait"))
        try child.waitFor("the grandchild's pid") { _, _ in
            (try? String(contentsOfFile: dir.file("pid"), encoding: .utf8))?.hasSuffix("\n") == true
        }
        let grandchild = try #require(pid_t((try String(contentsOfFile: dir.file("pid"), encoding: .utf8)).dropLast()))
        var failure: TestFailure?
        do { try child.finish(within: .seconds(1)) } catch let error as TestFailure { failure = error }
        let message = try #require(failure, "finish returned although the child hangs").description
        #expect(message.contains("/bin/bash -c echo started") && message.contains("did not end within 1.0 seconds; killed it"), "\(message)")
        #expect(message.contains("--- stdout (last 4000 characters) ---\nstarted\n"), "\(message)")
        #expect(message.contains("--- stderr (last 4000 characters) ---\nwarming\n"), "\(message)")
        #expect(!child.process.isRunning)
        #expect(try waitUntilGone(grandchild), "the sleep the child started is still running")
    }

    /// waitFor fails at once, with the exit status and the output, when the child exits
    /// without printing what is awaited; and returns when it does print it.
    @Test func waitForFailsWhenTheChildExitsFirst() throws {
        let early = try TestChild(bash("echo nope; exit 3"))
        var failure: TestFailure?
        do { try early.waitFor("a ready line") { out, _ in out.contains("ready") } } catch let error as TestFailure { failure = error }
        let message = try #require(failure).description
        #expect(message.contains("exited (status 3) before a ready line") && message.contains("nope"), "\(message)")

        let ready = try TestChild(bash("echo ready; sleep 600"))
        try ready.waitFor("a ready line") { out, _ in out.contains("ready\n") }
        ready.kill()
        #expect(!ready.process.isRunning)
    }

    /// Both streams are read while the child runs: 1 MiB on each (far past a pipe's 64 KiB)
    /// arrives whole.
    @Test func aChattyChildNeverBlocks() throws {
        let result = try ChildOutput.collect(bash("head -c 1048576 /dev/zero | tr '\\0' a; head -c 1048576 /dev/zero | tr '\\0' b >&2"))
        #expect(result.status == 0)
        #expect(result.stdout.count == 1 << 20 && result.stdout.allSatisfy { $0 == "a" })
        #expect(result.stderr.count == 1 << 20 && result.stderr.allSatisfy { $0 == "b" })
    }

    /// Input for a child that exits without reading it: the write fails quietly (SIGPIPE is
    /// blocked on the writing thread) instead of killing the test process.
    @Test func inputForAChildThatExitsIsDropped() throws {
        let child = try TestChild(bash("exit 0"), input: true)
        child.send(String(repeating: "x", count: 4 << 20))
        #expect(try child.finish().status == 0)
        usleep(200_000)   // let the writer meet the closed pipe while this process watches
        #expect(getpid() > 0)
    }

    /// `shell` and `runProcess` take the same deadline.
    @Test func shellAndRunProcessStopAHungScript() throws {
        #expect(throws: TestFailure.self) { try shell("sleep 600", within: .seconds(1)) }
        #expect(throws: TestFailure.self) { try runProcess("/bin/sleep", ["600"], within: .seconds(1)) }
        #expect(try shell("echo fine", within: .seconds(60)) == "fine\n")
    }

    /// Polls until `pid` no longer exists (a killed process's parent may take a moment to reap it).
    func waitUntilGone(_ pid: pid_t) throws -> Bool {
        for _ in 0..<500 {
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].hasPrefix(" Z") { return true }   // killed, not yet reaped
            usleep(20_000)
        }
        return false
    }
}
