-- BlockLab experiment store, migration 6: hardware watched in every phase.
-- A run samples its hardware during each of its phases (analyse, scrape, tokenize, embed,
-- train, push, and a phase command's own), not only while training: one sample as the phase
-- starts, one as it ends, and one every `hardware_monitoring.interval_seconds` between. Each
-- sample says which phase it was taken in, and how much of the process's RSS is anonymous
-- memory (RssAnon: heap and stacks), since RSS also counts the pages of the files a process
-- maps and reads (training maps its token files), which the kernel can drop at will.
-- Never edit this file once landed: add a new numbered migration instead.

-- The phase (`phases.name`) a sample was taken in; NULL outside phases and in samples
-- recorded before this migration.
ALTER TABLE hardware_samples ADD COLUMN phase TEXT;
-- RssAnon of the process that took the sample, in bytes; NULL where it was not read.
ALTER TABLE hardware_samples ADD COLUMN process_rss_anon_bytes INTEGER CHECK (process_rss_anon_bytes >= 0);

-- Hardware peaks per run and phase, the phases in the order their first sample was taken:
-- one row per (run, phase), the samples outside phases in a row whose phase is NULL.
CREATE VIEW phase_hardware_peaks AS
SELECT h.run_id AS run_id, h.phase AS phase, COUNT(*) AS samples,
       MIN(h.time) AS first_time, MAX(h.time) AS last_time,
       MAX(h.cpu_percent) AS cpu_percent, MAX(h.ram_used_bytes) AS ram_used_bytes,
       MAX(h.ram_percent) AS ram_percent, MAX(h.process_rss_bytes) AS process_rss_bytes,
       MAX(h.process_rss_anon_bytes) AS process_rss_anon_bytes, MAX(h.cpu_temp_c) AS cpu_temp_c,
       (SELECT MAX(g.memory_used_bytes) FROM gpu_samples g JOIN hardware_samples x ON x.id = g.sample_id
         WHERE x.run_id = h.run_id AND x.phase IS h.phase) AS gpu_memory_used_bytes
FROM hardware_samples h
GROUP BY h.run_id, h.phase;
