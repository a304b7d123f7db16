"""Chapter 5's event-level tables as SQL (:mod:`kuailive_analysis.funnel` holds the statistics).

One definition each of: the attribution of comments, likes and gifts to clicks
(``funnel_engagements``), the click table (``funnel_clicks``), the exposure table with its
segment and position columns (``funnel_exposures``), the session table (``funnel_sessions``),
the levels of the categorical segments (``funnel_levels``) and the per-(segment level, user)
sufficient statistics every KPI, funnel and user-clustered bootstrap interval of the chapter is
computed from (``funnel_user_stats_<column>``).

**Attribution.** An engagement is credited to the latest click of the same (user, live) at or
before it (same millisecond included), at most ``:window_ms`` milliseconds earlier (NULL = no
limit); status codes 0 attributed, 1 late, 2 before_click, 3 no_click
(:data:`kuailive_analysis.funnel.common.STATUSES`).

**Tie-break of clicks.** Several clicks of one (user, live) in the same millisecond are ranked
by ``watch_live_time`` descending, then ``streamer_id`` descending (``tie`` = 1 for the first);
engagements go to the click of rank 1. Clicks equal in all four columns cannot be told apart by
any column the funnel reads, so the choice among them changes no row of any table.

**Parameters.** ``:qualified_ms`` (watch threshold in ms, DOUBLE: a click qualifies when
``watch_live_time >= :qualified_ms``) and ``:window_ms`` (BIGINT or NULL).

**Segments.** Room category and type (from ``rooms`` by live_id), the user's age, gender and
device price (from ``users`` by user_id) as integer codes into ``funnel_levels`` (the label
text; code 0 = ``(missing)``, for an id absent from the dimension table or a NULL value; the
other labels from 1 in binary order; pandas orders the categories itself); ``streamer_decile`` (exposure-weighted
deciles of the streamers' exposure counts, midpoint rule) and ``user_decile`` (user deciles of
the users' exposure counts, ties by id). Exposure-weighted: the streamers sorted by
exposures (then id) are cut where the midpoint of each streamer's own volume crosses k/10 of
the total, ``decile = min(floor(10 (cumsum - n/2) / total) + 1, 10)``, so each decile holds
about 10% of the exposures; user deciles: ``floor(10 (rank - 1) / n_users) + 1``.

**Positions.** ``screen_size`` = exposures of the user in the same millisecond;
``exposure_index`` = dense rank of the millisecond among the (user, live)'s exposures (tied
exposures share an index, 1 = first); caps 10 and 5. Both, and the deciles, are computed on
the narrow (user, live, streamer, ms) rows of clicks and negatives and joined back, so no
window function runs over the wide exposure rows.

**Predictive models.** The history counts of :mod:`kuailive_analysis.predict.features` and
the positions its leak audit recomputes (``predict_prior_counts``, ``predict_positions``) read
the materialised ``funnel_exposures`` and return rows only for the keys in ``predict_rows``
(the rows the models use), so the exposure table never passes through pandas for them.
"""

from __future__ import annotations

from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.engine.queries.model import day_sql, hour_sql
from kuailive_analysis.engine.sql import Query

EVENTS = ("clicks", "comments", "likes", "gifts")
DEFAULTS = {"qualified_ms": 5000.0, "window_ms": 3_600_000}
CAP_SCREEN, CAP_INDEX = 10, 5
MISSING = "(missing)"
ROOM_LABELS = ("live_content_category", "live_type")
USER_LABELS = ("age", "gender", "device_price")
LABELS = ROOM_LABELS + USER_LABELS

