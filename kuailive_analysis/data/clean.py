"""Cleaning rules: each a named, parameterised, pure function with full row accounting.

Input frames are as returned by :func:`kuailive_analysis.data.io.read_table` (epoch-ms columns as
int64 under their file names). Every rule returns ``(frame, Step)`` where :class:`Step` holds
``rows_in``, ``rows_dropped`` and ``rows_flagged`` so that ``rows_out = rows_in - rows_dropped``
exactly; :func:`clean_tables` chains them and builds the cleaning report, one row per
(rule, table). Rules, in the order applied:

rooms
  1. ``duplicate_rooms`` (:func:`dedupe_rooms`): one row per ``live_id``. A room crossing
     midnight appears once per ``p_date``; we keep start = earliest start, end = latest end,
     ``p_date``/streamer/type/category of the earliest ``p_date`` row, and the title
     (``live_name_id``) of the latest (``name_rule='last'``) or earliest (``'first'``) row that
     has a title (-1 only if none has). Flagged: kept rooms whose rows disagreed on start,
     streamer or type.
  2. ``censored_room_end`` (:func:`censor_room_ends`): an ``end_timestamp`` at or after the
     extraction cap (2025-05-27 00:00 Beijing) means "still live": ``end_censored = True`` and
     the duration is observed only up to the window end, ``duration_min = (min(end, window
     end) - start) / 60 000`` (a lower bound). Nothing dropped; censored rooms flagged.
  3. ``long_rooms`` (:func:`drop_long_rooms`): rooms with ``duration_min > max_room_days *
     1440`` (``None``: no threshold). By default (``long_rooms='flag'``) they and their events
     are **kept and flagged** (a click in a seven-day room is still a click); with
     ``long_rooms='drop'`` the rooms and their events are dropped under the same rule.
events (click, comment, like, gift, negative)
  4. ``events_outside_window`` (:func:`drop_events_outside_window`): timestamp outside
     [2025-05-05 00:00, 2025-05-26 00:00) Beijing.
  5. ``duplicate_events`` (:func:`drop_duplicate_events`): rows identical in every column
     (the copies after the first). They may be real (two identical gifts sent in one
     millisecond, one screen showing a room twice), so by default they are **kept and
     flagged** in the boolean column ``flag_duplicate`` of every event table;
     ``drop_duplicate_events=True`` drops them. Rows sharing a millisecond but differing in
     live_id are real (one screen of exposures) and never flagged.
  6. ``orphan_events`` (:func:`drop_orphan_events`): live_id absent from room.csv or user_id
     absent from user.csv: dropped; streamer_id absent from streamer.csv: flagged only.
  7. ``long_rooms``: events in rooms dropped by rule 3.
  8. ``streamer_mismatch`` (:func:`resolve_streamer_mismatch`): the event's streamer_id differs
     from its room's: ``'flag'`` (count, keep the event's id), ``'drop'`` or ``'fix'`` (replace
     by the room's streamer_id, flagged).
users, streamers
  0. ``duplicate_keys`` (:func:`dedupe_keys`): keep the first row per id.

Event tables come out sorted by (timestamp, user_id) with the file order as the stable
tie-breaker (several clicks of one user share a millisecond), with the flag columns
:data:`FLAG_COLUMNS` (``flag_duplicate``, ``flag_long_room``; all False when the rule drops).
Every flagged or dropped row is counted by rule in the report. Cleaning is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import (
    CAPPED_END_MS,
    MS_PER_MINUTE,
    WINDOW_END_MS,
    WINDOW_START_MS,
)
from kuailive_analysis.core.keys import lookup, lookup_table
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.params import (  # noqa: F401 (re-exported for the rules' callers)
    LONG_ROOM_MODES,
    NAME_RULES,
    STREAMER_MISMATCH_MODES,
    CleaningParams,
)

REPORT_COLUMNS = ["rule", "table", "rows_in", "rows_dropped", "rows_flagged", "rows_out"]
FLAG_COLUMNS = ("flag_duplicate", "flag_long_room")
"""Boolean columns every clean event table carries: the row is an exact copy of an earlier
row (rule 5), the row's room is longer than ``max_room_days`` (rule 3)."""
KEEPS_REAL_EVENTS = {
    "duplicate_events": "drop_duplicate_events",
    "long_rooms": "long_rooms",
}
"""Rules that may remove real events, with the parameter that makes them drop (they flag by
default)."""


