-- Block summaries of every metric key's history, so that a chart of a long run never reads
-- every point. At two sizes, `shift` 5 (blocks of 32 steps) and 8 (256 steps): block b holds
-- the steps b << shift ... ((b + 1) << shift) - 1 (b = step >> shift, floor for negative
-- steps) and keeps its first, last, lowest and highest point (each with its step, value,
-- epoch and wall time) and its count. A downsampled (M4) series of 1,000,000 points in 2,000
-- buckets reads about 3,900 of these rows instead of the points.
--
-- The writer keeps them up to date in the same transaction as the points: new points merge
-- into their block's row; a point that replaces one already stored makes its blocks be
-- recomputed from `metrics`. Ties of the extremes keep the smallest step; NaN values (NULL)
-- count and can be a block's first or last point, never its min or max.
CREATE TABLE metric_blocks (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key_id      INTEGER NOT NULL REFERENCES metric_keys(id),
    shift       INTEGER NOT NULL CHECK (shift IN (5, 8)),
    block       INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    first_step  INTEGER NOT NULL,
    first_value REAL,
    first_epoch REAL,
    first_time  REAL NOT NULL,
    last_step   INTEGER NOT NULL,
    last_value  REAL,
    last_epoch  REAL,
    last_time   REAL NOT NULL,
    min_step    INTEGER,
    min_value   REAL,
    min_epoch   REAL,
    min_time    REAL,
    max_step    INTEGER,
    max_value   REAL,
    max_epoch   REAL,
    max_time    REAL,
    PRIMARY KEY (run_id, key_id, shift, block)
) STRICT, WITHOUT ROWID;

-- The blocks of what is already stored (32-step blocks).
INSERT INTO metric_blocks
WITH ranked AS (
    SELECT run_id, key_id, step >> 5 AS block, step, value, epoch, wall_time,
           COUNT(*) OVER w AS n,
           ROW_NUMBER() OVER (w ORDER BY step) AS by_step,
           ROW_NUMBER() OVER (w ORDER BY step DESC) AS by_step_desc,
           ROW_NUMBER() OVER (w ORDER BY value IS NULL, value, step) AS by_value,
           ROW_NUMBER() OVER (w ORDER BY value IS NULL, value DESC, step) AS by_value_desc
    FROM metrics
    WINDOW w AS (PARTITION BY run_id, key_id, step >> 5)
)
SELECT run_id, key_id, 5, block, MAX(n),
       MAX(CASE WHEN by_step = 1 THEN step END), MAX(CASE WHEN by_step = 1 THEN value END),
       MAX(CASE WHEN by_step = 1 THEN epoch END), MAX(CASE WHEN by_step = 1 THEN wall_time END),
       MAX(CASE WHEN by_step_desc = 1 THEN step END), MAX(CASE WHEN by_step_desc = 1 THEN value END),
       MAX(CASE WHEN by_step_desc = 1 THEN epoch END), MAX(CASE WHEN by_step_desc = 1 THEN wall_time END),
       MAX(CASE WHEN by_value = 1 AND value IS NOT NULL THEN step END), MAX(CASE WHEN by_value = 1 THEN value END),
       MAX(CASE WHEN by_value = 1 AND value IS NOT NULL THEN epoch END),
       MAX(CASE WHEN by_value = 1 AND value IS NOT NULL THEN wall_time END),
       MAX(CASE WHEN by_value_desc = 1 AND value IS NOT NULL THEN step END), MAX(CASE WHEN by_value_desc = 1 THEN value END),
       MAX(CASE WHEN by_value_desc = 1 AND value IS NOT NULL THEN epoch END),
       MAX(CASE WHEN by_value_desc = 1 AND value IS NOT NULL THEN wall_time END)
FROM ranked
GROUP BY run_id, key_id, block;

-- The blocks of what is already stored (256-step blocks).
INSERT INTO metric_blocks
WITH ranked AS (
    SELECT run_id, key_id, step >> 8 AS block, step, value, epoch, wall_time,
           COUNT(*) OVER w AS n,
           ROW_NUMBER() OVER (w ORDER BY step) AS by_step,
           ROW_NUMBER() OVER (w ORDER BY step DESC) AS by_step_desc,
           ROW_NUMBER() OVER (w ORDER BY value IS NULL, value, step) AS by_value,
           ROW_NUMBER() OVER (w ORDER BY value IS NULL, value DESC, step) AS by_value_desc
    FROM metrics
    WINDOW w AS (PARTITION BY run_id, key_id, step >> 8)
)
SELECT run_id, key_id, 8, block, MAX(n),
       MAX(CASE WHEN by_step = 1 THEN step END), MAX(CASE WHEN by_step = 1 THEN value END),
       MAX(CASE WHEN by_step = 1 THEN epoch END), MAX(CASE WHEN by_step = 1 THEN wall_time END),
       MAX(CASE WHEN by_step_desc = 1 THEN step END), MAX(CASE WHEN by_step_desc = 1 THEN value END),
       MAX(CASE WHEN by_step_desc = 1 THEN epoch END), MAX(CASE WHEN by_step_desc = 1 THEN wall_time END),
       MAX(CASE WHEN by_value = 1 AND value IS NOT NULL THEN step END), MAX(CASE WHEN by_value = 1 THEN value END),
       MAX(CASE WHEN by_value = 1 AND value IS NOT NULL THEN epoch END),
       MAX(CASE WHEN by_value = 1 AND value IS NOT NULL THEN wall_time END),
       MAX(CASE WHEN by_value_desc = 1 AND value IS NOT NULL THEN step END), MAX(CASE WHEN by_value_desc = 1 THEN value END),
       MAX(CASE WHEN by_value_desc = 1 AND value IS NOT NULL THEN epoch END),
       MAX(CASE WHEN by_value_desc = 1 AND value IS NOT NULL THEN wall_time END)
FROM ranked
GROUP BY run_id, key_id, block;
