-- TIMESTAMP ends in January 2038: a coupon valid for years from a sale near that date had its
-- `valid_until` silently stored as a zero date. DATETIME(3) holds any date to the year 9999 and,
-- like every date here, is written and read as UTC (the pool's timezone 'Z').
ALTER TABLE orders_{{n}} MODIFY valid_until DATETIME(3) NOT NULL;
