"""The predictive models' history and positions (:mod:`kuailive_analysis.predict`): counts of
earlier days and the screen / repeat positions of the rows a model reads, over chapter 5's
materialised exposure table (the view ``funnel_exposures``,
:data:`~kuailive_analysis.engine.queries.funnel.EXPOSURES`). Read by the engine, so that only
the rows a model uses reach pandas.
"""

from __future__ import annotations

from kuailive_analysis.engine.sql import Query

PREDICT_ROWS = "predict_rows"
"""The view of the rows a predictive model reads: their keys (user_id, streamer_id, day; and
live_id, ts_ms for :data:`PREDICT_POSITIONS`), one row per row or per distinct key."""

_PREDICT_READ = """
  FROM funnel_exposures WHERE :last_day IS NULL OR day <= :last_day"""

PRIOR_COUNTS = Query(
    name="predict_prior_counts",
    inputs=("funnel_exposures", PREDICT_ROWS),
    doc=(
        "Per distinct (user_id, streamer_id, day) of predict_rows: the exposures, clicks and "
        "gifting clicks (clicked and gifted) of the user (u_exp, u_clk, u_gft), of the "
        "streamer (s_*) and of the (user, streamer) pair (us_*) on earlier days (day < the "
        "row's day), over the rows of funnel_exposures with day <= :last_day (NULL: every "
        "day), the labels of day :flip_day flipped (NULL: none; a click becomes a non-click, "
        "a non-click a gifting click). Counts BIGINT. Ordered by (user_id, streamer_id, day)."
    ),
    defaults={"last_day": None, "flip_day": None},
    order_by=("user_id", "streamer_id", "day"),
    sql="""
WITH x AS (
  SELECT user_id, streamer_id, day,
    CASE WHEN day = :flip_day THEN NOT clicked ELSE clicked END AS c,
    CASE WHEN day = :flip_day THEN NOT clicked ELSE gifted END AS g"""
    + _PREDICT_READ
    + """
),
w AS (
  SELECT DISTINCT CAST(user_id AS BIGINT) AS user_id, CAST(streamer_id AS BIGINT) AS streamer_id,
    CAST(day AS BIGINT) AS day
  FROM predict_rows
),
pairs AS (SELECT DISTINCT user_id, streamer_id FROM w),
pair_day AS (
  SELECT x.user_id, x.streamer_id, x.day, COUNT(*) AS n,
    SUM(CASE WHEN x.c THEN 1 ELSE 0 END) AS k, SUM(CASE WHEN x.g THEN 1 ELSE 0 END) AS g
  FROM x JOIN pairs p ON p.user_id = x.user_id AND p.streamer_id = x.streamer_id
  GROUP BY x.user_id, x.streamer_id, x.day
),
user_day AS (
  SELECT user_id, day, COUNT(*) AS n,
    SUM(CASE WHEN c THEN 1 ELSE 0 END) AS k, SUM(CASE WHEN g THEN 1 ELSE 0 END) AS g
  FROM x WHERE user_id IN (SELECT user_id FROM w)
  GROUP BY user_id, day
),
streamer_day AS (
  SELECT streamer_id, day, COUNT(*) AS n,
    SUM(CASE WHEN c THEN 1 ELSE 0 END) AS k, SUM(CASE WHEN g THEN 1 ELSE 0 END) AS g
  FROM x WHERE streamer_id IN (SELECT streamer_id FROM w)
  GROUP BY streamer_id, day
),
u AS (
  SELECT w.user_id, w.day, SUM(t.n) AS n, SUM(t.k) AS k, SUM(t.g) AS g
  FROM (SELECT DISTINCT user_id, day FROM w) w
  LEFT JOIN user_day t ON t.user_id = w.user_id AND t.day < w.day
  GROUP BY w.user_id, w.day
),
s AS (
  SELECT w.streamer_id, w.day, SUM(t.n) AS n, SUM(t.k) AS k, SUM(t.g) AS g
  FROM (SELECT DISTINCT streamer_id, day FROM w) w
  LEFT JOIN streamer_day t ON t.streamer_id = w.streamer_id AND t.day < w.day
  GROUP BY w.streamer_id, w.day
),
us AS (
  SELECT w.user_id, w.streamer_id, w.day, SUM(t.n) AS n, SUM(t.k) AS k, SUM(t.g) AS g
  FROM w
  LEFT JOIN pair_day t
    ON t.user_id = w.user_id AND t.streamer_id = w.streamer_id AND t.day < w.day
  GROUP BY w.user_id, w.streamer_id, w.day
)
SELECT w.user_id, w.streamer_id, w.day,
  CAST(COALESCE(u.n, 0) AS BIGINT) AS u_exp, CAST(COALESCE(u.k, 0) AS BIGINT) AS u_clk,
  CAST(COALESCE(u.g, 0) AS BIGINT) AS u_gft,
  CAST(COALESCE(s.n, 0) AS BIGINT) AS s_exp, CAST(COALESCE(s.k, 0) AS BIGINT) AS s_clk,
  CAST(COALESCE(s.g, 0) AS BIGINT) AS s_gft,
  CAST(COALESCE(us.n, 0) AS BIGINT) AS us_exp, CAST(COALESCE(us.k, 0) AS BIGINT) AS us_clk,
  CAST(COALESCE(us.g, 0) AS BIGINT) AS us_gft
FROM w
JOIN u ON u.user_id = w.user_id AND u.day = w.day
JOIN s ON s.streamer_id = w.streamer_id AND s.day = w.day
JOIN us ON us.user_id = w.user_id AND us.streamer_id = w.streamer_id AND us.day = w.day
""",
)

