"""Exploratory statistics behind chapter 2: users, streamers, rooms and behaviour.

Every function is pure (frames or arrays in, frames, series or floats out) and vectorised.
Inputs follow the data contract of :func:`kuailive_analysis.dataset.load` (event tables with
``user_id``, ``live_id``, ``streamer_id``, ``ts_ms``, ``day``, ``hour``; ``sessions``;
``user_day``; ``rooms`` with ``start_ms``, ``end_ms``, ``duration_min``, ``end_censored``).

Definitions used throughout
---------------------------
* **Interactions** = clicks + comments + likes + gifts (negatives, i.e. unclicked exposures,
  excluded), as in the KuaiLive paper. **Exposures** = clicks + negatives.
* **Gini coefficient**, **Lorenz curve** (poorest first) and **top-q share** (``1 - L(1-q)``:
  the boundary unit counts fractionally) are those of :mod:`kuailive_analysis.core.stats`,
  over every unit passed (zeros included).
* **CCDF**: :math:`P(X \\ge x)`.
* **Calendar**: all days and hours are Beijing time (:mod:`kuailive_analysis.core.calendar`);
  2025-05-05 (day 0) is a Monday, so weekday = ``day % 7`` (0 = Monday).
* **Visit**: the first click of a user in one room (user, streamer, live_id). A **repeat
  visit** is a visit to a streamer the user had visited in an earlier room. **Revisit
  interval**: time between consecutive visits of the same (user, streamer) pair, in hours.
* **Units**: inputs carry epoch ms and watch time in ms; outputs name their unit in the column
  (``watch_hours``, ``duration_min``, ``gap_h``, ``*_s``); gift values are platform coins;
  shares are fractions in [0, 1].

The published figures the chapter compares against are :data:`PAPER_FIGURES`, each with its
source.

Cost (2-core machine, measured 2026-11-23): chapter 2 runs in 6-25 s on the scale-0.1 twin
depending on machine load, and in about 140 s on the full-scale twin with a warm Parquet cache
(about 290 s when loading also cleans the raw CSVs), peak memory 6-7.5 GB; the analysis
itself is about 50 s of that at full scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core import metrics as registry
from kuailive_analysis.core.calendar import (
    MS_PER_HOUR,
    MS_PER_MINUTE,
    MS_PER_SECOND,
    N_WINDOW_DAYS,
    WEEKDAY_NAMES,
    WINDOW_END_MS,
    WINDOW_START_MS,
    beijing_hour,
    day_start_ms,
    days_since_start,
    ms_to_beijing,
    weekday_of_day,
)
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.constants import REAL_COUNTS
from kuailive_analysis.core.keys import combined_key, dense_codes
from kuailive_analysis.core.stats import gini, nonnegative, top_k_share, top_share
from kuailive_analysis.schema import ordered_bins, parse_bin

_HINT = "Pass the table as returned by kuailive_analysis.dataset.load."

SESSION_SUMS = ("n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value",
                "n_negatives")


# ---------------------------------------------------------------------------------------------
# Concentration (Gini, Lorenz curve, top shares: kuailive_analysis.core.stats)
# ---------------------------------------------------------------------------------------------
def concentration_table(metrics: Mapping[str, object]) -> pd.DataFrame:
    """One row per metric (e.g. clicks per streamer): units, units with a positive value,
    total, Gini over all units, Gini over positive units, top-1% and top-10% shares."""
    rows = []
    for name, vals in metrics.items():
        x = nonnegative(vals, f"concentration_table[{name!r}]")
        pos = x[x > 0]
        rows.append({
            "metric": name,
            "n_units": x.size,
            "n_positive": pos.size,
            "total": x.sum(),
            "gini": gini(x),
            "gini_positive": gini(pos) if pos.size else float("nan"),
            "top1_share": top_share(x, 0.01),
            "top10_share": top_share(x, 0.10),
        })
    return pd.DataFrame(rows).set_index("metric")


# ---------------------------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------------------------
def ccdf(values, max_points: int = 400) -> pd.DataFrame:
    """Complementary CDF ``P(X >= x)`` of non-negative values (columns ``x``, ``ccdf``).

    Evaluated at every distinct value when there are at most ``max_points`` of them, else on
    a log-spaced grid of ``max_points`` values between the smallest positive value and the
    maximum (plus 0 if present): a plot never needs more points.
    """
    x = np.sort(nonnegative(values, "ccdf"))
    uniq = np.unique(x)
    if uniq.size > max_points:
        pos = uniq[uniq > 0]
        grid = np.unique(np.geomspace(pos[0], pos[-1], max_points))
        grid[-1] = pos[-1]
        uniq = np.concatenate([[0.0], grid]) if uniq[0] == 0 else grid
    below = np.searchsorted(x, uniq, side="left")
    return pd.DataFrame({"x": uniq, "ccdf": 1.0 - below / x.size})


def log_bin_edges(lo: float, hi: float, bins_per_decade: int = 5) -> np.ndarray:
    """Edges 10**(k / bins_per_decade) covering [lo, hi] (lo > 0)."""
    if not (lo > 0 and hi >= lo):
        raise ValueError(f"log_bin_edges: need 0 < lo <= hi, got lo={lo!r}, hi={hi!r}.")
    k0 = int(np.floor(np.log10(lo) * bins_per_decade + 1e-9))
    k1 = int(np.ceil(np.log10(hi) * bins_per_decade - 1e-9))
    k1 = max(k1, k0 + 1)
    edges = 10.0 ** (np.arange(k0, k1 + 1) / bins_per_decade)
    if edges[-1] < hi:  # guard against rounding
        edges = np.append(edges, 10.0 ** ((k1 + 1) / bins_per_decade))
    return edges


def log_binned_histogram(values, bins_per_decade: int = 5, integer: bool = False
                         ) -> pd.DataFrame:
    """Histogram of the positive values on logarithmic bins.

    Columns: ``bin_lo``, ``bin_hi`` (bin [lo, hi), last bin closed), ``count``, ``share``
    (of all values, zeros included) and ``density`` = share / (hi - lo), the height that makes
    a log-binned histogram comparable with a linear-scale density. With ``integer`` (counts)
    the edges are rounded up to whole numbers, so each bin holds hi - lo whole values and
    ``density`` is the mean share per value (no spikes from bins holding more integers).
    Values equal to 0 cannot sit on a log axis: their number is in ``frame.attrs["n_zero"]``.
    """
    x = nonnegative(values, "log_binned_histogram")
    pos = x[x > 0]
    if pos.size == 0:
        raise ValueError("log_binned_histogram: no positive values to bin.")
    edges = log_bin_edges(pos.min(), pos.max(), bins_per_decade)
    if integer:
        if np.any(pos != np.round(pos)):
            raise ValueError("log_binned_histogram: integer=True but values are not whole.")
        edges = np.unique(np.ceil(edges - 1e-9))
        edges = np.append(edges[edges <= pos.max()], pos.max() + 1)  # top bin ends at max
        if edges.size < 2:
            edges = np.array([pos.min(), pos.min() + 1])
    if integer:  # half-open integer bins [lo, hi): shift by 1/2 so np.histogram's closed
        counts, _ = np.histogram(pos, bins=edges - 0.5)  # last bin never gets hi itself
    else:
        counts, _ = np.histogram(pos, bins=edges)
    share = counts / x.size
    out = pd.DataFrame({"bin_lo": edges[:-1], "bin_hi": edges[1:], "count": counts,
                        "share": share, "density": share / np.diff(edges)})
    out.attrs["n_zero"] = int(x.size - pos.size)
    return out


def quantile_summary(values, qs: Sequence[float] = (0.25, 0.5, 0.75, 0.9, 0.99),
                     scale: float = 1.0) -> pd.Series:
    """``n``, ``mean``, quantiles ``p25``.. and ``max`` of ``values / scale``."""
    x = nonnegative(values, "quantile_summary") / scale
    out = {"n": float(x.size), "mean": float(x.mean())}
    for q in qs:
        out[f"p{round(q * 100):d}"] = float(np.quantile(x, q))
    out["max"] = float(x.max())
    return pd.Series(out)


def banded_shares(values, edges: Sequence[float], labels: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """Counts and shares of values in bands [e_0, e_1), [e_1, e_2), ... with -inf/inf ends.

    ``edges`` are the inner cut points, e.g. (5, 30, 300) gives <5, 5-30, 30-300, >=300.
    """
    x = nonnegative(values, "banded_shares")
    cuts = np.asarray(edges, dtype="float64")
    if np.any(np.diff(cuts) <= 0):
        raise ValueError(f"banded_shares: edges must increase strictly, got {list(edges)}.")
    idx = np.searchsorted(cuts, x, side="right")
    counts = np.bincount(idx, minlength=cuts.size + 1)
    if labels is None:
        labels = ([f"<{cuts[0]:g}"] + [f"{a:g}-{b:g}" for a, b in zip(cuts[:-1], cuts[1:])]
                  + [f">={cuts[-1]:g}"])
    if len(labels) != cuts.size + 1:
        raise ValueError(f"banded_shares: {cuts.size} edges need {cuts.size + 1} labels.")
    return pd.DataFrame({"band": list(labels), "count": counts, "share": counts / x.size})


def linear_histogram(values, edges: Sequence[float]) -> pd.DataFrame:
    """Counts and shares of values in the bins given by ``edges`` ([lo, hi), last closed);
    ``share`` is of all values (values outside the edges count in the denominator)."""
    x = nonnegative(values, "linear_histogram", allow_empty=True)
    e = np.asarray(edges, dtype="float64")
    c, _ = np.histogram(x, bins=e)
    return pd.DataFrame({"lo": e[:-1], "hi": e[1:], "count": c, "share": c / max(x.size, 1)})


def integer_counts(values, max_value: int) -> pd.DataFrame:
    """Number of units with each integer value 0..``max_value`` (e.g. active days 0..21)."""
    x = np.asarray(values, dtype="int64")
    if x.size and (x.min() < 0 or x.max() > max_value):
        raise ValueError(f"integer_counts: values must lie in 0..{max_value}, found "
                         f"{x.min()}..{x.max()}.")
    c = np.bincount(x, minlength=max_value + 1)
    return pd.DataFrame({"value": np.arange(max_value + 1), "count": c,
                         "share": c / max(x.size, 1)})


# ---------------------------------------------------------------------------------------------
# Demographics
# ---------------------------------------------------------------------------------------------
MISSING_LABEL = "(missing)"


def demographic_shares(users: pd.DataFrame, streamers: pd.DataFrame, column: str,
                       top: int | None = None) -> pd.DataFrame:
    """Users vs streamers side by side: one row per value of ``column`` with ``users`` and
    ``streamers`` shares (each group sums to 1) and counts ``n_users``, ``n_streamers``.

    Binned columns (age, device_price) keep their numeric order; other columns are sorted by
    the mean share. With ``top``, values beyond the ``top`` largest are pooled as ``other``.
    """
    require_columns(users, [column], "users", hint=_HINT)
    require_columns(streamers, [column], "streamers", hint=_HINT)
    counts = {}
    for group, frame in (("users", users), ("streamers", streamers)):
        s = frame[column].astype("string").fillna(MISSING_LABEL)
        counts[group] = s.value_counts()
    out = pd.DataFrame({"n_users": counts["users"], "n_streamers": counts["streamers"]})
    out = out.fillna(0).astype("int64")
    out["users"] = out["n_users"] / max(out["n_users"].sum(), 1)
    out["streamers"] = out["n_streamers"] / max(out["n_streamers"].sum(), 1)
    labels = [v for v in out.index if v != MISSING_LABEL]
    ordered = ordered_bins(labels)
    numeric = sum(1 for v in ordered if _parses(v)) >= max(1, len(labels) - 1)
    if numeric and column in ("age", "device_price"):
        order = ordered
    else:
        order = list((out.loc[labels, "users"] + out.loc[labels, "streamers"])
                     .sort_values(ascending=False).index)
    if MISSING_LABEL in out.index:
        order.append(MISSING_LABEL)
    out = out.loc[order]
    if top is not None and len(out) > top:
        head, tail = out.iloc[:top], out.iloc[top:]
        other = tail.sum().to_frame("other").T
        out = pd.concat([head, other])
    out.index.name = column
    return out


def _parses(v: str) -> bool:
    try:
        parse_bin(v)
        return True
    except ValueError:
        return False


def tenure_summary(users: pd.DataFrame) -> pd.DataFrame:
    """Quantiles (in years) of registration tenure and first-watch age at the window start.

    Rows ``tenure_days`` (registration -> 2025-05-05) and ``watch_age_days`` (first live
    watched -> 2025-05-05); columns ``n``, ``p10``, ``p25``, ``median``, ``p75``, ``p90`` and
    ``share_under_1y``. Missing dates are left out (``n`` counts the known ones).
    """
    require_columns(users, ["tenure_days", "watch_age_days"], "users", hint=_HINT)
    rows = {}
    for col in ("tenure_days", "watch_age_days"):
        d = pd.to_numeric(users[col], errors="coerce").dropna().to_numpy(dtype="float64")
        if d.size == 0:
            rows[col] = {"n": 0}
            continue
        y = d / 365.25
        rows[col] = {"n": d.size, "p10": np.quantile(y, 0.1), "p25": np.quantile(y, 0.25),
                     "median": np.quantile(y, 0.5), "p75": np.quantile(y, 0.75),
                     "p90": np.quantile(y, 0.9), "share_under_1y": float((y < 1).mean())}
    return pd.DataFrame(rows).T


def tenure_distribution(users: pd.DataFrame, max_years: int = 15) -> pd.DataFrame:
    """Users per whole year of registration tenure and of first-watch age (0..max_years-1,
    last bin ``max_years``+ pooled): columns ``years``, ``tenure``, ``watch_age`` (shares of
    users with a known date)."""
    require_columns(users, ["tenure_days", "watch_age_days"], "users", hint=_HINT)
    out = {"years": np.arange(max_years + 1)}
    for col, name in (("tenure_days", "tenure"), ("watch_age_days", "watch_age")):
        d = pd.to_numeric(users[col], errors="coerce").dropna().to_numpy(dtype="float64")
        y = np.clip(np.floor(np.maximum(d, 0) / 365.25), 0, max_years).astype("int64")
        c = np.bincount(y, minlength=max_years + 1)
        out[name] = c / max(c.sum(), 1)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# Per-streamer and per-user activity
# ---------------------------------------------------------------------------------------------
def streamer_activity(sessions: pd.DataFrame, rooms: pd.DataFrame | None = None,
                      streamers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per streamer (index ``streamer_id``): sums over the window.

    Columns: ``n_exposures`` (clicks + negatives), ``n_clicks``, ``n_comments``, ``n_likes``,
    ``n_gifts``, ``n_interactions`` (clicks + comments + likes + gifts), ``gift_value``
    (coins), ``watch_ms``, ``watch_hours``, ``n_viewers`` (distinct users who clicked),
    ``n_rooms_watched`` (distinct rooms clicked) and, with ``rooms``, ``n_rooms`` (rooms the
    streamer ran, from the room table). With ``streamers`` every streamer of the profile table
    gets a row (zeros for streamers without events), which is what cold-start shares need.
    """
    require_columns(sessions, ["user_id", "live_id", "streamer_id", *SESSION_SUMS], "sessions",
                    hint=_HINT)
    sid = sessions["streamer_id"].to_numpy()
    out = _group_sums(sid, sessions, list(SESSION_SUMS))
    clicked = sessions["n_clicks"].to_numpy() > 0
    out["n_viewers"] = _distinct_counts(sid[clicked], sessions["user_id"].to_numpy()[clicked])
    out["n_rooms_watched"] = _distinct_counts(sid[clicked],
                                              sessions["live_id"].to_numpy()[clicked])
    index = out.index
    if rooms is not None:
        require_columns(rooms, ["live_id", "streamer_id"], "rooms", hint=_HINT)
        n_rooms = _distinct_counts(rooms["streamer_id"].to_numpy(), rooms["live_id"].to_numpy())
        index = index.union(n_rooms.index)
    if streamers is not None:
        require_columns(streamers, ["streamer_id"], "streamers", hint=_HINT)
        index = index.union(pd.Index(streamers["streamer_id"].unique()))
    out = out.reindex(index).fillna(0)
    if rooms is not None:
        out["n_rooms"] = n_rooms.reindex(index).fillna(0)
    out = out.astype("int64")
    out["n_exposures"] = out["n_clicks"] + out["n_negatives"]
    out["n_interactions"] = out["n_clicks"] + out["n_comments"] + out["n_likes"] + out["n_gifts"]
    out["watch_hours"] = out["watch_ms"] / MS_PER_HOUR
    out.index = out.index.astype("int32")
    out.index.name = "streamer_id"
    return out


