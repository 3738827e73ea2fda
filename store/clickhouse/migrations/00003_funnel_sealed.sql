-- +goose NO TRANSACTION
-- +goose Up

-- The conversion funnel's sealed days. A seal (funnelseal.go) groups the per-session
-- rollup (funnel_sessions) of every day up to its horizon, two days back, by session, once:
-- one row per session with the session's whole rollup (the minimum and maximum of each
-- column, as conversion_funnel_sessions.sql takes them) and the level it reaches when a
-- range holds all its product views (level_inside, worked out by the same rule; 254 for a
-- key two sessions share, 255 when the rollup cannot settle it). The funnel of a range
-- then reads one row per sealed session, without grouping two million of them again, and
-- groups only the sessions with rows after the horizon (conversion_funnel_sealed.sql).
--
-- Each seal writes a partition of its own (generation: the seal's start, Unix
-- nanoseconds) and then its record in funnel_seals: the horizon and the number of the
-- rollup's rows it read, so that the funnel can tell whether rows have arrived for the
-- sealed days since (the rollup only ever gains rows: a plain MergeTree merges without
-- dropping any, and counting them up to a day reads little more than the parts' sizes). Older generations are dropped a minute after a newer one
-- is recorded. Ordered by the first product view, so that the sessions whose views
-- straddle a range's edge are read from a few blocks.
CREATE TABLE IF NOT EXISTS funnel_sealed (
    generation     UInt64,
    session_hash   UInt64,
    check_min      UInt64,
    check_max      UInt64,
    viewed_first   UInt64,
    viewed_last    UInt64,
    carted_first   UInt64,
    checkout_first UInt64,
    paid_first     UInt64,
    first_at       UInt64,
    last_at        UInt64,
    level_inside   UInt8
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY viewed_first;

-- The levels of the sealed sessions the rollup cannot settle (level_inside 255: steps
-- out of order), worked out once from their raw events by the ordered-steps rule, as
-- when a range holds all their product views (funnel_seal_levels.sql); a range that does
-- counts them at that level instead of reading their raw events again.
CREATE TABLE IF NOT EXISTS funnel_sealed_levels (
    generation   UInt64,
    session_hash UInt64,
    level        UInt8
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY session_hash;

-- The sealed sessions with a product view counted by the quarter hour (UTC, epoch
-- milliseconds) of their first and last view and their level inside a range
-- (level_inside, or the level funnel_sealed_levels gives; 0 when their raw events are
-- gone): a range of quarter hours counts the sessions it holds from a few thousand rows
-- (funnel_seal_counts.sql, conversion_funnel_sealed.sql).
CREATE TABLE IF NOT EXISTS funnel_sealed_counts (
    generation      UInt64,
    viewed_first_qh UInt64,
    viewed_last_qh  UInt64,
    level_inside    UInt8,
    sessions        UInt64
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (viewed_first_qh, viewed_last_qh, level_inside);

CREATE TABLE IF NOT EXISTS funnel_seals (
    generation  UInt64,
    horizon     Date,
    rollup_rows UInt64,
    sessions    UInt64,
    sealed_at   DateTime
) ENGINE = MergeTree()
PARTITION BY generation
ORDER BY generation;

-- +goose Down
DROP TABLE IF EXISTS funnel_seals;
DROP TABLE IF EXISTS funnel_sealed_counts;
DROP TABLE IF EXISTS funnel_sealed_levels;
DROP TABLE IF EXISTS funnel_sealed;
