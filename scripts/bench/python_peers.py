"""`blocklab bench python`'s sides: the same loop (KEYS keys x STEPS steps, one log() call
of KEYS keys a step) through the blocklab package, trackio, and MLflow (sqlite backend:
log_batch of 1,000 points, and log_metric, one call a point, on its own step count as it is
slow). Each side is timed from before init to the run being complete (finish returned: for
BlockLab, every point in the store), and the time spent inside the log calls is timed
apart. Prints one JSON object. Run by `blocklab bench python`: argv is STEPS KEYS SIDES
METRIC_STEPS STORE_DIR; the blocklab package is on PYTHONPATH, its binary in BLOCKLAB_BIN."""
import atexit
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time

steps, nkeys, sides, metric_steps = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), int(sys.argv[4])
work = tempfile.mkdtemp(prefix="blocklab-bench-python-", dir=sys.argv[5])
atexit.register(shutil.rmtree, work, ignore_errors=True)
keys = [f"train/metric_{i}" for i in range(nkeys)]
result = {}
clock = time.perf_counter


def rows(n):
    return [{key: 1.0 / (1 + step) + k for k, key in enumerate(keys)} for step in range(n)]


def timed_loop(log, data):
    """Calls log(values, step) for each step; the seconds spent inside log."""
    inside = 0.0
    for step, values in enumerate(data):
        t = clock()
        log(values, step)
        inside += clock() - t
    return inside


if "blocklab" in sides:
    import blocklab
    data = rows(steps)
    start = clock()
    run = blocklab.init(name="bench", store=os.path.join(work, "blocklab.db"), console=False, hardware_interval=3600)
    inside = timed_loop(lambda values, step: run.log(values, step=step), data)
    logged = clock()
    run.finish()
    end = clock()
    stored = blocklab.query("SELECT COUNT(*) AS n FROM metrics", store=run.store)[0]["n"]
    assert stored == steps * nkeys, (stored, steps * nkeys)
    result.update(blocklab_points_per_s=steps * nkeys / (end - start), blocklab_log_call_us=inside / steps * 1e6,
                  blocklab_complete_s=end - start, blocklab_after_last_log_s=end - logged)

if "trackio" in sides:
    os.environ["TRACKIO_DIR"] = os.path.join(work, "trackio")
    import trackio
    data = rows(steps)
    with contextlib.redirect_stdout(sys.stderr):  # trackio prints progress on stdout
        start = clock()
        trackio.init(project="bench", name="bench")
        inside = timed_loop(lambda values, step: trackio.log(values, step=step), data)
        logged = clock()
        trackio.finish()
        end = clock()
    result.update(trackio_points_per_s=steps * nkeys / (end - start), trackio_log_call_us=inside / steps * 1e6,
                  trackio_complete_s=end - start, trackio_after_last_log_s=end - logged)

if "mlflow" in sides:
    import logging
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{work}/mlflow.db")
    experiment = client.create_experiment("bench", artifact_location=f"{work}/artifacts")
    data = rows(steps)
    start = clock()
    run_id = client.create_run(experiment).info.run_id
    batch = []
    now = int(time.time() * 1000)
    for step, values in enumerate(data):
        for key, value in values.items():
            batch.append(Metric(key, value, now, step))
        if len(batch) >= 1000:
            client.log_batch(run_id, metrics=batch)
            batch = []
    if batch:
        client.log_batch(run_id, metrics=batch)
    client.set_terminated(run_id)
    end = clock()
    result.update(mlflow_points_per_s=steps * nkeys / (end - start), mlflow_complete_s=end - start)

    data = rows(metric_steps)
    start = clock()
    run_id = client.create_run(experiment).info.run_id
    inside = timed_loop(lambda values, step: [client.log_metric(run_id, key, value, step=step) for key, value in values.items()], data)
    client.set_terminated(run_id)
    end = clock()
    result.update(mlflow_log_metric_points_per_s=metric_steps * nkeys / (end - start),
                  mlflow_log_metric_call_us=inside / metric_steps * 1e6)

print(json.dumps(result))
