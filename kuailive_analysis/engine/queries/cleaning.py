"""The cleaning rules as SQL (the one definition), plus the raw-file quality counts, the
long-room sensitivity and the room-duration histogram (ingestion only).

Every rule is counted per table in the cleaning report (:mod:`kuailive_analysis.data.accounting`:
rows in, dropped, flagged, out; ``rows_out = rows_in - rows_dropped``). Rules, in the order
applied, with the :class:`~kuailive_analysis.data.params.CleaningParams` that steer them:

users, streamers
  0. ``duplicate_keys``: the first row per id is kept (in pandas: the profile files are small,
     :func:`kuailive_analysis.engine.ingest.stage.profile_table`).
rooms (:data:`ROOMS_ALL`)
  1. ``duplicate_rooms``: one row per ``live_id``. A room crossing midnight appears once per
     ``p_date``; the row keeps start = earliest start, end = latest end, ``p_date``/streamer/
     type/category of the earliest ``p_date`` row (file order breaks ties), and the title
     (``live_name_id``) of the latest (``room_name_rule='last'``) or earliest (``'first'``) row
     that has a title (-1 only if none has). Flagged: merged rooms whose rows disagreed on
     start, streamer or type.
  2. ``censored_room_end``: an ``end_timestamp`` at or after the extraction cap (2025-05-27
     00:00 Beijing) means "still live": ``end_censored`` and the duration is observed only up
     to the window end, ``duration_min = (min(end, window end) - start) / 60 000`` (a lower
     bound). Nothing dropped; censored rooms flagged.
  3. ``long_rooms``: rooms with ``duration_min > max_room_days * 1440`` (``None``: no
     threshold). By default (``long_rooms='flag'``) they and their events are kept and flagged
     (a click in a seven-day room is still a click); ``long_rooms='drop'`` drops them.
events: click, comment, like, gift, negative (:func:`event_queries`)
  4. ``events_outside_window``: timestamp outside [2025-05-05 00:00, 2025-05-26 00:00)
     Beijing; dropped (``drop_outside_window``), else counted as flagged.
  5. ``duplicate_events``: rows identical in every column (the copies after the first in file
     order). They may be real (two identical gifts in one millisecond), so by default they are
     kept and flagged (``flag_duplicate``); ``drop_duplicate_events=True`` drops them. Rows
     sharing a millisecond but differing in any column are never flagged.
  6. ``orphan_events``: live_id absent from room.csv or user_id absent from user.csv: dropped
     (``drop_orphans``); streamer_id absent from streamer.csv: flagged only.
  7. ``long_rooms``: events in the rooms of rule 3 (``flag_long_room``; dropped with them).
  8. ``streamer_mismatch``: the event's streamer_id differs from its room's: ``'flag'`` (count,
     keep the event's id), ``'drop'`` or ``'fix'`` (take the room's; a corrected row that
     thereby becomes an exact copy of another is dropped and counted here, so cleaning stays
     idempotent).

Clean event tables come out sorted by (timestamp, user_id), file order breaking ties.

Written in DuckDB's dialect; every query also transpiles to Spark SQL and runs there. The raw
files are the views ``raw_room``, ``raw_click``, ... (checked columns of
:func:`kuailive_analysis.data.io.read_batches` plus a 0-based ``_row`` in file order); ``users``
and ``streamers`` are the clean profile tables. The intermediate results the ingestion
materialises are named ``stage_*``: :data:`ROOMS_ALL` (rules 1-3, one row per live_id), then
per event file ``stage_marks_<file>`` (every raw row with the marks of rules 4-7) and
``stage_clean_<file>`` (the keep flags ``k4`` .. ``k8`` under the parameters). Exact copies are
found with a GROUP BY over all data columns keeping ``min(_row)`` (a hash aggregate spills to
disk where a window over all rows might not).
"""

from __future__ import annotations

import numpy as np

from kuailive_analysis.core.calendar import (
    CAPPED_END_MS,
    MS_PER_DAY,
    WINDOW_END_MS,
    WINDOW_START_MS,
)
from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.sql import Query

SENSITIVITY_THRESHOLDS = (0.25, 0.5, 1.0, 2.0, 7.0, None)
"""Long-room thresholds (days) of the sensitivity table (None: no threshold)."""