PREDICT_POSITIONS = Query(
    name="predict_positions",
    inputs=("funnel_exposures", PREDICT_ROWS),
    doc=(
        "Per distinct (user_id, live_id, ts_ms) of predict_rows, recomputed from the rows of "
        "funnel_exposures with day <= :last_day (NULL: every day): screen_size (the user's "
        "exposures in that millisecond) and exposure_index (the dense rank of the millisecond "
        "among the (user, live)'s exposures, 1 = first); NULL when the row is not there. "
        "Ordered by (user_id, live_id, ts_ms)."
    ),
    defaults={"last_day": None},
    order_by=("user_id", "live_id", "ts_ms"),
    sql="""
WITH x AS (
  SELECT CAST(user_id AS BIGINT) AS user_id, CAST(live_id AS BIGINT) AS live_id,
    CAST(ts_ms AS BIGINT) AS ts_ms"""
    + _PREDICT_READ
    + """
),
w AS (
  SELECT DISTINCT CAST(user_id AS BIGINT) AS user_id, CAST(live_id AS BIGINT) AS live_id,
    CAST(ts_ms AS BIGINT) AS ts_ms
  FROM predict_rows
),
screens AS (
  SELECT w.user_id, w.ts_ms, COUNT(*) AS screen_size
  FROM (SELECT DISTINCT user_id, ts_ms FROM w) w
  JOIN x ON x.user_id = w.user_id AND x.ts_ms = w.ts_ms
  GROUP BY w.user_id, w.ts_ms
),
repeats AS (
  SELECT w.user_id, w.live_id, w.ts_ms, COUNT(DISTINCT x.ts_ms) AS exposure_index
  FROM w JOIN x ON x.user_id = w.user_id AND x.live_id = w.live_id AND x.ts_ms <= w.ts_ms
  GROUP BY w.user_id, w.live_id, w.ts_ms
)
SELECT w.user_id, w.live_id, w.ts_ms, CAST(sc.screen_size AS BIGINT) AS screen_size,
  CAST(rp.exposure_index AS BIGINT) AS exposure_index
FROM w
LEFT JOIN screens sc ON sc.user_id = w.user_id AND sc.ts_ms = w.ts_ms
LEFT JOIN repeats rp ON rp.user_id = w.user_id AND rp.live_id = w.live_id AND rp.ts_ms = w.ts_ms
""",
)

QUERIES = (PRIOR_COUNTS, PREDICT_POSITIONS)
