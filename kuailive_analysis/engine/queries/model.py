"""The data model: the clean event tables with their time columns, ``rooms``, ``sessions`` and
``user_day`` as SQL, and the declaration of every contract table (:data:`CONTRACT`).

Definitions (all times Beijing, Asia/Shanghai; the window starts 2025-05-05 00:00 Beijing):

* ``day`` = Beijing day index (0..20) and ``hour`` = Beijing hour of day (0..23) of
  :mod:`kuailive_analysis.core.calendar`, computed in DOUBLE, which is exact here (millisecond
  offsets are far below 2**53 and a non-integer quotient is at least 1/86 400 000 from the next
  integer): ``day = floor((ms - WINDOW_START_MS) / 86 400 000)``.
* A **session** is one (user_id, live_id) pair with at least one event of any kind (click,
  comment, like, gift or unclicked exposure).
* The **user-day panel** has one row per (user_id, day) with any event, counted by event day
  (a session crossing midnight counts on both days); ``active`` is True when the user clicked,
  commented, liked or gifted that day (an unclicked exposure is not activity).
* ``tenure_days`` and the other ``*_age_days`` are whole days from a profile date to the
  window start (negative when the snapshot date is after it: profiles are an end-of-window
  snapshot, so they leak a little of the future into any split made inside the window).

Times stay epoch-millisecond integers in the SQL; the ingestion casts them to the cache's Arrow
types (``timestamp[ms, tz=Asia/Shanghai]``, int8 days and hours, ...) when it writes the
Parquet files (:data:`kuailive_analysis.engine.ingest.write.TARGETS`).
"""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_DAY, MS_PER_HOUR, WINDOW_START_MS
from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.sql import Query, TableDoc

EVENT_ATTRS = {
    "click": "clicks",
    "comment": "comments",
    "like": "likes",
    "gift": "gifts",
    "negative": "negatives",
}
"""Raw event file -> its clean table (and Dataset attribute)."""

EPOCH = "epoch ms (UTC epoch)"
IDS = "user_id -> users; live_id -> rooms; streamer_id -> streamers"
EVENT_COLUMNS = {
    "flag_duplicate": ("boolean", "an exact copy of an earlier row of the file (rule 5)"),
    "flag_long_room": ("boolean", "the event's room is longer than max_room_days (rule 3)"),
    "ts_ms": (EPOCH, "event time (timestamp), as epoch milliseconds"),
    "day": ("day index 0..20 (Beijing)", "Beijing calendar day of the event, 0 = 2025-05-05"),
    "hour": ("hour of day 0..23 (Beijing)", "Beijing hour of day of the event"),
}
"""The columns cleaning and the data model add to every raw event file."""


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


EVENT_GRAIN = {
    "click": "one row per click (a user entered a room)",
    "comment": "one row per comment",
    "like": "one row per like",
    "gift": "one row per gift event (gift_price coins)",
    "negative": "one row per unclicked exposure",
}


def clean_event_query(name: str) -> Query:
    """The clean ``name`` events in the cache's row order and columns: rows that survive
    rules 4-8 (:mod:`.cleaning`), sorted by (timestamp, user_id, file order), with the
    columns of :data:`EVENT_COLUMNS`."""
    cols = S.SCHEMAS[name].column_names
    sel = ", ".join("streamer_out AS streamer_id" if c == "streamer_id" else f'"{c}"' for c in cols)
    return Query(
        name=f"clean_{EVENT_ATTRS[name]}",
        inputs=(f"stage_clean_{name}",),
        doc=(
            f"Clean {name} events (one row per kept event): raw columns, flag_duplicate, "
            "flag_long_room, ts_ms, day, hour; ordered by (timestamp, user_id, file order)."
        ),
        table=TableDoc("fact", EVENT_GRAIN[name], "(none: repeats are real)", IDS, EVENT_COLUMNS),
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
        "The contract rooms: one row per live_id (rules 1-2), by live_id; the long rooms too "
        "unless :drop_long."
    ),
    defaults={"drop_long": False},
    table=TableDoc(
        "dimension",
        "one row per broadcast (live_id)",
        "live_id",
        "streamer_id -> streamers",
        {
            "start_timestamp": ("instant", "earliest start of the room's rows (rule 1)"),
            "end_timestamp": ("instant", "latest end of the room's rows (rule 1)"),
            "start_ms": (EPOCH, "start_timestamp as epoch milliseconds"),
            "end_ms": (EPOCH, "end_timestamp as epoch milliseconds (the cap when censored)"),
            "live_name_id": ("id", "title of the latest (room_name_rule) p_date row with one"),
            "p_date": ("YYYYMMDD", "partition date of the room's earliest row"),
            "duration_min": ("minutes", "(end - start) / 60 000; to the window end if censored"),
            "end_censored": ("boolean", "end at the extraction cap: still live (rule 2)"),
        },
    ),
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

