"""The `blocklab ingest --client` child that writes a run: found, started, and spoken to.

The child is BlockLab's writer (summaries, hardware samples of this process, heartbeat); this
process only writes JSON lines into a pipe to its stdin, so log() never waits on disk. Each
line is written at once, unbuffered here: the pipe (enlarged to 1 MiB) holds what the child
has not read yet, and a pipe's contents outlive its writer, so even kill -9 of this process
loses nothing logged before it. The child runs in its own session, so a Ctrl-C typed at the terminal
reaches only this process, which ends the run `killed` through the pipe itself. Once the
run exists the child prints one JSON line on its stdout (its id, uuid and name); its stderr
(warnings about records it skipped, its summary at the end) is copied to this process's
fd 2 as it comes, and the last of it is kept for error messages.
"""

import json
import os
import select
import shutil
import subprocess
import threading
import time

from ._errors import BlockLabError

BUFFER_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031


def find_binary(binary=None):
    """`binary`, else $BLOCKLAB_BIN, else `blocklab` on PATH; an error that says how otherwise."""
    candidate = binary or os.environ.get("BLOCKLAB_BIN")
    if candidate:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
        source = "binary=" if binary else "$BLOCKLAB_BIN="
        raise BlockLabError(f"blocklab: {source}{candidate} is not an executable file; "
                            "point it at the blocklab command (bash scripts/build.sh puts it in .build/release/)")
    found = shutil.which("blocklab")
    if found:
        return found
    raise BlockLabError("blocklab: the blocklab command was not found: put it on PATH or set BLOCKLAB_BIN to its path "
                        "(bash scripts/build.sh builds it into .build/release/)")


class Child:
    def __init__(self, arguments, timeout):
        self._tail = b""
        self._tail_lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                arguments, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                bufsize=0, start_new_session=True, close_fds=True)
        except OSError as error:
            raise BlockLabError(f"blocklab: could not start {arguments[0]}: {error}") from None
        try:
            import fcntl
            fcntl.fcntl(self.process.stdin.fileno(), _F_SETPIPE_SZ, BUFFER_BYTES)
        except (ImportError, OSError):
            pass  # a smaller pipe only means the buffer empties in smaller writes
        self._stderr_thread = threading.Thread(target=self._copy_stderr, name="blocklab-ingest-stderr", daemon=True)
        self._stderr_thread.start()
        self.announcement = self._read_announcement(timeout)
        self.pipe = self.process.stdin

    def _copy_stderr(self):
        stream = self.process.stderr
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                return
            with self._tail_lock:
                self._tail = (self._tail + chunk)[-4096:]
            try:
                os.write(2, chunk)
            except OSError:
                pass

    def said(self):
        """The last of what the child printed on stderr, as text."""
        self._stderr_thread.join(timeout=2)
        with self._tail_lock:
            return self._tail.decode("utf-8", "replace").strip()

    def _read_announcement(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                self.process.kill()
                self.process.wait()
                raise BlockLabError(f"blocklab: `blocklab ingest` did not start a run within {timeout:g} s "
                                    f"(the store may be locked by another process); it said: {self.said() or 'nothing'}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
        if b"\n" not in data:
            status = self.process.wait()
            raise BlockLabError(f"blocklab: `blocklab ingest` exited with status {status} before the run started: "
                                f"{self.said() or 'it printed nothing'}")
        try:
            return json.loads(data.split(b"\n", 1)[0])
        except ValueError:
            self.process.kill()
            self.process.wait()
            raise BlockLabError(f"blocklab: `blocklab ingest` printed {data[:200]!r} where the run's id was expected; "
                                "is BLOCKLAB_BIN a BlockLab with `ingest --client`?") from None

    def close(self, timeout):
        """Closes the pipe (the end of the input) and waits for the child; its exit status, or None at the deadline."""
        try:
            self.pipe.close()
        except OSError:
            pass
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._stderr_thread.join(timeout=5)  # its last words (the run's summary) are printed before the program goes on
        return status
