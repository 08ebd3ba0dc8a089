"""BlockLab from Python: track any training in a BlockLab experiment store.

    import blocklab
    run = blocklab.init(name="baseline", config={"lr": 3e-4})
    for step in range(100):
        run.log({"train/loss": loss}, step=step)
    run.finish()

Every write goes through a `blocklab ingest --client` child (BlockLab's one writer), fed
over a pipe; see docs/python.md for the endings, the console log and the cost of a call.
"""

import os
import sys
import tempfile

from ._child import Child, find_binary
from ._errors import BlockLabError
from ._query import query, store_path
from ._run import Run
from . import _endings, _values

__version__ = "0.1.0"
__all__ = ["init", "log", "finish", "query", "current", "Run", "BlockLabError"]


def init(name=None, config=None, tags=None, store=None, experiment=None, *, console=True, binary=None,
         hardware_interval=10.0, flush_interval=None, timeout=60.0, finish_timeout=600.0):
    """Starts a run and returns it (also the current run, for blocklab.log / blocklab.finish).

    name: the run's name (default: the script's name). config: a dict (JSON-serialisable) or
    the path of a YAML file, snapshotted with the run. tags: {key: value}. store: the store
    file (default $BLOCKLAB_STORE, else ./blocklab.db). experiment: the run's experiment.
    console: keep what the program prints (sys.stdout, sys.stderr) as the run's console log.
    binary: the blocklab command (default $BLOCKLAB_BIN, else `blocklab` on PATH).
    hardware_interval: seconds between hardware samples of this process.
    timeout: how long to wait for the run to exist (a locked store); finish_timeout: for the
    run to be complete in the store at finish.
    A missing or failing blocklab command raises BlockLabError here, naming what it said.
    """
    previous = _endings.active()
    if previous is not None:
        previous.finish()
    path = store_path(store)
    arguments = [find_binary(binary), "ingest", "--client", "--store", path, "--pid", str(os.getpid()),
                 "--hardware-interval", repr(float(hardware_interval))]
    arguments += ["--name", str(name) if name else _script_name()]
    if experiment:
        arguments += ["--experiment", str(experiment)]
    for key, value in (tags or {}).items():
        arguments += ["--tag", f"{key}={'' if value is None else value}"]
    if flush_interval is not None:
        arguments += ["--flush-interval", repr(float(flush_interval))]
    config_file = None
    if config is not None:
        if isinstance(config, (str, os.PathLike)):
            config_path = os.path.abspath(os.fspath(config))
            if not os.path.isfile(config_path):
                raise FileNotFoundError(f"blocklab: config file {config_path} does not exist (pass a dict or a YAML file)")
        else:
            text = _values.config_json(_as_dict(config))
            config_file = tempfile.NamedTemporaryFile("w", suffix=".json", prefix="blocklab-config-", delete=False)
            with config_file:
                config_file.write(text + "\n")
            config_path = config_file.name
        arguments += ["--config", config_path]
    try:
        child = Child(arguments, timeout)
    finally:
        if config_file is not None:
            os.unlink(config_file.name)
    run = Run(child, path, finish_timeout)
    _endings.track(run)
    if console:
        run._tee_streams()
    return run


def current():
    """The run started last and not yet finished, or None."""
    return _endings.active()


def log(data, step=None, epoch=None):
    """run.log on the current run."""
    _require().log(data, step=step, epoch=epoch)


def finish(status="finished", error=None):
    """run.finish on the current run (nothing when there is none)."""
    run = _endings.active()
    if run is not None:
        run.finish(status, error)


def _require():
    run = _endings.active()
    if run is None:
        raise BlockLabError("blocklab: no run: call blocklab.init() first")
    return run


def _as_dict(config):
    if isinstance(config, dict):
        return config
    if hasattr(config, "to_dict"):
        return config.to_dict()
    if hasattr(config, "__dict__"):  # argparse.Namespace, simple objects
        return dict(vars(config))
    raise TypeError(f"blocklab: config is a {type(config).__name__}; pass a dict or the path of a YAML file")


def _script_name():
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    name = os.path.splitext(script)[0]
    return name if name and name != "-c" else "python"
