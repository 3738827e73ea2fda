-- +goose NO TRANSACTION
-- +goose Up

-- One row per analytics row as domain.ToAnalytics makes them: a business event (from
-- the outbox) or a storefront clickstream event, plus one row per order line for the
-- order.line.* types, told apart by seq; (event_id, seq) is unique.
--
-- Plain MergeTree, not ReplacingMergeTree: the writer guarantees that each event id is
-- inserted once (the ingester leaves out the events ExistingEventIDs already finds, and
-- the rows of one event always go in together, in one insert), so there is nothing to
-- collapse. ReplacingMergeTree would not help anyway: the materialized views below see
-- every inserted block, so a duplicate collapsed later by a merge of this table would
-- stay counted twice in the rollups.
--
-- ts is the event's second and ts_ms its millisecond within it: DateTime64 does not
-- exist on ClickHouse 18.16. Money is Int64 minor units. The key starts with type
-- because the queries over raw events (funnel, order statuses) pick a few types first.
CREATE TABLE IF NOT EXISTS events (
    event_id       UUID,
    seq            UInt16,
    type           String,
    service        String,
    user_id        String,
    session_id     String,
    entity_id      String,
    amount_minor   Int64,
    revenue_minor  Int64,
    orders_delta   Int8,
    currency       String,
    payment_method String,
    product_id     Int64,
    quantity       Int32,
    ts             DateTime('UTC'),
    ts_ms          UInt16,
    metadata       String,
    ingested_at    DateTime('UTC') DEFAULT now()
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(ts)
ORDER BY (type, ts, event_id, seq)
SETTINGS index_granularity = 8192;

-- The rollups keep 15-minute buckets because the offset from UTC of every time zone in
-- use is a whole number of quarter hours (Asia/Kolkata is +5:30, Asia/Kathmandu +5:45, and
-- daylight saving moves clocks by a quarter-hour multiple too), so a quarter hour in UTC
-- never straddles an hour or a day in any zone: the hourly and daily figures of any zone
-- are exact sums of these buckets, which the dashboard's queries take with
-- toStartOfHour(bucket, tz) and toStartOfDay(bucket, tz). Hourly or daily rollups in UTC
-- could not serve India or Nepal.
--
-- SummingMergeTree adds up rows with the same key when parts merge, so readers always
-- sum() and GROUP BY: before a merge a key may have several rows.

-- Events by bucket, type, service and payment method, with the revenue rule's figures:
-- the dashboard's summary, revenue series, payment methods and event counts. Only seq 0
-- rows, the events themselves: the order.line.* rows repeat their order's revenue line
-- by line and feed only product_sales_15m.
CREATE TABLE IF NOT EXISTS events_15m (
    bucket         DateTime('UTC'),
    type           String,
    service        String,
    payment_method String,
    events         UInt64,
    revenue_minor  Int64,
    orders         Int64,
    amount_minor   Int64
) ENGINE = SummingMergeTree((events, revenue_minor, orders, amount_minor))
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, type, service, payment_method);

-- A view's output types must be exactly its target's (count() is UInt64, a sum of
-- signed integers Int64): a mismatch can fail an insert into events after the events
-- rows were written, and its retry would then count them twice.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_15m_mv TO events_15m AS
SELECT
    toStartOfFifteenMinutes(ts) AS bucket,
    type,
    service,
    payment_method,
    count() AS events,
    sum(revenue_minor) AS revenue_minor,
    sum(orders_delta) AS orders,
    sum(amount_minor) AS amount_minor
FROM events
WHERE seq = 0
GROUP BY bucket, type, service, payment_method;

-- Units and revenue by bucket and product, from the per-line rows of paid orders
-- (order.line.sold) and of paid orders cancelled (order.line.reversed, negative
-- quantity and revenue): the dashboard's top products.
CREATE TABLE IF NOT EXISTS product_sales_15m (
    bucket        DateTime('UTC'),
    product_id    Int64,
    units         Int64,
    revenue_minor Int64
) ENGINE = SummingMergeTree((units, revenue_minor))
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, product_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS product_sales_15m_mv TO product_sales_15m AS
SELECT
    toStartOfFifteenMinutes(ts) AS bucket,
    product_id,
    sum(toInt64(quantity)) AS units,
    sum(revenue_minor) AS revenue_minor
FROM events
WHERE type IN ('order.line.sold', 'order.line.reversed')
GROUP BY bucket, product_id;

-- +goose Down
DROP TABLE IF EXISTS product_sales_15m_mv;
DROP TABLE IF EXISTS product_sales_15m;
DROP TABLE IF EXISTS events_15m_mv;
DROP TABLE IF EXISTS events_15m;
DROP TABLE IF EXISTS events;
