-- Records the seal @generation (funnel_seal.sql) once its rows are all written: its
-- horizon, the count and sum of last_at of the rollup rows it read (funnel_fingerprint.sql
-- before and after it), and how many sessions it holds.
INSERT INTO funnel_seals (generation, horizon, rollup_rows, rollup_sum, sessions, sealed_at)
SELECT @generation, toDate(@horizon), @rollup_rows, @rollup_sum, count(), now()
FROM funnel_sealed
WHERE generation = @generation