# -- attribution ---------------------------------------------------------------------------
_ATTRIBUTION = """
clk AS (
  SELECT user_id, live_id, streamer_id, ts_ms, watch_live_time,
    row_number() OVER (PARTITION BY user_id, live_id, ts_ms
                       ORDER BY watch_live_time DESC, streamer_id DESC) AS tie
  FROM clicks
),
ev AS (
  SELECT user_id, live_id, streamer_id, ts_ms, 1 AS is_click, -1 AS kind,
    CAST(0 AS BIGINT) AS value
  FROM clk WHERE tie = 1
  UNION ALL
  SELECT user_id, live_id, streamer_id, ts_ms, 0, 0, CAST(0 AS BIGINT) FROM comments
  UNION ALL
  SELECT user_id, live_id, streamer_id, ts_ms, 0, 1, CAST(0 AS BIGINT) FROM likes
  UNION ALL
  SELECT user_id, live_id, streamer_id, ts_ms, 0, 2, CAST(gift_price AS BIGINT) FROM gifts
),
seq AS (
  SELECT *,
    last_value(CASE WHEN is_click = 1 THEN ts_ms END IGNORE NULLS) OVER (
      PARTITION BY user_id, live_id ORDER BY ts_ms, is_click DESC
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS click_ms,
    min(CASE WHEN is_click = 1 THEN ts_ms END) OVER (PARTITION BY user_id, live_id)
      AS first_click_ms
  FROM ev
),
att AS (
  SELECT user_id, live_id, streamer_id, ts_ms, kind, value,
    CASE WHEN click_ms IS NOT NULL AND (:window_ms IS NULL OR ts_ms - click_ms <= :window_ms)
         THEN 0
         WHEN click_ms IS NOT NULL THEN 1
         WHEN first_click_ms IS NOT NULL THEN 2
         ELSE 3 END AS status,
    click_ms
  FROM seq WHERE is_click = 0
)"""

_CLICKS = """
per_click AS (
  SELECT user_id, live_id, click_ms AS ts_ms,
    CAST(SUM(CASE WHEN kind = 0 THEN 1 ELSE 0 END) AS INTEGER) AS n_comments,
    CAST(SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END) AS INTEGER) AS n_likes,
    CAST(SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END) AS INTEGER) AS n_gifts,
    CAST(SUM(value) AS BIGINT) AS gift_value
  FROM att WHERE status = 0
  GROUP BY user_id, live_id, click_ms
),
ct AS (
  SELECT c.user_id, c.live_id, c.streamer_id, c.ts_ms, c.tie,
    CAST({day} AS TINYINT) AS day, CAST({hour} AS TINYINT) AS hour,
    CAST(c.watch_live_time AS INTEGER) AS watch_ms,
    CAST(COALESCE(p.n_comments, 0) AS INTEGER) AS n_comments,
    CAST(COALESCE(p.n_likes, 0) AS INTEGER) AS n_likes,
    CAST(COALESCE(p.n_gifts, 0) AS INTEGER) AS n_gifts,
    CAST(COALESCE(p.gift_value, 0) AS BIGINT) AS gift_value,
    CAST(c.watch_live_time AS DOUBLE) >= CAST(:qualified_ms AS DOUBLE) AS qualified
  FROM clk c LEFT JOIN per_click p
    ON c.tie = 1 AND p.user_id = c.user_id AND p.live_id = c.live_id AND p.ts_ms = c.ts_ms
),
cl AS (
  SELECT user_id, live_id, streamer_id, ts_ms, day, hour, watch_ms, n_comments, n_likes,
    n_gifts, gift_value, qualified,
    n_comments > 0 AS commented, n_likes > 0 AS liked, n_gifts > 0 AS gifted,
    (n_comments > 0 OR n_likes > 0 OR n_gifts > 0) AS interacted, tie
  FROM ct
)""".format(day=day_sql("c.ts_ms"), hour=hour_sql("c.ts_ms"))

CLICK_COLUMNS = ("user_id", "live_id", "streamer_id", "ts_ms", "day", "hour", "watch_ms",
                 "n_comments", "n_likes", "n_gifts", "gift_value", "qualified", "commented",
                 "liked", "gifted", "interacted")  # fmt: skip

