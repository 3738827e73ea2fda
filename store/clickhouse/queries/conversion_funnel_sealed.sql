-- conversion_funnel_sessions.sql over a seal (funnel_seal.sql): the same rows by level,
-- the same span and keys of the sessions left undetermined, and the same answer.
--
-- A sealed session without rollup rows after the horizon is one row of seal @generation,
-- whose whole rollup covers every event the ordered-steps query reads of it (and maybe
-- more, which the cases allow): it is out of the range (level 0) when its views all come
-- before @from_ms or at or after @to_ms, at level_inside when they all lie in the range,
-- and undetermined (255) when they straddle an edge. The sessions with rows after the
-- horizon (up to @until's day) are grouped from those rows and their sealed row, by
-- the same cases.
SELECT
    level,
    toInt64(count()) AS sessions,
    min(first) AS first_at,
    max(last) AS last_at,
    groupArrayIf(2000)(session_hash, level = 255) AS undetermined
FROM (
    SELECT
        session_hash,
        first_at AS first,
        last_at AS last,
        multiIf(
            level_inside = 254, 254,
            viewed_last < @from_ms OR viewed_first >= @to_ms, 0,
            viewed_first >= @from_ms AND viewed_last < @to_ms, level_inside,
            255) AS level
    FROM funnel_sealed
    WHERE generation = @generation
      AND viewed_last >= @from_ms
      AND session_hash NOT IN (
          SELECT session_hash FROM funnel_sessions WHERE day > toDate(@horizon) AND day <= toDate(@until))

    UNION ALL

    SELECT
        session_hash,
        least(least(v, c), least(k, p)) AS first,
        last,
        multiIf(
            check_min <> check_max, 254,
            v2 < @from_ms OR v >= @to_ms, 0,
            v >= @from_ms AND v2 < @to_ms, multiIf(
                c1 = 0, 1,
                ordered AND from_first = possible, possible,
                ordered AND c1 >= v2, from_last,
                255),
            255) AS level
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
                    max(last_at) AS last
                FROM (
                    SELECT session_hash, session_check AS check_min, session_check AS check_max, viewed_first,
                        viewed_last, carted_first, checkout_first, paid_first, last_at
                    FROM funnel_sessions
                    WHERE day > toDate(@horizon) AND day <= toDate(@until)

                    UNION ALL

                    SELECT session_hash, check_min, check_max, viewed_first, viewed_last, carted_first,
                        checkout_first, paid_first, last_at
                    FROM funnel_sealed
                    WHERE generation = @generation
                      AND session_hash IN (
                          SELECT session_hash FROM funnel_sessions WHERE day > toDate(@horizon) AND day <= toDate(@until))
                )
                GROUP BY session_hash
            )
        )
    )
)
WHERE level > 0
GROUP BY level
ORDER BY level