@dataclass(frozen=True)
class Step:
    """Row accounting of one rule on one table."""

    rule: str
    table: str
    rows_in: int
    rows_dropped: int
    rows_flagged: int = 0

    @property
    def rows_out(self) -> int:
        return self.rows_in - self.rows_dropped

    def as_row(self) -> dict:
        return {"rule": self.rule, "table": self.table, "rows_in": self.rows_in,
                "rows_dropped": self.rows_dropped, "rows_flagged": self.rows_flagged,
                "rows_out": self.rows_out}


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F),
        np.uint64(0x165667B19E3779F9), np.uint64(0x27D4EB2F165667C5),
        np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


def duplicate_rows(df: pd.DataFrame) -> np.ndarray:
    """Boolean mask of rows identical in every column to an earlier row (``keep='first'``).

    Exact and fast on integer tables: a 64-bit multiplicative hash of each row selects the
    candidate rows (a hash shared by two or more rows), and pandas' exact ``duplicated`` runs
    on those candidates only. Rows with equal values have equal hashes, so every duplicate
    is a candidate; a hash collision only adds candidates, never a false duplicate.
    """
    n = len(df)
    if n < 2:
        return np.zeros(n, dtype=bool)
    if not all(np.issubdtype(df[c].dtype, np.integer) for c in df.columns):
        return df.duplicated().to_numpy()
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, c in enumerate(df.columns):
            v = df[c].to_numpy().astype(np.int64, copy=False).view(np.uint64)
            h ^= v * _MIX[i % len(_MIX)]
            h = (h ^ (h >> np.uint64(29))) * _MIX[(i + 3) % len(_MIX)]
    cand = pd.Series(h).duplicated(keep=False).to_numpy()
    out = np.zeros(n, dtype=bool)
    if cand.any():
        idx = np.flatnonzero(cand)
        out[idx] = df.iloc[idx].duplicated().to_numpy()
    return out


