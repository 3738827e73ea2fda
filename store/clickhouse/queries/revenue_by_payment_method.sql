-- Revenue and paid orders per payment method over [@from, @to), quarter-hour aligned,
-- by the revenue rule the rows carry. A method whose figures cancel out is left out.
SELECT
    payment_method,
    sum(revenue_minor) AS revenue,
    sum(orders) AS paid_orders
FROM events_15m
WHERE bucket >= @from AND bucket < @to AND payment_method <> ''
GROUP BY payment_method
HAVING revenue <> 0 OR paid_orders <> 0
ORDER BY revenue DESC, payment_method
