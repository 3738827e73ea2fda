-- +goose NO TRANSACTION
-- +goose Up

-- The conversion funnel's per-session rollup. For each storefront session, UTC day and
-- inserted block of events: the first and last product view, the first add to cart,
-- checkout start and paid order, and the last funnel event, as epoch milliseconds (ts and
-- ts_ms). A first time the block does not have is 18446744073709551615 (the largest
-- UInt64) and a last one 0, so that the funnel (conversion_funnel_sessions.sql) takes
-- plain min() and max() over a session's rows, which are those of the whole session
-- however its events were split into inserts: minIf with a condition costs a third more
-- on 18.16. From those it works out the session's level where they settle it exactly;
-- the other sessions it names, and the ordered-steps query reads their raw events
-- (conversion_funnel_some.sql).
--
-- Sessions are keyed by cityHash64 of their id: grouping 64-bit numbers is several times
-- cheaper than grouping strings, on 18.16 above all. session_check, a second hash
-- (sipHash64), finds two sessions sharing a key: the funnel then counts from the raw
-- events alone.
--
-- A plain MergeTree of plain numbers, not an AggregatingMergeTree of -State columns:
-- reading and merging aggregate states cost twice the time of the whole query here
-- (2.2 million sessions), while a session has a row per insert it took part in. Only
-- minimum and maximum: a row written twice changes nothing, so neither the backfill below
-- racing new inserts nor a block the view sees again can skew the funnel.
CREATE TABLE IF NOT EXISTS funnel_sessions (
    day            Date,
    session_hash   UInt64,
    session_check  UInt64,
    viewed_first   UInt64,
    viewed_last    UInt64,
    carted_first   UInt64,
    checkout_first UInt64,
    paid_first     UInt64,
    last_at        UInt64
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, session_hash);

CREATE MATERIALIZED VIEW IF NOT EXISTS funnel_sessions_mv TO funnel_sessions AS
SELECT
    toDate(ts) AS day,
    cityHash64(session_id) AS session_hash,
    sipHash64(session_id) AS session_check,
    if(countIf(type = 'analytics.product_viewed') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed')) AS viewed_first,
    maxIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed') AS viewed_last,
    if(countIf(type = 'analytics.added_to_cart') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.added_to_cart')) AS carted_first,
    if(countIf(type = 'analytics.checkout_started') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.checkout_started')) AS checkout_first,
    if(countIf(type = 'order.paid') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'order.paid')) AS paid_first,
    max(toUInt64(ts) * 1000 + ts_ms) AS last_at
FROM events
WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
  AND session_id <> ''
GROUP BY day, session_hash, session_check;

-- The events stored before this migration. Rows the view also writes meanwhile are
-- harmless: minimum and maximum do not count.
INSERT INTO funnel_sessions (day, session_hash, session_check, viewed_first, viewed_last, carted_first, checkout_first, paid_first, last_at)
SELECT
    toDate(ts) AS day,
    cityHash64(session_id) AS session_hash,
    sipHash64(session_id) AS session_check,
    if(countIf(type = 'analytics.product_viewed') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed')) AS viewed_first,
    maxIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed') AS viewed_last,
    if(countIf(type = 'analytics.added_to_cart') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.added_to_cart')) AS carted_first,
    if(countIf(type = 'analytics.checkout_started') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.checkout_started')) AS checkout_first,
    if(countIf(type = 'order.paid') = 0, 18446744073709551615, minIf(toUInt64(ts) * 1000 + ts_ms, type = 'order.paid')) AS paid_first,
    max(toUInt64(ts) * 1000 + ts_ms) AS last_at
FROM events
WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
  AND session_id <> ''
GROUP BY day, session_hash, session_check;

-- +goose Down
DROP TABLE IF EXISTS funnel_sessions_mv;
DROP TABLE IF EXISTS funnel_sessions;
