-- conversion_funnel.sql for the sessions whose funnel_sessions key (cityHash64 of the id)
-- is in @sessions (clickhouse.GroupSet), whose levels the rollup could not settle
-- (conversion_funnel_sessions.sql): their events lie within the time spans @spans, which
-- narrow the scan of the raw events to them (the table's key is the type and the time).
-- @spans is not a bound value but a condition on ts the store writes from numbers alone,
-- (ts >= toDateTime(a) AND ts < toDateTime(b)) OR ..., a few dozen spans at most. No
-- other session with events in those spans has one of these keys: the rollup query would
-- have found two sessions under one key. The rest is conversion_funnel.sql word for word.
SELECT level, toInt64(count()) AS sessions
FROM (
    SELECT
        session_id,
        arraySort(groupArrayIf(t, type = 'analytics.product_viewed' AND ts < @to)) AS viewed,
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
        SELECT session_id, type, ts, toUInt64(ts) * 1000 + ts_ms AS t
        FROM events
        WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
          AND session_id <> ''
          AND ts >= @from AND ts < @until
          AND (@spans)
          AND cityHash64(session_id) IN @sessions
    )
    GROUP BY session_id
)
WHERE level > 0
GROUP BY level
ORDER BY level