_EXPOSURES = """
x AS (
  SELECT {click_cols}, TRUE AS clicked, tie FROM cl
  UNION ALL
  SELECT user_id, live_id, streamer_id, ts_ms, CAST({day} AS TINYINT), CAST({hour} AS TINYINT),
    0, 0, 0, 0, CAST(0 AS BIGINT), FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, 0
  FROM negatives n
),
raw_x AS (
  SELECT user_id, live_id, streamer_id, ts_ms FROM clicks
  UNION ALL
  SELECT user_id, live_id, streamer_id, ts_ms FROM negatives
),
screens AS (
  SELECT user_id, ts_ms, CAST(COUNT(*) AS INTEGER) AS screen_size
  FROM raw_x GROUP BY user_id, ts_ms
),
repeats AS (
  SELECT user_id, live_id, ts_ms,
    CAST(row_number() OVER (PARTITION BY user_id, live_id ORDER BY ts_ms) AS INTEGER)
      AS exposure_index
  FROM (SELECT DISTINCT user_id, live_id, ts_ms FROM raw_x) AS d
),
streamer_n AS (SELECT streamer_id, COUNT(*) AS n FROM raw_x GROUP BY streamer_id),
streamer_dec AS (
  SELECT streamer_id,
    CAST(LEAST(FLOOR((CAST(SUM(n) OVER (ORDER BY n, streamer_id
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                           AS DOUBLE) - CAST(n AS DOUBLE) / 2)
                     / CAST(SUM(n) OVER () AS DOUBLE) * 10) + 1, 10) AS TINYINT)
      AS streamer_decile
  FROM streamer_n
),
user_n AS (SELECT user_id, COUNT(*) AS n FROM raw_x GROUP BY user_id),
user_dec AS (
  SELECT user_id,
    CAST(FLOOR(CAST((row_number() OVER (ORDER BY n, user_id) - 1) * 10 AS DOUBLE)
               / CAST(COUNT(*) OVER () AS DOUBLE)) + 1 AS TINYINT) AS user_decile
  FROM user_n
),
{levels},
room_codes AS (
  SELECT r.live_id, {room_codes}
  FROM rooms r {room_joins}
),
user_codes AS (
  SELECT u.user_id, {user_codes}
  FROM users u {user_joins}
),
exposures AS (
  SELECT x.user_id, x.live_id, x.streamer_id, x.ts_ms, x.day, x.hour,
    CAST(x.watch_ms AS INTEGER) AS watch_ms, CAST(x.n_comments AS INTEGER) AS n_comments,
    CAST(x.n_likes AS INTEGER) AS n_likes, CAST(x.n_gifts AS INTEGER) AS n_gifts,
    x.gift_value, x.qualified, x.commented, x.liked, x.gifted, x.interacted, x.clicked,
    x.clicked AS s_click, x.clicked AND x.qualified AS s_qualified,
    x.clicked AND x.qualified AND x.interacted AS s_interaction,
    x.clicked AND x.qualified AND x.gifted AS s_gift,
    {label_cols},
    sd.streamer_decile, ud.user_decile,
    sc.screen_size, rp.exposure_index, x.tie
  FROM x
  JOIN screens sc ON sc.user_id = x.user_id AND sc.ts_ms = x.ts_ms
  JOIN repeats rp ON rp.user_id = x.user_id AND rp.live_id = x.live_id AND rp.ts_ms = x.ts_ms
  JOIN streamer_dec sd ON sd.streamer_id = x.streamer_id
  JOIN user_dec ud ON ud.user_id = x.user_id
  LEFT JOIN room_codes rc ON rc.live_id = x.live_id
  LEFT JOIN user_codes uc ON uc.user_id = x.user_id
)"""


def _label(col: str, alias: str) -> str:
    return f"COALESCE(CAST({alias}.{col} AS VARCHAR), '{MISSING}')"


def _levels_cte() -> str:
    """One CTE per label column: ``lv_<col>(label, code)``: code 0 = ``(missing)``, then the
    dimension table's other labels in binary order from 1."""
    parts = []
    for col in LABELS:
        table = "rooms" if col in ROOM_LABELS else "users"
        parts.append(
            f"lv_{col} AS (SELECT label, CAST(CASE WHEN label = '{MISSING}' THEN 0 ELSE "
            f"row_number() OVER (ORDER BY CASE WHEN label = '{MISSING}' THEN 0 ELSE 1 END, "
            f"label) - 1 END AS SMALLINT) AS code FROM (SELECT DISTINCT {_label(col, 't')} AS "
            f"label FROM {table} t UNION SELECT '{MISSING}' AS label) AS d)"
        )
    return ",\n".join(parts)


