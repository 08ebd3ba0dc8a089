import ExperimentStore
import Foundation
import Synchronization

/// What SIGINT and SIGTERM do to a `blocklab` process: process policy, so it lives in the
/// command line, not in the libraries.
///
/// By default (`endRunsOnSignal`), every run this process still has open gets a final flush
/// and the status `killed`, then the process ends at once with 128 + the signal number (the
/// shell's convention). While a command wraps children (`forward(to:)`: ingest's command,
/// the workers of `train --nproc-per-node`), a signal sent to this process goes to each child
/// instead, in the order given, and the wrapper ends by the children's outcome. A signal
/// typed at the terminal (Ctrl-C) already reaches the children through their process group,
/// so it is not sent a second time.
///
/// The handler is a real `sigaction` handler that only writes the signal number into a pipe
/// (async-signal-safe); a thread reads the pipe and does the work. Nothing is ignored
/// (`SIG_IGN` would be inherited by children and discards the signal), and nothing depends
/// on which thread the kernel picks to deliver it.
enum TerminationSignals {
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
        var message: (UInt8, UInt8) = (0, 0)
        while true {
            let count = withUnsafeMutableBytes(of: &message) { read(fd, $0.baseAddress, 2) }
            if count < 0 && errno == EINTR { continue }
            guard count == 2 else { return }
            let number = Int32(message.0), fromProcess = message.1 == 1
            if let children = forwardedPIDs.withLock({ $0 }) {
                if fromProcess { for child in children { kill(child, number) } }
                continue
            }
            let name = number == SIGINT ? "SIGINT" : "SIGTERM"
            RunHandle.finishEveryOpenRun(status: .killed, error: "stopped by \(name)")
            whenKilled.withLock { $0 }?()
            // _exit, not exit: the runs are finished and synced, and exit's static destructors
            // would tear libraries down under threads still using them (libtorch's Gloo
            // threads abort the process that way). Only stdio's buffers need writing out.
            fflush(nil)
            _exit(128 + number)
        }
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
