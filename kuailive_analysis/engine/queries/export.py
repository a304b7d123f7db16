"""The SQL of ``kuailive export``: the interactions fact table and the per-user RFM summary.

Both read the clean tables of the Parquet cache. ``export_interactions`` reads the five event
tables as ``clicks_rows``, ``comments_rows`` ... : the same rows with a 0-based ``_row`` column
(the row's position in its cache file), for the "file order" tie-breaker of ``event_index``;
:func:`kuailive_analysis.export.register_cache` registers them on either engine (DuckDB:
``file_row_number``; Spark: ``_metadata.row_index``).

Both queries document their tables and own columns in ``table``
(:class:`~kuailive_analysis.engine.sql.TableDoc`): the data dictionary of the export
(:mod:`kuailive_analysis.export`) is generated from them, from the data model's declarations
(:data:`kuailive_analysis.engine.queries.model.CONTRACT`) and from
:mod:`kuailive_analysis.data.schema` (raw columns). Every output column is cast explicitly so
that DuckDB and Spark write the same Parquet types.
"""

from __future__ import annotations

from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.sql import Query, TableDoc

DAY = "day index 0..20"

EVENT_KINDS: tuple[tuple[str, str], ...] = (
    ("click", "clicks"),
    ("comment", "comments"),
    ("like", "likes"),
    ("gift", "gifts"),
    ("negative", "negatives"),
)
"""(event kind, table) in the fixed kind order that breaks ties of ``ts_ms`` (schema order)."""

ROWS_SUFFIX = "_rows"
"""``clicks_rows`` ...: the event views with the 0-based ``_row`` (position in the cache file)
that ``export_interactions`` reads; not contract tables, so the engine-parity test leaves the
query to tests/test_export.py, which compares the whole export on both engines."""
assert tuple(k for k, _ in EVENT_KINDS) == S.EVENT_TABLES

JOINED: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    # (table, alias, key, output prefix, columns); the profile columns analyses segment by.
    # Each string column costs about 4% of the full-scale export time: the rest of a profile
    # is one join away (users / streamers / rooms of the same export).
    ("users", "u", "user_id", "user_",
     ("age", "gender", "device_price", "fans_num", "is_live_streamer", "tenure_days")),
    ("streamers", "s", "streamer_id", "streamer_",
     ("gender", "age", "live_operation_tag", "fans_user_num", "tenure_days")),
    ("rooms", "r", "live_id", "room_",
     ("live_type", "live_content_category", "start_timestamp", "end_timestamp",
      "duration_min")),
)  # fmt: skip
"""Dimension attributes joined onto every interaction: ``<prefix><column>`` is ``column`` of
``table`` (meaning and unit as there), matched on ``key`` (LEFT JOIN: no row lost)."""


def _event_select(kind: str, table: str, rank: int) -> str:
    watch = "watch_live_time" if kind == "click" else "CAST(NULL AS INTEGER)"
    price = "gift_price" if kind == "gift" else "CAST(NULL AS INTEGER)"
    return (
        f"SELECT '{kind}' AS event, {rank} AS kind_order, _row, user_id, live_id, "
        f'streamer_id, ts_ms, "timestamp", "day", "hour", {watch} AS watch_live_time, '
        f"{price} AS gift_price, flag_duplicate, flag_long_room FROM {table}{ROWS_SUFFIX}"
    )


def _joined_select() -> str:
    return ",\n       ".join(
        f"{alias}.{col} AS {prefix}{col}" for _, alias, _, prefix, cols in JOINED for col in cols
    )


INTERACTIONS_SQL = f"""
WITH ev AS (
    {
    (chr(10) + "    UNION ALL" + chr(10) + "    ").join(
        _event_select(k, t, i + 1) for i, (k, t) in enumerate(EVENT_KINDS)
    )
}
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY user_id, live_id
                                 ORDER BY ts_ms, kind_order, _row) AS event_index
    FROM ev
)
SELECT CAST(e.event AS VARCHAR) AS event,
       CAST(e.event_index AS INTEGER) AS event_index,
       e.user_id, e.live_id, e.streamer_id, e.ts_ms, e."timestamp", e."day", e."hour",
       CAST(e.watch_live_time AS INTEGER) AS watch_live_time,
       CAST(e.gift_price AS INTEGER) AS gift_price,
       e.flag_duplicate, e.flag_long_room,
       {_joined_select()}
FROM ranked AS e
{chr(10).join(f"LEFT JOIN {t} AS {a} ON {a}.{k} = e.{k}" for t, a, k, _, _ in JOINED)}
"""

INTERACTIONS = Query(
    name="export_interactions",
    sql=INTERACTIONS_SQL,
    inputs=tuple(f"{t}{ROWS_SUFFIX}" for _, t in EVENT_KINDS) + tuple(t for t, *_ in JOINED),
    doc="""One row per event of the five clean event tables (clicks, comments, likes, gifts and
unclicked exposures), with its order in the user-room session and the user, streamer and room
attributes joined (LEFT JOIN: every event is kept once). Reads the ``*_rows`` event views.""",
    table=TableDoc(
        "fact",
        "one row per click, comment, like, gift or unclicked exposure",
        "(user_id, live_id, event_index)",
        "user_id -> users; live_id -> rooms; streamer_id -> streamers",
        {
            "event": (
                "kind",
                "the event kind: click, comment, like, gift or negative (an unclicked exposure)",
            ),
            "event_index": (
                "rank, 1-based",
                "the event's position within its session (user_id, live_id), ordered by ts_ms, "
                "then the kind order click < comment < like < gift < negative, then the order "
                "in the cache file; 1..n without gaps",
            ),
            "watch_live_time": ("ms", "watch time of a click (NULL for other kinds)"),
            "gift_price": ("platform coins", "total value of a gift event (NULL for other kinds)"),
        },
    ),
    order_by=("user_id", "live_id", "event_index"),
)


