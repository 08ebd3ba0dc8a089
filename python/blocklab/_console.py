"""Keeping what the program prints: sys.stdout and sys.stderr are replaced by tees that
write through to the originals, as before, and send each complete line to the run as a
console record. A carriage return keeps only what follows it (a progress bar's last
state). Only Python-level writes are seen: a C extension or a subprocess writing to fd 1
or 2 directly is not captured.
"""


class Tee:
    def __init__(self, original, stream, send):
        self._original = original
        self._stream = stream
        self._send = send
        self._partial = ""

    def write(self, text):
        written = self._original.write(text)
        if not isinstance(text, str):
            return written
        if "\n" not in text:
            self._partial += text
            if len(self._partial) > 65536:  # a line that never ends: kept in pieces
                self._emit(self._partial)
                self._partial = ""
            return written
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._emit(line)
        return written

    def _emit(self, line):
        if "\r" in line:
            line = line.rstrip("\r").rsplit("\r", 1)[-1]
        self._send(self._stream, line)

    def flush_partial(self):
        """Sends an unfinished last line (at the end of the run)."""
        if self._partial:
            self._emit(self._partial)
            self._partial = ""

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return self._original.flush()

    def __getattr__(self, name):
        return getattr(self._original, name)