DURATION_EDGES_MIN = np.r_[0.0, np.geomspace(1.0, 14 * 1440.0, 57)]
"""Histogram edges (minutes) of :data:`DURATION_HISTOGRAM`: 0, then log-spaced 1 min .. 14
days (rooms above the last edge go in the last bin)."""

NULL_CATEGORY = "\u0001null"
"""Stand-in for a missing category inside ``arg_min`` (which skips NULL values)."""

ROW_BITS = 1 << 34
"""``_row`` < 2**34 rows per file; ``p_date * ROW_BITS + _row`` orders by (p_date, file order)."""

PDATE_TOP = (1 << 25) - 1
"""> every YYYYMMDD p_date; ``PDATE_TOP - p_date`` reverses the p_date order."""

_DUR = "CAST(CAST(duration_min AS FLOAT) AS DOUBLE)"
"""The observed duration as the float32 the cache holds, compared in double (as pandas does)."""

ROOMS_ALL = Query(
    name="stage_rooms_all",
    inputs=("raw_room",),
    doc=(
        "Rules 1-3 on rooms: one row per live_id (earliest-p_date row's p_date, streamer, "
        "type, category; min start, max end; title of the latest (or earliest) p_date row "
        "with a title), censoring at the extraction cap, observed duration in minutes, "
        "is_long = duration above :long_min minutes (when :has_long). Only the rows of "
        "live_ids that occur more than once are aggregated; the others pass through."
    ),
    defaults={"name_first": False, "has_long": True, "long_min": 1440.0},
    sql=f"""
WITH multi_ids AS (
  SELECT live_id AS mid FROM raw_room GROUP BY live_id HAVING count(*) > 1
),
single AS (
  SELECT live_id, p_date, streamer_id, live_type, live_content_category AS category,
    start_timestamp AS start_ms, end_timestamp AS end_ms, live_name_id,
    streamer_id AS last_streamer, CAST(1 AS BIGINT) AS n_rows, FALSE AS conflict
  FROM raw_room WHERE live_id NOT IN (SELECT mid FROM multi_ids)
),
m AS (
  SELECT *,
    CAST(p_date AS BIGINT) * {ROW_BITS} + _row AS k_first,
    (CASE WHEN live_name_id >= 0 THEN {1 << 60} ELSE 0 END)
      + CAST(CASE WHEN :name_first THEN {PDATE_TOP} - p_date ELSE p_date END AS BIGINT)
        * {ROW_BITS} + _row AS k_name
  FROM raw_room WHERE live_id IN (SELECT mid FROM multi_ids)
),
merged AS (
  SELECT live_id,
    arg_min(p_date, k_first) AS p_date,
    arg_min(streamer_id, k_first) AS streamer_id,
    arg_min(live_type, k_first) AS live_type,
    arg_min(COALESCE(live_content_category, '{NULL_CATEGORY}'), k_first) AS category,
    min(start_timestamp) AS start_ms,
    max(end_timestamp) AS end_ms,
    arg_max(live_name_id, k_name) AS live_name_id,
    arg_max(streamer_id, _row) AS last_streamer,
    count(*) AS n_rows,
    (max(start_timestamp) <> min(start_timestamp) OR max(streamer_id) <> min(streamer_id)
      OR max(live_type) <> min(live_type)) AS conflict
  FROM m
  GROUP BY live_id
),
g AS (
  SELECT * FROM single
  UNION ALL
  SELECT live_id, p_date, streamer_id, live_type,
    CASE WHEN category = '{NULL_CATEGORY}' THEN NULL ELSE category END,
    start_ms, end_ms, live_name_id, last_streamer, n_rows, conflict
  FROM merged
),
c AS (
  SELECT *, end_ms >= {CAPPED_END_MS} AS end_censored,
    CAST((CASE WHEN end_ms >= {CAPPED_END_MS} THEN greatest({WINDOW_END_MS}, start_ms)
               ELSE end_ms END) - start_ms AS DOUBLE) / CAST(60000 AS DOUBLE) AS duration_min
  FROM g
)
SELECT live_id, streamer_id, live_type, start_ms, end_ms, category AS live_content_category,
  live_name_id, p_date, duration_min, end_censored, n_rows, conflict, last_streamer,
  ({_DUR} > CAST(:long_min AS DOUBLE) AND :has_long) AS is_long
FROM c
""",
)

