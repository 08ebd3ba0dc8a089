"""The common W&B script shape, recorded by BlockLab: `import blocklab.compat.wandb as wandb`.

    import blocklab.compat.wandb as wandb
    wandb.init(project="mnist", name="baseline", config={"lr": 1e-3})
    lr = wandb.config.lr
    for step in range(100):
        wandb.log({"loss": loss})
    wandb.finish()

project is the run's experiment; name, config, tags (a list: each becomes a tag with an
empty value), notes (the run's note) as W&B takes them; the store is $BLOCKLAB_STORE or
./blocklab.db. wandb.log's `step` is optional (one more than the last, as W&B counts);
`commit=False` merges the values into the next call's step. wandb.config reads as
attributes or keys; keys set after init are recorded as tags `config.KEY`, since the run's
config snapshot is taken when it starts. Values W&B draws (images, tables, histograms)
are not numbers: log() names them and raises TypeError. wandb.finish(exit_code=1) ends the
run failed.
"""

import blocklab

run = None
config = None
_pending = {}

__all__ = ["init", "log", "finish", "config", "run", "Config"]


class Config(dict):
    """wandb.config: a dict whose keys read and write as attributes too."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if run is not None and run.status == "running":
            run.tag(f"config.{key}", value)

    def update(self, other=(), **more):
        for key, value in dict(other, **more).items():
            self[key] = value

    def setdefaults(self, other):
        for key, value in dict(other).items():
            if key not in self:
                self[key] = value


def init(project=None, name=None, config=None, tags=None, notes=None, entity=None, group=None, job_type=None,
         dir=None, mode=None, reinit=None, store=None, **ignored):
    """Starts a run (finishing the one before, as reinit does) and returns it."""
    global run, _pending
    globals()["config"] = None
    values = dict(config) if config is not None and not isinstance(config, str) else {}
    tag_values = {str(tag): "" for tag in (tags or [])}
    if group:
        tag_values["group"] = group
    if job_type:
        tag_values["job_type"] = job_type
    run = blocklab.init(name=name, config=config, tags=tag_values, store=store, experiment=project)
    if notes:
        run.note(notes)
    globals()["config"] = Config()
    dict.update(globals()["config"], values)
    _pending = {}
    return run


def log(data, step=None, commit=None):
    """Logs numbers at `step` (default: the next step); commit=False holds them for the next call."""
    global _pending
    if run is None:
        raise blocklab.BlockLabError("wandb.log: call wandb.init() first")
    merged = dict(_pending)
    merged.update(data)
    if commit is False:
        _pending = merged
        return
    _pending = {}
    run.log(merged, step=step)


def finish(exit_code=None, quiet=None):
    """Ends the run: finished, or failed with a non-zero exit_code."""
    global run
    if run is None:
        return
    if exit_code:
        run.finish("failed", f"exit code {exit_code}")
    else:
        run.finish()
    run = None
