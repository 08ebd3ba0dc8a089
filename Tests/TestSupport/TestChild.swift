import Foundation

/// A child process a test started, with a deadline on every wait: its stdout and stderr are
/// drained as they come (so a chatty child never blocks on a full pipe) and kept, and a child
/// still running at a deadline is killed with every process it started (SIGKILL), after which
/// the wait throws a `TestFailure` naming the command and holding the tail of what it printed.
///
/// Deadlines catch hangs; they are not speed assertions, so they are generous (minutes).
///
///     let child = try TestChild(process)                    // runs it
///     try child.waitFor("the port line") { out, _ in out.contains("listening") }
///     let result = try child.finish()                       // status, stdout, stderr
public final class TestChild: @unchecked Sendable {
    /// What a wait allows unless told otherwise: 15 minutes, far past any child of the tests on
    /// 2 shared cores (a hang, not a slow machine, is what it catches).
    public static let defaultDeadline: Duration = .seconds(900)

    public let process: Process
    /// The command line, for messages.
    public let command: String
    private let input: FileHandle?
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private let drained = DispatchGroup()

    /// Runs `process` with stdout and stderr on pipes (and stdin on a pipe when `input`; else
    /// what the process was given). Set everything else on `process` first.
    public init(_ process: Process, input: Bool = false) throws {
        self.process = process
        command = ([process.executableURL?.path ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
        let stdin = input ? Pipe() : nil
        if let stdin { process.standardInput = stdin }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        self.input = stdin?.fileHandleForWriting
        try process.run()
        drain(stdout.fileHandleForReading) { self.out.append($0) }
        drain(stderr.fileHandleForReading) { self.err.append($0) }
    }

    /// Watches a process the caller has already run, whose stdout and stderr are pipes
    /// (and stdin, if a pipe, is the caller's to write and close).
    public init(running process: Process) {
        guard let stdout = process.standardOutput as? Pipe, let stderr = process.standardError as? Pipe else {
            preconditionFailure("TestChild(running:) needs stdout and stderr on pipes")
        }
        self.process = process
        command = ([process.executableURL?.path ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
        input = nil
        drain(stdout.fileHandleForReading) { self.out.append($0) }
        drain(stderr.fileHandleForReading) { self.err.append($0) }
    }

    /// Reads `handle` to its end on a thread of its own (a blocking read must not hold one of
    /// Dispatch's few threads).
    private func drain(_ handle: FileHandle, into append: @escaping @Sendable (Data) -> Void) {
        drained.enter()
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { append(chunk) }
            }
            drained.leave()
        }.start()
    }

    public var pid: pid_t { process.processIdentifier }
    /// What the child has printed so far.
    public var stdoutSoFar: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    public var stderrSoFar: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Writes `text` to the child's stdin (a pipe: `input: true`) on a thread of its own, then
    /// closes it when `close`, so a child that stops reading cannot block the test (its wait
    /// has the deadline). That thread blocks SIGPIPE: a child that exits early makes the write
    /// fail with EPIPE instead of killing the test process.
    public func send(_ text: String, close: Bool = true) {
        guard let input else { preconditionFailure("the child was started without input: true") }
        let bytes = Array(text.utf8)
        Thread {
            var blocked = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(input.fileDescriptor, $0.baseAddress, $0.count) }
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
            if close { try? input.close() }
        }.start()
    }

    /// Polls every 20 ms until `condition` holds for (stdout, stderr) so far. Throws, with what
    /// the child printed, when the deadline passes first or the child exits without it holding;
    /// the child is killed in the first case and left as it is in the second.
    public func waitFor(_ what: String, within deadline: Duration = defaultDeadline,
                        _ condition: (String, String) -> Bool) throws {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if condition(stdoutSoFar, stderrSoFar) { return }
            if !process.isRunning {
                drained.wait(timeout: .now() + 5)   // what it printed last
                if condition(stdoutSoFar, stderrSoFar) { return }
                throw TestFailure("\(command) exited (status \(process.terminationStatus)) before \(what)\(printed)")
            }
            usleep(20_000)
        }
        kill()
        throw TestFailure("\(command): no \(what) within \(deadline); killed it\(printed)")
    }

    /// Waits for the child to exit and for its output to end, then returns its status and
    /// everything it printed. At the deadline the child is killed and this throws.
    @discardableResult
    public func finish(within deadline: Duration = defaultDeadline) throws -> ChildResult {
        let end = ContinuousClock.now + deadline
        while process.isRunning && ContinuousClock.now < end { usleep(20_000) }
        if process.isRunning {
            kill()
            throw TestFailure("\(command) did not end within \(deadline); killed it\(printed)")
        }
        process.waitUntilExit()
        let left = max(5, Double((end - ContinuousClock.now).components.seconds))
        guard drained.wait(timeout: .now() + left) == .success else {
            throw TestFailure("\(command) exited (status \(process.terminationStatus)) but its output stayed open: a process it started still holds it\(printed)")
        }
        return lock.withLock {
            ChildResult(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                        stdoutData: out, stderr: String(decoding: err, as: UTF8.self))
        }
    }

    /// SIGKILL to the child and every process it started, then reaps the child (a guard
    /// against a hang: this never waits more than a minute).
    public func kill() {
        ProcessTree.kill(process.processIdentifier)
        let end = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < end { usleep(20_000) }
        if !process.isRunning { process.waitUntilExit() }
    }

    /// The last few thousand characters of each stream, for failure messages.
    public var printed: String {
        let (o, e) = (stdoutSoFar, stderrSoFar)
        return "\n--- stdout (last 4000 characters) ---\n\(o.suffix(4000))\n--- stderr (last 4000 characters) ---\n\(e.suffix(4000))"
    }
}

/// How a child ended and what it printed.
public struct ChildResult: Sendable {
    public var status: Int32
    /// Killed by a signal (`status` is then the signal's number).
    public var signaled: Bool
    /// Stdout as the bytes printed, and as text.
    public var stdoutData: Data
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String
}
