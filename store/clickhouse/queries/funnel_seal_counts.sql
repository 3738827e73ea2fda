-- Counts seal @generation's sessions with a product view into funnel_sealed_counts, by
-- the quarter hour of their first and last view and their level inside a range: the
-- rollup's, or for the sessions it cannot settle the one funnel_seal_levels.sql worked
-- out (0 when their raw events are gone, as the raw query would count them).
INSERT INTO funnel_sealed_counts (generation, viewed_first_qh, viewed_last_qh, level_inside, sessions)
SELECT
    @generation,
    intDiv(viewed_first, 900000) * 900000 AS first_qh,
    intDiv(viewed_last, 900000) * 900000 AS last_qh,
    if(level_inside = 255, resolved, level_inside) AS level,
    count()
FROM (
    SELECT session_hash, viewed_first, viewed_last, level_inside
    FROM funnel_sealed
    WHERE generation = @generation AND viewed_last > 0
) AS sealed
ANY LEFT JOIN (
    SELECT session_hash, level AS resolved FROM funnel_sealed_levels WHERE generation = @generation
) AS resolved_levels USING session_hash
GROUP BY first_qh, last_qh, level
