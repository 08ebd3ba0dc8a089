import ExperimentStore
import Foundation
import StoreCommands
import Synchronization

/// What SIGINT and SIGTERM do to a `blocklab` process: process policy, so it lives in the
/// command line, not in the libraries.
///
/// By default (`endRunsOnSignal`), the first signal says at once on stderr which runs it is
/// finishing; every run this process still has open gets a final flush and the status
/// `killed`, then the process ends with 128 + the signal number (130 for Ctrl-C, the
/// shell's convention). The flush is bounded: a second SIGINT or SIGTERM ends the process at
/// once, and so does `flushDeadline` (another process holding the store's write lock can
/// stall a write for the store's whole busy timeout); either way it says what was not
/// written, and the run stays `running` in the store, which reads it as `crashed` once the
/// process is gone. While a command wraps children (`forward(to:)`: ingest's command, the
/// workers of `train --nproc-per-node`), a signal sent to this process goes to each child
/// instead, in the order given, and the wrapper ends by the children's outcome. A signal
/// typed at the terminal (Ctrl-C) already reaches the children through their process group,
/// so it is not sent a second time.
///
/// The handler is a real `sigaction` handler that only writes the signal number into a pipe
/// (async-signal-safe); a thread reads the pipe and does the work. Nothing is ignored
/// (`SIG_IGN` would be inherited by children and discards the signal), and nothing depends
/// on which thread the kernel picks to deliver it.
enum TerminationSignals {
    /// How long the final flush (and `afterwards`) may take after the first signal.
    static let flushDeadline: Double = 10

    /// Finishes every open run as `killed` on SIGINT or SIGTERM, runs `afterwards` (e.g.
    /// writing a killed run's manifest), then exits 128 + n.
    static func endRunsOnSignal(afterwards: (@Sendable () -> Void)? = nil) {
        installOnce()
        forwardedPIDs.withLock { $0 = nil }
        if let afterwards { whenKilled.withLock { $0 = afterwards } }
    }

    /// Sends SIGINT and SIGTERM that another process sent to this one on to `pid`.
    static func forward(to pid: pid_t) { forward(to: [pid]) }

    /// Sends SIGINT and SIGTERM that another process sent to this one on to each of `pids`,
    /// in that order.
    static func forward(to pids: [pid_t]) {
        installOnce()
        forwardedPIDs.withLock { $0 = pids }
    }

    // MARK: Machinery

    private static let forwardedPIDs = Mutex<[pid_t]?>(nil)
    private static let whenKilled = Mutex<(@Sendable () -> Void)?>(nil)
    private static let installed = Mutex(false)

