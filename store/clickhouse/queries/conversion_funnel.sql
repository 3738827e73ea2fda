-- How far each storefront session got: product viewed, added to cart, checkout started,
-- order paid (the order carries the session that checked out), each step within a day
-- (86400 s) of the product view that starts the chain. A chain starts only at a product
-- view in [@from, @to), and its later steps may run on to @until (@to plus a day).
-- level is how many steps the session reached, in order; sessions that reached none
-- are left out.
SELECT level, toInt64(count()) AS sessions
FROM (
    SELECT
        session_id,
        windowFunnel(86400)(
            ts,
            type = 'analytics.product_viewed' AND ts < @to,
            type = 'analytics.added_to_cart',
            type = 'analytics.checkout_started',
            type = 'order.paid'
        ) AS level
    FROM events
    WHERE type IN ('analytics.product_viewed', 'analytics.added_to_cart', 'analytics.checkout_started', 'order.paid')
      AND session_id <> ''
      AND ts >= @from AND ts < @until
    GROUP BY session_id
)
WHERE level > 0
GROUP BY level
ORDER BY level
