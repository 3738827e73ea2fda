-- The recorded seals, newest first.
SELECT generation, horizon, rollup_rows, sealed_at
FROM funnel_seals
ORDER BY generation DESC
