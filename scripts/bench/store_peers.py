"""The store benchmark's peers: MLflow (sqlite backend, log_batch of 1,000) and trackio,
given the same workload as BlockLab (KEYS keys x STEPS steps), timed until each says the
run is finished. Prints one JSON object. Run by `blocklab bench store`."""
import atexit
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

steps = int(sys.argv[1])
keys = [f"metric_{i}" for i in range(int(sys.argv[2]))]
which = sys.argv[3].split(",")
work = tempfile.mkdtemp(prefix="blocklab-bench-peers-")
atexit.register(shutil.rmtree, work, ignore_errors=True)
result = {}


def value(step, k):
    return 1.0 / (1 + step) + k


if "mlflow" in which:
    import logging
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{work}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("bench", artifact_location=f"{work}/artifacts")
    run = client.create_run(experiment)
    run_id = run.info.run_id
    batch = []
    start = time.perf_counter()
    now = int(time.time() * 1000)
    for step in range(steps):
        for k, key in enumerate(keys):
            batch.append(Metric(key, value(step, k), now, step))
            if len(batch) == 1000:
                client.log_batch(run_id, metrics=batch)
                batch = []
    if batch:
        client.log_batch(run_id, metrics=batch)
    client.set_terminated(run_id)
    elapsed = time.perf_counter() - start
    result["mlflow_points_per_s"] = steps * len(keys) / elapsed
    reads = []
    for _ in range(3):
        t = time.perf_counter()
        history = client.get_metric_history(run_id, keys[0])
        reads.append((time.perf_counter() - t) * 1000)
        assert len(history) == steps, len(history)
    result["mlflow_history_read_ms"] = statistics.median(reads)

if "trackio" in which:
    os.environ["TRACKIO_DIR"] = f"{work}/trackio"
    import trackio

    # trackio prints progress on stdout; keep stdout for the result.
    with contextlib.redirect_stdout(sys.stderr):
        start = time.perf_counter()
        trackio.init(project="bench", name="bench")
        for step in range(steps):
            trackio.log({key: value(step, k) for k, key in enumerate(keys)}, step=step)
        trackio.finish()
        elapsed = time.perf_counter() - start
    result["trackio_points_per_s"] = steps * len(keys) / elapsed

print(json.dumps(result))
