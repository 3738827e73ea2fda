-- The best @limit products over [@from, @to), quarter-hour aligned, by @by ('UNITS' or
-- 'REVENUE'), net of paid orders cancelled; ties go to the other figure, then the lower
-- product id. Products that sold nothing net are left out.
SELECT
    product_id,
    sum(units) AS units_sold,
    sum(revenue_minor) AS revenue
FROM product_sales_15m
WHERE bucket >= @from AND bucket < @to
GROUP BY product_id
HAVING units_sold > 0
ORDER BY
    if(@by = 'REVENUE', revenue, units_sold) DESC,
    if(@by = 'REVENUE', units_sold, revenue) DESC,
    product_id
LIMIT @limit