KIND_COLUMNS = {
    "n_clicks": ("count", "clicks"),
    "watch_ms": ("ms", "summed watch_live_time of the clicks"),
    "n_comments": ("count", "comments"),
    "n_likes": ("count", "likes"),
    "n_gifts": ("count", "gift events"),
    "gift_value": ("platform coins", "summed gift_price of the gift events"),
    "n_negatives": ("count", "unclicked exposures"),
}
"""The columns of :data:`KIND_SUMS`."""


SESSION_TABLE = TableDoc(
    "derived",
    "one row per (user, live) with any event",
    "(user_id, live_id)",
    IDS,
    {
        "user_id": ("id", "the user"),
        "live_id": ("id", "the room"),
        "streamer_id": ("id", "the room's (unknown room: the least event streamer_id)"),
        "first_ms": (EPOCH, "time of the session's first event"),
        "last_ms": (EPOCH, "time of the session's last event"),
        "day": ("day index 0..20 (Beijing)", "Beijing day of first_ms"),
        **KIND_COLUMNS,
        "n_exposures": ("count", "exposures = n_clicks + n_negatives"),
    },
)
"""The sessions table's declaration (grain, key, columns)."""

SESSION_VALUE = {"click": "watch_live_time", "gift": "gift_price"}
"""The event files whose events carry a value ``v`` into the sessions (watch ms, coins)."""


def _sessions_sql(source: dict[str, str], room_col: str | None, join_rooms: bool) -> str:
    """The sessions aggregate over the five event sources ``source`` (file -> table), in
    users [:user_lo, :user_hi). The room's streamer comes from ``room_col`` of each event (the
    staged events carry it) or from a join with ``rooms`` (``join_rooms``); an unknown room
    falls back to the least event streamer_id. One SQL shape for both, so they agree."""
    room = f"{room_col}, " if room_col else ""
    parts = []
    for i, name in enumerate(S.EVENT_TABLES):
        col = SESSION_VALUE.get(name)
        if not col:
            v = "CAST(0 AS BIGINT)"
        else:  # the staged events hold the value as v already
            v = "v" if room_col else f"CAST({col} AS BIGINT)"
        parts.append(
            f"SELECT user_id, live_id, streamer_id, {room}ts_ms, {i} AS src, {v} AS v "
            f"FROM {source[name]}"
        )
    union = "\n    UNION ALL ".join(parts)
    streamer = f"COALESCE(min({room_col}), min(streamer_id))" if room_col else "min(streamer_id)"
    out_streamer = "COALESCE(r.streamer_id, g.ev_streamer)" if join_rooms else "g.ev_streamer"
    join = " LEFT JOIN rooms r ON g.live_id = r.live_id" if join_rooms else ""
    return f"""
WITH ev AS (
  SELECT * FROM (
    {union}
  ) AS u
  WHERE user_id >= :user_lo AND user_id < :user_hi
),
g AS (
  SELECT user_id, live_id, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms,
    {streamer} AS ev_streamer,
    {KIND_SUMS}
  FROM ev GROUP BY user_id, live_id
)
SELECT g.user_id, g.live_id, {out_streamer} AS streamer_id,
  g.first_ms, g.last_ms, {day_sql("g.first_ms")} AS day, g.n_clicks, g.watch_ms, g.n_comments,
  g.n_likes, g.n_gifts, g.gift_value, g.n_negatives, g.n_clicks + g.n_negatives AS n_exposures
FROM g{join}
ORDER BY g.user_id, g.live_id
"""


SESSIONS = Query(
    name="sessions",
    inputs=("clicks", "comments", "likes", "gifts", "negatives", "rooms"),
    doc=(
        "One row per (user_id, live_id) with any clean event, ordered by (user_id, live_id). "
        "Only users in [:user_lo, :user_hi): consecutive user ranges give consecutive parts of "
        "the table, so it can be built in pieces of bounded memory (see EVENTS_PER_USER). The "
        "definition over the contract tables; the cache build runs the same aggregate over "
        "the staged events (SESSIONS_STAGED), which carry their room's streamer."
    ),
    defaults={"user_lo": 0, "user_hi": 2**31},
    table=SESSION_TABLE,
    sql=_sessions_sql(EVENT_ATTRS, None, join_rooms=True),
)


