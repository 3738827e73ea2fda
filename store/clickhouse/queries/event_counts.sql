-- Events per service and type over [@from, @to), quarter-hour aligned. The order.line.*
-- rows are not events of their own and are not in events_15m.
SELECT
    service,
    type,
    toInt64(sum(events)) AS n
FROM events_15m
WHERE bucket >= @from AND bucket < @to
GROUP BY service, type
ORDER BY service, type
