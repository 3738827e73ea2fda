-- Revenue and paid orders per day of the time zone @tz over [@from, @to), which the
-- caller has widened to whole days of @tz. A quarter hour in UTC lies within one day of
-- every zone, so the day sums of 15-minute buckets are exact.
SELECT
    toStartOfDay(bucket, @tz) AS start,
    sum(revenue_minor) AS revenue,
    sum(orders) AS paid_orders
FROM events_15m
WHERE bucket >= @from AND bucket < @to
GROUP BY start
ORDER BY start