    private static func installOnce() {
        let first = installed.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        signalPipe = fds[1]
        let readEnd = fds[0]
        let reader = Thread { readSignals(from: readEnd) }
        reader.name = "blocklab-signals"
        reader.start()
        for number in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = onSignal
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    private static func readSignals(from fd: Int32) {
        while case .signal(let number, let fromProcess) = read(fd, until: nil) {
            if let children = forwardedPIDs.withLock({ $0 }) {
                if fromProcess { for child in children { kill(child, number) } }
                continue
            }
            stop(number, reading: fd)
        }
    }

    /// The first signal: says so, finishes the runs on another thread, and ends the process
    /// when they are finished, at a second signal, or at the deadline, whichever is first.
    private static func stop(_ number: Int32, reading fd: Int32) -> Never {
        let runs = RunHandle.openRuns
        let again = number == SIGINT ? "Ctrl-C" : "a second signal"
        if !runs.isEmpty {
            Console.warning("blocklab: \(name(number)): finishing \(describe(runs)) (writing what is buffered, then marking it killed); "
                            + "\(again) again ends at once without that")
        }
        let finisher = Thread {
            RunHandle.finishEveryOpenRun(status: .killed, error: "stopped by \(name(number))")
            whenKilled.withLock { $0 }?()
            var done: (UInt8, UInt8) = (0, 0)
            _ = withUnsafeBytes(of: &done) { write(signalPipe, $0.baseAddress, 2) }
        }
        finisher.name = "blocklab-stop"
        finisher.start()
        let deadline = DispatchTime.now() + flushDeadline
        switch read(fd, until: deadline) {
        case .finished:
            end(128 + number)
        case .signal(let second, _):
            Console.warning("blocklab: \(name(second)) again: ending now; \(unwritten(of: runs))")
            end(128 + second)
        case .timedOut, .closed:
            Console.warning("blocklab: the final flush did not end within \(Int(flushDeadline)) s (another process may hold the "
                            + "store's write lock); ending now; \(unwritten(of: runs))")
            end(128 + number)
        }
    }

    /// _exit, not exit: the runs are finished and synced (or given up), and exit's static
    /// destructors would tear libraries down under threads still using them (libtorch's Gloo
    /// threads abort the process that way). Only stdio's buffers need writing out.
    private static func end(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }

    private enum Message { case signal(Int32, fromProcess: Bool), finished, timedOut, closed }

    /// The next message on the signal pipe: a signal, the finisher's (0, 0), or nothing by `deadline`.
    private static func read(_ fd: Int32, until deadline: DispatchTime?) -> Message {
        var message: (UInt8, UInt8) = (0, 0)
        while true {
            if let deadline {
                let left = deadline.uptimeNanoseconds > DispatchTime.now().uptimeNanoseconds
                    ? (deadline.uptimeNanoseconds - DispatchTime.now().uptimeNanoseconds) / 1_000_000 : 0
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Int32(min(left, UInt64(Int32.max))))
                if ready < 0 && errno == EINTR { continue }
                if ready == 0 { return .timedOut }
            }
            let count = withUnsafeMutableBytes(of: &message) { Glibc.read(fd, $0.baseAddress, 2) }
            if count < 0 && errno == EINTR { continue }
            guard count == 2 else { return .closed }
            return message.0 == 0 ? .finished : .signal(Int32(message.0), fromProcess: message.1 == 1)
        }
    }

    private static func name(_ number: Int32) -> String { number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)" }

    /// "run 3 'baseline'", "runs 3 'a' and 4 'b'".
    private static func describe(_ runs: [RunHandle]) -> String {
        (runs.count == 1 ? "run " : "runs ") + runs.map { "\($0.id) '\($0.name)'" }.joined(separator: " and ")
    }

    /// What a stop that ends before the final flush leaves behind, run by run.
    private static func unwritten(of runs: [RunHandle]) -> String {
        let open = Set(RunHandle.openRuns.map(\.id))
        let parts = runs.map { run -> String in
            guard open.contains(run.id) else { return "run \(run.id) '\(run.name)' was recorded killed" }
            let (points, samples) = run.unwritten
            return "run \(run.id) '\(run.name)' was not finished: \(points) metric point\(points == 1 ? "" : "s") and \(samples) "
                + "hardware sample\(samples == 1 ? "" : "s") not written; it stays 'running' in the store, which reads it as "
                + "crashed (`blocklab reap` records that)"
        }
        return parts.isEmpty ? "no run was open" : parts.joined(separator: "; ")
    }
}

/// The write end of the signal pipe; set once before the handlers are installed.
private nonisolated(unsafe) var signalPipe: Int32 = -1

/// The signal handler: async-signal-safe, it only writes two bytes (the signal number, and
/// 1 when another process sent it with kill(2) or sigqueue(3)).
private func onSignal(_ number: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _: UnsafeMutableRawPointer?) {
    let code = info?.pointee.si_code ?? 0
    var message: (UInt8, UInt8) = (UInt8(truncatingIfNeeded: number), code == SI_USER || code == SI_QUEUE ? 1 : 0)
    let saved = errno
    _ = withUnsafeBytes(of: &message) { write(signalPipe, $0.baseAddress, 2) }
    errno = saved
}
