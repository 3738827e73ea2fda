-- Orders whose order.created row lies in [@from, @to), counted by their current status
-- (as the type of its event). The current status is the furthest one along the
-- lifecycle rather than the latest by time: the order state machine (domain/order.go)
-- only moves forward, created, paid, shipped, delivered, returned, with cancelled
-- reachable from created and paid, so the furthest status is the last one whatever the
-- writers' clocks said and however close together two transitions were.
SELECT status, toInt64(count()) AS orders
FROM (
    SELECT
        entity_id,
        argMax(type, indexOf(['order.created', 'order.paid', 'order.shipped', 'order.delivered', 'order.returned', 'order.cancelled'], type)) AS status
    FROM events
    WHERE type IN ('order.created', 'order.paid', 'order.shipped', 'order.delivered', 'order.returned', 'order.cancelled')
      AND entity_id IN (
          SELECT entity_id
          FROM events
          WHERE type = 'order.created' AND ts >= @from AND ts < @to
      )
    GROUP BY entity_id
)
GROUP BY status
