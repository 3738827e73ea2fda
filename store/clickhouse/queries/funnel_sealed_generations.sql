-- The generations funnel_sealed holds, recorded or not (a seal in progress, or one that
-- stopped half way).
SELECT DISTINCT partition
FROM system.parts
WHERE database = currentDatabase() AND table = 'funnel_sealed' AND active
