-- The event ids of @ids that already have rows. @ids is a set of canonical UUID strings
-- (clickhouse.GroupSet): IN converts the literals to UUID once, where
-- has(array, toString(event_id)) would format every row's id. There is no index on
-- event_id alone (the key starts with type and ts), so this reads the whole event_id
-- column, 16 bytes a row: fine for tens of millions of rows; beyond that, bound it by
-- time (the ingester knows its events' times).
SELECT DISTINCT toString(event_id) AS id
FROM events
WHERE event_id IN @ids
