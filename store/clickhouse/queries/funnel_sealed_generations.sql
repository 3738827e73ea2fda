-- The generations the seal tables hold, recorded or not (a seal in progress, or one that
-- stopped half way).
SELECT DISTINCT partition
FROM system.parts
WHERE database = currentDatabase() AND table IN ('funnel_sealed', 'funnel_sealed_levels', 'funnel_sealed_counts') AND active
