"""Room counts and exact duration quantiles per group of rooms (chapter 2), in bounded memory.

The quantile of :math:`n` values at level :math:`q` needs the order statistics at 0-based ranks
:math:`i = \\lfloor q (n - 1) \\rfloor` and :math:`i + 1`. Sorting every group's durations (a
list per group, 11.8M values in the group of all rooms at full scale) finds them at the cost of
a sort and of holding every value. Here they are found in two passes that only count:

1. every kept duration (minutes) falls in a bin :math:`b = \\lfloor d \\cdot` :data:`BINS_PER_MIN`
   :math:`\\rfloor` (monotone in :math:`d`: a larger duration never falls in a lower bin; the
   multiplication by a power of two is exact); the rooms per (group, bin) and their running
   total give, for each wanted rank, its bin and its position inside the bin;
2. only the rooms of those bins (at most eight per group, a few thousand rooms even at full
   scale) are ranked by duration inside their bin, and the wanted positions are read off.

The result is the same two order statistics the sort gives (exactly: only counts and
comparisons are involved); memory is the histogram and the rooms of the wanted bins, whatever
the number of rooms. The definitions run on the dataset's engine (DuckDB or Spark); the caller
interpolates the quantile between them (:func:`kuailive_analysis.eda.rooms.order_quantile`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kuailive_analysis.core.calendar import WINDOW_END_MS, WINDOW_START_MS
from kuailive_analysis.engine.sql import Query

__all__ = [
    "BINS_PER_MIN",
    "DURATION_QUANTILES",
    "IN_WINDOW",
    "ROOM_DURATIONS",
    "SHOP_SQL",
    "room_duration_query",
]

SHOP_SQL = "CASE WHEN live_content_category = 'shop' THEN 'shop' ELSE 'not shop' END"
"""``'shop'`` / ``'not shop'`` per room (missing category = not shop)."""

IN_WINDOW = f"start_ms >= {WINDOW_START_MS} AND start_ms <= {WINDOW_END_MS - 1}"
"""A room that started inside the window (its start is observed)."""

DURATION_QUANTILES = (("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))
"""(column, q) of the duration quantiles."""

BINS_PER_MIN = 4
"""Bins per minute of duration in the first pass (bins of 15 seconds; a power of two, so
``d * BINS_PER_MIN`` is exact)."""


def _same(a: str, b: str, n: int) -> str:
    """Null-safe equality of the group keys g0..g(n-1) of two relations (a missing category is
    a group of its own)."""
    return " AND ".join(f"{a}.g{i} IS NOT DISTINCT FROM {b}.g{i}" for i in range(n))


def room_duration_query(name: str, groups: Sequence[str]) -> Query:
    """Room counts and durations per group of rooms (eda.room_duration_summary).

    ``groups``: SQL expressions over the room table, the group keys ``g0``, ``g1``, ... (none:
    one group of all rooms, ``g0 = 'all'``). Per group: ``n_rooms``, ``n_censored`` (still
    live at extraction) and over the ``n_kept`` rooms kept for durations (started inside the
    window and, with ``:ended_only``, ended) the ``mean`` of ``duration_min`` and, for each
    quantile q of :data:`DURATION_QUANTILES`, the order statistics at 0-based ranks
    i = floor(q (n_kept - 1)) and i + 1 (``p25_lo``, ``p25_hi``, ...; NULL past the last
    rank), found in two counting passes (module docstring): the quantile is
    lo + (hi - lo) frac, frac = q (n_kept - 1) - i, interpolated by the caller exactly as
    pandas does (DuckDB's ``quantile_cont`` rounds differently in the last bit)."""
    groups = list(groups) or ["'all'"]
    k = len(groups)
    keys = ", ".join(f"{expr} AS g{i}" for i, expr in enumerate(groups))
    cols = ", ".join(f"g{i}" for i in range(k))
    wanted = "\n    UNION ALL ".join(
        f"SELECT {qi} AS qi, CAST({q} AS DOUBLE) AS q, {j} AS j"
        for qi, (_, q) in enumerate(DURATION_QUANTILES)
        for j in (0, 1)
    )
    picks = ",\n  ".join(
        f"max(CASE WHEN p.qi = {qi} AND p.j = {j} THEN p.d END) AS {col}_{side}"
        for qi, (col, _) in enumerate(DURATION_QUANTILES)
        for j, side in ((0, "lo"), (1, "hi"))
    )
    a_cols = ", ".join(f"a.g{i}" for i in range(k))
    return Query(
        name=name,
        inputs=("rooms",),
        doc=(
            f"One row per group of rooms ({', '.join(groups)}: g0, ...): n_rooms, n_censored "
            "(still live at extraction), n_kept (started inside the window and, with "
            ":ended_only, ended), mean duration_min of those and the two order statistics "
            "around each quantile p25 / median / p75 / p90 (*_lo, *_hi), found by counting "
            "in bins of duration, then ranking only the rooms of the bins that hold them."
        ),
        defaults={"ended_only": True},
        order_by=tuple(f"g{i}" for i in range(k)),
        sql=f"""
WITH r AS (
  SELECT {keys}, CAST(duration_min AS DOUBLE) AS d, CAST(end_censored AS BOOLEAN) AS censored,
    ({IN_WINDOW}) AS in_window
  FROM rooms
),
k AS (
  SELECT *, in_window AND NOT (censored AND :ended_only) AND d IS NOT NULL AS kept FROM r
),
a AS (
  SELECT {cols}, CAST(COUNT(*) AS BIGINT) AS n_rooms,
    CAST(SUM(CASE WHEN censored THEN 1 ELSE 0 END) AS BIGINT) AS n_censored,
    CAST(SUM(CASE WHEN kept THEN 1 ELSE 0 END) AS BIGINT) AS n_kept,
    AVG(CASE WHEN kept THEN d END) AS mean
  FROM k GROUP BY {cols}
),
kb AS (
  SELECT {cols}, d, CAST(FLOOR(d * {BINS_PER_MIN}) AS BIGINT) AS b FROM k WHERE kept
),
h AS (
  SELECT {cols}, b, CAST(COUNT(*) AS BIGINT) AS c FROM kb GROUP BY {cols}, b
),
hc AS (
  SELECT {cols}, b, c,
    SUM(c) OVER (PARTITION BY {cols} ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      - c AS before
  FROM h
),
t AS (
  SELECT {a_cols}, w.qi, w.j,
    CAST(FLOOR(w.q * CAST(a.n_kept - 1 AS DOUBLE)) AS BIGINT) + w.j AS rk
  FROM a CROSS JOIN (
    {wanted}
  ) AS w
  WHERE a.n_kept > 0
),
tb AS (
  SELECT {", ".join(f"t.g{i}" for i in range(k))}, t.qi, t.j, hc.b, t.rk - hc.before AS pos
  FROM t JOIN hc ON {_same("t", "hc", k)} AND t.rk >= hc.before AND t.rk < hc.before + hc.c
),
wb AS (
  SELECT DISTINCT {cols}, b FROM tb
),
v AS (
  SELECT {", ".join(f"kb.g{i}" for i in range(k))}, kb.b, kb.d,
    ROW_NUMBER() OVER (PARTITION BY {", ".join(f"kb.g{i}" for i in range(k))}, kb.b
      ORDER BY kb.d) - 1 AS pos
  FROM kb JOIN wb ON {_same("kb", "wb", k)} AND kb.b = wb.b
),
p AS (
  SELECT {", ".join(f"tb.g{i}" for i in range(k))}, tb.qi, tb.j, v.d
  FROM tb JOIN v ON {_same("tb", "v", k)} AND tb.b = v.b AND tb.pos = v.pos
)
SELECT {a_cols}, a.n_rooms, a.n_censored, a.n_kept, a.mean,
  {picks}
FROM a LEFT JOIN p ON {_same("a", "p", k)}
GROUP BY {a_cols}, a.n_rooms, a.n_censored, a.n_kept, a.mean
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
