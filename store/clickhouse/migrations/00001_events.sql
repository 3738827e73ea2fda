-- +goose NO TRANSACTION
-- +goose Up
-- One row per business or clickstream event, as the ingester reads it from JetStream.
-- ReplacingMergeTree keyed on the event id: a redelivered event collapses into one row on
-- merge, and exact reads deduplicate by event_id until then.
CREATE TABLE IF NOT EXISTS events (
    event_id       UUID,
    type           String,
    service        String,
    user_id        String,
    session_id     String,
    entity_id      String,
    amount_minor   Int64,
    currency       String,
    payment_method String,
    product_id     String,
    quantity       Int32,
    ts             DateTime('UTC'),
    ts_ms          UInt16,
    metadata       String,
    ingested_at    DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (type, event_id)
SETTINGS index_granularity = 8192;

-- +goose Down
DROP TABLE IF EXISTS events;
