-- The fingerprint of the rollup's rows up to @horizon: their number and the sum of their
-- last_at (wrapping). A seal is current while the fingerprint of its horizon is the one it
-- recorded: rows are only ever added.
SELECT count() AS rows, sum(last_at) AS total
FROM funnel_sessions
WHERE day <= toDate(@horizon)
