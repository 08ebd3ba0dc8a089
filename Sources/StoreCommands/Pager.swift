import Foundation

/// Long output through a pager, as git does it: only when stdout is a terminal (never into a
/// pipe or a file), with `$BLOCKLAB_PAGER`, else `$PAGER`, else `less -FRX` (which quits at
/// once when the text fits one screen, keeps it on the screen afterwards, and passes escape
/// sequences through). A pager variable that is set but empty, or `cat`, means none.
///
/// The pager runs as `sh -c PAGER` with its stdin a pipe that becomes this process's stdout;
/// at exit stdout is flushed and closed, and the process waits for the pager to end, so the
/// shell prompt comes back after it; Ctrl-C (SIGINT) or SIGTERM closes the pager's input and
/// waits for it the same way before the process dies of the signal. A user who quits the
/// pager early ends the command by SIGPIPE at its next write, as git does. `LESS=FRX` is set
/// when unset, for a `PAGER=less` without flags (git's default too).
package enum Pager {
    /// The pager command for this environment, or nil for none.
    package static func command(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let chosen = environment["BLOCKLAB_PAGER"] ?? environment["PAGER"] ?? "less -FRX"
        let trimmed = chosen.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed == "cat" ? nil : trimmed
    }

    /// Sends the rest of this process's stdout through the pager, when stdout is a terminal
    /// and a pager is configured; otherwise (and when the pager cannot start) does nothing.
    /// Call before printing anything; at most once.
    package static func start() {
        guard isatty(1) == 1, let command = command() else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        setenv("LESS", "FRX", 0)
        var pid: pid_t = 0
        let words: [String] = ["sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        close(fds[0])
        guard spawned == 0 else {
            close(fds[1])
            return
        }
        fflush(nil)
        dup2(fds[1], 1)
        close(fds[1])
        pagerPID = pid
        atexit {
            fflush(nil)
            waitForPager()
        }
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                waitForPager()  // async-signal-safe: close and waitpid
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}

/// Ends the pager's input and waits for it to exit.
private func waitForPager() {
    close(1)
    var status: Int32 = 0
    while waitpid(pagerPID, &status, 0) < 0 && errno == EINTR {}
}

/// The running pager's pid, set once by `Pager.start` before the exit handler that reads it.
private nonisolated(unsafe) var pagerPID: pid_t = 0
