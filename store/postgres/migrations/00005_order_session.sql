-- +goose Up
-- The storefront session that placed the order, so the conversion funnel can follow a
-- session from its first product view to its purchase.
ALTER TABLE orders ADD COLUMN session_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN session_id;
