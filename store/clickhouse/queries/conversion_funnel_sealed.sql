-- conversion_funnel_sessions.sql over a seal (funnel_seal.sql): the same sessions by
-- level, and the key and span of those left undetermined, with the same answer; in three
-- parts, so a level may come in more than one row (the caller adds them up).
--
-- A sealed session without rollup rows after the horizon is one row of seal @generation,
-- whose whole rollup covers every event the ordered-steps query reads of it (and maybe
-- more, which the cases allow): it is out of the range (level 0) when its views all come
-- before @from_ms or at or after @to_ms, at its level inside (level_inside, or for steps
-- out of order the level the seal worked out from its raw events) when they all lie in
-- the range, and undetermined (255) when they straddle an edge. The first part counts
-- them from the seal's counts by quarter hour of the first and last view (the range's
-- edges are quarter hours), undetermined ones included; the second names those, reading
-- only the rows whose first view lies between the earliest such quarter hour and the
-- edge (the table is ordered by the first view). The third groups the sessions with
-- rows after the horizon (up to @until's day) from those rows and their sealed row, by
-- the same cases (funnel_seal.sql's, word for word: SQL files cannot share text, and the
-- funnel tests compare every path with the raw events), and takes back what the first
-- part counted of them; the second leaves them out.
SELECT
    multiIf(level_inside = 254, 254, viewed_first_qh < @from_ms OR viewed_last_qh >= @to_ms, 255, level_inside) AS level,
    toInt64(sum(sessions)) AS sessions,
    groupArrayIf(2000)((toUInt64(0), toUInt64(0), toUInt64(0)), 0) AS undetermined
FROM funnel_sealed_counts
WHERE generation = @generation AND viewed_last_qh >= @from_ms AND viewed_first_qh < @to_ms
GROUP BY level
HAVING level > 0

UNION ALL

SELECT
    toUInt8(255) AS level,
    toInt64(0) AS sessions,
    groupArray(2000)((session_hash, first_at, last_at)) AS undetermined
FROM funnel_sealed
PREWHERE generation = @generation
    AND ((viewed_first >= (
              SELECT if(count() = 0, @from_ms, min(viewed_first_qh)) FROM funnel_sealed_counts
              WHERE generation = @generation AND viewed_first_qh < @from_ms AND viewed_last_qh >= @from_ms)
          AND viewed_first < @from_ms AND viewed_last >= @from_ms)
      OR (viewed_first >= (
              SELECT if(count() = 0, @to_ms, min(viewed_first_qh)) FROM funnel_sealed_counts
              WHERE generation = @generation AND viewed_first_qh < @to_ms AND viewed_last_qh >= @to_ms
                AND viewed_last_qh >= @from_ms)
          AND viewed_first < @to_ms AND viewed_last >= @to_ms AND viewed_last >= @from_ms))
    AND level_inside <> 254
WHERE session_hash NOT IN (
    SELECT session_hash FROM funnel_sessions WHERE day > toDate(@horizon) AND day <= toDate(@until))

UNION ALL

SELECT
    level,
    toInt64(sum(delta)) AS sessions,
    groupArrayIf(2000)((session_hash, first, last), level = 255 AND delta = 1) AS undetermined
FROM (
SELECT
    session_hash,
    first,
    last,
    step.1 AS level,
    step.2 AS delta
FROM (
SELECT
    session_hash,
    least(least(v, c), least(k, p)) AS first,
    last,
    arrayJoin([(multiIf(
        check_min <> check_max, 254,
        v2 < @from_ms OR v >= @to_ms, 0,
        v >= @from_ms AND v2 < @to_ms, multiIf(
            c1 = 0, 1,
            ordered AND from_first = possible, possible,
            ordered AND c1 >= v2, from_last,
            255),
        255), toInt8(1)), (sealed_level, toInt8(-1))]) AS step
FROM (
    SELECT
        *,
        c1 >= v AND (k1 = 0 OR (k1 >= c1 AND (p1 = 0 OR p1 >= k1))) AS ordered,
        toUInt8(1 + (c1 > 0) + (c1 > 0 AND k1 > 0) + (c1 > 0 AND k1 > 0 AND p1 > 0)) AS possible,
        toUInt8(1 + (c1 > 0 AND c1 <= v + 86400000)
                  + (c1 > 0 AND k1 > 0 AND k1 <= v + 86400000)
                  + (c1 > 0 AND k1 > 0 AND p1 > 0 AND p1 <= v + 86400000)) AS from_first,
        toUInt8(1 + (c1 > 0 AND c1 <= v2 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND k1 <= v2 + 86400000)
                  + (c1 > 0 AND k1 > 0 AND p1 > 0 AND p1 <= v2 + 86400000)) AS from_last
    FROM (
        SELECT
            *,
            if(c = 18446744073709551615, 0, c) AS c1,
            if(k = 18446744073709551615, 0, k) AS k1,
            if(p = 18446744073709551615, 0, p) AS p1
        FROM (
            SELECT
                session_hash,
                min(check_min) AS check_min,
                max(check_max) AS check_max,
                min(viewed_first) AS v,
                max(viewed_last) AS v2,
                min(carted_first) AS c,
                min(checkout_first) AS k,
                min(paid_first) AS p,
                max(last_at) AS last,
                max(sealed) AS sealed_level
            FROM (
                SELECT session_hash, session_check AS check_min, session_check AS check_max, viewed_first,
                    viewed_last, carted_first, checkout_first, paid_first, last_at, toUInt8(0) AS sealed
                FROM funnel_sessions
                WHERE day > toDate(@horizon) AND day <= toDate(@until)

                UNION ALL

                SELECT session_hash, check_min, check_max, viewed_first, viewed_last, carted_first,
                    checkout_first, paid_first, last_at,
                    -- The level the first part counted this session at, if it did.
                    multiIf(
                        viewed_last < @from_ms OR viewed_first >= @to_ms, 0,
                        level_inside = 254, 254,
                        viewed_first < @from_ms OR viewed_last >= @to_ms, 255,
                        level_inside = 255, resolved,
                        level_inside) AS sealed
                FROM (
                    SELECT *
                    FROM funnel_sealed
                    PREWHERE session_hash IN (
                        SELECT session_hash FROM funnel_sessions WHERE day > toDate(@horizon) AND day <= toDate(@until))
                    WHERE generation = @generation
                ) AS reopened
                ANY LEFT JOIN (
                    SELECT session_hash, level AS resolved FROM funnel_sealed_levels WHERE generation = @generation
                ) AS resolved_levels USING session_hash
            )
            GROUP BY session_hash
        )
    )
)
)
)
WHERE level > 0
GROUP BY level
