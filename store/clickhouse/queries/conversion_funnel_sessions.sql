-- The conversion funnel from the per-session rollup (funnel_sessions): how many sessions
-- reached each level, by the very rule of conversion_funnel.sql (a chain starts at a
-- product view in [@from, @to) and takes, step by step, the first time at or after the
-- step before, each within a day of the view). The rollup keeps a session's first and
-- last view and the first time of each later step (0: never). Read over the UTC days of
-- [@from, @until], it covers every event the ordered-steps query would read, and maybe
-- more of the session's: the cases below hold for any such superset.
--
-- When the first times come in order (first view <= first cart <= first checkout <=
-- first payment, up to the first step that never happened), the chain from a view v
-- takes exactly those first times once v is at or before the first cart. Then:
--   * no view in the range (the last before @from, or the first at or after @to): level
--     0, left out;
--   * the first view in the range, and its chain reaches every step that happened
--     within the day: that is the most any chain can reach (reachable);
--   * every view in the range and the last of them at or before the first cart: every
--     chain takes the same steps and the last view's window is the widest, so its chain
--     is the session's best (from_last).
-- Any other session (steps out of order, views on both sides of a range boundary with
-- the chain cut by the day's window) is level 255, undetermined: the row of level 255
-- gives their number, the time span of their events and, when there are at most 2000
-- of them, their ids, for conversion_funnel_some.sql to settle.
SELECT
    level,
    toInt64(count()) AS sessions,
    min(first_at) AS first_at,
    max(last_at) AS last_at,
    groupArrayIf(2000)(session_id, level = 255) AS undetermined
FROM (
    SELECT
        session_id,
        first_at,
        last_at,
        viewed_first >= @from_ms AND carted_first >= viewed_first
            AND (checkout_first = 0 OR (checkout_first >= carted_first AND (paid_first = 0 OR paid_first >= checkout_first))) AS ordered,
        toUInt8(1 + (carted_first > 0) + (carted_first > 0 AND checkout_first > 0)
                  + (carted_first > 0 AND checkout_first > 0 AND paid_first > 0)) AS possible,
        toUInt8(1 + (carted_first > 0 AND carted_first <= viewed_first + 86400000)
                  + (carted_first > 0 AND checkout_first > 0 AND checkout_first <= viewed_first + 86400000)
                  + (carted_first > 0 AND checkout_first > 0 AND paid_first > 0 AND paid_first <= viewed_first + 86400000)) AS from_first,
        toUInt8(1 + (carted_first > 0 AND carted_first <= viewed_last + 86400000)
                  + (carted_first > 0 AND checkout_first > 0 AND checkout_first <= viewed_last + 86400000)
                  + (carted_first > 0 AND checkout_first > 0 AND paid_first > 0 AND paid_first <= viewed_last + 86400000)) AS from_last,
        multiIf(
            viewed_first = 0 OR viewed_last < @from_ms OR viewed_first >= @to_ms, 0,
            carted_first = 0 AND viewed_first >= @from_ms, 1,
            ordered AND from_first = possible, possible,
            ordered AND viewed_last < @to_ms AND carted_first >= viewed_last, from_last,
            255) AS level
    FROM (
        SELECT
            session_id,
            minIfMerge(viewed_first) AS viewed_first,
            maxIfMerge(viewed_last) AS viewed_last,
            minIfMerge(carted_first) AS carted_first,
            minIfMerge(checkout_first) AS checkout_first,
            minIfMerge(paid_first) AS paid_first,
            minMerge(first_at) AS first_at,
            maxMerge(last_at) AS last_at
        FROM funnel_sessions
        WHERE day >= toDate(@from) AND day <= toDate(@until)
        GROUP BY session_id
    )
)
WHERE level > 0
GROUP BY level
ORDER BY level