def _exposures_ctes() -> str:
    rooms, users = ROOM_LABELS, USER_LABELS
    return _EXPOSURES.format(
        click_cols=", ".join(CLICK_COLUMNS),
        day=day_sql("n.ts_ms"),
        hour=hour_sql("n.ts_ms"),
        levels=_levels_cte(),
        room_codes=", ".join(f"l_{c}.code AS {c}" for c in rooms),
        room_joins=" ".join(f"JOIN lv_{c} l_{c} ON l_{c}.label = {_label(c, 'r')}" for c in rooms),
        user_codes=", ".join(f"l_{c}.code AS {c}" for c in users),
        user_joins=" ".join(f"JOIN lv_{c} l_{c} ON l_{c}.label = {_label(c, 'u')}" for c in users),
        label_cols=", ".join(
            f"CAST(COALESCE({'rc' if c in rooms else 'uc'}.{c}, 0) AS SMALLINT) AS {c}"
            for c in LABELS
        ),
    )


EXPOSURE_COLUMNS = (*CLICK_COLUMNS, "clicked", "s_click", "s_qualified", "s_interaction",
                    "s_gift", "live_content_category", "live_type", "streamer_decile",
                    "user_decile", "age", "gender", "device_price", "screen_size",
                    "exposure_index", "screen_size_cap", "exposure_index_cap")  # fmt: skip
"""Columns of ``funnel_exposures``, in order."""

_EXPOSURE_SELECT = ", ".join(
    [c for c in EXPOSURE_COLUMNS if not c.endswith("_cap")]
    + [f"CAST(LEAST(screen_size, {CAP_SCREEN}) AS INTEGER) AS screen_size_cap",
       f"CAST(LEAST(exposure_index, {CAP_INDEX}) AS INTEGER) AS exposure_index_cap"]
)  # fmt: skip
EXPOSURE_ORDER = "clicked DESC, ts_ms, user_id, live_id, tie"
"""Row order of the exposure table: clicks first, each part as the cache (ts_ms, user_id, file
order), file order replaced by live_id and the tie rank (the file order is not in the data)."""

ENGAGEMENTS = Query(
    name="funnel_engagements",
    inputs=EVENTS,
    doc=(
        "One row per comment, like and gift with its attribution: user_id, live_id, "
        "streamer_id, ts_ms, kind (0 comment, 1 like, 2 gift), value (gift price, 0 "
        "otherwise), click_ms (time of the click it is credited to, -1 if none), lag_ms "
        "(ts_ms - click_ms, -1 if none), status (0 attributed, 1 late, 2 before_click, "
        "3 no_click). Ordered by kind, then as the cache (ts_ms, user_id), then live_id."
    ),
    defaults={"window_ms": DEFAULTS["window_ms"]},
    sql=f"""
WITH {_ATTRIBUTION}
SELECT user_id, live_id, streamer_id, ts_ms, CAST(kind AS TINYINT) AS kind, value,
  CASE WHEN status = 0 THEN click_ms ELSE -1 END AS click_ms,
  CASE WHEN status = 0 THEN ts_ms - click_ms ELSE -1 END AS lag_ms,
  CAST(status AS TINYINT) AS status
FROM att
""",
    order_by=("kind", "ts_ms", "user_id", "live_id", "status", "value"),
)

CLICKS = Query(
    name="funnel_clicks",
    inputs=EVENTS,
    doc=(
        "One row per click with its attributed engagements: user_id, "
        "live_id, streamer_id, ts_ms, day, hour (Beijing), watch_ms, n_comments, n_likes, "
        "n_gifts, gift_value (coins), qualified (watch >= :qualified_ms), commented, liked, "
        "gifted, interacted. Ordered as the cache (ts_ms, user_id), then live_id and the "
        "tie rank."
    ),
    defaults=DEFAULTS,
    sql=f"""
WITH {_ATTRIBUTION},
{_CLICKS}
SELECT {", ".join(CLICK_COLUMNS)}, tie FROM cl
""",
    order_by=("ts_ms", "user_id", "live_id", "tie"),
)

EXPOSURES = Query(
    name="funnel_exposures",
    inputs=(*EVENTS, "negatives", "rooms", "users"),
    doc=(
        "One row per exposure (a click or a negative): the click-table columns (zeros and "
        "False for negatives), clicked, the nested step flags s_click, s_qualified, "
        "s_interaction, s_gift, the segment codes live_content_category, live_type, age, "
        "gender, device_price (into funnel_levels), streamer_decile, user_decile (1..10), "
        "screen_size, exposure_index and their caps (10, 5). Ordered clicks first, each part "
        "as the cache (ts_ms, user_id), then live_id and the tie rank."
    ),
    defaults=DEFAULTS,
    sql=f"""
WITH {_ATTRIBUTION},
{_CLICKS},
{_exposures_ctes()}
SELECT {_EXPOSURE_SELECT} FROM exposures
ORDER BY {EXPOSURE_ORDER}
""",
)

