-- The dashboard's headline over [@from, @to), quarter-hour aligned: revenue and paid
-- orders by the revenue rule, which the rows already carry (domain.ToAnalytics: +total
-- when paid, -total when a paid order is cancelled, -refund when returned), and sign-ups.
SELECT
    sum(revenue_minor) AS revenue,
    sum(orders) AS paid_orders,
    toInt64(sumIf(events, type = 'user.registered')) AS new_users
FROM events_15m
WHERE bucket >= @from AND bucket < @to
