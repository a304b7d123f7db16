"""Chapter 2's event-level aggregations, the one definition of each (:mod:`kuailive_analysis.eda`
runs them on a dataset's engine, ``ds.query``, and shapes the small results). Only aggregated
rows leave the engine:

* :data:`STREAMER_ACTIVITY`, :data:`USER_ACTIVITY` -- one row per streamer / user (the metric
  registry's derived tables ``streamer_activity`` / ``user_activity``);
* :func:`room_duration_query` (:data:`ROOM_DURATIONS`) -- room counts and duration quantiles
  per group; :data:`ROOM_START_HOURS`, :data:`ROOM_LIVE_STEPS` -- the schedule figures;
* :data:`RETURNS` -- visits, repeat visits and revisit intervals in one pass over the clicks;
* :data:`INTERACTION_HOURS`, :data:`USER_PEAK`, :data:`FAVOURITE_HOLDOUT` -- the tests of
  the findings (:mod:`kuailive_analysis.eda.checks`): interactions per hour before a day,
  per user inside the busiest hours after it, and each user's favourite streamer's share of
  their later watch time.

Counts and sums are cast to BIGINT (DuckDB's SUM of integers is HUGEINT); quantiles use
``quantile_cont`` (Spark: ``percentile``), linear interpolation between order statistics as
pandas' and numpy's defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

from kuailive_analysis.core.calendar import (
    MS_PER_HOUR,
    MS_PER_MINUTE,
    WINDOW_END_MS,
    WINDOW_START_MS,
)
from kuailive_analysis.engine.queries.model import hour_sql
from kuailive_analysis.engine.sql import Query


def _spark_percentile() -> None:
    """Render DuckDB's ``quantile_cont(x, q)`` for Spark as ``percentile(x, q)`` (the exact
    percentile with linear interpolation). SQLGlot writes ``PERCENTILE_CONT(x, q)``, which
    Spark rejects (it only takes the ``WITHIN GROUP`` form). A fix of the transpiler's Spark
    output, installed when the definitions are imported (before any of them is rendered)."""
    from sqlglot import exp
    from sqlglot.generators.spark import SparkGenerator

    def percentile(gen, e: exp.PercentileCont) -> str:
        return gen.func("PERCENTILE", e.this, e.expression)

    SparkGenerator.TRANSFORMS = {**SparkGenerator.TRANSFORMS, exp.PercentileCont: percentile}


_spark_percentile()

SESSION_SUMS = (
    "n_clicks",
    "watch_ms",
    "n_comments",
    "n_likes",
    "n_gifts",
    "gift_value",
    "n_negatives",
)
"""The session counts summed per streamer and per user (all BIGINT)."""

_SUMS = ",\n    ".join(f"CAST(SUM(CAST({c} AS DOUBLE)) AS BIGINT) AS {c}" for c in SESSION_SUMS)
"""Integer sums accumulated in DOUBLE (exact: every partial sum is an integer below 2**53) and
cast to BIGINT; DuckDB sums BIGINT into HUGEINT, about twice as slow over 450k groups."""
_FILLED = ", ".join(f"COALESCE(s.{c}, 0) AS {c}" for c in SESSION_SUMS)
_DERIVED = f"""n_clicks + n_negatives AS n_exposures,
  n_clicks + n_comments + n_likes + n_gifts AS n_interactions,
  CAST(watch_ms AS DOUBLE) / {float(MS_PER_HOUR)!r} AS watch_hours"""

STREAMER_ACTIVITY = Query(
    name="eda_streamer_activity",
    inputs=("sessions", "rooms", "streamers"),
    doc=(
        "One row per streamer of the sessions, the room table or the profile table: "
        "session sums over the window (zeros without events), "
        "n_viewers / n_rooms_watched (distinct users / rooms with a click), n_rooms (rooms run, "
        "from the room table), n_exposures = clicks + negatives, n_interactions = clicks + "
        "comments + likes + gifts, watch_hours. Ordered by streamer_id."
    ),
    order_by=("streamer_id",),
    sql=f"""