EXPOSURES_STAGED = Query(
    name="funnel_exposures_staged",
    inputs=EXPOSURES.inputs,
    doc="The rows of funnel_exposures with the tie rank, unsorted (the first of its two passes).",
    defaults=DEFAULTS,
    sql=f"""
WITH {_ATTRIBUTION},
{_CLICKS},
{_exposures_ctes()}
SELECT {_EXPOSURE_SELECT}, tie FROM exposures
""",
)

EXPOSURES_SORTED = Query(
    name="funnel_exposures_sorted",
    inputs=("funnel_exposures_staged",),
    doc=(
        "funnel_exposures from its staged rows: the second pass, a sort alone. Written in two "
        "passes the exposure table needs the memory of the larger pass, not of both at once: "
        "in one statement the sort ran out of DuckDB's 2 GB at scale 2 (35M rows); a sort "
        "alone spills to disk."
    ),
    sql=f"""
SELECT {", ".join(EXPOSURE_COLUMNS)} FROM funnel_exposures_staged
ORDER BY {EXPOSURE_ORDER}
""",
)

LEVELS = Query(
    name="funnel_levels",
    inputs=("rooms", "users"),
    doc=(
        "The labels of the categorical segment codes of funnel_exposures: one row per "
        "(segment, code) with the label text ('(missing)' for an absent id or NULL value)."
    ),
    sql="WITH "
    + _levels_cte()
    + "\n"
    + "\nUNION ALL\n".join(f"SELECT '{c}' AS segment, code, label FROM lv_{c}" for c in LABELS),
    order_by=("segment", "code"),
)

_SESSION_FLAGS = """
  n_clicks > 0 AS clicked,
  n_clicks > 0 AND CAST(watch_ms AS DOUBLE) >= CAST(:qualified_ms AS DOUBLE) AS qualified,
  n_comments + n_likes + n_gifts > 0 AS interacted,
  n_gifts > 0 AS gifted,
  n_comments + n_likes + n_gifts > 0 AND n_clicks = 0 AS engaged_without_click,
  n_clicks + n_negatives > 0 AS s_exposure,
  n_clicks > 0 AS s_click,
  n_clicks > 0 AND CAST(watch_ms AS DOUBLE) >= CAST(:qualified_ms AS DOUBLE) AS s_qualified,
  n_clicks > 0 AND CAST(watch_ms AS DOUBLE) >= CAST(:qualified_ms AS DOUBLE)
    AND n_comments + n_likes + n_gifts > 0 AS s_interaction,
  n_clicks > 0 AND CAST(watch_ms AS DOUBLE) >= CAST(:qualified_ms AS DOUBLE) AND n_gifts > 0
    AS s_gift"""

