import Foundation
import TestSupport

/// Runs `blocklab` on a real pseudo-terminal (Python's `pty` module): stdin, stdout and
/// stderr are the terminal, as when a person types the command. When the command asks a
/// `[y/N]` question, `answer` is typed (nil: never answered; the input is then closed by
/// the child's end). Everything the terminal showed comes back, with the exit status.
/// The child is killed after `deadlineSeconds`, and the output says so.
enum Terminal {
    private static let script = """
        import os, pty, select, subprocess, sys, time
        answer, deadline, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
        master, slave = pty.openpty()
        child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
        os.close(slave)
        shown, answered, end = b"", answer == "-", time.monotonic() + deadline
        while True:
            if time.monotonic() > end:
                child.kill()
                shown += b"\\n[killed: still running after %d s]" % deadline
                break
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break  # EIO: every copy of the terminal's other end is closed
            if not chunk:
                break
            shown += chunk
            if not answered and b"[y/N]" in shown:
                os.write(master, answer.encode() + b"\\n")
                answered = True
        status = child.wait(timeout=30)
        sys.stdout.buffer.write(shown)
        sys.exit(status if status >= 0 else 128 - status)
        """

    static func run(_ arguments: [String], answer: String?, deadlineSeconds: Int = 120) throws -> CLI.Result {
        try CLI.run(["python3", "-c", script, answer ?? "-", String(deadlineSeconds), CLI.binary] + arguments,
                    executable: "/usr/bin/env")
    }
}
