-- BlockLab experiment store, migration 5: console lines, what a run's program printed.
-- `ingest -- CMD` keeps the command's stdout lines that are not records and its stderr lines,
-- the Python package keeps what the program printed, and the pipeline keeps its own
-- progress lines; each is one row, written by the run's writer with its metric points.
-- Never edit this file once landed: add a new numbered migration instead.

-- One printed line. `seq` numbers every line the run printed, from 1, kept or not: a run keeps
-- its first 10,000 lines and its latest 10,000 (RunHandle.consoleHead / consoleTail), so a gap
-- in `seq` is where lines were dropped, and `console_summary` counts them. `line` is the text
-- without its newline (a carriage return keeps only what followed it, as a terminal shows it),
-- cut at 4 KiB with a note of the bytes cut.
CREATE TABLE console_lines (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL CHECK (seq >= 1),
    time   REAL NOT NULL,
    stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr', 'blocklab')),
    step   INTEGER,
    line   TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) STRICT;

-- Per run: lines printed, lines kept, and lines dropped by the bound.
CREATE VIEW console_summary AS
SELECT run_id, MAX(seq) AS lines_printed, COUNT(*) AS lines_kept, MAX(seq) - COUNT(*) AS lines_dropped,
       SUM(length(CAST(line AS BLOB))) AS bytes_kept, MIN(time) AS first_time, MAX(time) AS last_time
FROM console_lines
GROUP BY run_id;