SESSIONS = Query(
    name="funnel_sessions",
    inputs=(*EVENTS, "negatives"),
    doc=(
        "One row per (user_id, live_id) with any event: streamer_id "
        "of the first event (ties: clicks, negatives, comments, likes, gifts, then the "
        "smallest streamer_id), first_ms, counts n_clicks, n_negatives, n_comments, n_likes, "
        "n_gifts, watch_ms, gift_value, n_exposures, day, hour of the first event, and the "
        "flags (qualified: summed watch >= :qualified_ms). Ordered by (user_id, live_id)."
    ),
    defaults={"qualified_ms": DEFAULTS["qualified_ms"]},
    sql=f"""
WITH ev AS (
  SELECT user_id, live_id, streamer_id, ts_ms, 0 AS src, CAST(watch_live_time AS BIGINT) AS w,
    CAST(0 AS BIGINT) AS v FROM clicks
  UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 1, 0, 0 FROM negatives
  UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 2, 0, 0 FROM comments
  UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 3, 0, 0 FROM likes
  UNION ALL SELECT user_id, live_id, streamer_id, ts_ms, 4, 0, CAST(gift_price AS BIGINT)
  FROM gifts
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY user_id, live_id
                               ORDER BY ts_ms, src, streamer_id) AS rn
  FROM ev
),
s AS (
  SELECT user_id, live_id,
    MAX(CASE WHEN rn = 1 THEN streamer_id END) AS streamer_id,
    MIN(ts_ms) AS first_ms,
    CAST(SUM(CASE WHEN src = 0 THEN 1 ELSE 0 END) AS INTEGER) AS n_clicks,
    CAST(SUM(CASE WHEN src = 1 THEN 1 ELSE 0 END) AS INTEGER) AS n_negatives,
    CAST(SUM(CASE WHEN src = 2 THEN 1 ELSE 0 END) AS INTEGER) AS n_comments,
    CAST(SUM(CASE WHEN src = 3 THEN 1 ELSE 0 END) AS INTEGER) AS n_likes,
    CAST(SUM(CASE WHEN src = 4 THEN 1 ELSE 0 END) AS INTEGER) AS n_gifts,
    CAST(SUM(w) AS BIGINT) AS watch_ms,
    CAST(SUM(v) AS BIGINT) AS gift_value
  FROM ranked GROUP BY user_id, live_id
)
SELECT user_id, live_id, CAST(streamer_id AS INTEGER) AS streamer_id, first_ms, n_clicks,
  n_negatives, n_comments, n_likes, n_gifts, watch_ms, gift_value,
  CAST(n_clicks + n_negatives AS INTEGER) AS n_exposures,
  CAST({day_sql("first_ms")} AS TINYINT) AS day, CAST({hour_sql("first_ms")} AS TINYINT) AS hour,
{_SESSION_FLAGS[1:]}
FROM s
ORDER BY user_id, live_id
""",
)

# -- sufficient statistics per (segment level, user) ----------------------------------------
STAT_COLUMNS = ("s_exposure", "clicked", "qualified", "commented", "liked", "gifted",
                "interacted", "n_comments", "n_likes", "n_gifts", "gift_value",
                "gift_value_sq", "s_click", "s_qualified", "s_interaction", "s_gift")  # fmt: skip
"""Per (level, user): exposures (``s_exposure``), sums of the flags and counts, of gift_value
and of its square (all BIGINT)."""

_STATS_SELECT = """
SELECT {level} AS level, user_id,
  CAST(COUNT(*) AS BIGINT) AS s_exposure,
  {sums},
  CAST(SUM(CAST(gift_value AS BIGINT) * CAST(gift_value AS BIGINT)) AS BIGINT) AS gift_value_sq,
  {flag_sums}
FROM funnel_exposures
GROUP BY {group}
"""


def stats_select(column: str | None) -> str:
    """The per-(level of ``column``, user) sums over ``funnel_exposures`` (``column`` None:
    one level 0, i.e. per user)."""
    level = "CAST(0 AS INTEGER)" if column is None else f'CAST("{column}" AS BIGINT)'
    return _STATS_SELECT.format(
        level=level,
        sums=",\n  ".join(
            f"CAST(SUM(CAST({c} AS INTEGER)) AS BIGINT) AS {c}"
            for c in ("clicked", "qualified", "commented", "liked", "gifted", "interacted")
        ) + ",\n  " + ",\n  ".join(
            f"CAST(SUM({c}) AS BIGINT) AS {c}"
            for c in ("n_comments", "n_likes", "n_gifts", "gift_value")),
        flag_sums=",\n  ".join(
            f"CAST(SUM(CAST({c} AS INTEGER)) AS BIGINT) AS {c}"
            for c in ("s_click", "s_qualified", "s_interaction", "s_gift")),
        group="user_id" if column is None else f'"{column}", user_id',
    )  # fmt: skip


def user_stats_query(column: str | None, *, materialised: bool = True) -> Query:
    """The statistics of ``column`` as a Query: over the materialised ``funnel_exposures``
    table (what :func:`kuailive_analysis.funnel.analyse` runs), or, ``materialised=False``,
    with the exposure table computed inline from the cache tables (the registry's version, so
    the engine-parity tests cover it)."""
    name = f"funnel_user_stats_{column or 'all'}"
    doc = (
        f"Sufficient statistics per ({column or 'overall'} level, user) over the exposure "
        f"table: {', '.join(STAT_COLUMNS)}. Ordered by (level, user_id)."
    )
    if materialised:
        return Query(
            name=name,
            inputs=("funnel_exposures",),
            doc=doc,
            sql=stats_select(column),
            order_by=("level", "user_id"),
        )
    sql = (
        f"WITH {_ATTRIBUTION},\n{_CLICKS},\n{_exposures_ctes()},\n"
        f"funnel_exposures AS (SELECT {_EXPOSURE_SELECT} FROM exposures)\n" + stats_select(column)
    )
    return Query(
        name=name,
        inputs=EXPOSURES.inputs,
        doc=doc,
        sql=sql,
        defaults=DEFAULTS,
        order_by=("level", "user_id"),
    )