def user_activity(sessions: pd.DataFrame, user_day: pd.DataFrame | None = None,
                  users: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per user (index ``user_id``): sums over the window.

    Columns as in :func:`streamer_activity` plus ``n_sessions`` (rooms clicked, i.e. (user,
    live) sessions with a click), ``n_streamers`` (distinct streamers clicked),
    ``top_streamer_watch_share`` (share of the user's watch time spent on their most-watched
    streamer; NaN without watch time) and, with ``user_day``, ``active_days`` (days with a
    click, comment, like or gift). With ``users`` every profiled user gets a row.
    """
    require_columns(sessions, ["user_id", "live_id", "streamer_id", *SESSION_SUMS], "sessions",
                    hint=_HINT)
    uid = sessions["user_id"].to_numpy()
    sid = sessions["streamer_id"].to_numpy()
    out = _group_sums(uid, sessions, list(SESSION_SUMS))
    clicked = sessions["n_clicks"].to_numpy() > 0
    ucl = uid[clicked]
    code, k = dense_codes(ucl)
    ids = np.empty(k, dtype=uid.dtype)
    ids[code] = ucl
    out["n_sessions"] = pd.Series(np.bincount(code, minlength=k).astype("int64"), index=ids)
    out["n_streamers"] = _distinct_counts(ucl, sid[clicked])
    # watch time per (user, streamer) pair, then the top pair's share of the user's total
    pcode, kp = dense_codes(combined_key(uid, sid))
    pw = np.bincount(pcode, weights=sessions["watch_ms"].to_numpy(dtype="float64"),
                     minlength=kp)
    user_of = np.empty(kp, dtype=uid.dtype)
    user_of[pcode] = uid
    by_user = pd.Series(pw, index=pd.Index(user_of, name="user_id")).groupby(
        level="user_id", sort=True)
    tot = by_user.sum()
    share = (by_user.max() / tot.where(tot > 0)).astype("float64")
    index = out.index
    if user_day is not None:
        require_columns(user_day, ["user_id", "day", "active"], "user_day", hint=_HINT)
        active_days = user_day.loc[user_day["active"].astype(bool)].groupby("user_id").size()
        index = index.union(active_days.index)
    if users is not None:
        require_columns(users, ["user_id"], "users", hint=_HINT)
        index = index.union(pd.Index(users["user_id"].unique()))
    out = out.reindex(index).fillna(0).astype("int64")
    if user_day is not None:
        out["active_days"] = active_days.reindex(index).fillna(0).astype("int64")
    out["n_exposures"] = out["n_clicks"] + out["n_negatives"]
    out["n_interactions"] = out["n_clicks"] + out["n_comments"] + out["n_likes"] + out["n_gifts"]
    out["watch_hours"] = out["watch_ms"] / MS_PER_HOUR
    out["top_streamer_watch_share"] = share.reindex(index)
    out.index = out.index.astype("int32")
    out.index.name = "user_id"
    return out


def share_below(values, threshold: float) -> float:
    """Share of values strictly below ``threshold``."""
    x = nonnegative(values, "share_below")
    return float((x < threshold).mean())


def share_above(values, threshold: float) -> float:
    """Share of values strictly above ``threshold``."""
    x = nonnegative(values, "share_above")
    return float((x > threshold).mean())


# ---------------------------------------------------------------------------------------------
# Time of activity (Beijing time)
# ---------------------------------------------------------------------------------------------
def days_per_weekday(n_days: int = N_WINDOW_DAYS) -> np.ndarray:
    """How many of the days 0..n_days-1 fall on each weekday (length-7 array, Monday first)."""
    return np.bincount(weekday_of_day(np.arange(n_days)), minlength=7)


def hour_weekday_matrix(events: pd.DataFrame, weight: str | None = None,
                        n_days: int = N_WINDOW_DAYS) -> pd.DataFrame:
    """Mean events (or mean sum of ``weight``) per calendar day, by weekday x Beijing hour.

    A 7 x 24 frame (index ``Mon``..``Sun``, columns 0..23): the total in each cell divided by
    the number of days of that weekday in the window (3 of each in 21 days), so a missing day
    counts as zero activity rather than being dropped.
    """
    cols = ["day", "hour"] + ([weight] if weight else [])
    require_columns(events, cols, "events", hint=_HINT)
    day = events["day"].to_numpy(dtype="int64")
    if len(day) and (day.min() < 0 or day.max() >= n_days):
        bad = day.min() if day.min() < 0 else day.max()
        raise ValueError(f"events: column 'day' has value {bad} "
                         f"outside the window 0..{n_days - 1}.")
    hour = events["hour"].to_numpy(dtype="int64")
    if len(hour) and (hour.min() < 0 or hour.max() > 23):
        raise ValueError("events: column 'hour' has values outside 0..23.")
    cell = weekday_of_day(day) * 24 + hour
    w = None if weight is None else events[weight].to_numpy(dtype="float64")
    total = np.bincount(cell, weights=w, minlength=7 * 24).reshape(7, 24)
    per_day = total / np.maximum(days_per_weekday(n_days), 1)[:, None]
    return pd.DataFrame(per_day, index=pd.Index(WEEKDAY_NAMES, name="weekday"),
                        columns=pd.Index(range(24), name="hour"))


def hourly_profile(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of each table's events in each Beijing hour (index hour 0..23, one column each)."""
    out = {}
    for name, ev in tables.items():
        require_columns(ev, ["hour"], name, hint=_HINT)
        c = np.bincount(ev["hour"].to_numpy(dtype="int64"), minlength=24)[:24]
        out[name] = c / max(c.sum(), 1)
    return pd.DataFrame(out, index=pd.Index(range(24), name="hour"))


def peak_window(hour_share, width: int = 6) -> tuple[int, float]:
    """The ``width``-hour window (wrapping midnight) holding the most activity.

    ``hour_share``: 24 values (share or count per hour 0..23). Returns ``(start_hour, share)``
    where share is the window's part of the total; e.g. (18, 0.45) = 18:00-24:00 holds 45%.
    """
    h = np.asarray(hour_share, dtype="float64")
    if h.size != 24:
        raise ValueError(f"peak_window: need 24 hourly values, got {h.size}.")
    if not 1 <= width <= 24:
        raise ValueError(f"peak_window: width must be 1..24 hours, got {width}.")
    ext = np.concatenate([h, h])
    sums = np.array([ext[s:s + width].sum() for s in range(24)])  # 24 numbers, not rows
    s = int(np.argmax(sums))
    return s, float(sums[s] / h.sum()) if h.sum() > 0 else float("nan")


def daily_totals(user_day: pd.DataFrame, n_days: int = N_WINDOW_DAYS) -> pd.DataFrame:
    """One row per Beijing day 0..n_days-1: ``date``, ``weekday``, ``active_users`` and sums
    of clicks, watch hours, comments, likes, gifts, gift value and negatives."""
    sums = ["n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value",
            "n_negatives"]
    require_columns(user_day, ["user_id", "day", "active", *sums], "user_day", hint=_HINT)
    g = user_day.groupby("day")
    out = g[sums].sum()
    out["active_users"] = user_day.loc[user_day["active"].astype(bool)].groupby("day").size()
    out = out.reindex(range(n_days)).fillna(0).astype("int64")
    out["watch_hours"] = out.pop("watch_ms") / MS_PER_HOUR
    out.index.name = "day"
    out.insert(0, "date", ms_to_beijing(day_start_ms(out.index.to_numpy())).date)
    out.insert(1, "weekday", [WEEKDAY_NAMES[w] for w in weekday_of_day(out.index)])
    return out


# ---------------------------------------------------------------------------------------------
# Rooms: schedules, durations, rooms live at each moment
# ---------------------------------------------------------------------------------------------
def room_start_hours(rooms: pd.DataFrame, within_window: bool = True) -> pd.DataFrame:
    """Rooms by Beijing start hour (index 0..23): ``n_rooms`` and ``share``.

    With ``within_window`` only rooms starting in [2025-05-05, 2025-05-26) Beijing count
    (rooms already live at the window start have an earlier, unobserved schedule).
    """
    require_columns(rooms, ["start_ms"], "rooms", hint=_HINT)
    s = rooms["start_ms"].to_numpy(dtype="int64")
    if within_window:
        s = s[(s >= WINDOW_START_MS) & (s < WINDOW_END_MS)]
    c = np.bincount(beijing_hour(s), minlength=24)
    return pd.DataFrame({"n_rooms": c, "share": c / max(c.sum(), 1)},
                        index=pd.Index(range(24), name="hour"))


def rooms_live_over_time(rooms: pd.DataFrame, step_min: int = 15,
                         start_ms: int = WINDOW_START_MS, end_ms: int = WINDOW_END_MS
                         ) -> pd.DataFrame:
    """Number of rooms live at each moment t of a regular grid (every ``step_min`` minutes).

    A room is live at t when ``start_ms <= t < end_ms``, so
    n(t) = #{start <= t} - #{end <= t} (two binary searches on sorted starts and ends).
    Columns ``ts_ms``, ``time`` (Beijing), ``day_float`` (days since the window start),
    ``n_live``.
    """
    require_columns(rooms, ["start_ms", "end_ms"], "rooms", hint=_HINT)
    s = np.sort(rooms["start_ms"].to_numpy(dtype="int64"))
    e = np.sort(rooms["end_ms"].to_numpy(dtype="int64"))
    if (rooms["end_ms"].to_numpy() < rooms["start_ms"].to_numpy()).any():
        raise ValueError("rooms: some end_ms is before start_ms; clean the room table first.")
    if step_min <= 0:
        raise ValueError(f"rooms_live_over_time: step_min must be positive, got {step_min}.")
    t = np.arange(start_ms, end_ms, step_min * MS_PER_MINUTE, dtype="int64")
    n = np.searchsorted(s, t, side="right") - np.searchsorted(e, t, side="right")
    return pd.DataFrame({
        "ts_ms": t,
        "time": ms_to_beijing(t),
        "day_float": days_since_start(t),
        "n_live": n.astype("int64"),
    })


def room_duration_summary(rooms: pd.DataFrame,
                          by: str | Sequence[str] | None = "live_content_category",
                          ended_only: bool = True) -> pd.DataFrame:
    """Room duration (minutes) by group: ``n_rooms``, ``share_rooms``, ``share_censored``
    (still live at extraction) and quantiles ``p25``, ``median``, ``p75``, ``p90`` and
    ``mean`` over the rooms that ended (``ended_only``; a censored duration is only a lower
    bound) and that started inside the window (their start is observed). ``by=None`` gives
    one row ``all`` for all rooms."""
    if by is None:
        rooms = rooms.assign(rooms="all")
        by = "rooms"
    by = [by] if isinstance(by, str) else list(by)
    require_columns(rooms, ["duration_min", "end_censored", "start_ms", *by], "rooms", hint=_HINT)
    r = rooms[[*by, "duration_min", "end_censored", "start_ms"]].copy()
    for c in by:  # categorical with string labels: fast groupby, missing kept as a group
        col = r[c] if isinstance(r[c].dtype, pd.CategoricalDtype) else r[c].astype("category")
        col = col.cat.remove_unused_categories()
        col = col.cat.rename_categories([str(v) for v in col.cat.categories])
        if col.isna().any():
            col = col.cat.add_categories([MISSING_LABEL]).fillna(MISSING_LABEL)
        r[c] = col
    g_all = r.groupby(by, observed=True)
    n = g_all.size()
    cens = g_all["end_censored"].mean()
    keep = r["start_ms"].between(WINDOW_START_MS, WINDOW_END_MS - 1)
    if ended_only:
        keep &= ~r["end_censored"].astype(bool)
    g_kept = r.loc[keep].groupby(by, observed=True)["duration_min"]
    q = g_kept.quantile([0.25, 0.5, 0.75, 0.9]).unstack()
    q.columns = ["p25", "median", "p75", "p90"]
    out = pd.DataFrame({"n_rooms": n, "share_rooms": n / n.sum(), "share_censored": cens})
    out = out.join(q)
    out["mean"] = g_kept.mean()
    return out.sort_values("n_rooms", ascending=False)


def shop_flag(rooms: pd.DataFrame) -> pd.Series:
    """``'shop'`` / ``'not shop'`` per room from ``live_content_category`` (missing = not shop)."""
    require_columns(rooms, ["live_content_category"], "rooms", hint=_HINT)
    col = rooms["live_content_category"]
    if isinstance(col.dtype, pd.CategoricalDtype):  # compare the few categories, not the rows
        cat_is_shop = np.asarray(col.cat.categories.astype(str) == "shop", dtype=bool)
        codes = col.cat.codes.to_numpy()
        is_shop = (codes >= 0) & cat_is_shop[np.maximum(codes, 0)] if len(cat_is_shop) \
            else np.zeros(len(col), dtype=bool)
    else:
        is_shop = (col.astype("string") == "shop").fillna(False).to_numpy(dtype=bool)
    # a categorical (1 byte per room) with the labels in sorted order
    return pd.Series(pd.Categorical.from_codes(is_shop.astype(np.int8), ["not shop", "shop"]),
                     index=rooms.index, name="shop")


# ---------------------------------------------------------------------------------------------
# Repeat consumption
# ---------------------------------------------------------------------------------------------
def _group_sums(keys: np.ndarray, frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Integer sums of ``cols`` per distinct integer key (index: sorted keys, int64 values);
    bincount over dense key codes instead of a hash groupby (exact: sums of integers below
    2**53)."""
    code, k = dense_codes(keys)
    uniq = np.empty(k, dtype=np.asarray(keys).dtype)
    uniq[code] = keys
    out = {c: np.bincount(code, weights=frame[c].to_numpy(dtype="float64"),
                          minlength=k).astype("int64") for c in cols}
    return pd.DataFrame(out, index=pd.Index(uniq))


def _distinct_counts(group: np.ndarray, item: np.ndarray) -> pd.Series:
    """Number of distinct ``item`` values per ``group`` value (index: sorted groups present)."""
    group = np.asarray(group)
    if len(group) == 0:
        return pd.Series(np.zeros(0, dtype="int64"), index=pd.Index(group))
    key = combined_key(group, np.asarray(item))
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.ones(len(ks), dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    gcode, k = dense_codes(group)
    uniq = np.empty(k, dtype=group.dtype)
    uniq[gcode] = group
    g_of_pair = gcode[order][first]  # the group of each distinct (group, item) pair
    return pd.Series(np.bincount(g_of_pair, minlength=k).astype("int64"), index=pd.Index(uniq))


def visits(clicks: pd.DataFrame) -> pd.DataFrame:
    """One row per (user, streamer, room) with a click: ``first_ms`` (first click there) and
    ``n_clicks``; sorted by user, streamer, first_ms, live_id; ``visit_no`` counts the
    visit's rank within its (user, streamer) pair from 1; ``gap_h`` is the time since the
    pair's previous visit in hours (NaN for the first visit).

    Computed with integer sort keys (:func:`combined_key`) and run boundaries, no hashing
    groupby over the click log."""
    require_columns(clicks, ["user_id", "streamer_id", "live_id", "ts_ms"], "clicks", hint=_HINT)
    u_all = clicks["user_id"].to_numpy()
    s_all = clicks["streamer_id"].to_numpy()
    l_all = clicks["live_id"].to_numpy()
    t_all = clicks["ts_ms"].to_numpy(dtype="int64")
    usl = combined_key(u_all, s_all, l_all)
    order = np.lexsort((t_all, usl))  # by (user, streamer, live), then time
    k = usl[order]
    start = np.ones(len(k), dtype=bool)
    start[1:] = k[1:] != k[:-1]
    first = order[start]  # row of the first click of each visit
    n_clicks = np.diff(np.append(np.flatnonzero(start), len(k))).astype("int64")
    u, s, l = u_all[first], s_all[first], l_all[first]
    t = t_all[first]
    pair = combined_key(u, s)
    o2 = np.lexsort((l, t, pair))  # by (user, streamer), first_ms, live_id
    v = pd.DataFrame({"user_id": u[o2], "streamer_id": s[o2], "live_id": l[o2],
                      "first_ms": t[o2], "n_clicks": n_clicks[o2]})
    u, s = v["user_id"].to_numpy(), v["streamer_id"].to_numpy()
    new_pair = np.ones(len(v), dtype=bool)
    new_pair[1:] = (u[1:] != u[:-1]) | (s[1:] != s[:-1])
    pair_id = np.cumsum(new_pair) - 1
    starts = np.flatnonzero(new_pair)
    v["visit_no"] = (np.arange(len(v)) - starts[pair_id] + 1).astype("int32")
    t = v["first_ms"].to_numpy(dtype="int64")
    gap = np.full(len(v), np.nan)
    gap[1:] = (t[1:] - t[:-1]) / MS_PER_HOUR
    gap[new_pair] = np.nan
    v["gap_h"] = gap
    return v


def repeat_summary(clicks: pd.DataFrame, min_rooms: int = 2) -> pd.Series:
    """How much of consumption goes back to streamers the user already watched.

    * ``share_clicks_seen_streamer``: clicks on a streamer the user had clicked at a strictly
      earlier millisecond (ties = one screen of exposures, not a return);
    * ``share_clicks_repeat_visit``: clicks that belong to a repeat visit (a room of a
      streamer whose earlier room the user had clicked);
    * ``share_visits_repeat``: visits (user, streamer, room) that are repeat visits;
    * ``share_pairs_returning``: (user, streamer) pairs with clicks in >= ``min_rooms`` rooms;
    * ``share_users_returning``: users with at least one such pair;
    * ``n_visits``, ``n_pairs``, ``n_users``.
    """
    if min_rooms < 2:
        raise ValueError(f"repeat_summary: min_rooms must be >= 2, got {min_rooms}.")
    require_columns(clicks, ["user_id", "streamer_id", "live_id", "ts_ms"], "clicks", hint=_HINT)
    if len(clicks) == 0:
        raise ValueError("repeat_summary: the click table is empty.")
    ts = clicks["ts_ms"].to_numpy(dtype="int64")
    pair = combined_key(clicks["user_id"].to_numpy(), clicks["streamer_id"].to_numpy())
    pair_min = pd.Series(ts).groupby(pair, sort=False).transform("min").to_numpy()
    seen = pair_min < ts
    v = visits(clicks)
    repeat_visit = v["visit_no"].to_numpy() > 1
    rooms_per_pair = v.groupby(["user_id", "streamer_id"], sort=False).size()
    returning = rooms_per_pair >= min_rooms
    users_returning = returning.groupby(level="user_id").any()
    return pd.Series({
        "share_clicks_seen_streamer": float(seen.mean()),
        "share_clicks_repeat_visit": float(v.loc[repeat_visit, "n_clicks"].sum()
                                           / v["n_clicks"].sum()),
        "share_visits_repeat": float(repeat_visit.mean()),
        "share_pairs_returning": float(returning.mean()),
        "share_users_returning": float(users_returning.mean()),
        "n_visits": float(len(v)),
        "n_pairs": float(len(rooms_per_pair)),
        "n_users": float(len(users_returning)),
    })


def revisit_intervals(clicks: pd.DataFrame) -> np.ndarray:
    """Hours between consecutive visits (rooms) of the same user to the same streamer."""
    g = visits(clicks)["gap_h"].to_numpy()
    return g[~np.isnan(g)]


def interval_histogram(intervals_h, bin_h: float = 1.0, max_h: float = 7 * 24) -> pd.DataFrame:
    """Counts of revisit intervals in bins of ``bin_h`` hours on [0, max_h); ``share`` is of
    all intervals (longer ones included in the denominator)."""
    x = nonnegative(intervals_h, "interval_histogram", allow_empty=True)
    edges = np.arange(0.0, max_h + bin_h / 2, bin_h)
    c, _ = np.histogram(x[x < max_h], bins=edges)
    return pd.DataFrame({"lo_h": edges[:-1], "hi_h": edges[1:], "count": c,
                         "share": c / max(x.size, 1)})


def daily_rhythm_share(intervals_h, tol_h: float = 3.0, min_h: float = 12.0) -> pd.Series:
    """Share of revisit intervals of at least ``min_h`` hours that lie within ``tol_h`` hours
    of a whole number of days, with the share expected if intervals ignored the clock
    (2 tol_h / 24) and their ratio (> 1 = daily rhythm)."""
    x = nonnegative(intervals_h, "daily_rhythm_share", allow_empty=True)
    x = x[x >= min_h]
    dist = np.abs(x - 24.0 * np.round(x / 24.0))
    obs = float((dist <= tol_h).mean()) if x.size else float("nan")
    expected = 2 * tol_h / 24.0
    return pd.Series({"share_near_whole_days": obs, "expected_uniform": expected,
                      "ratio": obs / expected, "n_intervals": float(x.size)})


# ---------------------------------------------------------------------------------------------
# Behaviour: watch time, engagement rates, gifts
# ---------------------------------------------------------------------------------------------
WATCH_BANDS_S = (5.0, 30.0, 300.0)


def watch_time_summary(watch_ms) -> pd.Series:
    """Watch time per click in seconds: shares in bands <5 s, 5-30 s, 30-300 s, >=300 s,
    mean, quantiles p25..p99 and max (all in seconds)."""
    x = nonnegative(watch_ms, "watch_time_summary") / MS_PER_SECOND
    bands = banded_shares(x, WATCH_BANDS_S, ["lt_5s", "5_30s", "30_300s", "ge_300s"])
    out = {f"share_{b}": s for b, s in zip(bands["band"], bands["share"])}
    out.update(quantile_summary(x).to_dict())
    return pd.Series(out)


def gift_price_summary(gift_price) -> pd.Series:
    """Gift price per gift event (coins): ``n``, ``total``, ``mean``, quantiles, ``max``,
    ``share_eq_1`` (price exactly 1) and ``share_le_20``."""
    x = nonnegative(gift_price, "gift_price_summary")
    out = quantile_summary(x)
    out["total"] = float(x.sum())
    out["share_eq_1"] = float((x == 1).mean())
    out["share_le_20"] = float((x <= 20).mean())
    return out


def price_counts(gift_price, max_price: int = 50) -> pd.DataFrame:
    """Gift events at each exact price 1..``max_price`` (shows the spikes at round prices);
    ``share`` is of all gifts."""
    x = np.asarray(gift_price, dtype="int64")
    if x.size and x.min() < 1:
        raise ValueError(f"price_counts: gift_price must be >= 1, found {x.min()}.")
    c = np.bincount(np.clip(x, 0, max_price + 1), minlength=max_price + 2)[1:max_price + 1]
    return pd.DataFrame({"price": np.arange(1, max_price + 1), "count": c,
                         "share": c / max(x.size, 1)})


# ---------------------------------------------------------------------------------------------
# The paper (and the real files) vs this run
# ---------------------------------------------------------------------------------------------
PAPER_SOURCE = ("Qu et al. 2025, 'KuaiLive: A Real-time Interactive Dataset for Live Streaming "
                "Recommendation', arXiv:2508.05633, data analysis section")
REAL_FILES_SOURCE = "measured on the real files (shared/kuailive-facts.md)"
DATASET_PAGE_SOURCE = "KuaiLive dataset page, statistics table"
SOURCE_TAGS = {PAPER_SOURCE: "paper", REAL_FILES_SOURCE: "real files",
               DATASET_PAGE_SOURCE: "dataset page"}
"""Short names of the sources for tables (the full references are the keys)."""


@dataclass(frozen=True)
class PublishedFigure:
    """One published number about KuaiLive: ``value`` in the unit of ``kind``
    (share in [0, 1], hours of the day, seconds, minutes, hours, coins, ratio or count)."""

    key: str
    label: str
    value: float
    kind: str
    source: str
    display: str = ""
    note: str = ""


PAPER_FIGURES: tuple[PublishedFigure, ...] = (
    PublishedFigure("streamers_lt5_interactions", "Streamers with < 5 interactions", 0.70,
                    "share", PAPER_SOURCE, "about 70%"),
    PublishedFigure("streamers_gt40_interactions", "Streamers with > 40 interactions", 0.046,
                    "share", PAPER_SOURCE),
    PublishedFigure("top10_streamers_interaction_share", "Interactions on the top 10 streamers",
                    0.015, "share", PAPER_SOURCE, "about 1.5%",
                    note="depends on the number of streamers: larger at small twin scales"),
    PublishedFigure("room_start_peak", "Peak of room starts (Beijing)", 18.0, "hour_window4",
                    PAPER_SOURCE, "18:00-22:00"),
    PublishedFigure("users_lt50_interactions", "Users with < 50 interactions", 0.438, "share",
                    PAPER_SOURCE),
    PublishedFigure("user_activity_peak", "Peak of user activity (Beijing)", 18.0,
                    "hour_window6", PAPER_SOURCE, "18:00-24:00 (small noon peak)"),
    PublishedFigure("repeat_share", "Repeat consumption (returns to the same streamer)", 0.271,
                    "share", PAPER_SOURCE, "27.1%",
                    note="the paper's exact definition is not recorded; the run value uses the "
                         "chapter's repeat_definition (default: share of clicks on a streamer "
                         "the user had clicked before)"),
    PublishedFigure("ctr", "Exposure CTR = clicks / (clicks + negatives)", 0.279, "share",
                    REAL_FILES_SOURCE),
    PublishedFigure("comments_per_click", "Comments per click", 0.040, "share",
                    REAL_FILES_SOURCE),
    PublishedFigure("likes_per_click", "Likes per click", 0.0365, "share", REAL_FILES_SOURCE),
    PublishedFigure("gifts_per_click", "Gifts per click", 0.0148, "share", REAL_FILES_SOURCE),
    PublishedFigure("gift_session_share", "(user, live) click sessions with a gift", 0.0157,
                    "share", REAL_FILES_SOURCE),
    PublishedFigure("share_streamers_gifted", "Streamers who ever receive a gift", 0.078,
                    "share", REAL_FILES_SOURCE),
    PublishedFigure("watch_lt_5s", "Clicks watched < 5 s", 0.539, "share", REAL_FILES_SOURCE),
    PublishedFigure("watch_median_s", "Median watch time per click", 4.5, "seconds",
                    REAL_FILES_SOURCE, "4-5 s"),
    PublishedFigure("watch_p99_min", "p99 watch time per click", 32.5, "minutes",
                    REAL_FILES_SOURCE, "30-35 min"),
    PublishedFigure("user_watch_median_h", "Median watch time per user (21 days)", 2.25,
                    "hours", REAL_FILES_SOURCE),
    PublishedFigure("user_watch_mean_h", "Mean watch time per user (21 days)", 4.74, "hours",
                    REAL_FILES_SOURCE),
    PublishedFigure("gift_price_median", "Median gift price", 2.0, "coins", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_mean", "Mean gift price", 82.7, "coins", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_p99", "p99 gift price", 1488.0, "coins", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_eq1", "Gifts with price 1", 0.439, "share", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_le20", "Gifts with price <= 20", 0.82, "share",
                    REAL_FILES_SOURCE),
    PublishedFigure("gini_revenue_users", "Gini of gift revenue across users", 0.94, "ratio",
                    REAL_FILES_SOURCE),
    PublishedFigure("top1_users_revenue_share", "Revenue from the top 1% of users", 0.60,
                    "share", REAL_FILES_SOURCE),
    PublishedFigure("gini_revenue_gifted_streamers", "Gini of revenue across gifted streamers",
                    0.93, "ratio", REAL_FILES_SOURCE),
    PublishedFigure("gini_clicks_streamers", "Gini of clicks across streamers", 0.56, "ratio",
                    REAL_FILES_SOURCE, note="population of streamers not recorded; run value "
                    "over streamers with at least one exposure"),
    PublishedFigure("users_male", "Users who are male", 0.619, "share", REAL_FILES_SOURCE),
    PublishedFigure("streamers_female", "Streamers who are female", 0.628, "share",
                    REAL_FILES_SOURCE),
    PublishedFigure("shop_room_share", "Rooms in category 'shop'", 0.10, "share",
                    REAL_FILES_SOURCE, "about 10%"),
    PublishedFigure("shop_duration_median_min", "Median duration of shop rooms", 134.0,
                    "minutes", REAL_FILES_SOURCE),
    PublishedFigure("clicks_per_user", "Clicks per user",
                    REAL_COUNTS["click"] / REAL_COUNTS["user"],
                    "count",
                    DATASET_PAGE_SOURCE, note="4,909,515 clicks / 23,772 users"),
    PublishedFigure("rooms_per_streamer", "Rooms per streamer",
                    REAL_COUNTS["room_ids"] / REAL_COUNTS["streamer"], "count",
                    DATASET_PAGE_SOURCE, note="11,613,708 rooms / 452,621 streamers"),
)
"""Published figures with their source. ``hour_windowK`` values are the start hour of a
K-hour window."""


def format_value(value: float, kind: str) -> str:
    """Human-readable value of a figure of the given kind (see :class:`PublishedFigure`)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if kind == "share":
        return f"{value:.1%}" if value >= 0.1 else f"{value:.2%}"
    if kind.startswith("hour_window"):
        w = int(kind.removeprefix("hour_window"))
        s = int(value)
        return f"{s:02d}:00-{(s + w) % 24 if (s + w) != 24 else 24:02d}:00"
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "minutes":
        return f"{value:.0f} min"
    if kind == "hours":
        return f"{value:.2f} h"
    if kind == "coins":
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,.1f}"


def paper_comparison(run_values: Mapping[str, float],
                     figures: Sequence[PublishedFigure] = PAPER_FIGURES) -> pd.DataFrame:
    """Table "what the paper reports vs this run": one row per published figure, with
    ``figure``, ``paper`` and ``this_run`` (formatted), ``paper_value``, ``run_value``,
    ``source`` (short tag, see :data:`SOURCE_TAGS`) and ``note``. Figures missing from
    ``run_values`` show ``n/a``."""
    rows = []
    for f in figures:
        v = run_values.get(f.key, float("nan"))
        v = float("nan") if v is None else float(v)
        rows.append({
            "figure": f.label,
            "paper": f.display or format_value(f.value, f.kind),
            "this_run": format_value(v, f.kind),
            "paper_value": f.value,
            "run_value": v,
            "source": SOURCE_TAGS.get(f.source, f.source),
            "note": f.note,
        })
    return pd.DataFrame(rows, index=pd.Index([f.key for f in figures], name="key"))


def columns(ds, name: str, cols: Sequence[str]) -> pd.DataFrame:
    """Only ``cols`` of table ``name`` of a dataset (reads just those columns from the cache
    when the dataset supports it, so a 12.7M-row negative table is never fully loaded)."""
    if hasattr(ds, "table"):
        return ds.table(name, list(cols))
    return getattr(ds, name)[list(cols)]


REPEAT_DEFINITIONS = {
    "share_clicks_seen_streamer": "share of clicks on a streamer the user had clicked before",
    "share_clicks_repeat_visit": "share of clicks in a new room of a streamer the user had "
                                 "clicked in an earlier room",
    "share_visits_repeat": "share of visits (user, room) that return to a streamer seen in an "
                           "earlier room",
    "share_pairs_returning": "share of (user, streamer) pairs with clicks in >= min_rooms rooms",
    "share_users_returning": "share of users with at least one streamer clicked in >= "
                             "min_rooms rooms",
}
"""Readings of the paper's "27.1% repeat consumption" (keys of :func:`repeat_summary`)."""


def run_values(ds, streamer_act: pd.DataFrame | None = None,
               user_act: pd.DataFrame | None = None, repeat: pd.Series | None = None,
               min_rooms: int = 2, repeat_definition: str = "share_clicks_seen_streamer"
               ) -> dict[str, float]:
    """This run's value of every figure in :data:`PAPER_FIGURES`, keyed like it.

    ``ds`` is a :class:`~kuailive_analysis.dataset.Dataset` (anything with the contract's
    attributes). Pass the activity tables and repeat summary if already computed.
    ``repeat_definition`` picks which reading of repeat consumption is compared with the
    paper's 27.1% (one of :data:`REPEAT_DEFINITIONS`).
    """
    if repeat_definition not in REPEAT_DEFINITIONS:
        raise ValueError(f"run_values: repeat_definition {repeat_definition!r} is not one of "
                         f"{sorted(REPEAT_DEFINITIONS)}.")
    if streamer_act is None:
        streamer_act = streamer_activity(ds.sessions, ds.rooms, ds.streamers)
    if user_act is None:
        user_act = user_activity(ds.sessions, ds.user_day, ds.users)
    if repeat is None:
        repeat = repeat_summary(ds.clicks, min_rooms=min_rooms)
    sa, ua = streamer_act, user_act
    out: dict[str, float] = {}
    out["streamers_lt5_interactions"] = share_below(sa["n_interactions"], 5)
    out["streamers_gt40_interactions"] = share_above(sa["n_interactions"], 40)
    out["top10_streamers_interaction_share"] = top_k_share(sa["n_interactions"], 10)
    out["room_start_peak"] = peak_window(room_start_hours(ds.rooms)["n_rooms"], 4)[0]
    out["users_lt50_interactions"] = share_below(ua["n_interactions"], 50)
    inter = pd.concat([columns(ds, t, ["hour"]) for t in ("clicks", "comments", "likes", "gifts")],
                      ignore_index=True)
    out["user_activity_peak"] = peak_window(hourly_profile({"i": inter})["i"], 6)[0]
    out["repeat_share"] = repeat[repeat_definition]
    # KPIs of the metric registry: the same values the chapters glue
    mc = registry.MetricContext(ds, tables={"streamer_activity": sa, "user_activity": ua})
    for k in ("ctr", "comments_per_click", "likes_per_click", "gifts_per_click",
              "gift_session_share", "share_streamers_gifted"):
        out[k] = mc.value(k)
    w = watch_time_summary(ds.clicks["watch_live_time"])
    out["watch_lt_5s"] = w["share_lt_5s"]
    out["watch_median_s"] = w["p50"]
    out["watch_p99_min"] = w["p99"] / 60.0
    out["user_watch_median_h"] = float(ua["watch_hours"].median())
    out["user_watch_mean_h"] = float(ua["watch_hours"].mean())
    if len(ds.gifts):
        g = gift_price_summary(ds.gifts["gift_price"])
        out.update(gift_price_median=g["p50"], gift_price_mean=g["mean"],
                   gift_price_p99=g["p99"], gift_price_eq1=g["share_eq_1"],
                   gift_price_le20=g["share_le_20"])
        out["gini_revenue_users"] = mc.value("gini_revenue_users")
        out["top1_users_revenue_share"] = mc.value("top1_users_revenue")
        out["gini_revenue_gifted_streamers"] = mc.value("gini_revenue_gifted")
    exposed = sa.loc[sa["n_exposures"] > 0, "n_clicks"]
    out["gini_clicks_streamers"] = gini(exposed) if len(exposed) else float("nan")
    out["users_male"] = float((ds.users["gender"].astype("string") == "M").mean())
    out["streamers_female"] = float((ds.streamers["gender"].astype("string") == "F").mean())
    cat = ds.rooms["live_content_category"].astype("string")
    out["shop_room_share"] = float((cat == "shop").mean())
    shop = ds.rooms.loc[(cat == "shop").fillna(False).to_numpy()]
    ended = shop.loc[~shop["end_censored"].astype(bool)
                     & shop["start_ms"].between(WINDOW_START_MS, WINDOW_END_MS - 1)]
    out["shop_duration_median_min"] = (float(ended["duration_min"].median()) if len(ended)
                                       else float("nan"))
    out["clicks_per_user"] = len(ds.clicks) / max(len(ds.users), 1)
    out["rooms_per_streamer"] = len(ds.rooms) / max(len(ds.streamers), 1)
    return out
