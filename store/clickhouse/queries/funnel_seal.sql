-- Seals the funnel's days up to @horizon (see migrations/00003_funnel_sealed.sql): one row
-- per session of funnel_sessions, in the partition @generation, with the session's whole
-- rollup and level_inside, the level conversion_funnel_sessions.sql gives it when the
-- range holds every product view of the session (first view at or after @from_ms, last
-- before @to_ms), by the same cases: no view 0; a view and no cart 1; steps in order and
-- all within a day of the first view, as many as happened; steps in order after the last
-- view, as many as came within a day of it; otherwise 255, and 254 for a key two sessions
-- share.
INSERT INTO funnel_sealed (generation, session_hash, check_min, check_max, viewed_first, viewed_last,
    carted_first, checkout_first, paid_first, first_at, last_at, level_inside)
SELECT
    @generation,
    session_hash,
    check_min,
    check_max,
    v,
    v2,
    c,
    k,
    p,
    least(least(v, c), least(k, p)),
    last,
    multiIf(
        check_min <> check_max, 254,
        v1 = 0, 0,
        c1 = 0, 1,
        ordered AND from_first = possible, possible,
        ordered AND c1 >= v2, from_last,
        255)
FROM (
    SELECT
        *,
        c1 >= v1 AND (k1 = 0 OR (k1 >= c1 AND (p1 = 0 OR p1 >= k1))) AS ordered,
        toUInt8(1 + (c1 > 0) + (c1 > 0 AND k1 > 0) + (c1 > 0 AND k1 > 0 AND p1 > 0)) AS possible,
        toUInt8(1 + (c1 > 0 AND c1 <= v1 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND k1 <= v1 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND p1 > 0 AND p1 <= v1 + 86400000)) AS from_first,
        toUInt8(1 + (c1 > 0 AND c1 <= v2 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND k1 <= v2 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND p1 > 0 AND p1 <= v2 + 86400000)) AS from_last
    FROM (
        SELECT
            *,
            if(v = 18446744073709551615, 0, v) AS v1,
            if(c = 18446744073709551615, 0, c) AS c1,
            if(k = 18446744073709551615, 0, k) AS k1,
            if(p = 18446744073709551615, 0, p) AS p1
        FROM (
            SELECT
                session_hash,
                min(session_check) AS check_min,
                max(session_check) AS check_max,
                min(viewed_first) AS v,
                max(viewed_last) AS v2,
                min(carted_first) AS c,
                min(checkout_first) AS k,
                min(paid_first) AS p,
                max(last_at) AS last
            FROM funnel_sessions
            WHERE day <= toDate(@horizon)
            GROUP BY session_hash
        )
    )
)
