-- Records the seal @generation (funnel_seal.sql) once its rows are all written: its
-- horizon, the number of rollup rows it read (funnel_fingerprint.sql before and after
-- it), and how many sessions it holds.
INSERT INTO funnel_seals (generation, horizon, rollup_rows, sessions, sealed_at)
SELECT @generation, toDate(@horizon), @rollup_rows, count(), now()
FROM funnel_sealed
WHERE generation = @generation
