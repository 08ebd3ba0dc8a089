import Foundation
import TestSupport
import Testing

/// Every way a Python program that uses the `blocklab` package can end, with real processes
/// and real signals sent by pid: the run's status and error say how it ended, and every
/// point logged before the end is in the store.
@Suite struct PythonEndingTests {
    /// Logs `steps` steps of two keys, then does `then`.
    private func script(steps: Int = 100, _ then: String) -> String {
        """
        import os, signal, sys, time
        # As a shell starts a program: nothing blocked or ignored (the test runner's children
        # inherit both), SIGINT raising KeyboardInterrupt.
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import blocklab
        run = blocklab.init(name="ending")
        for step in range(\(steps)):
            run.log({"train/loss": 1.0 / (step + 1), "train/lr": 0.001}, step=step)
        \(then)
        """
    }

    private func status(_ dir: TempDir) throws -> [String] {
        try Python.query(dir.file("s.db"), "SELECT status, COALESCE(error, '') FROM runs")
    }

    private func points(_ dir: TempDir) throws -> [String] {
        try Python.query(dir.file("s.db"), "SELECT COUNT(*) FROM metrics")
    }

    @Test func finishAndANormalExitAreFinished() throws {
        let dir = TempDir()
        let explicit = try Python.run(script("run.finish()\nprint(run.status, blocklab.current())"), in: dir)
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(explicit.stdout == "finished None\n")
        let implicit = try Python.run(script("print('leaving without finish')"), in: dir, name: "b.py")
        #expect(implicit.status == 0, "\(implicit.stderr)")
        let context = try Python.run("""
            import blocklab
            with blocklab.init(name="ctx") as run:
                run.log({"x": 1})
            """, in: dir, name: "c.py")
        #expect(context.status == 0, "\(context.stderr)")
        #expect(try status(dir) == ["finished,", "finished,", "finished,"])
        #expect(try points(dir) == ["401"])
    }

    @Test func anExceptionEscapingWithOrTheTopIsFailedWithItsTypeAndMessage() throws {
        let dir = TempDir()
        let inWith = try Python.run("""
            import blocklab
            with blocklab.init(name="with") as run:
                run.log({"loss": 1.0}, step=0)
                raise ValueError("bad batch at step 0")
            """, in: dir)
        #expect(inWith.status == 1)
        #expect(inWith.stderr.contains("ValueError: bad batch at step 0"))
        let atTop = try Python.run(script("raise RuntimeError('diverged')"), in: dir, name: "top.py")
        #expect(atTop.status == 1)
        #expect(try status(dir) == ["failed,ValueError: bad batch at step 0", "failed,RuntimeError: diverged"])
        #expect(try points(dir) == ["201"])
        // The traceback was printed through the tee: it is the end of the run's console log.
        let log = try CLI.run(["logs", "2", "--store", dir.file("s.db"), "--format", "csv"])
        #expect(log.stdout.contains("Traceback (most recent call last):") && log.stdout.contains("RuntimeError: diverged"), "\(log.stdout)")
    }

    /// SIGTERM and SIGINT sent by pid while the program sleeps: the run ends `killed`, every
    /// point is stored, and the process dies of the signal as it would without the package.
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalIsKilled(signal: Int32) throws {
        let dir = TempDir()
        let process = try Python.start(script("print('ready', flush=True)\ntime.sleep(120)"), in: dir)
        try process.run()
        let collector = OutputCollector(process)
        try collector.waitFor("the script's ready line") { out, _ in out.contains("ready") }
        kill(process.processIdentifier, signal)
        let (_, err) = try collector.finish()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal, "\(err)")
        let expected = signal == SIGTERM ? "killed,stopped by SIGTERM" : "killed,KeyboardInterrupt (SIGINT)"
        #expect(try status(dir) == [expected])
        #expect(try points(dir) == ["200"])
    }

    /// kill -9: nothing in Python runs, the pipe closes without an end record, and ingest
    /// records `crashed` at once, with every point logged before the kill.
    @Test func kill9IsCrashedWithEveryPointLogged() throws {
        let dir = TempDir()
        let process = try Python.start(script(steps: 5000, "print('ready', flush=True)\ntime.sleep(120)"), in: dir)
        try process.run()
        let collector = OutputCollector(process)
        try collector.waitFor("the script's ready line") { out, _ in out.contains("ready") }
        kill(process.processIdentifier, SIGKILL)
        _ = try collector.finish()
        let rows = try Python.wait(dir.file("s.db"), "SELECT status FROM runs", for: ["crashed"])
        #expect(rows == ["crashed"])
        #expect(try status(dir).first?.contains("without an end record") == true)
        #expect(try points(dir) == ["10000"])
    }
}
