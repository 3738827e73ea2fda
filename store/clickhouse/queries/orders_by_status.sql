-- Orders whose order.created row lies in [@from, @to), counted by their current status
-- (as the type of its event). The current status is the furthest one along the
-- lifecycle rather than the latest by time: the order state machine (domain/order.go)
-- only moves forward, created, paid, shipped, delivered, returned, with cancelled
-- reachable from created and paid, so the furthest status is the last one whatever the
-- writers' clocks said and however close together two transitions were.
--
-- One pass over the order events, grouped by order: the furthest stage as a number, and
-- the creation time, by which HAVING keeps the orders created in the range (an order
-- whose creation the analytics never saw has none, 0, and is left out). The events of an
-- order follow its creation, so none before @from can belong to an order counted here.
SELECT
    arrayElement(['order.created', 'order.paid', 'order.shipped', 'order.delivered', 'order.returned', 'order.cancelled'], stage) AS status,
    toInt64(count()) AS orders
FROM (
    SELECT
        entity_id,
        max(indexOf(['order.created', 'order.paid', 'order.shipped', 'order.delivered', 'order.returned', 'order.cancelled'], type)) AS stage,
        minIf(ts, type = 'order.created') AS created
    FROM events
    WHERE type IN ('order.created', 'order.paid', 'order.shipped', 'order.delivered', 'order.returned', 'order.cancelled')
      AND ts >= @from
    GROUP BY entity_id
    HAVING created >= @from AND created < @to
)
GROUP BY stage
