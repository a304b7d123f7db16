"""Chapter 3's event-level aggregation: the days each streamer went live (from the room
table, 11.8M rows at full scale; the user side reads the small user-day panel)."""

from __future__ import annotations

from kuailive_analysis.core.calendar import N_WINDOW_DAYS, WINDOW_START_MS
from kuailive_analysis.engine.queries.model import day_sql
from kuailive_analysis.engine.sql import Query

STREAMER_ACTIVITY_DAYS = Query(
    name="streamer_activity_days",
    sql=f"""
SELECT DISTINCT
  CAST(streamer_id AS INTEGER) AS streamer_id,
  CAST(GREATEST({day_sql("start_ms")}, 0) AS TINYINT) AS day
FROM rooms
WHERE end_ms > {WINDOW_START_MS} AND {day_sql("start_ms")} <= :last_day
""",
    inputs=("rooms",),
    doc="One row per (streamer, Beijing day) on which the streamer started a room: day = the "
    "day index of start_ms, a room started before the window but still live at its start "
    "counts for day 0, rooms starting after last_day are ignored (a long room counts only for "
    "its start day).",
    defaults={"last_day": N_WINDOW_DAYS - 1},
    order_by=("streamer_id", "day"),
)

QUERIES = (STREAMER_ACTIVITY_DAYS,)
