-- The conversion funnel from the per-session rollup (funnel_sessions): how many sessions
-- reached each level, by the very rule of conversion_funnel.sql (a chain starts at a
-- product view in [@from, @to) and takes, step by step, the first time at or after the
-- step before, each within a day of the view). Per session: its first and last view and
-- the first time of each later step (0 here: never), over the UTC days of [@from, @until].
-- That covers every event the ordered-steps query reads, and maybe more of the
-- session's; the cases below hold for any such superset.
--
-- When the first times come in order (first view <= first cart <= first checkout <=
-- first payment, up to the first step that never happened), the chain from a view v
-- takes exactly those first times once v is at or before the first cart. Then:
--   * no view in the range (the last before @from, or the first at or after @to): level
--     0, left out;
--   * the first view in the range and no cart: level 1;
--   * the first view in the range, and its chain reaches every step that happened
--     within the day: no chain can reach more (possible);
--   * every view in the range and the last of them at or before the first cart: every
--     chain takes the same steps and the last view's window is the widest (from_last).
-- Any other session (steps out of order, views on both sides of a range edge with the
-- chain cut by the day's window) is level 255, undetermined: that row gives their
-- number and, up to 2000 of them, their keys with the span of their events (epoch ms),
-- for conversion_funnel_some.sql. Level 254 counts keys shared by two sessions (the second
-- hash differs), which only the raw events can tell apart.
SELECT
    level,
    toInt64(count()) AS sessions,
    groupArrayIf(2000)((session_hash, first, last), level = 255) AS undetermined
FROM (
    SELECT
        session_hash,
        first,
        last,
        v1 >= @from_ms AND c1 >= v1 AND (k1 = 0 OR (k1 >= c1 AND (p1 = 0 OR p1 >= k1))) AS ordered,
        toUInt8(1 + (c1 > 0) + (c1 > 0 AND k1 > 0) + (c1 > 0 AND k1 > 0 AND p1 > 0)) AS possible,
        toUInt8(1 + (c1 > 0 AND c1 <= v1 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND k1 <= v1 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND p1 > 0 AND p1 <= v1 + 86400000)) AS from_first,
        toUInt8(1 + (c1 > 0 AND c1 <= v2 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND k1 <= v2 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND p1 > 0 AND p1 <= v2 + 86400000)) AS from_last,
        multiIf(
            shared, 254,
            v1 = 0 OR v2 < @from_ms OR v1 >= @to_ms, 0,
            c1 = 0 AND v1 >= @from_ms, 1,
            ordered AND from_first = possible, possible,
            ordered AND v2 < @to_ms AND c1 >= v2, from_last,
            255) AS level
    FROM (
        -- The rollup's "never" (the largest UInt64) back to 0; the session's first funnel
        -- event is the earliest of its steps' first times.
        SELECT
            session_hash,
            shared,
            least(least(v, c), least(k, p)) AS first,
            last,
            if(v = 18446744073709551615, 0, v) AS v1,
            v2,
            if(c = 18446744073709551615, 0, c) AS c1,
            if(k = 18446744073709551615, 0, k) AS k1,
            if(p = 18446744073709551615, 0, p) AS p1
        FROM (
            SELECT
                session_hash,
                min(session_check) <> max(session_check) AS shared,
                min(viewed_first) AS v,
                max(viewed_last) AS v2,
                min(carted_first) AS c,
                min(checkout_first) AS k,
                min(paid_first) AS p,
                max(last_at) AS last
            FROM funnel_sessions
            WHERE day >= toDate(@from) AND day <= toDate(@until)
            GROUP BY session_hash
        )
    )
)
WHERE level > 0
GROUP BY level
ORDER BY level
