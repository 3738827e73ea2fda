-- +goose Up
-- The transactional outbox: every state change writes its events here in the same
-- transaction, and the relay publishes them to NATS JetStream after commit, in position
-- order, with event_id as the message id (so a repeated publish is deduplicated).
--
-- position is assigned when the row is inserted, not when its transaction commits, so a
-- later position can become visible before an earlier one: the relay therefore publishes
-- "every unpublished row, by position", never "every row after the last one published".
CREATE TABLE outbox (
    position     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    type         text        NOT NULL CHECK (type <> ''),
    key          text        NOT NULL DEFAULT '',
    occurred_at  timestamptz NOT NULL,
    payload      jsonb       NOT NULL,
    published_at timestamptz
);
-- The relay's work queue: small however long the table grows, because published rows leave it.
CREATE INDEX outbox_unpublished_idx ON outbox (position) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE outbox;