def session_events_query(name: str) -> Query:
    """The clean ``name`` events as the sessions aggregate reads them, staged during cleaning
    (``stage_sess_<name>``): ids, time, the value (clicks' watch ms, gifts' coins) and the
    streamer of the event's room (``room_streamer``, NULL for an unknown room), which cleaning
    joined for the mismatch rule; so the sessions need no join with the rooms."""
    col = SESSION_VALUE.get(name)
    v = f", CAST({col} AS BIGINT) AS v" if col else ""
    return Query(
        name=f"stage_sess_{name}",
        inputs=(f"stage_clean_{name}",),
        doc=(
            f"Clean {name} events (rules 4-8 kept them) for the sessions aggregate: user_id, "
            "live_id, streamer_id (as the clean table holds it), room_streamer, ts_ms"
            + (", v." if col else ".")
        ),
        sql=f"""
SELECT user_id, live_id, streamer_out AS streamer_id, room_streamer, "timestamp" AS ts_ms{v}
FROM stage_clean_{name}
WHERE k8
""",
    )


SESSION_EVENTS = {name: session_events_query(name) for name in S.EVENT_TABLES}

SESSIONS_STAGED = Query(
    name="sessions_staged",
    inputs=tuple(q.name for q in SESSION_EVENTS.values()),
    doc=(
        "The sessions (same rows, columns and order as SESSIONS) from the staged events of "
        "the cache build, users in [:user_lo, :user_hi): the room's streamer is the events' "
        "room_streamer (constant per live_id), no join with the rooms."
    ),
    defaults={"user_lo": 0, "user_hi": 2**31},
    sql=_sessions_sql({n: q.name for n, q in SESSION_EVENTS.items()}, "room_streamer", False),
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
        "One row per (user_id, day) with any clean event, by event day (the stored int8 day). "
        "Grouped and ordered by the key user_id * 64 + day."
    ),
    table=TableDoc(
        "derived",
        "one row per (user, Beijing day) with any event",
        "(user_id, day)",
        "user_id -> users",
        {
            "user_id": ("id", "the user"),
            "day": ("day index 0..20 (Beijing)", "Beijing day of the events"),
            **KIND_COLUMNS,
            "active": ("boolean", "a click, comment, like or gift that day (not a negative)"),
        },
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
"""The queries over contract tables (the staged ones are ingestion-only: not here)."""


def _age(what: str) -> tuple[str, str]:
    return ("days", f"whole days from {what} to the window start (NaN: no date)")


USERS = TableDoc(
    "dimension",
    "one row per user",
    "user_id",
    "",
    {
        "reg_date": ("date", "registration date (reg_timestamp)"),
        "first_watch_date": ("date", "first live watched (first_watch_live_timestamp)"),
        "tenure_days": _age("registration"),
        "watch_age_days": _age("the first live watched"),
    },
)
"""``users``: user.csv, first row per user_id (rule 0), with these columns (built in pandas by
:func:`kuailive_analysis.engine.ingest.stage.profile_table`)."""

STREAMERS = TableDoc(
    "dimension",
    "one row per streamer",
    "streamer_id",
    "",
    {
        "reg_date": ("date", "registration date (reg_timestamp)"),
        "first_live_date": ("date", "date of the first broadcast (first_live_timestamp)"),
        "tenure_days": _age("registration"),
        "live_age_days": _age("the first broadcast"),
    },
)
"""``streamers``: streamer.csv, first row per streamer_id (rule 0), with these columns."""

CONTRACT: dict[str, TableDoc] = {
    "users": USERS,
    "streamers": STREAMERS,
    "rooms": ROOMS.table,
    **{EVENT_ATTRS[n]: q.table for n, q in CLEAN_EVENTS.items()},
    "sessions": SESSIONS.table,
    "user_day": USER_DAY.table,
}
"""Every table of the data contract (the Parquet cache, the Dataset attributes), in order."""


def data_model() -> pd.DataFrame:
    """The data model as a table: each contract table's kind, grain, key and joins, from
    :data:`CONTRACT`.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``kind``, ``grain``, ``key``, ``joins``; one row per table.
    """
    rows = [(name, t.kind, t.grain, t.key, t.joins) for name, t in CONTRACT.items()]
    return pd.DataFrame(rows, columns=["table", "kind", "grain", "key", "joins"])
