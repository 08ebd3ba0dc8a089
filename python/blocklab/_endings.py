"""How a run ends when the program does not call finish(): honestly.

- a normal exit (atexit) → finished;
- an exception reaching the top (sys.excepthook, after the traceback is printed, so the
  traceback is in the console log) → failed, with the exception's type and message;
  KeyboardInterrupt (Ctrl-C, SIGINT) → killed;
- SIGTERM, where the program had not set its own handler → killed, then the process dies of
  SIGTERM as it would have (exit status 143);
- kill -9, or os._exit → the child sees its input end without an end record: crashed.
A fork of this process (a DataLoader worker) is not the writer: its copy of the run sends
nothing.
"""

import atexit
import os
import signal
import sys
import threading

_active = []
_installed = False
_previous_hook = None


def ending_of(kind, value):
    """(status, error) for an exception escaping `with` or the top; (finished, None) for none."""
    if kind is None:
        return "finished", None
    if issubclass(kind, KeyboardInterrupt):
        return "killed", "KeyboardInterrupt (SIGINT)"
    if issubclass(kind, SystemExit):
        code = value.code if value is not None else None
        if code in (None, 0):
            return "finished", None
        return "failed", f"SystemExit: {code}"
    message = str(value)
    return "failed", f"{kind.__name__}: {message}" if message else kind.__name__


def track(run):
    _install()
    _active.append(run)


def forget(run):
    if run in _active:
        _active.remove(run)


def active():
    return _active[-1] if _active else None


def _finish_all(status, error):
    for run in list(reversed(_active)):
        try:
            run.finish(status, error)
        except Exception as problem:  # the process is ending: say it, do not raise
            try:
                os.write(2, f"{problem}\n".encode())
            except OSError:
                pass


def _excepthook(kind, value, traceback):
    (_previous_hook or sys.__excepthook__)(kind, value, traceback)
    _finish_all(*ending_of(kind, value))


def _at_exit():
    _finish_all("finished", None)


def _on_sigterm(number, frame):
    _finish_all("killed", "stopped by SIGTERM")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _after_fork_in_child():
    for run in _active:
        run._forked()
    del _active[:]


def _install():
    global _installed, _previous_hook
    if _installed:
        return
    _installed = True
    _previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    atexit.register(_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
