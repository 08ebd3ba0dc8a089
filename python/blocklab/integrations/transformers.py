"""A Hugging Face `Trainer` callback that records the training as a BlockLab run.

    from blocklab.integrations.transformers import BlockLabCallback
    trainer = Trainer(..., args=TrainingArguments(..., report_to="none"),
                      callbacks=[BlockLabCallback(name="finetune")])
    trainer.train()

- the run starts at the beginning of training; its config is the TrainingArguments
  (`args/...`) and the model's config (`model/...`);
- the Trainer's logs become metrics at its global step: training logs as `train/<name>`
  (`train/loss`, `train/learning_rate`, `train/grad_norm`; the closing log's mean loss as
  `train/mean_loss`, its `train_runtime` as `train/runtime`), evaluation logs as
  `eval/<name>` (`eval_loss` becomes `eval/loss`); the epoch is the points' epoch;
- each checkpoint the Trainer saves is recorded (its directory, with every file in it), the
  best one (args.metric_for_best_model) marked best;
- the run finishes when training ends; an exception out of trainer.train() reaches the
  package's ending hooks (or a `with` around it), which end the run failed with its type and
  message. Only the main process (is_world_process_zero) records.
Pass `run=` to record into a run you started yourself (it is then left for you to finish).
"""

import numbers
import os

from transformers import TrainerCallback

import blocklab
from blocklab import _values


class BlockLabCallback(TrainerCallback):
    def __init__(self, name=None, store=None, experiment=None, tags=None, run=None, **init_options):
        self._options = dict(name=name, store=store, experiment=experiment, tags=tags, **init_options)
        self._run = run
        self._owned = run is None

    @property
    def run(self):
        """The run being recorded (None before training starts)."""
        return self._run

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if not state.is_world_process_zero or (self._run is not None and self._run.status == "running"):
            return
        config = {"args": _plain(args.to_dict())}
        model_config = getattr(model, "config", None)
        if model_config is not None and hasattr(model_config, "to_dict"):
            config["model"] = _plain(model_config.to_dict())
        options = dict(self._options)
        if not options.get("name"):
            options["name"] = args.run_name if args.run_name and args.run_name != args.output_dir else None
        self._run = blocklab.init(config=config, **options)
        self._owned = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self._run is None or not state.is_world_process_zero or not logs:
            return
        metrics = {}
        for key, value in logs.items():
            if key == "epoch" or isinstance(value, bool) or not isinstance(value, numbers.Real):
                continue
            if key.startswith("eval_"):
                metrics["eval/" + key[len("eval_"):]] = value
            elif key == "train_loss":  # the Trainer's last log: the mean over the whole training
                metrics["train/mean_loss"] = value
            elif key.startswith("train_"):
                metrics["train/" + key[len("train_"):]] = value
            elif key.startswith("test_"):
                metrics["test/" + key[len("test_"):]] = value
            else:
                metrics["train/" + key] = value
        if metrics:
            self._run.log(metrics, step=state.global_step, epoch=logs.get("epoch", state.epoch))

    def on_save(self, args, state, control, **kwargs):
        if self._run is None or not state.is_world_process_zero:
            return
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if not os.path.isdir(path):
            return
        metrics = {}
        if state.log_history:
            last = state.log_history[-1]
            metrics = {key: value for key, value in last.items()
                       if isinstance(value, numbers.Real) and not isinstance(value, bool) and key not in ("epoch", "step")}
        best = state.best_model_checkpoint is not None and os.path.abspath(state.best_model_checkpoint) == os.path.abspath(path)
        self._run.log_checkpoint(path, step=state.global_step, is_best=best, metrics=metrics, epoch=state.epoch,
                                 format="huggingface")

    def on_train_end(self, args, state, control, **kwargs):
        if self._run is not None and self._owned and state.is_world_process_zero:
            self._run.finish()


def _plain(value):
    """A config value JSON can hold: enums and other objects as their text, NaN as None."""
    if isinstance(value, dict):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(inner) for inner in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
