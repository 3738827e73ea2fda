-- How far each storefront session got: product viewed, added to cart, checkout started,
-- order paid (the order carries the session that checked out), each step at or after the
-- one before it, to the millisecond (ts and ts_ms), and within a day (86,400,000 ms) of
-- the product view that starts the chain. A chain starts only at a product view in
-- [@from, @to), and its later steps may run on to @until (@to plus a day). level is how
-- many steps the session reached, in order; sessions that reached none are left out.
--
-- windowFunnel would do this on current servers, but on ClickHouse 18.16 it takes only
-- second-precision times (DateTime or UInt32), so steps within one second were ordered by
-- step rather than by time. Here each session's times per step are sorted arrays of
-- epoch milliseconds, and every product view starts a chain that takes, step by step, the
-- first time at or after the previous step's (the earliest choice leaves the most room
-- for the steps after it); the session's level is the best chain's. arrayFirst yields 0
-- when nothing qualifies, which no real time is.
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
    )
    GROUP BY session_id
)
WHERE level > 0
GROUP BY level
ORDER BY level
