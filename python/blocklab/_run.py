"""A run: the handle init() returns, which writes records into the child's pipe."""

import os
import sys
import threading
import time

from . import _values
from ._errors import BlockLabError

_RESERVED = ("step", "epoch", "type", "time")


class Run:
    """One BlockLab run, written by a `blocklab ingest --client` child.

    `id`, `uuid` and `name` are the run's in the store; `store` is the store's path.
    Use it as a context manager, or call finish(); see docs/python.md.
    """

    def __init__(self, child, store, finish_timeout):
        self._child = child
        self._pipe = child.pipe
        self._lock = threading.RLock()
        self._finish_timeout = finish_timeout
        self._owner = os.getpid()
        self._broken = False
        self._finished = False
        self._step = -1
        self.store = store
        self.id = int(child.announcement["run_id"])
        self.uuid = str(child.announcement["uuid"])
        self.name = str(child.announcement["name"])
        self.status = "running"
        self._tees = []

    def __repr__(self):
        return f"<blocklab.Run {self.id} {self.name!r} {self.status} store={self.store!r}>"

    # Records

    @property
    def step(self):
        """The highest step logged so far (-1 before any)."""
        return self._step

    def log(self, data, step=None, epoch=None):
        """Logs metrics at `step` (default: one more than the last). Nested dicts flatten to
        `outer/inner`; NaN is kept as NaN; a value that is not a number raises TypeError
        naming its key. Never waits on disk."""
        if step is None:
            step = self._step + 1
        elif type(step) is not int:
            step = _integer_step(step)
        if step < 0:
            raise ValueError(f"blocklab: step must be >= 0, got {step}")
        for key in _RESERVED:
            if key in data:
                raise ValueError(f"blocklab: {key!r} is not a metric name here; pass it as log(..., {key}=...)"
                                 if key in ("step", "epoch") else f"blocklab: {key!r} is reserved; name the metric otherwise")
        line = _values.metrics_line(data, step, epoch)
        self._send(line)
        if step > self._step:
            self._step = step

    def log_checkpoint(self, path, step=None, is_best=False, metrics=None, epoch=None, format=None):
        """Records a checkpoint file or directory, once it is complete (BlockLab computes its
        sha256 and size). `metrics`: the metrics at that step ({key: number})."""
        path = os.path.abspath(os.fspath(path))
        if not os.path.exists(path):
            raise FileNotFoundError(f"blocklab: checkpoint {path} does not exist (record it once it is written)")
        record = {"type": "checkpoint", "path": path, "step": self._step if step is None else _integer_step(step),
                  "is_best": bool(is_best), "format": format or _format_of(path)}
        if record["step"] < 0:
            record["step"] = 0
        if epoch is not None:
            record["epoch"] = float(epoch)
        if metrics:
            record["metrics"] = {key: float(_values._as_float(key, value)) for key, value in _values.flatten(metrics)}
        self._send(_values.record_line(record))

    def log_artifact(self, path, kind="file", name=None):
        """Records a file or directory the run made (a tokenizer, a dataset, a report)."""
        path = os.path.abspath(os.fspath(path))
        if not os.path.exists(path):
            raise FileNotFoundError(f"blocklab: artifact {path} does not exist")
        record = {"type": "artifact", "path": path, "kind": str(kind)}
        if name is not None:
            record["name"] = str(name)
        self._send(_values.record_line(record))

    def tag(self, key, value=""):
        """Sets tags: tag("team", "ml") or tag({"team": "ml", "data": "v2"})."""
        items = key.items() if isinstance(key, dict) else [(key, value)]
        for k, v in items:
            self._send(_values.record_line({"type": "tag", "key": str(k), "value": "" if v is None else str(v)}))

    def note(self, text):
        """Sets the run's note (free text)."""
        self._send(_values.record_line({"type": "note", "text": str(text)}))

    def console(self, stream, line):
        """Records one console line (what the tees send for every printed line)."""
        self._send(_values.record_line({"type": "console", "stream": stream, "line": line, "time": time.time()}))

    def _send(self, line):
        if self._finished or self._owner != os.getpid():
            return
        with self._lock:
            try:
                view = memoryview(line)
                while view:
                    view = view[self._pipe.write(view):]
            except (BrokenPipeError, ValueError, OSError) as error:
                self._lost(error)

    def _lost(self, error):
        if not self._broken:
            self._broken = True
            status = self._child.process.poll()
            message = (f"blocklab: run {self.id}'s writer (blocklab ingest, pid {self._child.process.pid}) is gone "
                       f"({'exit status ' + str(status) if status is not None else error}); nothing more is recorded\n")
            try:
                os.write(2, message.encode())
            except OSError:
                pass

    # The end

    def finish(self, status="finished", error=None):
        """Ends the run: everything logged is written, then the status (finished, failed or
        killed). Returns when the run is complete in the store. Calling it again does nothing."""
        if status not in ("finished", "failed", "killed"):
            raise ValueError(f"blocklab: status {status!r} is not finished, failed or killed")
        with self._lock:
            if self._finished or self._owner != os.getpid():
                return
            for tee in self._tees:
                tee.flush_partial()
            self._restore_streams()
            record = {"type": "end", "status": status}
            if error:
                record["error"] = str(error)
            self._send(_values.record_line(record))
            self._finished = True
            self.status = status
            exit_status = self._child.close(self._finish_timeout)
        from . import _endings
        _endings.forget(self)
        if exit_status is None:
            raise BlockLabError(f"blocklab: run {self.id} was not complete in the store {self._finish_timeout:g} s after "
                                f"finish (blocklab ingest pid {self._child.process.pid} still writing)")
        if exit_status != 0:
            raise BlockLabError(f"blocklab: run {self.id}'s writer exited with status {exit_status}: {self._child.said()}")

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        from . import _endings
        status, error = _endings.ending_of(kind, value)
        self.finish(status, error)
        return False

    # Console

    def _tee_streams(self):
        from ._console import Tee
        self._originals = (sys.stdout, sys.stderr)
        if sys.stdout is not None:
            sys.stdout = Tee(sys.stdout, "stdout", self.console)
            self._tees.append(sys.stdout)
        if sys.stderr is not None:
            sys.stderr = Tee(sys.stderr, "stderr", self.console)
            self._tees.append(sys.stderr)

    def _restore_streams(self):
        if not self._tees:
            return
        out, err = self._originals
        if sys.stdout in self._tees:
            sys.stdout = out
        if sys.stderr in self._tees:
            sys.stderr = err
        self._tees = []

    def _forked(self):
        """In a child made by fork: this copy of the run is not the writer. Its copy of the
        pipe is pointed at /dev/null, so buffered bytes it holds never reach the pipe twice,
        and it sends nothing (not even an end record when the child exits)."""
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._pipe.fileno())
            os.close(null)
        except (OSError, ValueError):
            pass


def _integer_step(step):
    try:
        import operator
        return operator.index(step)
    except TypeError:
        if isinstance(step, float) and step.is_integer():
            return int(step)
        raise TypeError(f"blocklab: step must be an integer, got {step!r}") from None


def _format_of(path):
    if os.path.isdir(path):
        return "directory"
    suffix = os.path.splitext(path)[1].lstrip(".")
    return suffix or "file"