def _keep(df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    if mask.all():
        return df
    return df.loc[mask].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Rooms
# ---------------------------------------------------------------------------------------------
def dedupe_rooms(room: pd.DataFrame, name_rule: str = "last") -> tuple[pd.DataFrame, Step]:
    """One row per live_id (see module docstring, rule 1). Output sorted by live_id.

    Only the rows of duplicated live_ids (found with one hash pass) are sorted and reduced;
    unique rooms pass through unchanged.
    """
    if name_rule not in NAME_RULES:
        raise ValueError(f"name_rule must be one of {NAME_RULES}, got {name_rule!r}")
    n = len(room)
    if n == 0:
        return room.reset_index(drop=True), Step("duplicate_rooms", "room", 0, 0, 0)
    dup = pd.Series(room["live_id"].to_numpy()).duplicated(keep=False).to_numpy()
    n_conflict = 0
    if dup.any():
        merged, n_conflict = _merge_room_rows(room.loc[dup], name_rule)
        out = pd.concat([room.loc[~dup], merged], ignore_index=True)
    else:
        out = room
    live = out["live_id"].to_numpy()
    if not (np.diff(live) > 0).all():
        out = out.iloc[np.argsort(live, kind="stable")]
    out = out.reset_index(drop=True)
    return out, Step("duplicate_rooms", "room", n, n - len(out), n_conflict)


def _merge_room_rows(room: pd.DataFrame, name_rule: str) -> tuple[pd.DataFrame, int]:
    """Collapse rows sharing a live_id (all rows here are duplicated); returns the merged rows
    and the number of live_ids whose rows disagreed on start, streamer or type."""
    n = len(room)
    live = room["live_id"].to_numpy()
    pdate = room["p_date"].to_numpy()
    order = np.lexsort((pdate, live))  # by live_id, then p_date, stable
    ls = live[order]
    starts = np.flatnonzero(np.r_[True, ls[1:] != ls[:-1]])
    ends = np.r_[starts[1:], n]
    out = room.iloc[order[starts]].reset_index(drop=True)
    st = room["start_timestamp"].to_numpy()[order]
    en = room["end_timestamp"].to_numpy()[order]
    out["start_timestamp"] = np.minimum.reduceat(st, starts)
    out["end_timestamp"] = np.maximum.reduceat(en, starts)
    conflict = np.maximum.reduceat(st, starts) != out["start_timestamp"].to_numpy()
    for col in ("streamer_id", "live_type"):
        v = room[col].to_numpy()[order]
        conflict |= np.maximum.reduceat(v, starts) != np.minimum.reduceat(v, starts)
    # title: among rows with a title (>= 0), the latest ('last') or earliest ('first') p_date
    name = room["live_name_id"].to_numpy()
    has = (name >= 0).astype(np.int8)
    key_p = pdate if name_rule == "last" else -pdate.astype(np.int64)
    order2 = np.lexsort((key_p, has, live))  # within live_id: untitled first, then by p_date
    out["live_name_id"] = name[order2[ends - 1]]
    return out, int(conflict.sum())


def censor_room_ends(room: pd.DataFrame, cap_ms: int = CAPPED_END_MS,
                     window_end_ms: int = WINDOW_END_MS) -> tuple[pd.DataFrame, Step]:
    """Mark capped ends as right-censored and compute the observed duration (rule 2).

    ``end_censored = end_timestamp >= cap_ms``; ``duration_min`` (float32, minutes) is
    ``(end - start) / 60 000`` for real ends and ``(window_end - start) / 60 000`` (clipped at
    0) for censored ones: a lower bound, never the artificial time to the cap.
    """
    start = room["start_timestamp"].to_numpy().astype(np.int64)
    end = room["end_timestamp"].to_numpy().astype(np.int64)
    cens = end >= cap_ms
    obs_end = np.where(cens, np.maximum(window_end_ms, start), end)
    out = room.copy()
    out["end_censored"] = cens
    out["duration_min"] = ((obs_end - start) / MS_PER_MINUTE).astype(np.float32)
    return out, Step("censored_room_end", "room", len(room), 0, int(cens.sum()))


def long_room_mask(room: pd.DataFrame, max_room_days: float | None) -> np.ndarray:
    """True for rooms whose observed ``duration_min`` exceeds ``max_room_days`` days."""
    if max_room_days is None:
        return np.zeros(len(room), dtype=bool)
    return room["duration_min"].to_numpy() > max_room_days * 1440.0


def drop_long_rooms(room: pd.DataFrame, max_room_days: float | None = 1.0, drop: bool = True
                    ) -> tuple[pd.DataFrame, Step, np.ndarray]:
    """Drop (or, with ``drop=False``, keep and flag) rooms longer than ``max_room_days``
    (rule 3); also returns the live_ids of the long rooms.

    Needs ``duration_min`` from :func:`censor_room_ends`.
    """
    long = long_room_mask(room, max_room_days)
    long_ids = room["live_id"].to_numpy()[long]
    if not drop:
        return room, Step("long_rooms", "room", len(room), 0, int(long.sum())), long_ids
    return (_keep(room, ~long), Step("long_rooms", "room", len(room), int(long.sum())),
            long_ids)


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------
def drop_events_outside_window(ev: pd.DataFrame, table: str, start_ms: int = WINDOW_START_MS,
                               end_ms: int = WINDOW_END_MS, drop: bool = True
                               ) -> tuple[pd.DataFrame, Step]:
    """Drop (or, with ``drop=False``, flag) events with timestamp outside [start_ms, end_ms)."""
    ts = ev["timestamp"].to_numpy()
    out = (ts < start_ms) | (ts >= end_ms)
    k = int(out.sum())
    if not drop:
        return ev, Step("events_outside_window", table, len(ev), 0, k)
    return _keep(ev, ~out), Step("events_outside_window", table, len(ev), k)


def _data_columns(ev: pd.DataFrame) -> pd.DataFrame:
    """The event's own columns (without the flag columns cleaning adds)."""
    flags = [c for c in FLAG_COLUMNS if c in ev.columns]
    return ev.drop(columns=flags) if flags else ev


def drop_duplicate_events(ev: pd.DataFrame, table: str, drop: bool = True
                          ) -> tuple[pd.DataFrame, Step]:
    """Drop rows identical in every column, keeping the first; with ``drop=False`` keep them
    and set ``flag_duplicate`` (True on the copies after the first). Flag columns are not
    compared."""
    dup = duplicate_rows(_data_columns(ev))
    k = int(dup.sum())
    if not drop:
        out = ev.copy(deep=False)  # shares the data; only the new column is added
        out["flag_duplicate"] = dup
        return out, Step("duplicate_events", table, len(ev), 0, k)
    out = _keep(ev, ~dup).assign(flag_duplicate=False)
    return out, Step("duplicate_events", table, len(ev), k)


def drop_orphan_events(ev: pd.DataFrame, table: str, room_ids: np.ndarray,
                       user_ids: np.ndarray | None = None,
                       streamer_ids: np.ndarray | None = None, drop: bool = True
                       ) -> tuple[pd.DataFrame, Step]:
    """Drop events whose live_id is not a room or user_id not a user; flag unknown streamers.

    ``room_ids`` must be the live_ids of room.csv *before* the long-room rule, so that events
    of long rooms are counted under ``long_rooms``, not here.
    """
    bad = ~lookup(lookup_table(room_ids), ev["live_id"].to_numpy(), False)
    if user_ids is not None:
        bad |= ~lookup(lookup_table(user_ids), ev["user_id"].to_numpy(), False)
    flagged = 0
    if streamer_ids is not None:
        flagged = int((~lookup(lookup_table(streamer_ids), ev["streamer_id"].to_numpy(), False)
                       & ~bad).sum())
    k = int(bad.sum())
    if not drop:
        return ev, Step("orphan_events", table, len(ev), 0, k + flagged)
    return _keep(ev, ~bad), Step("orphan_events", table, len(ev), k, flagged)


def drop_events_in_rooms(ev: pd.DataFrame, table: str, live_ids: np.ndarray,
                         rule: str = "long_rooms", drop: bool = True,
                         flag_column: str | None = None) -> tuple[pd.DataFrame, Step]:
    """Drop events whose live_id is in ``live_ids`` (the cascade of a room rule); with
    ``drop=False`` keep them, counted as flagged (and marked in ``flag_column`` if given)."""
    if len(live_ids) == 0:
        hit = np.zeros(len(ev), dtype=bool)
    else:
        hit = lookup(lookup_table(live_ids), ev["live_id"].to_numpy(), False)
    k = int(hit.sum())
    if not drop:
        out = ev
        if flag_column:
            out = ev.copy(deep=False)  # shares the data; only the new column is added
            out[flag_column] = hit
        return out, Step(rule, table, len(ev), 0, k)
    out = _keep(ev, ~hit)
    if flag_column:
        out = out.assign(**{flag_column: np.zeros(len(out), dtype=bool)})
    return out, Step(rule, table, len(ev), k)


def resolve_streamer_mismatch(ev: pd.DataFrame, table: str, room: pd.DataFrame,
                              mode: str = "flag") -> tuple[pd.DataFrame, Step]:
    """Compare each event's streamer_id with its room's (rule 8); ``mode`` flag/drop/fix.

    Events whose live_id is not in ``room`` are not compared. ``'fix'`` sets the room's
    streamer_id; a corrected row that thereby becomes an exact copy of another row (the same
    event logged twice, once with the wrong streamer) is dropped and counted under this rule,
    so the output has no duplicates this rule created and cleaning stays idempotent.
    """
    if mode not in STREAMER_MISMATCH_MODES:
        raise ValueError(f"mode must be one of {STREAMER_MISMATCH_MODES}, got {mode!r}")
    rs = lookup(lookup_table(room["live_id"].to_numpy(), room["streamer_id"].to_numpy()),
               ev["live_id"].to_numpy(), 0)
    mism = (rs != 0) & (rs != ev["streamer_id"].to_numpy())
    k = int(mism.sum())
    if mode == "drop":
        return _keep(ev, ~mism), Step("streamer_mismatch", table, len(ev), k)
    if mode == "fix" and k:
        before = duplicate_rows(_data_columns(ev))
        fixed = ev.copy()
        fixed["streamer_id"] = np.where(mism, rs, ev["streamer_id"].to_numpy()).astype(np.int32)
        new_dup = duplicate_rows(_data_columns(fixed)) & ~before
        n_new = int(new_dup.sum())
        if n_new:
            fixed = _keep(fixed, ~new_dup)
        return fixed, Step("streamer_mismatch", table, len(ev), n_new, k)
    return ev, Step("streamer_mismatch", table, len(ev), 0, k)


def sort_events(ev: pd.DataFrame) -> pd.DataFrame:
    """Sort by (timestamp, user_id), stable: file order breaks ties (shared milliseconds)."""
    ts = ev["timestamp"].to_numpy()
    if len(ts) < 2:
        return ev
    user = ev["user_id"].to_numpy()
    d_ts = np.diff(ts)
    if (d_ts >= 0).all() and (np.diff(user)[d_ts == 0] >= 0).all():
        return ev  # already in order (the delivered logs are sorted by time)
    order = np.lexsort((user, ts))
    return ev.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Dimensions
# ---------------------------------------------------------------------------------------------
def dedupe_keys(df: pd.DataFrame, key: str, table: str) -> tuple[pd.DataFrame, Step]:
    """Keep the first row per ``key`` (rule 0); output sorted by key."""
    dup = df[key].duplicated().to_numpy()
    out = _keep(df, ~dup)
    if not out[key].is_monotonic_increasing:
        out = out.sort_values(key, kind="stable").reset_index(drop=True)
    return out, Step("duplicate_keys", table, len(df), int(dup.sum()))


# ---------------------------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------------------------
def clean_tables(raw: dict[str, pd.DataFrame], params: CleaningParams | None = None, *,
                 consume: bool = False, keep_all_rooms: bool = False
                 ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Apply every rule to the eight raw tables; returns (clean tables, cleaning report).

    The report has one row per (rule, table) with rows_in, rows_dropped, rows_flagged,
    rows_out; per table, each rule's rows_in is the previous rule's rows_out. The room table
    gains ``end_censored`` and ``duration_min``. ``keep_all_rooms`` adds ``'room_all'``: the
    rooms after rules 1-2, before the long-room rule (for sensitivity analyses).
    ``consume=True`` pops each table from ``raw`` once it is cleaned (saves memory at full
    scale; the caller's dict is emptied); otherwise ``raw`` is left untouched.
    """
    p = params or CleaningParams()
    steps: list[Step] = []
    out: dict[str, pd.DataFrame] = {}

    def take(name):
        return raw.pop(name) if consume else raw[name]

    for name, key in (("user", "user_id"), ("streamer", "streamer_id")):
        if name in raw:
            out[name], st = dedupe_keys(take(name), key, name)
            steps.append(st)
    room, st = dedupe_rooms(take("room"), p.room_name_rule)
    steps.append(st)
    room, st = censor_room_ends(room)
    steps.append(st)
    all_room_ids = room["live_id"].to_numpy()
    drop_long = p.long_rooms == "drop"
    room_kept, st_long, long_ids = drop_long_rooms(room, p.max_room_days, drop=drop_long)
    steps.append(st_long)
    out["room"] = room_kept
    if keep_all_rooms:
        out["room_all"] = room
    user_ids = out["user"]["user_id"].to_numpy() if "user" in out else None
    streamer_ids = out["streamer"]["streamer_id"].to_numpy() if "streamer" in out else None
    for name in S.EVENT_TABLES:
        if name not in raw:
            continue
        ev = take(name)
        ev, st = drop_events_outside_window(ev, name, drop=p.drop_outside_window)
        steps.append(st)
        ev, st = drop_duplicate_events(ev, name, drop=p.drop_duplicate_events)
        steps.append(st)
        ev, st = drop_orphan_events(ev, name, all_room_ids, user_ids, streamer_ids,
                                    drop=p.drop_orphans)
        steps.append(st)
        ev, st = drop_events_in_rooms(ev, name, long_ids, "long_rooms", drop=drop_long,
                                      flag_column="flag_long_room")
        steps.append(st)
        ev, st = resolve_streamer_mismatch(ev, name, room, p.streamer_mismatch)
        steps.append(st)
        out[name] = sort_events(ev)
    report = pd.DataFrame([s.as_row() for s in steps], columns=REPORT_COLUMNS)
    for c in REPORT_COLUMNS[2:]:
        report[c] = report[c].astype("int64")
    return out, report


def check_report(report: pd.DataFrame, raw_rows: dict[str, int] | None = None,
                 clean_rows: dict[str, int] | None = None) -> None:
    """Assert the report adds up: rows_out = rows_in - dropped, chained per table, and (if
    given) the first rows_in equals the raw row count and the last rows_out the clean count."""
    for table, g in report.groupby("table", sort=False):
        r_in, r_drop, r_out = (g[c].to_numpy() for c in ("rows_in", "rows_dropped", "rows_out"))
        if not (r_out == r_in - r_drop).all() or not (r_in[1:] == r_out[:-1]).all():
            raise AssertionError(f"cleaning report does not add up for table {table}")
        if raw_rows and table in raw_rows and r_in[0] != raw_rows[table]:
            raise AssertionError(f"{table}: report starts at {r_in[0]}, raw has {raw_rows[table]}")
        if clean_rows and table in clean_rows and r_out[-1] != clean_rows[table]:
            raise AssertionError(f"{table}: report ends at {r_out[-1]}, "
                                 f"clean has {clean_rows[table]}")


def long_room_sensitivity(room: pd.DataFrame, events: dict[str, pd.DataFrame],
                          thresholds=(0.5, 1.0, 2.0, 7.0, None)) -> pd.DataFrame:
    """What each ``max_room_days`` threshold would drop, in rooms and in every event table.

    ``room`` must have ``duration_min`` (after :func:`censor_room_ends`, before the long-room
    rule); ``events`` are event tables (any stage). Returns one row per threshold with the
    number and share of rooms and of each table's events dropped (``None`` = keep all).
    """
    dur = room["duration_min"].to_numpy()
    live = room["live_id"].to_numpy()
    top = int(live.max()) + 1 if live.size else 1
    counts = {name: np.bincount(ev["live_id"].to_numpy(), minlength=top)
              for name, ev in events.items()}
    rows = []
    for t in thresholds:
        long = np.zeros(len(room), bool) if t is None else dur > t * 1440.0
        row = {"max_room_days": np.inf if t is None else float(t),
               "rooms_dropped": int(long.sum()),
               "rooms_dropped_share": float(long.mean()) if len(room) else 0.0}
        ids = live[long]
        for name, c in counts.items():
            k = int(c[ids[ids < c.size]].sum())
            row[f"{name}_dropped"] = k
            row[f"{name}_dropped_share"] = k / max(len(events[name]), 1)
        rows.append(row)
    return pd.DataFrame(rows)


DURATION_EDGES_MIN = np.r_[0.0, np.geomspace(1.0, 14 * 1440.0, 57)]
"""Histogram edges (minutes) for room durations: 0, then log-spaced 1 min .. 14 days."""


def duration_histogram(room: pd.DataFrame, edges=DURATION_EDGES_MIN) -> pd.DataFrame:
    """Counts of rooms per duration bin (``duration_min``), split by ``end_censored``.

    Returns columns lo_min, hi_min, real, censored (rooms above the last edge go in the last
    bin). Small: lets the book draw the full-scale distribution without the room table.
    """
    d = np.minimum(room["duration_min"].to_numpy(np.float64), edges[-1])
    d = np.maximum(d, 0.0)
    cens = room["end_censored"].to_numpy(bool)
    real, _ = np.histogram(d[~cens], bins=edges)
    cen, _ = np.histogram(d[cens], bins=edges)
    return pd.DataFrame({"lo_min": edges[:-1], "hi_min": edges[1:], "real": real.astype(np.int64),
                         "censored": cen.astype(np.int64)})


def report_numbers(report: pd.DataFrame) -> dict[str, float]:
    """Flat numbers from a cleaning report for the book's glue keys.

    ``<rule>_<table>_dropped`` / ``_flagged`` (counts), ``<table>_in`` / ``<table>_out`` (raw and
    clean rows), ``<table>_kept_share`` (out / in) for every table of the report.
    """
    out: dict[str, float] = {}
    for r in report.itertuples(index=False):  # a few dozen report rows, not events
        out[f"{r.rule}_{r.table}_dropped"] = int(r.rows_dropped)
        out[f"{r.rule}_{r.table}_flagged"] = int(r.rows_flagged)
    for table, g in report.groupby("table", sort=False):
        out[f"{table}_in"] = int(g["rows_in"].iloc[0])
        out[f"{table}_out"] = int(g["rows_out"].iloc[-1])
        out[f"{table}_kept_share"] = out[f"{table}_out"] / max(out[f"{table}_in"], 1)
    return out