RFM_SQL = """
WITH gift_days AS (
    SELECT user_id, "day", gift_value FROM user_day WHERE n_gifts > 0
), g AS (
    SELECT user_id, min("day") AS first_day, max("day") AS last_day, count(*) AS n_days,
           sum(gift_value) AS value
    FROM gift_days GROUP BY user_id
), g1 AS (
    SELECT d.user_id, d.gift_value AS first_value
    FROM gift_days AS d JOIN g ON d.user_id = g.user_id AND d."day" = g.first_day
), act AS (
    SELECT user_id,
           sum(n_clicks) AS n_clicks, sum(watch_ms) AS watch_ms,
           sum(n_comments) AS n_comments, sum(n_likes) AS n_likes,
           sum(n_gifts) AS n_gifts, sum(n_negatives) AS n_negatives,
           sum(CASE WHEN active THEN 1 ELSE 0 END) AS active_days,
           min(CASE WHEN active THEN "day" END) AS first_active_day,
           max(CASE WHEN active THEN "day" END) AS last_active_day
    FROM user_day GROUP BY user_id
)
SELECT u.user_id,
       CAST(g.first_day AS SMALLINT) AS first_gift_day,
       CAST(g.n_days - 1 AS INTEGER) AS frequency,
       CAST(g.last_day - g.first_day AS DOUBLE) AS recency,
       CAST(:n_days - 1 - g.first_day AS DOUBLE) AS "T",
       CAST(CASE WHEN g.n_days > 1 THEN (g.value - g1.first_value) / (g.n_days - 1)
                 WHEN g.n_days = 1 THEN 0.0 END AS DOUBLE) AS monetary_value,
       CAST(coalesce(g.n_days, 0) AS INTEGER) AS gift_days,
       CAST(coalesce(g.value, 0) AS BIGINT) AS gift_value,
       CAST(coalesce(a.n_gifts, 0) AS BIGINT) AS n_gifts,
       CAST(coalesce(a.n_clicks, 0) AS BIGINT) AS n_clicks,
       CAST(coalesce(a.watch_ms, 0) AS DOUBLE) / CAST(3600000 AS DOUBLE) AS watch_hours,
       CAST(coalesce(a.n_comments, 0) AS BIGINT) AS n_comments,
       CAST(coalesce(a.n_likes, 0) AS BIGINT) AS n_likes,
       CAST(coalesce(a.n_negatives, 0) AS BIGINT) AS n_negatives,
       CAST(coalesce(a.active_days, 0) AS INTEGER) AS active_days,
       CAST(a.first_active_day AS SMALLINT) AS first_active_day,
       CAST(a.last_active_day AS SMALLINT) AS last_active_day
FROM users AS u
LEFT JOIN g ON g.user_id = u.user_id
LEFT JOIN g1 ON g1.user_id = u.user_id
LEFT JOIN act AS a ON a.user_id = u.user_id
"""

RFM = Query(
    name="export_rfm",
    sql=RFM_SQL,
    inputs=("users", "user_day"),
    defaults={"n_days": S.N_WINDOW_DAYS},
    doc="""One row per user (every row of ``users``): the gifting RFM summary over the whole
window (the calibration window of kuailive_analysis.ltv.summary set to all ``n_days`` days;
a transaction is a gifting day, its value the day's summed gift_price) and the user's activity
totals. The RFM columns are NULL for users who never gifted (not in the cohort).""",
    table=TableDoc(
        "derived",
        "one row per user (users)",
        "user_id",
        "user_id -> users",
        {
            "first_gift_day": (DAY, "Beijing day of the user's first gift (NULL: never gifted)"),
            "frequency": (
                "days",
                "repeat gifting days, i.e. gifting days after the first (ltv frequency_cal)",
            ),
            "recency": ("days", "last gifting day minus the first gifting day (ltv recency_cal)"),
            "T": (
                "days",
                "n_days - 1 - first_gift_day, the days on which a repeat could have happened (ltv T_cal)",
            ),
            "monetary_value": (
                "platform coins per day",
                "mean value of the repeat gifting days, the first day excluded; 0 when frequency = 0 (ltv monetary_cal)",
            ),
            "gift_days": ("days", "gifting days in the window (frequency + 1; 0 for non-gifters)"),
            "gift_value": ("platform coins", "total gift value in the window (ltv value_cal)"),
            "n_gifts": ("count", "gift events in the window"),
            "n_clicks": ("count", "clicks in the window"),
            "watch_hours": ("hours", "summed watch_live_time of the user's clicks"),
            "n_comments": ("count", "comments in the window"),
            "n_likes": ("count", "likes in the window"),
            "n_negatives": ("count", "unclicked exposures in the window"),
            "active_days": ("days", "active days (a click, comment, like or gift that day)"),
            "first_active_day": (DAY, "first active day (NULL: never active)"),
            "last_active_day": (DAY, "last active day (NULL: never active)"),
        },
    ),  # fmt: skip
    order_by=("user_id",),
)

QUERIES = (INTERACTIONS, RFM)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_query(table: str, columns: dict[str, str]) -> Query:
    """``SELECT`` every column of a clean cache table, ``columns`` mapping name -> the SQL
    type to cast to (empty string: as stored). Dates stored as naive timestamps are cast to
    ``DATE`` by the caller's mapping; nothing else changes."""
    cols = ", ".join(
        f"CAST({_quote(c)} AS {t}) AS {_quote(c)}" if t else _quote(c) for c, t in columns.items()
    )
    return Query(
        name=f"export_{table}",
        sql=f"SELECT {cols} FROM {table}",
        inputs=(table,),
        doc=f"Every row and column of the clean table {table}.",
    )
