-- +goose Up
-- The relay's leader deletes events published longer ago than the retention
-- (events.RelayConfig.Retention): this index finds them without reading the outbox.
CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_published_idx;