WITH s AS (
  SELECT streamer_id,
    {_SUMS}
  FROM sessions GROUP BY streamer_id
),
clicked AS (SELECT streamer_id, user_id, live_id FROM sessions WHERE n_clicks > 0),
vw AS (
  SELECT streamer_id, CAST(COUNT(*) AS BIGINT) AS n_viewers
  FROM (SELECT DISTINCT streamer_id, user_id FROM clicked) AS x GROUP BY streamer_id
),
rw AS (
  SELECT streamer_id, CAST(COUNT(*) AS BIGINT) AS n_rooms_watched
  FROM (SELECT DISTINCT streamer_id, live_id FROM clicked) AS x GROUP BY streamer_id
),
r AS (
  SELECT streamer_id, CAST(COUNT(DISTINCT live_id) AS BIGINT) AS n_rooms
  FROM rooms GROUP BY streamer_id
),
ids AS (
  SELECT streamer_id FROM s
  UNION SELECT streamer_id FROM r
  UNION SELECT streamer_id FROM streamers
),
a AS (
  SELECT ids.streamer_id, {_FILLED},
    COALESCE(vw.n_viewers, 0) AS n_viewers, COALESCE(rw.n_rooms_watched, 0) AS n_rooms_watched,
    COALESCE(r.n_rooms, 0) AS n_rooms
  FROM ids LEFT JOIN s ON ids.streamer_id = s.streamer_id
  LEFT JOIN vw ON ids.streamer_id = vw.streamer_id
  LEFT JOIN rw ON ids.streamer_id = rw.streamer_id
  LEFT JOIN r ON ids.streamer_id = r.streamer_id
)
SELECT a.*, {_DERIVED}
FROM a
""",
)

USER_ACTIVITY = Query(
    name="eda_user_activity",
    inputs=("sessions", "user_day", "users"),
    doc=(
        "One row per user of the sessions, of the user-day panel's active days or of the "
        "profile table: session sums (zeros without events), n_sessions "
        "(sessions with a click), n_streamers (distinct streamers clicked), active_days (days "
        "with a click, comment, like or gift), n_exposures, n_interactions, watch_hours and "
        "top_streamer_watch_share (the user's most-watched streamer's share of their watch "
        "time; NULL without watch time). Ordered by user_id."
    ),
    order_by=("user_id",),
    sql=f"""
WITH s AS (
  SELECT user_id,
    {_SUMS},
    CAST(SUM(CASE WHEN n_clicks > 0 THEN 1 ELSE 0 END) AS BIGINT) AS n_sessions
  FROM sessions GROUP BY user_id
),
p AS (
  SELECT user_id, streamer_id, SUM(CAST(watch_ms AS DOUBLE)) AS w,
    MAX(CASE WHEN n_clicks > 0 THEN 1 ELSE 0 END) AS clicked
  FROM sessions
  WHERE n_clicks > 0 OR watch_ms <> 0  -- other sessions add nothing to either column
  GROUP BY user_id, streamer_id
),
t AS (
  SELECT user_id, MAX(w) / NULLIF(SUM(w), CAST(0 AS DOUBLE)) AS share,
    CAST(SUM(clicked) AS BIGINT) AS n_streamers
  FROM p GROUP BY user_id
),
d AS (
  SELECT user_id, CAST(COUNT(*) AS BIGINT) AS active_days
  FROM user_day WHERE CAST(active AS BOOLEAN) GROUP BY user_id
),
ids AS (
  SELECT user_id FROM s
  UNION SELECT user_id FROM d
  UNION SELECT user_id FROM users
),
a AS (
  SELECT ids.user_id, {_FILLED},
    COALESCE(s.n_sessions, 0) AS n_sessions, COALESCE(t.n_streamers, 0) AS n_streamers,
    COALESCE(d.active_days, 0) AS active_days, t.share AS top_streamer_watch_share
  FROM ids LEFT JOIN s ON ids.user_id = s.user_id
  LEFT JOIN d ON ids.user_id = d.user_id
  LEFT JOIN t ON ids.user_id = t.user_id
)
SELECT user_id, {", ".join(SESSION_SUMS)}, n_sessions, n_streamers, active_days,
  {_DERIVED}, top_streamer_watch_share
