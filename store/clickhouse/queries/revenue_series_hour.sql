-- Revenue and paid orders per hour of the time zone @tz over [@from, @to), which the
-- caller has widened to whole hours of @tz. A quarter hour in UTC lies within one hour of
-- every zone, so the hour sums of 15-minute buckets are exact.
SELECT
    toStartOfHour(bucket, @tz) AS start,
    sum(revenue_minor) AS revenue,
    sum(orders) AS paid_orders
FROM events_15m
WHERE bucket >= @from AND bucket < @to
GROUP BY start
ORDER BY start
