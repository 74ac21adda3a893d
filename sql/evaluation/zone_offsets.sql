-- The pack zone's offset from UTC over [$low, $high), as the stretches of one offset: when each
-- starts (NULL for the first) and its offset in microseconds, read minute by minute from DuckDB's
-- own zone data, so that they agree with timezone() wherever the offset changes on a whole
-- minute; `exact` says whether each change did (the instant before it still has the old offset).
WITH minutes AS (
    SELECT instant, epoch_us(timezone(pack_tz(), instant)) - epoch_us(instant) AS offset_us,
           epoch_us(timezone(pack_tz(), instant - INTERVAL 1 MICROSECOND)) - epoch_us(instant - INTERVAL 1 MICROSECOND) AS offset_before_us
    FROM (SELECT CAST($low AS TIMESTAMPTZ) + to_minutes(i) AS instant
          FROM range(0, datediff('minute', CAST($low AS TIMESTAMPTZ), CAST($high AS TIMESTAMPTZ)) + 1) t(i))),
changes AS (
    SELECT instant, offset_us, offset_before_us, lag(offset_us) OVER (ORDER BY instant) AS previous_us FROM minutes)
SELECT CASE WHEN previous_us IS NOT NULL THEN instant END AS starts, offset_us,
       previous_us IS NULL OR offset_before_us = previous_us AS exact
FROM changes
WHERE previous_us IS NULL OR offset_us <> previous_us
ORDER BY instant
