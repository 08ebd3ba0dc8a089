-- BlockLab experiment store, migration 4: runs of several processes (data-parallel training).
-- A run is still one row, owned by rank 0; every rank's hardware samples reach it and are
-- stored with the machine and the rank that took them, so peaks are reported per rank.
-- Never edit this file once landed: add a new numbered migration instead.

-- Where a sample was taken: the host name and the process's rank (0 for a training run of
-- one process). NULL in samples recorded before this migration and from clients that do
-- not say (ingest).
ALTER TABLE hardware_samples ADD COLUMN host TEXT;
ALTER TABLE hardware_samples ADD COLUMN rank INTEGER CHECK (rank >= 0);

-- How many processes trained the run together (1 for everything else).
ALTER TABLE runs ADD COLUMN world_size INTEGER NOT NULL DEFAULT 1 CHECK (world_size >= 1);

-- Hardware peaks per run and rank: one row per (run, host, rank).
CREATE VIEW hardware_peaks AS
SELECT h.run_id AS run_id, h.host AS host, h.rank AS rank, COUNT(*) AS samples,
       MAX(h.cpu_percent) AS cpu_percent, MAX(h.ram_used_bytes) AS ram_used_bytes,
       MAX(h.ram_percent) AS ram_percent, MAX(h.process_rss_bytes) AS process_rss_bytes,
       MAX(h.cpu_temp_c) AS cpu_temp_c,
       (SELECT MAX(g.memory_used_bytes) FROM gpu_samples g JOIN hardware_samples x ON x.id = g.sample_id
         WHERE x.run_id = h.run_id AND x.host IS h.host AND x.rank IS h.rank) AS gpu_memory_used_bytes
FROM hardware_samples h
GROUP BY h.run_id, h.host, h.rank;

-- run_summary gains the world size and the highest RSS of any one rank's process.
DROP VIEW run_summary;
CREATE VIEW run_summary AS
SELECT r.id AS id, r.uuid AS uuid, r.name AS name, r.experiment AS experiment,
       CASE WHEN r.status = 'running'
                 AND r.heartbeat_at < (julianday('now') - 2440587.5) * 86400.0 - 60
            THEN 'crashed' ELSE r.status END AS status,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.started_at, 'unixepoch') AS started,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.ended_at, 'unixepoch') AS ended,
       COALESCE(r.ended_at, r.heartbeat_at) - r.started_at AS duration_s,
       r.world_size AS world_size,
       r.source_repo AS source_repo, r.source_commit AS source_commit,
       r.parent_run_id AS parent_run_id,
       (SELECT COUNT(*) FROM metric_summaries s WHERE s.run_id = r.id) AS metric_keys,
       (SELECT COALESCE(SUM(s.count), 0) FROM metric_summaries s WHERE s.run_id = r.id) AS metric_points,
       (SELECT s.min FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
         WHERE s.run_id = r.id AND k.key = 'val/loss') AS best_val_loss,
       (SELECT s.last FROM metric_summaries s JOIN metric_keys k ON k.id = s.key_id
         WHERE s.run_id = r.id AND k.key = 'train/loss') AS last_train_loss,
       (SELECT COUNT(*) FROM checkpoints c WHERE c.run_id = r.id) AS checkpoints,
       (SELECT MAX(h.process_rss_bytes) FROM hardware_samples h WHERE h.run_id = r.id) AS peak_rank_rss_bytes,
       r.error AS error
FROM runs r;