ROOM_COUNTS = Query(
    name="room_clean_counts",
    inputs=("raw_room", "stage_rooms_all"),
    doc="Report numbers of rules 1-3: raw rows, rooms, conflicting merged rooms, censored, long.",
    sql="""
SELECT
  (SELECT count(*) FROM raw_room) AS n_raw,
  count(*) AS n_rooms,
  COALESCE(sum(CASE WHEN n_rows > 1 AND conflict THEN 1 ELSE 0 END), 0) AS n_conflict,
  COALESCE(sum(CASE WHEN end_censored THEN 1 ELSE 0 END), 0) AS n_censored,
  COALESCE(sum(CASE WHEN is_long THEN 1 ELSE 0 END), 0) AS n_long
FROM stage_rooms_all
""",
)

ROOM_CATEGORIES = Query(
    name="room_categories",
    inputs=("raw_room",),
    doc=(
        "Distinct live_content_category values of room.csv in order of first appearance (the "
        "category order pandas gives the column when it reads the file)."
    ),
    sql="""
SELECT live_content_category AS category, min(_row) AS first_row
FROM raw_room WHERE live_content_category IS NOT NULL
GROUP BY live_content_category ORDER BY first_row
""",
)

RAW_ROOM_QUALITY = Query(
    name="raw_room_quality",
    inputs=("raw_room", "streamers"),
    doc=(
        "Quality counts on the raw room file and its time range (the "
        "duplicate live_id rows are raw rows minus stage_rooms_all rows)."
    ),
    sql=f"""
SELECT count(*) AS n,
  COALESCE(sum(CASE WHEN end_timestamp < start_timestamp THEN 1 ELSE 0 END), 0) AS end_before,
  COALESCE(sum(CASE WHEN end_timestamp - start_timestamp > {MS_PER_DAY} THEN 1 ELSE 0 END), 0)
    AS over_day,
  COALESCE(sum(CASE WHEN end_timestamp >= {CAPPED_END_MS} THEN 1 ELSE 0 END), 0) AS capped,
  COALESCE(sum(CASE WHEN s.streamer_id IS NULL THEN 1 ELSE 0 END), 0) AS orphan_streamer,
  least(min(start_timestamp), min(end_timestamp)) AS t_min,
  greatest(max(start_timestamp), max(end_timestamp)) AS t_max
FROM raw_room r LEFT JOIN streamers s ON r.streamer_id = s.streamer_id
""",
)

ROOM_SENSITIVITY = Query(
    name="room_sensitivity_rooms",
    inputs=("stage_rooms_all", "stage_thresholds"),
    doc=(
        "Rooms (after rules 1-2) longer than each threshold of stage_thresholds(i, lim) "
        "(lim in minutes; a huge lim = no threshold)."
    ),
    sql=f"""
SELECT t.i, COALESCE(sum(CASE WHEN {_DUR} > t.lim THEN 1 ELSE 0 END), 0) AS n
FROM stage_rooms_all CROSS JOIN stage_thresholds t
GROUP BY t.i
""",
)

DURATION_HISTOGRAM = Query(
    name="room_duration_histogram",
    inputs=("stage_rooms_all", "stage_duration_edges"),
    doc=(
        "Rooms per duration bin: duration clipped to [0, last edge], "
        "bin i = [lo, hi), the last bin closed; split by end_censored."
    ),
    sql=f"""
WITH d AS (
  SELECT greatest(least({_DUR}, (SELECT max(hi) FROM stage_duration_edges)), 0.0) AS d,
    end_censored
  FROM stage_rooms_all
)
SELECT e.i,
  COALESCE(sum(CASE WHEN d.d IS NOT NULL AND NOT d.end_censored THEN 1 ELSE 0 END), 0) AS real,
  COALESCE(sum(CASE WHEN d.d IS NOT NULL AND d.end_censored THEN 1 ELSE 0 END), 0) AS censored
FROM stage_duration_edges e
LEFT JOIN d ON d.d >= e.lo AND (d.d < e.hi OR (e.is_last AND d.d <= e.hi))
GROUP BY e.i
""",
)


def _q(col: str) -> str:
    return f'"{col}"'


