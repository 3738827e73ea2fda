INSERT INTO events (event_id, seq, type, service, user_id, session_id, entity_id, amount_minor, revenue_minor, orders_delta, currency, payment_method, product_id, quantity, ts, ts_ms, metadata)