STAT_SEGMENTS = (None, "hour", "day", "live_content_category", "live_type", "streamer_decile",
                 "user_decile", "age", "gender", "device_price", "screen_size_cap",
                 "exposure_index_cap")  # fmt: skip
"""The segment columns chapter 5 breaks KPIs down by (None = overall)."""


_COUNT = "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT) AS {}"
_SESSION_COUNT_COLUMNS = {
    "clicked": "clicked",
    "click_qualified": "clicked AND qualified",
    "click_commented": "clicked AND n_comments > 0",
    "click_liked": "clicked AND n_likes > 0",
    "click_gifted": "clicked AND gifted",
    "click_interacted": "clicked AND interacted",
    "engaged_without_click": "engaged_without_click",
    "interacted": "interacted",
    "s_exposure": "s_exposure",
    **{f: f"s_exposure AND {f}" for f in ("s_click", "s_qualified", "s_interaction", "s_gift")},
}
"""The session counts chapter 5 reports: column -> the sessions it counts."""
_SESSION_COUNTS_SELECT = "SELECT CAST(COUNT(*) AS BIGINT) AS n_sessions,\n  " + ",\n  ".join(
    _COUNT.format(cond, col) for col, cond in _SESSION_COUNT_COLUMNS.items()
)
_SESSION_COUNTS_DOC = (
    "One row: n_sessions (the (user_id, live_id) sessions with any event) and the number of "
    "sessions with each flag of funnel_sessions: clicked; among click sessions those that "
    "qualify, comment, like, gift or interact (click_qualified, click_commented, click_liked, "
    "click_gifted, click_interacted); engaged_without_click and interacted; s_exposure and "
    "the nested steps s_click, s_qualified, s_interaction, s_gift of sessions with an exposure. "
    "Counted by the engine: no session row reaches pandas (16.6M rows at full scale)."
)

SESSION_COUNTS = Query(
    name="funnel_session_counts",
    inputs=("sessions",),
    doc=_SESSION_COUNTS_DOC + " From the data model's sessions table.",
    defaults={"qualified_ms": DEFAULTS["qualified_ms"]},
    sql=f"""
WITH f AS (
  SELECT n_comments, n_likes,{_SESSION_FLAGS}
  FROM sessions
)
{_SESSION_COUNTS_SELECT}
FROM f
""",
)

SESSION_COUNTS_EVENTS = Query(
    name="funnel_session_counts_events",
    inputs=SESSIONS.inputs,
    doc=_SESSION_COUNTS_DOC + " From the events (funnel_sessions), for data without sessions.",
    defaults={"qualified_ms": DEFAULTS["qualified_ms"]},
    sql=f"""
{_SESSION_COUNTS_SELECT}
FROM ({SESSIONS.sql}) AS f
""",
)


QUERIES = (ENGAGEMENTS, CLICKS, EXPOSURES, LEVELS, SESSIONS, SESSION_COUNTS, SESSION_COUNTS_EVENTS,
           *(user_stats_query(c, materialised=False) for c in STAT_SEGMENTS))  # fmt: skip


def query_params(qualified_watch_s: float, attribution_window_s: float | None) -> dict:
    """The SQL parameters ``qualified_ms`` and ``window_ms`` of the funnel's queries."""
    if qualified_watch_s < 0:
        raise ValueError(f"qualified_watch_s must be >= 0, got {qualified_watch_s}")
    if attribution_window_s is not None and attribution_window_s < 0:
        raise ValueError(f"attribution_window_s must be >= 0 or None, got {attribution_window_s}")
    return {
        "qualified_ms": float(qualified_watch_s * MS_PER_SECOND),
        "window_ms": None
        if attribution_window_s is None
        else int(round(attribution_window_s * MS_PER_SECOND)),
    }
