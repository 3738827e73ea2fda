-- The event ids of @ids that already have rows. @ids is a set of canonical UUID strings
-- (clickhouse.GroupSet): IN converts the literals to UUID once, where
-- has(array, toString(event_id)) would format every row's id. There is no index on
-- event_id alone (the key starts with type and ts), so this reads the event_id column of
-- every part: cheap next to the insert it guards.
SELECT DISTINCT toString(event_id) AS id
FROM events
WHERE event_id IN @ids
