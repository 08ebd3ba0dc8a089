-- BlockLab experiment store, migration 1: the initial schema.
-- Times are Unix seconds (REAL, UTC). Booleans are INTEGER 0/1. JSON columns hold text.
-- Never edit this file once landed: add a new numbered migration instead.

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    experiment       TEXT NOT NULL DEFAULT 'default',
    status           TEXT NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'finished', 'failed', 'crashed', 'killed')),
    started_at       REAL NOT NULL,
    ended_at         REAL,
    heartbeat_at     REAL NOT NULL,
    pid              INTEGER,
    hostname         TEXT,
    command_line     TEXT,
    blocklab_version TEXT,
    source_repo      TEXT,
    source_commit    TEXT,
    parent_run_id    INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    error            TEXT,
    note             TEXT
) STRICT;
CREATE INDEX runs_by_name ON runs(name);
CREATE INDEX runs_by_status ON runs(status);

CREATE TABLE tags (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE config_snapshots (
    run_id        INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    yaml          TEXT,
    resolved_json TEXT NOT NULL,
    sha256        TEXT NOT NULL
) STRICT;

-- Every resolved config key flattened: 'training.base_learning_rate' -> '5e-05'.
CREATE TABLE params (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT,
    value_type TEXT NOT NULL CHECK (value_type IN ('string', 'number', 'bool', 'null', 'array', 'object')),
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE metric_keys (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
) STRICT;

-- Clustered on (run, key, step): one key's history of one run is one contiguous range.
CREATE TABLE metrics (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key_id    INTEGER NOT NULL REFERENCES metric_keys(id),
    step      INTEGER NOT NULL,
    value     REAL,
    wall_time REAL NOT NULL,
    epoch     REAL,
    PRIMARY KEY (run_id, key_id, step)
) STRICT, WITHOUT ROWID;

-- Kept up to date by the writer in the same transaction as the points.
CREATE TABLE metric_summaries (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key_id    INTEGER NOT NULL REFERENCES metric_keys(id),
    count     INTEGER NOT NULL,
    min       REAL,
    min_step  INTEGER,
    max       REAL,
    max_step  INTEGER,
    last      REAL,
    last_step INTEGER NOT NULL,
    PRIMARY KEY (run_id, key_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE hardware_samples (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    time              REAL NOT NULL,
    step              INTEGER,
    cpu_percent       REAL,
    ram_used_bytes    INTEGER,
    ram_percent       REAL,
    process_rss_bytes INTEGER,
    cpu_temp_c        REAL
) STRICT;
CREATE INDEX hardware_samples_by_run ON hardware_samples(run_id, time);

CREATE TABLE gpu_samples (
    sample_id          INTEGER NOT NULL REFERENCES hardware_samples(id) ON DELETE CASCADE,
    gpu_index          INTEGER NOT NULL,
    name               TEXT,
    utilization_pct    REAL,
    memory_used_bytes  INTEGER,
    memory_total_bytes INTEGER,
    temperature_c      REAL,
    power_w            REAL,
    PRIMARY KEY (sample_id, gpu_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    epoch        REAL,
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    format       TEXT NOT NULL,
    is_best      INTEGER NOT NULL DEFAULT 0 CHECK (is_best IN (0, 1)),
    metrics_json TEXT NOT NULL DEFAULT '{}',
    created_at   REAL NOT NULL
) STRICT;
CREATE INDEX checkpoints_by_run ON checkpoints(run_id, step);

CREATE TABLE artifacts (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at REAL NOT NULL
) STRICT;
CREATE INDEX artifacts_by_run ON artifacts(run_id);

CREATE TABLE phases (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'running'
               CHECK (status IN ('running', 'finished', 'failed', 'skipped')),
    started_at REAL NOT NULL,
    ended_at   REAL,
    stats_json TEXT NOT NULL DEFAULT '{}',
    error      TEXT
) STRICT;
CREATE INDEX phases_by_run ON phases(run_id, started_at);

CREATE TABLE embeddings (
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    item_id      TEXT NOT NULL,
    model        TEXT NOT NULL,
    dimension    INTEGER NOT NULL CHECK (dimension > 0),
    vector       BLOB NOT NULL CHECK (length(vector) = 4 * dimension),
    payload_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, model, item_id)
) STRICT, WITHOUT ROWID;

-- What was pushed to which Qdrant collection, so a re-push can skip or verify.
CREATE TABLE qdrant_pushes (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    collection TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    point_id   TEXT NOT NULL,
    pushed_at  REAL NOT NULL,
    PRIMARY KEY (run_id, url, collection, item_id)
) STRICT, WITHOUT ROWID;

-- Views for people. Times shown as ISO 8601 UTC.

CREATE VIEW metric_history AS
SELECT r.id AS run_id, r.name AS run_name, r.uuid AS run_uuid, k.key AS key,
       m.step AS step, m.value AS value, m.epoch AS epoch, m.wall_time AS wall_time,
       strftime('%Y-%m-%dT%H:%M:%fZ', m.wall_time, 'unixepoch') AS time
FROM metrics m JOIN runs r ON r.id = m.run_id JOIN metric_keys k ON k.id = m.key_id;

CREATE VIEW latest_metrics AS
SELECT r.id AS run_id, r.name AS run_name, k.key AS key, s.last_step AS step, s.last AS value,
       s.count AS count, s.min AS min, s.min_step AS min_step, s.max AS max, s.max_step AS max_step
FROM metric_summaries s JOIN runs r ON r.id = s.run_id JOIN metric_keys k ON k.id = s.key_id;

-- status: a 'running' run whose heartbeat is more than 60 s old reads as 'crashed' here
-- (the writer beats at least once a second); `blocklab reap` records it for good.
CREATE VIEW run_summary AS
SELECT r.id AS id, r.uuid AS uuid, r.name AS name, r.experiment AS experiment,
       CASE WHEN r.status = 'running'
                 AND r.heartbeat_at < (julianday('now') - 2440587.5) * 86400.0 - 60
            THEN 'crashed' ELSE r.status END AS status,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.started_at, 'unixepoch') AS started,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.ended_at, 'unixepoch') AS ended,
       COALESCE(r.ended_at, r.heartbeat_at) - r.started_at AS duration_s,
       r.source_repo AS source_repo, r.source_commit AS source_commit,
       r.parent_run_id AS parent_run_id,
       (SELECT COUNT(*) FROM metric_summaries s WHERE s.run_id = r.id) AS metric_keys,
       (SELECT COALESCE(SUM(s.count), 0) FROM metric_summaries s WHERE s.run_id = r.id) AS metric_points,
       (SELECT s.min FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
         WHERE s.run_id = r.id AND k.key = 'val/loss') AS best_val_loss,
       (SELECT s.last FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
         WHERE s.run_id = r.id AND k.key = 'train/loss') AS last_train_loss,
       (SELECT COUNT(*) FROM checkpoints c WHERE c.run_id = r.id) AS checkpoints,
       r.error AS error
FROM runs r;
