-- The number of the rollup's rows up to @horizon. A seal is current while it is the
-- number the seal recorded: rows are only ever added.
SELECT count() AS rows
FROM funnel_sessions
WHERE day <= toDate(@horizon)
