import Foundation
import TestSupport
import Testing

/// Runs a command in a real terminal: Python's `pty` module makes a pseudo-terminal and
/// starts the command as the leader of a new session with the terminal's slave as its
/// stdin, stdout, stderr and controlling terminal (40 rows × 200 columns), so `isatty` is
/// true, and a ^C written to the master is turned by the kernel's line discipline into a
/// SIGINT for the foreground process group, as when a person types it.
///
/// `steps` drive it in order: `.expect(text)` waits until the terminal has shown `text`,
/// `.send(text)` types it, `.lockStore(path)` takes the SQLite write lock of a store (BEGIN
/// IMMEDIATE in the driver, held to the end). Then the driver reads to the end and reaps the
/// command. Every wait has a deadline (`timeout` seconds each), after which the command is
/// killed and `failure` names the step.
enum Terminal {
    enum Step {
        case expect(String)
        case send(String)
        case lockStore(String)
    }

    struct Result {
        /// The exit status, or 128 + the signal that ended it.
        var status: Int32
        /// Everything the terminal showed (the command's stdout and stderr, and the echo of what was typed).
        var output: String
        /// The step that did not happen in time, or nil.
        var failure: String?
        /// The terminal is the command's stdout and stderr both.
        var stdout: String { output }
    }

    static let ctrlC = "\u{03}"

    /// Runs a command that asks a `[y/N]` question, and types `answer` and Enter when it asks.
    static func run(_ arguments: [String], answer: String) throws -> Result {
        try run(arguments, steps: [.expect("[y/N]"), .send(answer + "\n")])
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], unset: [String] = ["BLOCKLAB_STORE"],
                    executable: String = CLI.binary, steps: [Step] = [], timeout: Double = 120) throws -> Result {
        let stepList: [[String]] = steps.map {
            switch $0 {
            case .expect(let text): return ["expect", text]
            case .send(let text): return ["send", text]
            case .lockStore(let path): return ["lock", path]
            }
        }
        let spec: [String: Any] = ["argv": [executable] + arguments, "env": environment, "unset": unset,
                                   "steps": stepList, "timeout": timeout]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let out = try runProcess("/usr/bin/python3", ["-c", driver, json])
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        return Result(status: Int32(try #require(reply["status"] as? Int)), output: try #require(reply["output"] as? String),
                      failure: reply["failure"] as? String)
    }

    private static let driver = #"""
        import json, os, pty, select, signal, sqlite3, sys, time, fcntl, termios, struct
        spec = json.loads(sys.argv[1])
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
            env = dict(os.environ)
            for key in spec["unset"]:
                env.pop(key, None)
            env.update(spec["env"])
            os.execve(spec["argv"][0], spec["argv"], env)
        output, failure, locks, ended = b"", None, [], False

        def pump(deadline):
            """Reads what the terminal shows until the deadline; False once the command closed it."""
            global output
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0, min(left, 0.2)))
            if not ready:
                return True
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            output += chunk
            return bool(chunk)

        for kind, argument in spec["steps"]:
            deadline = time.monotonic() + spec["timeout"]
            if kind == "expect":
                while argument.encode() not in output and time.monotonic() < deadline and not ended:
                    ended = not pump(deadline)
                if argument.encode() not in output:
                    failure = "expected %r, not shown" % argument
                    break
            elif kind == "send":
                os.write(fd, argument.encode())
            elif kind == "lock":
                connection = sqlite3.connect(argument, timeout=spec["timeout"], isolation_level=None)
                connection.execute("BEGIN IMMEDIATE")
                locks.append(connection)
        deadline = time.monotonic() + spec["timeout"]
        while failure is None and not ended and time.monotonic() < deadline:
            ended = not pump(deadline)
        if not ended:
            failure = failure or "the command did not end"
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"status": code if code >= 0 else 128 - code, "output": output.decode("utf-8", "replace"),
                          "failure": failure}))
        """#
}