def data_columns(name: str) -> list[str]:
    """The raw columns of event file ``name`` (what rule 5 compares)."""
    return S.SCHEMAS[name].column_names


def event_queries(name: str) -> dict[str, Query]:
    """The queries of one event file ``name`` (click, comment, like, gift, negative):
    ``quality`` (raw counts), ``marks``, ``clean``, ``counts`` (report numbers of rules 4-8) and
    ``sensitivity`` (raw events in rooms longer than each threshold)."""
    cols = data_columns(name)
    raw, marks, clean = f"raw_{name}", f"stage_marks_{name}", f"stage_clean_{name}"
    sel = ", ".join(_q(c) for c in cols)
    xsel = ", ".join(f"x.{_q(c)}" for c in cols)

    def eq(a, b, cs):
        return " AND ".join(f"{a}.{_q(c)} = {b}.{_q(c)}" for c in cs)

    fixed = [("streamer_out" if c == "streamer_id" else c) for c in cols]
    fsel = ", ".join(_q(c) for c in fixed)

    def n(cond):
        return f"COALESCE(sum(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)"

    out = {}
    out["marks"] = Query(
        name=f"stage_marks_{name}",
        inputs=(raw, "stage_rooms_all", "users", "streamers"),
        doc=(
            f"Every raw {name} event with the marks of rules 4-7: w_out (outside the window), "
            "dup_raw (copy of an earlier raw row), dup (the same among the rows rule 4 keeps: "
            "copies share the timestamp, so rule 4 keeps all or none of a group), no_room / "
            "no_user / no_streamer (unknown ids), in_long (room longer than max_room_days), "
            "room_streamer (the deduplicated room's streamer, NULL for unknown rooms), "
            "room_last_streamer (the streamer of the room's last raw row)."
        ),
        defaults={"drop_outside": True},
        sql=f"""
WITH e AS (
  SELECT {xsel}, x._row,
    (x."timestamp" < {WINDOW_START_MS} OR x."timestamp" >= {WINDOW_END_MS}) AS w_out,
    r.live_id IS NULL AS no_room, u.user_id IS NULL AS no_user,
    s.streamer_id IS NULL AS no_streamer, COALESCE(r.is_long, FALSE) AS in_long,
    r.streamer_id AS room_streamer, r.last_streamer AS room_last_streamer,
    CAST(CAST(r.duration_min AS FLOAT) AS DOUBLE) AS room_dur
  FROM {raw} x
  LEFT JOIN stage_rooms_all r ON x.live_id = r.live_id
  LEFT JOIN users u ON x.user_id = u.user_id
  LEFT JOIN streamers s ON x.streamer_id = s.streamer_id
),
a AS (SELECT *, NOT (w_out AND :drop_outside) AS k4 FROM e),
g AS (SELECT {sel}, min(_row) AS first_row FROM {raw} GROUP BY {sel} HAVING count(*) > 1),
b AS (
  SELECT a.*, COALESCE(a._row > g.first_row, FALSE) AS dup_raw
  FROM a LEFT JOIN g ON {eq("a", "g", cols)}
)
SELECT *, k4 AND dup_raw AS dup FROM b
""",
    )
    out["quality"] = Query(
        name=f"raw_{name}_quality",
        inputs=(marks,),
        doc=(
            f"Quality counts on the raw {name} events (exact copies, outside "
            "the window, unknown live / user / streamer, streamer differing from the room's "
            "last raw row) and their time range, from the marks of every raw row."
        ),
        sql=f"""
SELECT count(*) AS n, {n("dup_raw")} AS dup, {n("w_out")} AS outside,
  {n("no_room")} AS orphan_live,
  {n("room_last_streamer IS NOT NULL AND room_last_streamer <> streamer_id")} AS mismatch,
  {n("no_user")} AS orphan_user, {n("no_streamer")} AS orphan_streamer,
  min("timestamp") AS t_min, max("timestamp") AS t_max
FROM {marks}
""",
    )
    out["clean"] = Query(
        name=f"stage_clean_{name}",
        inputs=(marks,),
        doc=(
            f"{name} events with the keep flags k4..k8 of rules 4-8 under the parameters, "
            "mism (streamer differs from the room's), streamer_out (the room's streamer when "
            "fixing) and new_dup (a copy that fixing created; dropped)."
        ),
        defaults={
            "drop_dup": False,
            "drop_orphans": True,
            "drop_long": False,
            "mismatch_drop": False,
            "mismatch_fix": False,
        },
        sql=f"""
WITH a AS (
  SELECT *,
    k4 AND NOT (dup AND :drop_dup) AS k5,
    room_streamer IS NOT NULL AND room_streamer <> streamer_id AS mism
  FROM {marks}
),
b AS (SELECT *, k5 AND NOT ((no_room OR no_user) AND :drop_orphans) AS k6 FROM a),
c AS (
  SELECT *, k6 AND NOT (in_long AND :drop_long) AS k7,
    CASE WHEN mism AND :mismatch_fix THEN room_streamer ELSE streamer_id END AS streamer_out
  FROM b
),
before AS (
  SELECT {sel}, min(_row) AS first_row FROM c WHERE k7 AND :mismatch_fix
  GROUP BY {sel} HAVING count(*) > 1
),
after AS (
  SELECT {fsel}, min(_row) AS first_row FROM c WHERE k7 AND :mismatch_fix
  GROUP BY {fsel} HAVING count(*) > 1
),
d AS (
  SELECT c.*,
    COALESCE(c.k7 AND c._row > af.first_row, FALSE)
      AND NOT COALESCE(c.k7 AND c._row > bf.first_row, FALSE) AS new_dup
  FROM c
  LEFT JOIN before bf ON {eq("c", "bf", cols)}
  LEFT JOIN after af ON {eq("c", "af", fixed)}
)
SELECT *, k7 AND NOT (mism AND :mismatch_drop) AND NOT new_dup AS k8 FROM d
""",
    )

    out["counts"] = Query(
        name=f"{name}_clean_counts",
        inputs=(clean,),
        doc=f"Report numbers of rules 4-8 on {name}: rows and marked rows at each stage.",
        sql=f"""
SELECT count(*) AS n, {n("w_out")} AS w_out, {n("k4")} AS k4, {n("k4 AND dup")} AS dup,
  {n("k5")} AS k5, {n("k5 AND (no_room OR no_user)")} AS bad,
  {n("k5 AND no_streamer AND NOT (no_room OR no_user)")} AS unknown_streamer,
  {n("k6")} AS k6, {n("k6 AND in_long")} AS in_long, {n("k7")} AS k7,
  {n("k7 AND mism")} AS mism, {n("new_dup")} AS new_dup, {n("k8")} AS k8
FROM {clean}
""",
    )
    out["sensitivity"] = Query(
        name=f"raw_{name}_sensitivity",
        inputs=(marks, "stage_thresholds"),
        doc=(
            f"Raw {name} events in rooms (after rules 1-2) longer than each threshold "
            "of stage_thresholds(i, lim) (lim in minutes), from the marks' room_dur."
        ),
        sql=f"""
WITH d AS (
  SELECT room_dur, count(*) AS c FROM {marks} WHERE room_dur IS NOT NULL GROUP BY room_dur
)
SELECT t.i, COALESCE(sum(CASE WHEN d.room_dur > t.lim THEN d.c ELSE 0 END), 0) AS n
FROM stage_thresholds t CROSS JOIN d
GROUP BY t.i
""",
    )
    return out


EVENT_QUERIES = {name: event_queries(name) for name in S.EVENT_TABLES}

QUERIES = (
    ROOMS_ALL,
    ROOM_COUNTS,
    ROOM_CATEGORIES,
    RAW_ROOM_QUALITY,
    ROOM_SENSITIVITY,
    DURATION_HISTOGRAM,
    *(q for qs in EVENT_QUERIES.values() for q in qs.values()),
)

MODEL_COUNTS = Query(
    name="model_counts",
    inputs=("rooms", "user_day"),
    doc=(
        "Rows and distinct live_ids of the clean rooms (equal when rule 1 made live_id a key) "
        "and rows of the user-day panel."
    ),
    sql="""
SELECT (SELECT count(*) FROM rooms) AS n_rooms,
  (SELECT count(DISTINCT live_id) FROM rooms) AS n_room_ids,
  (SELECT count(*) FROM user_day) AS n_user_days
""",
)

QUERIES = (*QUERIES, MODEL_COUNTS)
