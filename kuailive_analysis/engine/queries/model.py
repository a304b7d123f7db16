"""The data model's derived tables as SQL (:mod:`kuailive_analysis.data.features` in pandas):
clean event tables with their time columns, ``rooms``, ``sessions`` and ``user_day``.

Times stay epoch-millisecond integers here; the ingestion casts them to the cache's Arrow types
(``timestamp[ms, tz=Asia/Shanghai]``, int8 days and hours, ...) when it writes the Parquet files.
Beijing day index ``floor((ms - WINDOW_START_MS) / 86 400 000)`` and hour ``floor((ms - day
start) / 3 600 000)`` (:mod:`kuailive_analysis.core.calendar`) are computed in DOUBLE, which is
exact here (millisecond offsets are far below 2**53 and a non-integer quotient is at least
1/86 400 000 from the next integer).
"""

from __future__ import annotations

from kuailive_analysis.core.calendar import MS_PER_DAY, MS_PER_HOUR, WINDOW_START_MS
from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.sql import Query

EVENT_ATTRS = {
    "click": "clicks",
    "comment": "comments",
    "like": "likes",
    "gift": "gifts",
    "negative": "negatives",
}


def day_sql(ms: str) -> str:
    """Beijing day index of the epoch-ms expression ``ms`` (BIGINT)."""
    return (
        f"CAST(FLOOR(CAST({ms} - {WINDOW_START_MS} AS DOUBLE) / CAST({MS_PER_DAY} AS DOUBLE))"
        " AS BIGINT)"
    )


def hour_sql(ms: str) -> str:
    """Beijing hour of day (0..23) of the epoch-ms expression ``ms``."""
    return (
        f"CAST(FLOOR(CAST({ms} - {WINDOW_START_MS} - {day_sql(ms)} * {MS_PER_DAY} AS DOUBLE)"
        f" / CAST({MS_PER_HOUR} AS DOUBLE)) AS BIGINT)"
    )


def clean_event_query(name: str) -> Query:
    """The clean ``name`` events in the cache's row order and columns (features.add_time_columns
    over clean.clean_tables): rows that survive rules 4-8, sorted by (timestamp, user_id, file
    order)."""
    cols = S.SCHEMAS[name].column_names
    sel = ", ".join("streamer_out AS streamer_id" if c == "streamer_id" else f'"{c}"' for c in cols)
    return Query(
        name=f"clean_{EVENT_ATTRS[name]}",
        inputs=(f"stage_clean_{name}",),
        doc=(
            f"Clean {name} events (one row per kept event): raw columns, flag_duplicate, "
            "flag_long_room, ts_ms, day, hour; ordered by (timestamp, user_id, file order)."
        ),
        sql=f"""
SELECT {sel}, dup AS flag_duplicate, in_long AS flag_long_room, "timestamp" AS ts_ms,
  {day_sql('"timestamp"')} AS day, {hour_sql('"timestamp"')} AS hour
FROM stage_clean_{name}
WHERE k8
ORDER BY "timestamp", user_id, _row
""",
    )


CLEAN_EVENTS = {name: clean_event_query(name) for name in S.EVENT_TABLES}

ROOMS = Query(
    name="clean_rooms",
    inputs=("stage_rooms_all",),
    doc=(
        "The contract rooms (features.room_table): one row per live_id, by live_id; the long "
        "rooms too unless :drop_long."
    ),
    defaults={"drop_long": False},
    sql="""
SELECT live_id, streamer_id, live_type, start_ms AS start_timestamp, end_ms AS end_timestamp,
  start_ms, end_ms, live_content_category, live_name_id, p_date, duration_min, end_censored
FROM stage_rooms_all
WHERE NOT (is_long AND :drop_long)
ORDER BY live_id
""",
)

KIND_SUMS = """sum(CASE WHEN src = 0 THEN 1 ELSE 0 END) AS n_clicks,
    sum(CASE WHEN src = 0 THEN v ELSE 0 END) AS watch_ms,
    sum(CASE WHEN src = 1 THEN 1 ELSE 0 END) AS n_comments,
    sum(CASE WHEN src = 2 THEN 1 ELSE 0 END) AS n_likes,
    sum(CASE WHEN src = 3 THEN 1 ELSE 0 END) AS n_gifts,
    sum(CASE WHEN src = 3 THEN v ELSE 0 END) AS gift_value,
    sum(CASE WHEN src = 4 THEN 1 ELSE 0 END) AS n_negatives"""
"""Counts and sums per event kind over a union with ``src`` (0 click, 1 comment, 2 like,
3 gift, 4 negative) and ``v`` (watch ms of a click, coins of a gift): shared by the session
table and the user-day panel, so both count the same way."""


