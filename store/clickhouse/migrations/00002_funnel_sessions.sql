-- +goose NO TRANSACTION
-- +goose Up

-- The conversion funnel's per-session rollup: one row per storefront session and UTC day
-- (once parts have merged), with the first and last product view, the first add to cart,
-- checkout start and paid order of the session on that day, and its first and last
-- funnel event, as epoch milliseconds (ts and ts_ms). The funnel reads these instead of
-- the raw events: conversion_funnel_sessions.sql works out each session's level from them
-- where they determine it exactly (the steps' first times in order, which is how
-- sessions go), and names the other sessions, whose raw events the ordered-steps query
-- then reads (conversion_funnel_some.sql).
--
-- Only minimum and maximum: counting an event twice changes nothing, so neither a block
-- the view sees again nor the backfill below racing new inserts can skew the figures.
-- A step that did not happen is 0 (minIf and maxIf of nothing), which no real time is.
-- A session running over midnight has a row for each day; the query merges them.
CREATE TABLE IF NOT EXISTS funnel_sessions (
    day            Date,
    session_id     String,
    viewed_first   AggregateFunction(minIf, UInt64, UInt8),
    viewed_last    AggregateFunction(maxIf, UInt64, UInt8),
    carted_first   AggregateFunction(minIf, UInt64, UInt8),
    checkout_first AggregateFunction(minIf, UInt64, UInt8),
    paid_first     AggregateFunction(minIf, UInt64, UInt8),
    first_at       AggregateFunction(min, UInt64),
    last_at        AggregateFunction(max, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (day, session_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS funnel_sessions_mv TO funnel_sessions AS
SELECT
    toDate(ts) AS day,
    session_id,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed') AS viewed_first,
    maxIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed') AS viewed_last,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.added_to_cart') AS carted_first,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.checkout_started') AS checkout_first,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'order.paid') AS paid_first,
    minState(toUInt64(ts) * 1000 + ts_ms) AS first_at,
    maxState(toUInt64(ts) * 1000 + ts_ms) AS last_at
FROM events
WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
  AND session_id <> ''
GROUP BY day, session_id;

-- The events stored before this migration. Rows the view also writes meanwhile are
-- harmless: minimum and maximum do not count.
INSERT INTO funnel_sessions (day, session_id, viewed_first, viewed_last, carted_first, checkout_first, paid_first, first_at, last_at)
SELECT
    toDate(ts) AS day,
    session_id,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed') AS viewed_first,
    maxIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.product_viewed') AS viewed_last,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.added_to_cart') AS carted_first,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'analytics.checkout_started') AS checkout_first,
    minIfState(toUInt64(ts) * 1000 + ts_ms, type = 'order.paid') AS paid_first,
    minState(toUInt64(ts) * 1000 + ts_ms) AS first_at,
    maxState(toUInt64(ts) * 1000 + ts_ms) AS last_at
FROM events
WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
  AND session_id <> ''
GROUP BY day, session_id;

-- +goose Down
DROP TABLE IF EXISTS funnel_sessions_mv;
DROP TABLE IF EXISTS funnel_sessions;
