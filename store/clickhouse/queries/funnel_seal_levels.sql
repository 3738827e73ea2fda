-- The levels of seal @generation's sessions that the rollup left undetermined
-- (level_inside 255), from their raw events up to @horizon's day by conversion_funnel.sql's
-- rule, every product view starting a chain: the level each reaches in any range that
-- holds all its views (events before the first view or more than a day after the last
-- start or join no chain). The chains are conversion_funnel.sql's, word for word.
INSERT INTO funnel_sealed_levels (generation, session_hash, level)
SELECT @generation, cityHash64(session_id), level
FROM (
    SELECT
        session_id,
        arraySort(groupArrayIf(t, type = 'analytics.product_viewed')) AS viewed,
        arraySort(groupArrayIf(t, type = 'analytics.added_to_cart')) AS carted,
        arraySort(groupArrayIf(t, type = 'analytics.checkout_started')) AS checked_out,
        arraySort(groupArrayIf(t, type = 'order.paid')) AS paid,
        arrayMap(v -> arrayFirst(x -> x >= v, carted), viewed) AS cart_at,
        arrayMap(c -> arrayFirst(x -> c > 0 AND x >= c, checked_out), cart_at) AS checkout_at,
        arrayMap(c -> arrayFirst(x -> c > 0 AND x >= c, paid), checkout_at) AS paid_at,
        arrayReduce('max', arrayMap((v, c, k, p) ->
            toUInt8(1 + (c > 0 AND c <= v + 86400000)
                      + (c > 0 AND k > 0 AND k <= v + 86400000)
                      + (c > 0 AND k > 0 AND p > 0 AND p <= v + 86400000)),
            viewed, cart_at, checkout_at, paid_at)) AS level
    FROM (
        SELECT session_id, type, toUInt64(ts) * 1000 + ts_ms AS t
        FROM events
        WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
          AND session_id <> ''
          AND toDate(ts) <= toDate(@horizon)
          AND cityHash64(session_id) IN (
              SELECT session_hash FROM funnel_sealed WHERE generation = @generation AND level_inside = 255)
    )
    GROUP BY session_id
)
WHERE level > 0