FROM a
""",
)

# ---------------------------------------------------------------------------------------------
# Rooms
# ---------------------------------------------------------------------------------------------
SHOP_SQL = "CASE WHEN live_content_category = 'shop' THEN 'shop' ELSE 'not shop' END"
"""``'shop'`` / ``'not shop'`` per room (missing category = not shop)."""

_IN_WINDOW = f"start_ms >= {WINDOW_START_MS} AND start_ms <= {WINDOW_END_MS - 1}"


DURATION_QUANTILES = (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))
"""(column, q) of the duration quantiles."""


def room_duration_query(name: str, groups: Sequence[str]) -> Query:
    """Room counts and durations per group of rooms (eda.room_duration_summary).

    ``groups``: SQL expressions over the room table, the group keys ``g0``, ``g1``, ... (none:
    one group of all rooms, ``g0 = 'all'``). Per group: ``n_rooms``, ``n_censored`` (still
    live at extraction) and over the ``n_kept`` rooms kept for durations (started inside the
    window and, with ``:ended_only``, ended) the ``mean`` of ``duration_min`` and, for each
    quantile q of :data:`DURATION_QUANTILES`, the order statistics at 0-based ranks
    i = floor(q (n_kept - 1)) and i + 1 (``p25_lo``, ``p25_hi``, ...): the quantile is
    lo + (hi - lo) frac, frac = q (n_kept - 1) - i, interpolated by the caller exactly as
    pandas does (DuckDB's ``quantile_cont`` rounds differently in the last bit)."""
    groups = list(groups) or ["'all'"]
    keys = ", ".join(f"{expr} AS g{i}" for i, expr in enumerate(groups))
    cols = ", ".join(f"g{i}" for i in range(len(groups)))
    ranks = ",\n    ".join(
        f"CAST(FLOOR(CAST({q} AS DOUBLE) * CAST(n_kept - 1 AS DOUBLE)) AS BIGINT) AS i_{col}"
        for col, q in DURATION_QUANTILES
    )
    picks = ",\n  ".join(
        f"s[CAST(i_{col} AS BIGINT) + 1] AS {col}_lo, s[CAST(i_{col} AS BIGINT) + 2] AS {col}_hi"
        for col, _ in DURATION_QUANTILES
    )
    return Query(
        name=name,
        inputs=("rooms",),
        doc=(
            f"One row per group of rooms ({', '.join(groups)}: g0, ...): n_rooms, n_censored "
            "(still live at extraction), n_kept (started inside the window and, with "
            ":ended_only, ended), mean duration_min of those and the two order statistics "
            "around each quantile p25 / median / p75 / p90 (*_lo, *_hi)."
        ),
        defaults={"ended_only": True},
        order_by=tuple(f"g{i}" for i in range(len(groups))),
        sql=f"""
WITH r AS (
  SELECT {keys}, CAST(duration_min AS DOUBLE) AS d, CAST(end_censored AS BOOLEAN) AS censored,
    ({_IN_WINDOW}) AS in_window
  FROM rooms
),
k AS (
  SELECT *, in_window AND NOT (censored AND :ended_only) AND d IS NOT NULL AS kept FROM r
),
a AS (
  SELECT {cols}, CAST(COUNT(*) AS BIGINT) AS n_rooms,
    CAST(SUM(CASE WHEN censored THEN 1 ELSE 0 END) AS BIGINT) AS n_censored,
    CAST(SUM(CASE WHEN kept THEN 1 ELSE 0 END) AS BIGINT) AS n_kept,
    AVG(CASE WHEN kept THEN d END) AS mean,
    list_sort(list(d) FILTER (WHERE kept)) AS s
  FROM k GROUP BY {cols}
),
b AS (
  SELECT *,
    {ranks}
  FROM a
)
SELECT {cols}, n_rooms, n_censored, n_kept, mean,
  {picks}
FROM b
""",
    )


ROOM_DURATIONS = {
    "all": room_duration_query("eda_room_durations_all", []),
    "content category": room_duration_query(
        "eda_room_durations_category", ["live_content_category"]
    ),
    "live_type": room_duration_query("eda_room_durations_live_type", ["live_type"]),
    "shop": room_duration_query("eda_room_durations_shop", [SHOP_SQL]),
}
"""The duration summaries of the chapter (all rooms, by content category, by live_type, shop
vs not shop)."""

ROOM_START_HOURS = Query(
    name="eda_room_start_hours",
    inputs=("rooms",),
    doc=(
        "Rooms by Beijing start hour (eda.room_start_hours): hour 0..23 (hours without rooms "
        "absent), n_rooms; with :within_window only rooms starting inside the window."
    ),
    defaults={"within_window": True},
    order_by=("hour",),
    sql=f"""
SELECT {hour_sql("start_ms")} AS hour, CAST(COUNT(*) AS BIGINT) AS n_rooms
FROM rooms
WHERE NOT :within_window OR ({_IN_WINDOW})
GROUP BY {hour_sql("start_ms")}
""",
)


def _grid_step(ms: str) -> str:
    """Index of the first grid point t_k = :start_ms + k :step_ms with t_k >= ``ms`` (0 when
    ``ms`` is before the grid)."""
    return (
        f"GREATEST(CAST(CEIL(CAST({ms} - :start_ms AS DOUBLE) / CAST(:step_ms AS DOUBLE)) "
        "AS BIGINT), 0)"
    )


ROOM_LIVE_STEPS = Query(
    name="eda_room_live_steps",
    inputs=("rooms",),
    doc=(
        "Rooms live on a regular grid t_k = :start_ms + k :step_ms (eda.rooms_live_over_time): "
        "per grid index k, n_start (rooms whose start is first counted at t_k: t_(k-1) < "
        "start_ms <= t_k) and n_end (the same for end_ms), so n_live(t_k) = cumulative n_start "
        "- cumulative n_end; k = -1 carries n_bad, the rooms ending before they start."
    ),
    defaults={"start_ms": WINDOW_START_MS, "step_ms": 15 * MS_PER_MINUTE},
    order_by=("k",),
    sql=f"""
WITH e AS (
  SELECT {_grid_step("start_ms")} AS k, 1 AS n_start, 0 AS n_end FROM rooms
  UNION ALL SELECT {_grid_step("end_ms")}, 0, 1 FROM rooms
  UNION ALL SELECT -1, 0, 0 FROM rooms WHERE end_ms < start_ms
)
SELECT k, CAST(SUM(n_start) AS BIGINT) AS n_start, CAST(SUM(n_end) AS BIGINT) AS n_end,
  CAST(SUM(CASE WHEN k = -1 THEN 1 ELSE 0 END) AS BIGINT) AS n_bad
FROM e GROUP BY k
""",
)

# ---------------------------------------------------------------------------------------------
# Visits and returns
# ---------------------------------------------------------------------------------------------
_VISITS_CTE = f"""v0 AS (
  SELECT user_id, streamer_id, live_id, MIN(ts_ms) AS first_ms,
    CAST(COUNT(*) AS BIGINT) AS n_clicks
  FROM clicks GROUP BY user_id, streamer_id, live_id
),
v AS (
  SELECT user_id, streamer_id, live_id, first_ms, n_clicks,
    ROW_NUMBER() OVER (PARTITION BY user_id, streamer_id ORDER BY first_ms, live_id) AS visit_no,
    CAST(first_ms - LAG(first_ms) OVER (
      PARTITION BY user_id, streamer_id ORDER BY first_ms, live_id) AS DOUBLE)
      / {float(MS_PER_HOUR)!r} AS gap_h
  FROM v0
)"""
"""A visit = the clicks of a user in one room (user, streamer, live_id): first click, clicks,
rank within the (user, streamer) pair by (first_ms, live_id) and hours since the pair's
previous visit."""

RETURNS = Query(
    name="eda_returns",
    inputs=("clicks",),
    doc=(
        "Returns to the same streamer (eda.returns_section) in one pass over the clicks. "
        "Every row repeats the totals: n_clicks, n_seen (clicks on a streamer the user had "
        "clicked at a strictly earlier ms), n_visits, n_repeat (visits with visit_no > 1), "
        "n_repeat_clicks (their clicks), n_pairs, n_pairs_returning (pairs with >= :min_rooms "
        "visits), n_users, n_users_returning, n_intervals and median_h (median revisit "
        "interval, hours). The rows count revisit intervals (gap_h) by bucket = floor(gap_h), "
        "is_whole (gap_h is a whole number of hours), below_max (gap_h < :max_h) and near_day "
        "(within :tol_h hours of a whole number of days): n; one row with NULL bucket and n = 0 "
        "when there is no interval."
    ),
    defaults={"min_rooms": 2, "tol_h": 3.0, "max_h": 168.0},
    order_by=("bucket", "is_whole", "below_max", "near_day"),
    sql=f"""
WITH {_VISITS_CTE},
pairs AS (
  SELECT user_id, streamer_id, MIN(first_ms) AS pair_first, CAST(COUNT(*) AS BIGINT) AS n_rooms
  FROM v0 GROUP BY user_id, streamer_id
),
seen AS (
  SELECT CAST(COUNT(*) AS BIGINT) AS n_clicks,
    CAST(SUM(CASE WHEN c.ts_ms > p.pair_first THEN 1 ELSE 0 END) AS BIGINT) AS n_seen
  FROM clicks c JOIN pairs p ON c.user_id = p.user_id AND c.streamer_id = p.streamer_id
),
vis AS (
  SELECT CAST(COUNT(*) AS BIGINT) AS n_visits,
    CAST(SUM(CASE WHEN visit_no > 1 THEN 1 ELSE 0 END) AS BIGINT) AS n_repeat,
    CAST(SUM(CASE WHEN visit_no > 1 THEN n_clicks ELSE 0 END) AS BIGINT) AS n_repeat_clicks,
    CAST(COUNT(gap_h) AS BIGINT) AS n_intervals,
    quantile_cont(gap_h, 0.5) AS median_h
  FROM v
),
per_user AS (
  SELECT user_id, MAX(CASE WHEN n_rooms >= :min_rooms THEN 1 ELSE 0 END) AS is_returning,
    CAST(COUNT(*) AS BIGINT) AS n_pairs,
    CAST(SUM(CASE WHEN n_rooms >= :min_rooms THEN 1 ELSE 0 END) AS BIGINT) AS n_returning
  FROM pairs GROUP BY user_id
),
tot AS (
  SELECT seen.n_clicks, seen.n_seen, vis.n_visits, vis.n_repeat, vis.n_repeat_clicks,
    u.n_pairs, u.n_pairs_returning, u.n_users, u.n_users_returning, vis.n_intervals,
    vis.median_h
  FROM seen CROSS JOIN vis CROSS JOIN (
    SELECT CAST(SUM(n_pairs) AS BIGINT) AS n_pairs,
      CAST(SUM(n_returning) AS BIGINT) AS n_pairs_returning,
      CAST(COUNT(*) AS BIGINT) AS n_users,
      CAST(SUM(is_returning) AS BIGINT) AS n_users_returning
    FROM per_user
  ) u
),
gaps AS (
  SELECT CAST(FLOOR(gap_h) AS BIGINT) AS bucket, gap_h = FLOOR(gap_h) AS is_whole,
    gap_h < :max_h AS below_max,
    ABS(gap_h - CAST(24 AS DOUBLE) * ROUND(gap_h / CAST(24 AS DOUBLE))) <= :tol_h AS near_day,
    CAST(COUNT(*) AS BIGINT) AS n
  FROM v WHERE gap_h IS NOT NULL
  GROUP BY 1, 2, 3, 4
)
SELECT tot.*, gaps.bucket, gaps.is_whole, gaps.below_max, gaps.near_day,
  COALESCE(gaps.n, 0) AS n
FROM tot LEFT JOIN gaps ON TRUE
""",
)

# ---------------------------------------------------------------------------------------------
# The findings' tests: a window or a favourite chosen on the days before a split, measured after
# ---------------------------------------------------------------------------------------------
_INTERACTIONS = """ev AS (
  SELECT user_id, day, hour FROM clicks
  UNION ALL SELECT user_id, day, hour FROM comments
  UNION ALL SELECT user_id, day, hour FROM likes
  UNION ALL SELECT user_id, day, hour FROM gifts
)"""
"""Every interaction (click, comment, like, gift) with its user, Beijing day and hour."""

INTERACTION_HOURS = Query(
    name="eda_interaction_hours",
    inputs=("clicks", "comments", "likes", "gifts"),
    doc=(
        "Interactions per Beijing hour (0..23, hours without any absent) on the days before "
        ":before_day: hour, n. Where the evening-habit test chooses its window."
    ),
    defaults={"before_day": 14},
    order_by=("hour",),
    sql=f"""
WITH {_INTERACTIONS}
SELECT CAST(hour AS BIGINT) AS hour, CAST(COUNT(*) AS BIGINT) AS n
FROM ev WHERE day < :before_day GROUP BY hour
""",
)

USER_PEAK = Query(
    name="eda_user_peak",
    inputs=("clicks", "comments", "likes", "gifts"),
    doc=(
        "Interactions (clicks, comments, likes, gifts) per user with any on the days from "
        ":from_day on: n (all) and n_peak (in the :peak_hours Beijing hours from :peak_start, "
        "wrapping midnight). Ordered by user_id."
    ),
    defaults={"peak_start": 18, "peak_hours": 6, "from_day": 0},
    order_by=("user_id",),
    sql=f"""
WITH {_INTERACTIONS}
SELECT user_id, CAST(COUNT(*) AS BIGINT) AS n,
  CAST(SUM(CASE WHEN (CAST(hour AS BIGINT) - :peak_start + 24) % 24 < :peak_hours THEN 1
    ELSE 0 END) AS BIGINT) AS n_peak
FROM ev WHERE day >= :from_day GROUP BY user_id
""",
)

FAVOURITE_HOLDOUT = Query(
    name="eda_favourite_holdout",
    inputs=("sessions",),
    doc=(
        "Per user with watch time both before and from :split_day on (sessions by the day of "
        "their first click): w_hold (watch ms from :split_day on), w_fav (of it, on the user's "
        "most-watched streamer before :split_day; the lowest streamer_id on ties), w_others "
        "(on the user's other streamers watched before :split_day, summed) and n_others (how "
        "many those are). Ordered by user_id."
    ),
    defaults={"split_day": 14},
    order_by=("user_id",),
    sql="""
WITH w AS (
  SELECT user_id, streamer_id,
    SUM(CASE WHEN day < :split_day THEN CAST(watch_ms AS DOUBLE) ELSE 0 END) AS w_cal,
    SUM(CASE WHEN day >= :split_day THEN CAST(watch_ms AS DOUBLE) ELSE 0 END) AS w_hold
  FROM sessions WHERE watch_ms > 0 GROUP BY user_id, streamer_id
),
r AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY w_cal DESC, streamer_id) AS rank_cal
  FROM w WHERE w_cal > 0
),
h AS (SELECT user_id, SUM(w_hold) AS w_hold FROM w GROUP BY user_id HAVING SUM(w_hold) > 0)
SELECT r.user_id, h.w_hold,
  SUM(CASE WHEN rank_cal = 1 THEN r.w_hold ELSE 0 END) AS w_fav,
  SUM(CASE WHEN rank_cal > 1 THEN r.w_hold ELSE 0 END) AS w_others,
  CAST(SUM(CASE WHEN rank_cal > 1 THEN 1 ELSE 0 END) AS BIGINT) AS n_others
FROM r JOIN h ON r.user_id = h.user_id
GROUP BY r.user_id, h.w_hold
""",
)

QUERIES = (
    STREAMER_ACTIVITY,
    USER_ACTIVITY,
    *ROOM_DURATIONS.values(),
    ROOM_START_HOURS,
    ROOM_LIVE_STEPS,
    RETURNS,
    INTERACTION_HOURS,
    USER_PEAK,
    FAVOURITE_HOLDOUT,
)