SESSIONS = Query(
    name="sessions",
    inputs=("clicks", "comments", "likes", "gifts", "negatives", "rooms"),
    doc=(
        "One row per (user_id, live_id) with any clean event (features.build_sessions): first "
        "and last event ms, day of the first, counts per kind, watch ms, gift coins, exposures "
        "= clicks + unclicked; streamer_id = the room's (the smallest event streamer_id for a "
        "live unknown to rooms). Ordered by (user_id, live_id). Only users in [:user_lo, "
        ":user_hi): consecutive user ranges give consecutive parts of the table, so it can "
        "be built in pieces of bounded memory (see EVENTS_PER_USER)."
    ),
    defaults={"user_lo": 0, "user_hi": 2**31},
    sql=f"""
WITH ev AS (
  SELECT * FROM (
    SELECT user_id, live_id, streamer_id, ts_ms, 0 AS src, CAST(watch_live_time AS BIGINT) AS v
    FROM clicks
    UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 1, CAST(0 AS BIGINT) FROM comments
    UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 2, CAST(0 AS BIGINT) FROM likes
    UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 3, CAST(gift_price AS BIGINT)
      FROM gifts
    UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 4, CAST(0 AS BIGINT) FROM negatives
  ) AS u
  WHERE user_id >= :user_lo AND user_id < :user_hi
),
g AS (
  SELECT user_id, live_id, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms,
    min(streamer_id) AS ev_streamer,
    {KIND_SUMS}
  FROM ev GROUP BY user_id, live_id
)
SELECT g.user_id, g.live_id, COALESCE(r.streamer_id, g.ev_streamer) AS streamer_id,
  g.first_ms, g.last_ms, {day_sql("g.first_ms")} AS day, g.n_clicks, g.watch_ms, g.n_comments,
  g.n_likes, g.n_gifts, g.gift_value, g.n_negatives, g.n_clicks + g.n_negatives AS n_exposures
FROM g LEFT JOIN rooms r ON g.live_id = r.live_id
ORDER BY g.user_id, g.live_id
""",
)

EVENTS_PER_USER = Query(
    name="events_per_user",
    inputs=("clicks", "comments", "likes", "gifts", "negatives"),
    doc="Clean events (all kinds) per user_id, by user_id: how to cut sessions into pieces.",
    sql="""
SELECT user_id, count(*) AS n FROM (
  SELECT user_id FROM clicks UNION ALL SELECT user_id FROM comments
  UNION ALL SELECT user_id FROM likes UNION ALL SELECT user_id FROM gifts
  UNION ALL SELECT user_id FROM negatives
) AS u
GROUP BY user_id
ORDER BY user_id
""",
)

USER_DAY = Query(
    name="user_day",
    inputs=("clicks", "comments", "likes", "gifts", "negatives"),
    doc=(
        "One row per (user_id, day) with any clean event (features.build_user_day), by event "
        "day (the stored int8 day); active = any click, comment, like or gift. Grouped and "
        "ordered by the key user_id * 64 + day, as the pandas panel is."
    ),
    sql=f"""
WITH ev AS (
  SELECT CAST(user_id AS BIGINT) * 64 + day AS k, 0 AS src, CAST(watch_live_time AS BIGINT) AS v
  FROM clicks
  UNION ALL SELECT CAST(user_id AS BIGINT) * 64 + day, 1, CAST(0 AS BIGINT) FROM comments
  UNION ALL SELECT CAST(user_id AS BIGINT) * 64 + day, 2, CAST(0 AS BIGINT) FROM likes
  UNION ALL SELECT CAST(user_id AS BIGINT) * 64 + day, 3, CAST(gift_price AS BIGINT) FROM gifts
  UNION ALL SELECT CAST(user_id AS BIGINT) * 64 + day, 4, CAST(0 AS BIGINT) FROM negatives
),
g AS (
  SELECT k,
    {KIND_SUMS}
  FROM ev GROUP BY k
)
SELECT CAST(FLOOR(CAST(k AS DOUBLE) / 64) AS BIGINT) AS user_id,
  k - 64 * CAST(FLOOR(CAST(k AS DOUBLE) / 64) AS BIGINT) AS day,
  n_clicks, watch_ms, n_comments, n_likes, n_gifts, gift_value, n_negatives,
  (n_clicks + n_comments + n_likes + n_gifts) > 0 AS active
FROM g
ORDER BY k
""",
)

QUERIES = (*CLEAN_EVENTS.values(), ROOMS, SESSIONS, EVENTS_PER_USER, USER_DAY)
