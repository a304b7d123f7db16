"""The engagement funnel: exposure -> click -> qualified watch -> interaction -> gift.

Definitions (used by chapter 5 and stated there too)
---------------------------------------------------
* **Exposure**: one row of ``click.csv`` (a clicked exposure) or of ``negative.csv`` (an
  exposure the user did not click). The dataset has no other impression log, so
  ``exposures = clicks + negatives`` and **CTR = clicks / exposures**.
* **Units.** The *exposure* unit is one such row. The *session* unit is one
  ``(user_id, live_id)`` pair with any event. The *user* unit is one user.
* **Qualified watch**: a click whose ``watch_live_time`` is at least ``qualified_watch_s``
  seconds (a parameter; 5 s is about the real median watch). A session qualifies when the
  summed watch time of its clicks reaches the threshold.
* **Attribution of engagements to clicks** (exposure unit). A comment, like or gift is
  attributed to the *latest click of the same (user, live) at or before it* (same
  millisecond included: 86% of real gifts share the click's millisecond), provided it happened
  at most ``attribution_window_s`` seconds after that click (``None`` = no limit). Every
  engagement gets a status, none is dropped:

  - ``attributed``: credited to a click as above;
  - ``late``: the (user, live) has an earlier click, but more than the window before;
  - ``before_click``: the (user, live) has clicks, but only after this engagement;
  - ``no_click``: the (user, live) has no click at all (4.8% of real gifts).

  Only attributed engagements enter the exposure-unit funnel; the others are counted by
  :func:`engagement_status_table` and enter the session-unit funnel (which needs no
  attribution: all events of a session count) as "engagement without a click".
* **Funnel steps** are nested so that each step is a subset of the previous one:
  ``exposure`` >= ``click`` >= ``qualified`` (click with watch >= threshold) >=
  ``interaction`` (qualified and at least one attributed like, comment or gift) >= ``gift``
  (qualified and at least one attributed gift). Step conversion = n(step) / n(previous step);
  overall conversion = n(step) / n(exposures). Gifts on clicks shorter than the threshold are
  therefore outside the nested funnel; :func:`kpi_table` reports the unnested per-click rates
  (``gtr`` counts every gifting click).
* **KPIs per click** are shares of clicks with at least one attributed event of the kind
  (binomial, with Wilson intervals), and *events per click* (ratio of counts, as in the
  dataset paper: comments per click 4.0% on the real data). **GTR** (gift-through rate) =
  share of clicks with an attributed gift. **Revenue per 1,000 exposures** (RPM) =
  1,000 x attributed gift value / exposures, in platform coins.

Confidence intervals are Wilson score intervals for proportions
(:func:`~kuailive_analysis.core.stats.wilson_interval`) and normal intervals for means
(:func:`~kuailive_analysis.core.stats.mean_interval`); both treat units as independent,
which understates uncertainty when a few heavy users dominate a segment (read them as lower
bounds on the real uncertainty).
:func:`user_bootstrap` gives user-clustered intervals for the headline KPIs to show by how much.

All functions are pure (frames in, frames out) and vectorised; composite keys are int64
(``user_id << 32 | live_id``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from kuailive_analysis.core import metrics as registry
from kuailive_analysis.core.calendar import MS_PER_SECOND, beijing_day, beijing_hour
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import dense_codes, pair_key
from kuailive_analysis.core.stats import mean_interval, percentile_interval, wilson_interval

STEPS = ("exposure", "click", "qualified", "interaction", "gift")
"""Nested funnel steps, top to bottom."""

STEP_LABELS = {
    "exposure": "Exposure",
    "click": "Click",
    "qualified": "Qualified watch",
    "interaction": "Like / comment / gift",
    "gift": "Gift",
}

ENGAGEMENT_KINDS = ("comment", "like", "gift")
STATUSES = ("attributed", "late", "before_click", "no_click")

DEFAULT_QUALIFIED_WATCH_S = 5.0
DEFAULT_ATTRIBUTION_WINDOW_S = 3600.0

_EVENT_COLS = ("user_id", "live_id", "streamer_id", "ts_ms")
_HINT = ("Pass the cleaned event tables of kuailive_analysis.dataset.load (each with user_id, "
         "live_id, streamer_id and ts_ms epoch milliseconds).")


# ---------------------------------------------------------------------------------------------
# Checks and small helpers
# ---------------------------------------------------------------------------------------------
def _check_events(df: pd.DataFrame, table: str, extra: Iterable[str] = ()) -> None:
    require_columns(df, (*_EVENT_COLS, *extra), f"funnel: table {table!r}", hint=_HINT)
    for c in _EVENT_COLS:
        if df[c].isna().any():
            n = int(df[c].isna().sum())
            raise ValueError(
                f"funnel: table {table!r} column {c!r} has {n:,} missing values; the funnel "
                "counts every row and cannot place a row without ids and time. Clean the "
                "table first (kuailive_analysis.dataset.load does)."
            )


def _day_hour(ts_ms) -> tuple[np.ndarray, np.ndarray]:
    """Beijing day index and hour of day (int8 columns) of epoch-ms times."""
    return beijing_day(ts_ms).astype(np.int8), beijing_hour(ts_ms).astype(np.int8)


def _runs(*sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean starts of runs of equal key tuples in arrays already sorted by those keys."""
    n = len(sorted_keys[0])
    start = np.zeros(n, dtype=bool)
    if n:
        start[0] = True
        for k in sorted_keys:
            start[1:] |= k[1:] != k[:-1]
    return start


# ---------------------------------------------------------------------------------------------
# Attribution of engagements to clicks
# ---------------------------------------------------------------------------------------------
def _engagements(comments: pd.DataFrame, likes: pd.DataFrame, gifts: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for kind, df in zip(ENGAGEMENT_KINDS, (comments, likes, gifts)):
        _check_events(df, kind, ("gift_price",) if kind == "gift" else ())
        part = pd.DataFrame({
            "user_id": df["user_id"].to_numpy(np.int32),
            "live_id": df["live_id"].to_numpy(np.int32),
            "streamer_id": df["streamer_id"].to_numpy(np.int32),
            "ts_ms": df["ts_ms"].to_numpy(np.int64),
            "kind": np.int8(ENGAGEMENT_KINDS.index(kind)),
            "value": (df["gift_price"].to_numpy(np.int64) if kind == "gift"
                      else np.zeros(len(df), np.int64)),
        })
        parts.append(part)
    eng = pd.concat(parts, ignore_index=True)
    eng["kind"] = pd.Categorical.from_codes(eng["kind"], ENGAGEMENT_KINDS)
    return eng


def attribute(clicks: pd.DataFrame, comments: pd.DataFrame, likes: pd.DataFrame,
              gifts: pd.DataFrame,
              attribution_window_s: float | None = DEFAULT_ATTRIBUTION_WINDOW_S) -> pd.DataFrame:
    """Give every comment, like and gift a status and, if attributed, the click it belongs to.

    Returns one row per engagement (comments, then likes, then gifts, in input order) with
    ``user_id, live_id, streamer_id, ts_ms, kind`` (categorical comment/like/gift), ``value``
    (gift price, 0 for others), ``click_pos`` (0-based row position in ``clicks`` of the
    attributed click, -1 if none), ``lag_ms`` (engagement time - click time, -1 if none) and
    ``status`` (categorical: attributed, late, before_click, no_click; see module docstring).
    Tied clicks of one (user, live) in the same millisecond: the engagement goes to the one
    that comes last in ``clicks`` row order (a fixed, documented tie-break).
    """
    _check_events(clicks, "click")
    if attribution_window_s is not None and attribution_window_s < 0:
        raise ValueError(f"attribution_window_s must be >= 0 or None, got {attribution_window_s}")
    eng = _engagements(comments, likes, gifts)
    eng["ul"] = pair_key(eng["user_id"], eng["live_id"])
    eng["eng_pos"] = np.arange(len(eng), dtype=np.int64)

    clk = pd.DataFrame({
        "ts_ms": clicks["ts_ms"].to_numpy(np.int64),
        "ul": pair_key(clicks["user_id"], clicks["live_id"]),
        "click_pos": np.arange(len(clicks), dtype=np.int64),
    })
    clk = clk.sort_values(["ts_ms", "click_pos"], kind="stable").reset_index(drop=True)
    eng_sorted = eng.sort_values(["ts_ms", "eng_pos"], kind="stable")
    tol = None if attribution_window_s is None else int(round(attribution_window_s * MS_PER_SECOND))
    m = pd.merge_asof(
        eng_sorted[["ts_ms", "ul", "eng_pos"]], clk.rename(columns={"ts_ms": "click_ms"})
        .assign(ts_ms=lambda d: d["click_ms"]),
        on="ts_ms", by="ul", direction="backward", tolerance=tol, allow_exact_matches=True,
    )
    click_pos = np.full(len(eng), -1, dtype=np.int64)
    lag = np.full(len(eng), -1, dtype=np.int64)
    pos = m["eng_pos"].to_numpy()
    matched = m["click_pos"].notna().to_numpy()
    click_pos[pos[matched]] = m["click_pos"].to_numpy()[matched].astype(np.int64)
    lag[pos[matched]] = (m["ts_ms"].to_numpy()[matched] - m["click_ms"].to_numpy()[matched]
                         ).astype(np.int64)

    first_click = clk.groupby("ul", sort=False)["ts_ms"].min()
    first = first_click.reindex(eng["ul"].to_numpy()).to_numpy()
    has_click = ~np.isnan(first)
    status = np.where(click_pos >= 0, 0,
                      np.where(~has_click, 3,
                               np.where(eng["ts_ms"].to_numpy() >= np.nan_to_num(first), 1, 2)))
    out = eng.drop(columns=["ul", "eng_pos"])
    out["click_pos"] = click_pos
    out["lag_ms"] = lag
    out["status"] = pd.Categorical.from_codes(status.astype(np.int8), STATUSES)
    return out


def engagement_status_table(attributed: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of engagements by kind and status (output of :func:`attribute`).

    Rows: comment, like, gift, all; columns: the four statuses (counts), ``total`` and
    ``share_<status>`` (share of the kind's engagements).
    """
    t = pd.crosstab(attributed["kind"], attributed["status"], dropna=False)
    t = t.reindex(index=list(ENGAGEMENT_KINDS), columns=list(STATUSES), fill_value=0)
    t.loc["all"] = t.sum()
    t["total"] = t[list(STATUSES)].sum(axis=1)
    for s in STATUSES:
        t[f"share_{s}"] = t[s] / t["total"].where(t["total"] > 0)
    t.index.name = "kind"
    t.columns.name = None
    return t


# ---------------------------------------------------------------------------------------------
# Click and exposure tables
# ---------------------------------------------------------------------------------------------
def _event_keys(ev: pd.DataFrame) -> pd.DataFrame:
    """The key columns of an event table in compact dtypes, with Beijing ``day`` and ``hour``."""
    out = pd.DataFrame({
        "user_id": ev["user_id"].to_numpy(np.int32),
        "live_id": ev["live_id"].to_numpy(np.int32),
        "streamer_id": ev["streamer_id"].to_numpy(np.int32),
        "ts_ms": ev["ts_ms"].to_numpy(np.int64),
    })
    out["day"], out["hour"] = _day_hour(out["ts_ms"])
    return out


def click_table(clicks: pd.DataFrame, attributed: pd.DataFrame,
                qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S) -> pd.DataFrame:
    """One row per click (same order as ``clicks``) with its attributed engagements.

    Columns: user_id, live_id, streamer_id, ts_ms, day, hour, watch_ms (int32),
    ``n_comments, n_likes, n_gifts`` (attributed events, int32), ``gift_value`` (int64,
    coins), and booleans ``qualified`` (watch >= threshold), ``commented``, ``liked``,
    ``gifted``, ``interacted`` (any of the three).
    """
    _check_events(clicks, "click", ("watch_live_time",))
    if qualified_watch_s < 0:
        raise ValueError(f"qualified_watch_s must be >= 0, got {qualified_watch_s}")
    n = len(clicks)
    out = _event_keys(clicks)
    out["watch_ms"] = clicks["watch_live_time"].to_numpy(np.int32)
    att = attributed[attributed["status"] == "attributed"]
    pos = att["click_pos"].to_numpy(np.int64)
    if len(pos) and (pos.max() >= n):
        raise ValueError("click_table: attributed click positions exceed the clicks table; "
                         "pass the same clicks frame to attribute() and click_table()")
    codes = att["kind"].cat.codes.to_numpy()
    for i, kind in enumerate(ENGAGEMENT_KINDS):
        out[f"n_{kind}s"] = np.bincount(pos[codes == i], minlength=n).astype(np.int32)
    out["gift_value"] = np.bincount(pos, weights=att["value"].to_numpy(np.float64),
                                    minlength=n).astype(np.int64)
    out["qualified"] = out["watch_ms"].to_numpy() >= qualified_watch_s * MS_PER_SECOND
    out["commented"] = out["n_comments"] > 0
    out["liked"] = out["n_likes"] > 0
    out["gifted"] = out["n_gifts"] > 0
    out["interacted"] = out["commented"] | out["liked"] | out["gifted"]
    return out


def exposure_table(click_tab: pd.DataFrame, negatives: pd.DataFrame) -> pd.DataFrame:
    """Clicked exposures (from :func:`click_table`) stacked on unclicked ones (negatives).

    One row per exposure with the click-table columns (zeros / False for negatives) plus
    ``clicked`` and the nested step flags ``s_click, s_qualified, s_interaction, s_gift``.
    Rows: clicks first, then negatives, each in input order.
    """
    _check_events(negatives, "negative")
    neg = _event_keys(negatives)
    fill = {"watch_ms": np.int32(0), "n_comments": np.int32(0), "n_likes": np.int32(0),
            "n_gifts": np.int32(0), "gift_value": np.int64(0)}
    for c, v in fill.items():
        neg[c] = np.full(len(neg), v, dtype=type(v))
    for c in ("qualified", "commented", "liked", "gifted", "interacted"):
        neg[c] = False
    cl = click_tab.copy(deep=False)  # new column only; the caller's frame is untouched
    cl["clicked"] = True
    neg["clicked"] = False
    ex = pd.concat([cl, neg[cl.columns]], ignore_index=True)
    ex["s_click"] = ex["clicked"]
    ex["s_qualified"] = ex["clicked"] & ex["qualified"]
    ex["s_interaction"] = ex["s_qualified"] & ex["interacted"]
    ex["s_gift"] = ex["s_qualified"] & ex["gifted"]
    return ex


def build(clicks: pd.DataFrame, negatives: pd.DataFrame, comments: pd.DataFrame,
          likes: pd.DataFrame, gifts: pd.DataFrame, *,
          qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S,
          attribution_window_s: float | None = DEFAULT_ATTRIBUTION_WINDOW_S
          ) -> dict[str, pd.DataFrame]:
    """Everything the chapter needs from the five event tables.

    Returns ``{"engagements": attribute(...), "clicks": click_table(...),
    "exposures": exposure_table(...), "sessions": session_table(...)}``.
    """
    att = attribute(clicks, comments, likes, gifts, attribution_window_s)
    ct = click_table(clicks, att, qualified_watch_s)
    ex = exposure_table(ct, negatives)
    ses = session_table(clicks, negatives, comments, likes, gifts,
                        qualified_watch_s=qualified_watch_s)
    return {"engagements": att, "clicks": ct, "exposures": ex, "sessions": ses}


# ---------------------------------------------------------------------------------------------
# Funnel counts and KPIs
# ---------------------------------------------------------------------------------------------
INTERVALS = ("wilson", "user")
"""``wilson``: units independent (Wilson score). ``user``: user-clustered Poisson bootstrap."""


def user_intervals(exposures: pd.DataFrame, by: str | None,
                   ratios: Mapping[str, tuple[str | None, str | None, float]],
                   n_boot: int = 200, conf: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """User-clustered percentile intervals of ratio KPIs, per level of ``by`` (or overall).

    ``ratios`` maps a name to ``(numerator column, denominator column, scale)``; a ``None``
    column counts rows. Each of ``n_boot`` replicates gives every user one Poisson(1) weight
    (shared by all levels, so levels stay comparable), and the KPI of a level is
    ``scale * sum_u w_u num_u / sum_u w_u den_u`` over the level's per-user totals. Returns
    ``<name>_lo``, ``<name>_hi`` indexed by level (index ``["all"]`` when ``by`` is None).
    Loops run over levels and replicates in matrix form, never over rows.
    """
    cols = sorted({c for num, den, _ in ratios.values() for c in (num, den) if c is not None})
    require_columns(exposures, ["user_id", *cols] + ([by] if by else []),
                    "funnel: table 'exposures'", hint=_HINT)
    ucode, n_users = dense_codes(exposures["user_id"].to_numpy())
    rng = np.random.default_rng(seed)
    w = rng.poisson(1.0, size=(n_boot, n_users)).astype(np.float32)
    if by is None:
        level = np.zeros(len(exposures), np.int64)
        levels = pd.Index(["all"], name="segment")
    else:
        level, levels = pd.factorize(exposures[by], sort=True)
        levels = pd.Index(levels, name=by)
    # per-(level, user) sums by bincount over an int64 pair key (rows with a missing level are
    # left out); pairs come out sorted by (level, user)
    keep = level >= 0
    key = level.astype(np.int64) * max(n_users, 1) + ucode
    if not keep.all():
        key = key[keep]
    dense = len(levels) * n_users <= 50_000_000
    if dense:
        cnt = np.bincount(key, minlength=len(levels) * n_users)
        pairs = np.flatnonzero(cnt)
        slot, size = key, len(cnt)
    else:
        pairs, slot = np.unique(key, return_inverse=True)
        size = len(pairs)
        cnt = np.bincount(slot, minlength=size)
    names = [*cols, "_rows"]
    per = np.empty((len(pairs), len(names)), dtype=np.float64)
    for j, c in enumerate(cols):
        v = exposures[c].to_numpy(np.float64)
        sums = np.bincount(slot, weights=v if keep.all() else v[keep], minlength=size)
        per[:, j] = sums[pairs] if dense else sums
    per[:, -1] = cnt[pairs] if dense else cnt
    lv = pairs // max(n_users, 1)
    us = pairs % max(n_users, 1)
    colpos = {c: j for j, c in enumerate(names)}
    out = {f"{n}_{e}": np.full(len(levels), np.nan) for n in ratios for e in ("lo", "hi")}
    starts = np.searchsorted(lv, np.arange(len(levels) + 1))
    for i in range(len(levels)):
        sl = slice(starts[i], starts[i + 1])
        if sl.start == sl.stop:
            continue
        tot = w[:, us[sl]].astype(np.float64) @ per[sl]
        for name, (num, den, scale) in ratios.items():
            nv = tot[:, colpos[num or "_rows"]]
            dv = tot[:, colpos[den or "_rows"]]
            with np.errstate(divide="ignore", invalid="ignore"):
                r = scale * nv / dv
            r = r[np.isfinite(r)]
            if len(r):
                out[f"{name}_lo"][i], out[f"{name}_hi"][i] = percentile_interval(r, conf)
    return pd.DataFrame(out, index=levels)


def _check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")


def funnel(exposures: pd.DataFrame, by: str | list[str] | None = None,
           conf: float = 0.95, interval: str = "wilson", n_boot: int = 200,
           seed: int = 0) -> pd.DataFrame:
    """Nested funnel counts with step and overall conversion and Wilson intervals.

    Long format: one row per (segment..., step) with ``n``, ``step_rate`` (n / n of the
    previous step; 1 for exposures), ``step_lo, step_hi``, ``overall_rate`` (n / exposures),
    ``overall_lo, overall_hi``.
    """
    flags = ["s_click", "s_qualified", "s_interaction", "s_gift"]
    require_columns(exposures, flags, "funnel: table 'exposures'", hint=_HINT)
    keys = [by] if isinstance(by, str) else list(by or [])
    if keys:
        g = exposures.groupby(keys, observed=True, sort=True)
        counts = g[flags].sum()
        counts.insert(0, "s_exposure", g.size())
    else:
        counts = pd.DataFrame([exposures[flags].sum()])
        counts.insert(0, "s_exposure", len(exposures))
    counts.columns = list(STEPS)
    long = counts.stack().rename("n").reset_index()
    step_col = long.columns[-2]
    long = long.rename(columns={step_col: "step"})
    if not keys:
        long = long.drop(columns=[c for c in long.columns if c not in ("step", "n")])
    long["n"] = long["n"].astype(np.int64)
    arr = counts.to_numpy(np.int64)
    prev = np.concatenate([arr[:, :1], arr[:, :-1]], axis=1).ravel()
    top = np.repeat(arr[:, :1], arr.shape[1], axis=1).ravel()
    n = arr.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        long["step_rate"] = n / np.where(prev > 0, prev, np.nan)
        long["overall_rate"] = n / np.where(top > 0, top, np.nan)
    long["step_lo"], long["step_hi"] = wilson_interval(n, prev, conf)
    long["overall_lo"], long["overall_hi"] = wilson_interval(n, top, conf)
    _check_interval(interval)
    if interval == "user":
        if len(keys) > 1:
            raise ValueError("interval='user' supports one segment column at a time")
        cols = ["s_exposure", *flags]
        ex = exposures[list(dict.fromkeys(["user_id", *flags, *keys]))].assign(s_exposure=True)
        ratios = {}
        for j in range(1, len(STEPS)):
            ratios[f"step{j}"] = (cols[j], cols[j - 1], 1.0)
            ratios[f"all{j}"] = (cols[j], cols[0], 1.0)
        ui = user_intervals(ex, keys[0] if keys else None, ratios, n_boot, conf, seed)
        lo_s = ui[[f"step{j}_lo" for j in range(1, len(STEPS))]].to_numpy()
        hi_s = ui[[f"step{j}_hi" for j in range(1, len(STEPS))]].to_numpy()
        lo_o = ui[[f"all{j}_lo" for j in range(1, len(STEPS))]].to_numpy()
        hi_o = ui[[f"all{j}_hi" for j in range(1, len(STEPS))]].to_numpy()
        first = np.ones((len(ui), 1))
        long["step_lo"] = np.hstack([first, lo_s]).ravel()
        long["step_hi"] = np.hstack([first, hi_s]).ravel()
        long["overall_lo"] = np.hstack([first, lo_o]).ravel()
        long["overall_hi"] = np.hstack([first, hi_o]).ravel()
    long["step"] = pd.Categorical(long["step"], list(STEPS), ordered=True)
    long.attrs["interval"] = interval
    return long


_KPI_SUMS = {
    "exposures": None, "clicks": "clicked", "qualified": "qualified", "commented": "commented",
    "liked": "liked", "gifted": "gifted", "interacted": "interacted", "n_comments": "n_comments",
    "n_likes": "n_likes", "n_gifts": "n_gifts", "gift_value": "gift_value",
}


def kpi_table(exposures: pd.DataFrame, by: str | list[str] | None = None,
              conf: float = 0.95, min_exposures: int = 0, interval: str = "wilson",
              n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Exposure-unit KPIs per segment (or overall when ``by`` is None).

    Counts: exposures, clicks, qualified (clicks with watch >= threshold), commented / liked /
    gifted / interacted (clicks with >= 1 attributed event), n_comments, n_likes, n_gifts,
    gift_value. Rates with Wilson intervals ``<rate>_lo, <rate>_hi``:

    * ``ctr`` = clicks / exposures;
    * ``qualified_rate``, ``comment_rate``, ``like_rate``, ``gtr``, ``interaction_rate`` =
      share of clicks with the property (GTR = gift-through rate);
    * ``attributed_gifts_per_click``, ``attributed_comments_per_click``,
      ``attributed_likes_per_click`` = attributed events per click (no CI; the all-events
      ratios ``gifts_per_click`` etc. are registry metrics, :mod:`kuailive_analysis.core.metrics`);
    * ``value_per_gift`` = gift_value / n_gifts (coins);
    * ``rpm`` = 1,000 x gift_value / exposures (coins per 1,000 exposures), with a normal
      interval from the per-exposure value variance (``rpm_lo, rpm_hi``).

    Segments with fewer than ``min_exposures`` exposures are dropped from the output (not
    from any total); pass 0 to keep all. ``interval="user"`` replaces every ``_lo/_hi`` pair
    by user-clustered bootstrap bounds (:func:`user_intervals`; ``n_boot`` replicates).
    """
    _check_interval(interval)
    need = [c for c in _KPI_SUMS.values() if c]
    require_columns(exposures, need, "funnel: table 'exposures'", hint=_HINT)
    keys = [by] if isinstance(by, str) else list(by or [])
    gv = exposures["gift_value"].to_numpy(np.float64)
    if len(keys) == 1:
        # one segment column: level codes + bincount (no copy of the exposure columns); the
        # index is what groupby(observed=True, sort=True) gives (missing levels left out)
        code, levels = pd.factorize(exposures[keys[0]], sort=True)
        ok = code >= 0
        code_ok = code[ok] if not ok.all() else code
        nl = len(levels)

        def total(v):
            return np.bincount(code_ok, weights=v if ok.all() else v[ok], minlength=nl)
        t = pd.DataFrame({c: total(exposures[c].to_numpy(np.float64)) for c in need},
                         index=pd.Index(levels, name=keys[0]))
        t["gift_value_sq"] = total(gv ** 2)
        t.insert(0, "exposures", np.bincount(code_ok, minlength=nl))
    elif keys:
        ex = exposures[keys + need].copy()
        ex["gift_value_sq"] = gv ** 2
        g = ex.groupby(keys, observed=True, sort=True)
        t = g[need + ["gift_value_sq"]].sum()
        t.insert(0, "exposures", g.size())
    else:
        t = pd.DataFrame([{c: exposures[c].sum() for c in need}])
        t["gift_value_sq"] = (gv ** 2).sum()
        t.insert(0, "exposures", len(exposures))
        t.index = pd.Index(["all"], name="segment")
    t = t.rename(columns={"clicked": "clicks"})
    for c in t.columns:
        if c != "gift_value_sq":
            t[c] = t[c].astype(np.int64)
    t["ctr"] = t["clicks"] / t["exposures"]
    t["ctr_lo"], t["ctr_hi"] = wilson_interval(t["clicks"], t["exposures"], conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        clicks = t["clicks"].where(t["clicks"] > 0)
        for name, col in (("qualified_rate", "qualified"), ("comment_rate", "commented"),
                          ("like_rate", "liked"), ("gtr", "gifted"),
                          ("interaction_rate", "interacted")):
            t[name] = t[col] / clicks
            t[f"{name}_lo"], t[f"{name}_hi"] = wilson_interval(t[col], t["clicks"], conf)
        t["attributed_comments_per_click"] = t["n_comments"] / clicks
        t["attributed_likes_per_click"] = t["n_likes"] / clicks
        t["attributed_gifts_per_click"] = t["n_gifts"] / clicks
        t["value_per_gift"] = t["gift_value"] / t["n_gifts"].where(t["n_gifts"] > 0)
    mean, lo, hi = mean_interval(t["gift_value"], t["gift_value_sq"], t["exposures"], conf)
    t["rpm"], t["rpm_lo"], t["rpm_hi"] = 1000 * mean, 1000 * lo, 1000 * hi
    t = t.drop(columns="gift_value_sq")
    if interval == "user":
        if len(keys) > 1:
            raise ValueError("interval='user' supports one segment column at a time")
        ui = user_intervals(exposures, keys[0] if keys else None, {
            "ctr": ("clicked", None, 1.0), "qualified_rate": ("qualified", "clicked", 1.0),
            "comment_rate": ("commented", "clicked", 1.0), "like_rate": ("liked", "clicked", 1.0),
            "gtr": ("gifted", "clicked", 1.0), "interaction_rate": ("interacted", "clicked", 1.0),
            "rpm": ("gift_value", None, 1000.0)}, n_boot, conf, seed)
        ui.index = t.index
        for c in ui.columns:
            t[c] = ui[c].to_numpy()
    t.attrs["interval"] = interval
    if min_exposures:
        t = t[t["exposures"] >= min_exposures]
    return t


def gift_value_summary(gifts: pd.DataFrame, attributed: pd.DataFrame | None = None,
                       conf: float = 0.95) -> pd.DataFrame:
    """Average gift value per gift event with a normal interval, all gifts and attributed only.

    Columns: n_gifts, total_value, mean, lo, hi, median (coins). The mean of a heavy-tailed
    price (real p99 1,488, max 56,246) is unstable; the median is given beside it.
    """
    require_columns(gifts, ["gift_price"], "funnel: table 'gift'", hint=_HINT)
    rows = {"all gifts": gifts["gift_price"].to_numpy(np.float64)}
    if attributed is not None:
        a = attributed[(attributed["kind"] == "gift") & (attributed["status"] == "attributed")]
        rows["attributed gifts"] = a["value"].to_numpy(np.float64)
    out = []
    for name, v in rows.items():
        m, lo, hi = mean_interval(v.sum(), (v**2).sum(), len(v), conf)
        out.append({"gifts": name, "n_gifts": len(v), "total_value": float(v.sum()),
                    "mean": float(m), "lo": float(lo), "hi": float(hi),
                    "median": float(np.median(v)) if len(v) else np.nan})
    return pd.DataFrame(out).set_index("gifts")


# ---------------------------------------------------------------------------------------------
# Session and user units
# ---------------------------------------------------------------------------------------------
def session_table(clicks: pd.DataFrame, negatives: pd.DataFrame, comments: pd.DataFrame,
                  likes: pd.DataFrame, gifts: pd.DataFrame, *,
                  qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S) -> pd.DataFrame:
    """One row per (user_id, live_id) with any event; no attribution window (a session is
    the whole pair over the 21 days).

    Columns: user_id, live_id, streamer_id (of the first event), first_ms, n_clicks,
    n_negatives, n_exposures, watch_ms, n_comments, n_likes, n_gifts, gift_value, and
    booleans ``clicked``, ``qualified`` (summed watch >= threshold), ``interacted``,
    ``gifted``, ``engaged_without_click`` (an engagement but no click), plus nested step flags
    ``s_click, s_qualified, s_interaction, s_gift`` for sessions with an exposure.
    """
    _check_events(clicks, "click", ("watch_live_time",))
    _check_events(negatives, "negative")
    tables = (("click", clicks), ("negative", negatives), ("comment", comments),
              ("like", likes), ("gift", gifts))
    for name, df in tables:
        _check_events(df, name)
    # one int64 pair key, time and streamer per event; sort by (pair, time) - ties keep the
    # input order (clicks, negatives, comments, likes, gifts) - and reduce runs of equal pairs
    ul = np.concatenate([pair_key(df["user_id"], df["live_id"]) for _, df in tables])
    ts = np.concatenate([df["ts_ms"].to_numpy(np.int64) for _, df in tables])
    order = np.lexsort((ts, ul))
    ul_s = ul[order]
    start = _runs(ul_s)
    starts = np.flatnonzero(start)
    n_groups = len(starts)
    grp = np.empty(len(order), dtype=np.int64)
    grp[order] = np.cumsum(start) - 1
    del ul
    first_ms = ts[order][starts]
    del ts
    sid = np.concatenate([df["streamer_id"].to_numpy(np.int32) for _, df in tables])
    streamer = sid[order[starts]]
    keys = ul_s[starts]
    del sid, order, ul_s, start
    bounds = np.cumsum([0] + [len(df) for _, df in tables])
    part = {name: grp[bounds[i]:bounds[i + 1]] for i, (name, _) in enumerate(tables)}
    s = pd.DataFrame({
        "user_id": (keys >> 32).astype(np.int32),
        "live_id": (keys & 0xFFFFFFFF).astype(np.int32),
        "streamer_id": streamer.astype(np.int32),
        "first_ms": first_ms.astype(np.int64),
    })
    for name, col in (("click", "n_clicks"), ("negative", "n_negatives"),
                      ("comment", "n_comments"), ("like", "n_likes"), ("gift", "n_gifts")):
        s[col] = np.bincount(part[name], minlength=n_groups)
    s["watch_ms"] = np.bincount(part["click"], weights=clicks["watch_live_time"]
                                .to_numpy(np.float64), minlength=n_groups).astype(np.int64)
    s["gift_value"] = np.bincount(part["gift"], weights=gifts["gift_price"]
                                  .to_numpy(np.float64), minlength=n_groups).astype(np.int64)
    for c in ("n_clicks", "n_negatives", "n_comments", "n_likes", "n_gifts"):
        s[c] = s[c].astype(np.int32)
    s["n_exposures"] = (s["n_clicks"] + s["n_negatives"]).astype(np.int32)
    s["day"], s["hour"] = _day_hour(s["first_ms"])
    s["clicked"] = s["n_clicks"] > 0
    s["qualified"] = s["clicked"] & (s["watch_ms"] >= qualified_watch_s * MS_PER_SECOND)
    s["interacted"] = (s["n_comments"] + s["n_likes"] + s["n_gifts"]) > 0
    s["gifted"] = s["n_gifts"] > 0
    s["engaged_without_click"] = s["interacted"] & ~s["clicked"]
    exposed = s["n_exposures"] > 0
    s["s_exposure"] = exposed
    s["s_click"] = s["clicked"]
    s["s_qualified"] = s["qualified"]
    s["s_interaction"] = s["qualified"] & s["interacted"]
    s["s_gift"] = s["qualified"] & s["gifted"]
    return s


def unit_funnels(exposures: pd.DataFrame, sessions: pd.DataFrame,
                 conf: float = 0.95) -> pd.DataFrame:
    """The nested funnel in the three units side by side (exposure, session, user).

    Sessions: those with an exposure (a click or a negative). Users: a user reaches a step if
    any of their exposures does. Long format: unit, step, n, step_rate, overall_rate and
    Wilson bounds (see :func:`funnel`).
    """
    ex = funnel(exposures, conf=conf).assign(unit="exposure")
    ses = sessions[sessions["s_exposure"]]
    se = funnel(ses, conf=conf).assign(unit="session")
    flags = ["s_click", "s_qualified", "s_interaction", "s_gift"]
    users = exposures.groupby("user_id", sort=False)[flags].any()
    us = funnel(users, conf=conf).assign(unit="user")
    out = pd.concat([ex, se, us], ignore_index=True)
    out["unit"] = pd.Categorical(out["unit"], ["exposure", "session", "user"], ordered=True)
    return out[["unit"] + [c for c in out.columns if c != "unit"]]


def session_kpis(sessions: pd.DataFrame, conf: float = 0.95) -> pd.DataFrame:
    """Per-session rates: shares of click sessions that qualify, comment, like, gift
    (with Wilson intervals), and sessions with an engagement but no click.
    """
    cs = sessions[sessions["clicked"]]
    n = len(cs)
    rows = []
    for name, k in (("qualified", cs["qualified"].sum()), ("comment", (cs["n_comments"] > 0).sum()),
                    ("like", (cs["n_likes"] > 0).sum()), ("gift", cs["gifted"].sum()),
                    ("interaction", cs["interacted"].sum())):
        lo, hi = wilson_interval(k, n, conf)
        rows.append({"kpi": f"{name} rate per click session", "k": int(k), "n": n,
                     "rate": k / n if n else np.nan, "lo": float(lo), "hi": float(hi)})
    k = int(sessions["engaged_without_click"].sum())
    m = int(sessions["interacted"].sum())
    lo, hi = wilson_interval(k, m, conf)
    rows.append({"kpi": "engaged sessions without a click", "k": k, "n": m,
                 "rate": k / m if m else np.nan, "lo": float(lo), "hi": float(hi)})
    return pd.DataFrame(rows).set_index("kpi")


# ---------------------------------------------------------------------------------------------
# Segments
# ---------------------------------------------------------------------------------------------
def weighted_decile(counts: pd.Series, weighted: bool = True) -> pd.Series:
    """Decile 1..10 of each unit by ``counts`` (ascending: 10 = most active / popular).

    ``weighted=True``: deciles of the *volume*: units sorted by count are cut where the
    cumulative share of the total crosses k/10, so each decile holds about 10% of the volume
    (a few heavy units fill the top deciles). ``weighted=False``: deciles of the units (each
    holds 10% of the units; ties broken by id order). Returns int8 indexed like ``counts``.
    """
    if len(counts) == 0:
        return pd.Series([], dtype=np.int8, index=counts.index)
    c = counts.astype(np.float64)
    order = np.lexsort((np.arange(len(c)), c.to_numpy()))
    sorted_c = c.to_numpy()[order]
    if weighted:
        cum = np.cumsum(sorted_c)
        total = cum[-1]
        # midpoint rule: a unit's share position is the middle of its own volume
        mid = (cum - sorted_c / 2) / (total if total > 0 else 1.0)
        dec = np.minimum((mid * 10).astype(np.int64) + 1, 10)
    else:
        dec = (np.arange(len(c)) * 10 // len(c)) + 1
    out = np.empty(len(c), dtype=np.int8)
    out[order] = dec
    return pd.Series(out, index=counts.index, name="decile")


def _lookup_codes(table: pd.DataFrame, key: str, column: str, ids: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``table[column]`` for each id in ``ids`` (first row of a duplicated ``key`` wins) as
    codes into the returned distinct values; -1 where the id is absent or the value missing.
    Integer work only: the looked-up column is never materialised per row."""
    keys = table[key].to_numpy()
    codes, uniques = pd.factorize(table[column], use_na_sentinel=True)
    ids = np.asarray(ids)
    if (len(keys) and len(ids) and np.issubdtype(keys.dtype, np.integer)
            and np.issubdtype(ids.dtype, np.integer)):
        lo = min(int(keys.min()), int(ids.min()))
        hi = max(int(keys.max()), int(ids.max()))
        if hi - lo <= 4 * (len(keys) + len(ids)) + 1_000_000:  # compact ids: lookup array
            lut = np.full(hi - lo + 1, -1, dtype=np.int32)
            lut[keys[::-1] - lo] = codes[::-1]  # reversed so the first row of a key wins
            out = lut[ids - lo]
            return out.astype(np.int64), np.asarray(uniques, dtype=object)
    first = ~pd.Series(keys).duplicated(keep="first").to_numpy()
    pos = pd.Index(keys[first]).get_indexer(ids)
    out = np.where(pos >= 0, codes[first][np.maximum(pos, 0)], -1)
    return out.astype(np.int64), np.asarray(uniques, dtype=object)


def _segment_categorical(codes: np.ndarray, uniques: np.ndarray,
                         categories: list[str] | None = None,
                         ordered: bool = False) -> pd.Categorical:
    """Looked-up codes (-1 = missing) -> Categorical of the values as strings, missing as
    ``"(missing)"``. Categories: ``categories`` (+ ``"(missing)"`` if any missing) when given,
    else the sorted distinct strings present."""
    labels = pd.Series(uniques, dtype=object).astype("string").to_numpy(dtype=object)
    labels = np.append(labels, MISSING)
    idx = np.where(codes >= 0, codes, len(labels) - 1)
    if categories is None:
        used = np.flatnonzero(np.bincount(idx, minlength=len(labels)))
        cats = sorted(set(labels[used]))
    else:
        cats = list(categories)
        if (codes < 0).any():
            cats = cats + [MISSING]
    where = {c: i for i, c in enumerate(cats)}
    remap = np.array([where.get(lab, -1) for lab in labels], dtype=np.int64)
    return pd.Categorical.from_codes(remap[idx], categories=cats, ordered=ordered)


MISSING = "(missing)"


def add_segments(exposures: pd.DataFrame, rooms: pd.DataFrame | None = None,
                 users: pd.DataFrame | None = None, *, streamer_weighted: bool = True,
                 user_weighted: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add segment columns to an exposure (or click) table; returns ``(table, unmatched)``.

    Added: ``live_content_category``, ``live_type`` (from ``rooms`` by live_id),
    ``streamer_decile`` (popularity = exposures of the streamer in the window;
    exposure-weighted deciles by default), ``user_decile`` (activity = the user's exposures;
    user deciles by default), ``age``, ``gender``, ``device_price`` (from ``users``).
    Categorical columns; an id absent from the dimension table becomes ``"(missing)"`` and is
    counted in ``unmatched`` (one row per added column: n_missing, share), never dropped.
    The input frame is not modified (the output shares its columns, no deep copy).
    """
    ex = exposures.copy(deep=False)
    missing = []
    if rooms is not None:
        for col in ("live_content_category", "live_type"):
            require_columns(rooms, ["live_id", col], "funnel: table 'rooms'", hint=_HINT)
            codes, uniques = _lookup_codes(rooms, "live_id", col, ex["live_id"].to_numpy())
            missing.append((col, int((codes < 0).sum())))
            ex[col] = _segment_categorical(codes, uniques)
    sid = ex["streamer_id"].to_numpy()
    scode, n_s = dense_codes(sid)
    pop = pd.Series(np.bincount(scode, minlength=n_s),
                    index=np.unique(sid) if n_s else np.zeros(0, sid.dtype))
    dec = weighted_decile(pop, weighted=streamer_weighted).to_numpy(np.int8)
    ex["streamer_decile"] = dec[scode]
    uid = ex["user_id"].to_numpy()
    ucode, n_u = dense_codes(uid)
    act = pd.Series(np.bincount(ucode, minlength=n_u),
                    index=np.unique(uid) if n_u else np.zeros(0, uid.dtype))
    dec = weighted_decile(act, weighted=user_weighted).to_numpy(np.int8)
    ex["user_decile"] = dec[ucode]
    if users is not None:
        for col in ("age", "gender", "device_price"):
            require_columns(users, ["user_id", col], "funnel: table 'users'", hint=_HINT)
            codes, uniques = _lookup_codes(users, "user_id", col, ex["user_id"].to_numpy())
            missing.append((col, int((codes < 0).sum())))
            src = users[col]
            is_cat = isinstance(src.dtype, pd.CategoricalDtype)
            cats = (list(src.cat.categories.astype(str)) if is_cat
                    else sorted(src.dropna().astype(str).unique()))
            ordered = is_cat and src.cat.ordered
            ex[col] = _segment_categorical(codes, uniques, cats, ordered)
    un = pd.DataFrame(missing, columns=["column", "n_missing"]).set_index("column")
    un["share"] = un["n_missing"] / max(len(ex), 1)
    return ex, un


# ---------------------------------------------------------------------------------------------
# Position effects and watch time
# ---------------------------------------------------------------------------------------------
def add_positions(exposures: pd.DataFrame, cap_screen: int = 10,
                  cap_index: int = 5) -> pd.DataFrame:
    """Add ``screen_size`` and ``exposure_index`` to an exposure table.

    * ``screen_size``: number of exposures (clicks + negatives) of the same user in the same
      millisecond (one "screen" shown at once); the data give no order within a screen.
    * ``exposure_index``: 1 + number of earlier *distinct milliseconds* in which the same
      room was exposed to the same user (tied exposures share an index, so the result does
      not depend on row order). 1 = first exposure of the room to the user.

    ``*_cap`` columns are the same values capped at ``cap_screen`` / ``cap_index`` for tables.
    """
    ex = exposures.copy(deep=False)
    user = ex["user_id"].to_numpy()
    ts = ex["ts_ms"].to_numpy(np.int64)
    # screen size: length of the run of equal (user, ts) after sorting by them
    order = np.lexsort((ts, user))
    start = _runs(user[order], ts[order])
    run_id = np.cumsum(start) - 1
    size = np.diff(np.append(np.flatnonzero(start), len(order)))
    screen = np.empty(len(order), dtype=np.int32)
    screen[order] = size[run_id]
    ex["screen_size"] = screen
    # exposure index: dense rank of ts within the (user, live) pair
    ul = pair_key(user, ex["live_id"])
    order = np.lexsort((ts, ul))
    ul_s, ts_s = ul[order], ts[order]
    new_pair = _runs(ul_s)
    new_ts = _runs(ul_s, ts_s)
    c = np.cumsum(new_ts)
    base = np.maximum.accumulate(np.where(new_pair, c, 0))
    idx = np.empty(len(order), dtype=np.int32)
    idx[order] = c - base + 1
    ex["exposure_index"] = idx
    ex["screen_size_cap"] = np.minimum(ex["screen_size"], cap_screen).astype(np.int32)
    ex["exposure_index_cap"] = np.minimum(ex["exposure_index"], cap_index).astype(np.int32)
    return ex


WATCH_OUTCOMES = ("no engagement", "like / comment only", "gift")


def watch_outcome(click_tab: pd.DataFrame) -> pd.Categorical:
    """Outcome of each click: gift (any attributed gift), like / comment only, no engagement."""
    code = np.where(click_tab["gifted"], 2, np.where(click_tab["interacted"], 1, 0))
    return pd.Categorical.from_codes(code.astype(np.int8), WATCH_OUTCOMES)


def watch_by_outcome(click_tab: pd.DataFrame,
                     quantiles: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9),
                     qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S) -> pd.DataFrame:
    """Watch time per click (seconds) by later engagement: n, quantiles, mean and the share
    at or above the qualified-watch threshold."""
    ct = pd.DataFrame({"outcome": watch_outcome(click_tab),
                       "watch_s": click_tab["watch_ms"].to_numpy(np.float64) / MS_PER_SECOND})
    g = ct.groupby("outcome", observed=False)["watch_s"]
    out = g.quantile(list(quantiles)).unstack()
    out.columns = [f"p{int(round(q * 100))}" for q in quantiles]
    out.insert(0, "n_clicks", g.size())
    out["mean_s"] = g.mean()
    out["share_qualified"] = ct.assign(q=ct["watch_s"] >= qualified_watch_s).groupby(
        "outcome", observed=False)["q"].mean()
    return out


def daily_kpis(exposures: pd.DataFrame, conf: float = 0.95, **kw) -> pd.DataFrame:
    """:func:`kpi_table` by Beijing day index (0 = 2025-05-05), with a ``date`` column."""
    t = kpi_table(exposures, by="day", conf=conf, **kw)
    t["date"] = (pd.Timestamp("2025-05-05") + pd.to_timedelta(t.index.astype(int), unit="D"))
    return t


def segment_kpis(exposures: pd.DataFrame, segments: Iterable[str], conf: float = 0.95,
                 min_exposures: int = 0, **kw) -> dict[str, pd.DataFrame]:
    """:func:`kpi_table` for each segment column; a dict keyed by column name."""
    return {s: kpi_table(exposures, by=s, conf=conf, min_exposures=min_exposures, **kw)
            for s in segments}


def user_bootstrap(exposures: pd.DataFrame, kpis: pd.DataFrame | None = None, n_boot: int = 200,
                   conf: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Overall KPIs with independent-unit and user-clustered intervals side by side.

    Exposures of one user are correlated, so the Wilson intervals of :func:`kpi_table` are too
    narrow. :func:`user_intervals` resamples users instead (Poisson bootstrap). Rows: ctr,
    qualified_rate, comment_rate, like_rate, gtr, rpm; columns: value, lo, hi (independent
    units), boot_lo, boot_hi (users resampled) and ``width_ratio`` = bootstrap width /
    independent width.
    """
    kp = kpis if kpis is not None else kpi_table(exposures, conf=conf)
    ratios = {"ctr": ("clicked", None, 1.0), "qualified_rate": ("qualified", "clicked", 1.0),
              "comment_rate": ("commented", "clicked", 1.0), "like_rate": ("liked", "clicked", 1.0),
              "gtr": ("gifted", "clicked", 1.0), "rpm": ("gift_value", None, 1000.0)}
    ui = user_intervals(exposures, None, ratios, n_boot, conf, seed).iloc[0]
    k = kp.iloc[0]
    rows = []
    for name in ratios:
        lo, hi = float(k[f"{name}_lo"]), float(k[f"{name}_hi"])
        if name == "rpm":
            lo = max(lo, 0.0)
        blo, bhi = float(ui[f"{name}_lo"]), float(ui[f"{name}_hi"])
        width = hi - lo
        rows.append({"kpi": name, "value": float(k[name]), "lo": lo, "hi": hi,
                     "boot_lo": blo, "boot_hi": bhi,
                     "width_ratio": (bhi - blo) / width if width > 0 else float("nan")})
    return pd.DataFrame(rows).set_index("kpi")


# ---------------------------------------------------------------------------------------------
# Chapter-level assembly
# ---------------------------------------------------------------------------------------------
DEFAULT_SEGMENTS = ("hour", "day", "live_content_category", "live_type", "streamer_decile",
                    "user_decile", "age", "gender", "device_price")

METRIC_KEYS = (
    "n_exposures", "n_clicks", "n_negatives", "n_sessions", "n_click_sessions",
    "n_exposed_users", "ctr", "negatives_per_click", "comments_per_click", "likes_per_click",
    "gifts_per_click", "gift_session_share", "qualified_rate", "comment_rate", "like_rate", "gtr",
    "interaction_rate", "attributed_comments_per_click", "attributed_likes_per_click",
    "attributed_gifts_per_click", "overall_gift", "user_share_gift", "gift_price_mean", "rpm",
    "rpm_all",
)
"""Registry metrics (:mod:`kuailive_analysis.core.metrics`) chapter 5 reports; :func:`analyse`
computes them through the registry from the tables it built."""


def analyse(ds, *, qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S,
            attribution_window_s: float | None = DEFAULT_ATTRIBUTION_WINDOW_S,
            segments: Iterable[str] = DEFAULT_SEGMENTS, conf: float = 0.95,
            interval: str = "user", n_boot: int = 200, seed: int = 0) -> dict:
    """Every table of chapter 5 from a :class:`kuailive_analysis.dataset.Dataset`.

    Returns a dict: ``engagements`` (:func:`attribute`), ``status``
    (:func:`engagement_status_table`),
    ``clicks``, ``exposures`` (with segment and position columns), ``sessions``, ``unmatched``
    (exposures whose room or user is missing from the dimension tables), ``funnel``,
    ``kpis`` (overall), ``units`` (:func:`unit_funnels`), ``session_kpis``, ``gift_values``,
    ``segments`` (KPIs per segment column), ``daily``, ``by_screen``, ``by_index``,
    ``watch`` (:func:`watch_by_outcome`), ``clustered`` (:func:`user_bootstrap`),
    ``summary`` (:func:`kpi_summary`), ``metrics`` (:data:`METRIC_KEYS` -> registry
    ``MetricValue``). Segment, daily and position tables carry
    ``interval`` bounds (default ``"user"``: user-clustered bootstrap, see
    :func:`user_intervals`); the overall funnel and KPI table keep Wilson bounds, and
    ``clustered`` compares the two.
    """
    _check_interval(interval)
    iv = {"interval": interval, "n_boot": n_boot, "seed": seed}
    segments = list(segments)
    def cols(name, extra=()):
        """Only the columns the funnel reads (the cache reads just those, so the wide event
        and room tables are never held in full)."""
        c = [*_EVENT_COLS, *extra] if name != "rooms" else ["live_id", *extra]
        return ds.table(name, c) if hasattr(ds, "table") else getattr(ds, name)[c]

    gifts = cols("gifts", ("gift_price",))
    b = build(cols("clicks", ("watch_live_time",)), cols("negatives"), cols("comments"),
              cols("likes"), gifts,
              qualified_watch_s=qualified_watch_s, attribution_window_s=attribution_window_s)
    ex, unmatched = add_segments(b["exposures"],
                                 cols("rooms", ("live_content_category", "live_type")),
                                 ds.users)
    ex = add_positions(ex)
    unknown = [s for s in segments if s not in ex.columns]
    if unknown:
        raise ValueError(f"analyse: unknown segment column(s) {unknown}; available: "
                         f"{[c for c in ex.columns if c not in ('ts_ms',)]}")
    out = dict(b)
    out["exposures"] = ex
    out["unmatched"] = unmatched
    out["status"] = engagement_status_table(b["engagements"])
    out["funnel"] = funnel(ex, conf=conf)
    out["kpis"] = kpi_table(ex, conf=conf)
    out["units"] = unit_funnels(ex, b["sessions"], conf=conf)
    out["session_kpis"] = session_kpis(b["sessions"], conf=conf)
    out["gift_values"] = gift_value_summary(gifts, b["engagements"], conf=conf)
    out["segments"] = segment_kpis(ex, segments, conf=conf, **iv)
    out["daily"] = daily_kpis(ex, conf=conf, **iv)
    out["by_screen"] = kpi_table(ex, by="screen_size_cap", conf=conf, **iv)
    out["by_index"] = kpi_table(ex, by="exposure_index_cap", conf=conf, **iv)
    out["watch"] = watch_by_outcome(b["clicks"], qualified_watch_s=qualified_watch_s)
    out["clustered"] = user_bootstrap(ex, out["kpis"], n_boot=n_boot, conf=conf, seed=seed)
    mc = registry.MetricContext(ds, qualified_watch_s=qualified_watch_s,
                                attribution_window_s=attribution_window_s,
                                tables={"sessions": b["sessions"], "funnel_clicks": b["clicks"]})
    out["metrics"] = registry.compute_many(METRIC_KEYS, mc)
    out["summary"] = kpi_summary(out["kpis"], out["session_kpis"], out["gift_values"],
                                 out["funnel"], conf=conf, metrics=out["metrics"])
    return out


def kpi_summary(kpis: pd.DataFrame, sess: pd.DataFrame, gift_values: pd.DataFrame,
                funnel_long: pd.DataFrame, total_gift_value: float | None = None,
                conf: float = 0.95,
                metrics: Mapping[str, registry.MetricValue] | None = None) -> pd.DataFrame:
    """One tidy table of the headline KPIs: kpi, unit, value, lo, hi, numerator, denominator.

    ``metrics`` (registry values, as :func:`analyse` computes them) adds the all-events ratios
    per click and the revenue of all gifts per 1,000 exposures; without it, the revenue of all
    gifts comes from ``total_gift_value`` when given."""
    k = kpis.iloc[0]
    name = {key: m.name for key, m in registry.METRICS.items()}
    rows = [
        ("CTR", "per exposure", k["ctr"], k["ctr_lo"], k["ctr_hi"], k["clicks"], k["exposures"]),
        ("Qualified-watch rate", "per click", k["qualified_rate"], k["qualified_rate_lo"],
         k["qualified_rate_hi"], k["qualified"], k["clicks"]),
        ("Comment rate", "per click", k["comment_rate"], k["comment_rate_lo"],
         k["comment_rate_hi"], k["commented"], k["clicks"]),
        ("Like rate", "per click", k["like_rate"], k["like_rate_lo"], k["like_rate_hi"],
         k["liked"], k["clicks"]),
        (name["gtr"], "per click", k["gtr"], k["gtr_lo"], k["gtr_hi"], k["gifted"], k["clicks"]),
    ]
    for kind in ("comments", "likes", "gifts"):
        if metrics is not None:
            mv = metrics[f"{kind}_per_click"]
            rows.append((name[f"{kind}_per_click"], "per click", mv.value, np.nan, np.nan,
                         mv.numerator, mv.denominator))
        rows.append((name[f"attributed_{kind}_per_click"], "per click",
                     k[f"attributed_{kind}_per_click"], np.nan, np.nan, k[f"n_{kind}"],
                     k["clicks"]))
    for kind, label in (("qualified", "Qualified-watch rate"), ("comment", "Comment rate"),
                        ("like", "Like rate"), ("gift", name["gift_session_share"])):
        r = sess.loc[f"{kind} rate per click session"]
        rows.append((label, "per click session", r["rate"], r["lo"], r["hi"], r["k"], r["n"]))
    r = sess.loc["engaged sessions without a click"]
    rows.append(("Engaged sessions without a click", "per engaged session", r["rate"], r["lo"],
                 r["hi"], r["k"], r["n"]))
    for name in gift_values.index:
        g = gift_values.loc[name]
        rows.append((f"Average gift value, {name} (coins)", "per gift", g["mean"], g["lo"],
                     g["hi"], g["total_value"], g["n_gifts"]))
    rows.append(("Revenue per 1,000 exposures, attributed gifts (coins)", "per 1,000 exposures",
                 k["rpm"], max(k["rpm_lo"], 0.0), k["rpm_hi"], k["gift_value"], k["exposures"]))
    if metrics is not None:
        mv = metrics["rpm_all"]
        rows.append(("Revenue per 1,000 exposures, all gifts (coins)", "per 1,000 exposures",
                     mv.value, np.nan, np.nan, mv.numerator, mv.denominator))
    elif total_gift_value is not None:
        rows.append(("Revenue per 1,000 exposures, all gifts (coins)", "per 1,000 exposures",
                     1000 * total_gift_value / k["exposures"], np.nan, np.nan, total_gift_value,
                     k["exposures"]))
    f = funnel_long.set_index("step")
    prev = dict(zip(STEPS[1:], STEPS[:-1]))
    for s in STEPS[1:]:
        rows.append((f"Step: {STEP_LABELS[s]} / {STEP_LABELS[prev[s]].lower()}", "per exposure",
                     f.loc[s, "step_rate"], f.loc[s, "step_lo"], f.loc[s, "step_hi"],
                     f.loc[s, "n"], f.loc[prev[s], "n"]))
    rows.append(("Overall: exposure to gift", "per exposure", f.loc["gift", "overall_rate"],
                 f.loc["gift", "overall_lo"], f.loc["gift", "overall_hi"], f.loc["gift", "n"],
                 f.loc["exposure", "n"]))
    t = pd.DataFrame(rows, columns=["kpi", "unit", "value", "lo", "hi", "numerator",
                                    "denominator"])
    t["numerator"] = t["numerator"].astype(np.float64)
    t["denominator"] = t["denominator"].astype(np.float64)
    return t


def extremes(table: pd.DataFrame, rate: str, min_exposures: int = 0) -> dict:
    """Lowest and highest level of a segment KPI table for prose: level and rate of each, and
    whether their 95% intervals overlap (``separated`` False = the gap may be noise)."""
    t = table[table["exposures"] >= min_exposures].dropna(subset=[rate])
    if t.empty:
        return {"lo_level": "n/a", "lo": np.nan, "hi_level": "n/a", "hi": np.nan,
                "separated": False}
    lo_i, hi_i = t[rate].idxmin(), t[rate].idxmax()
    return {"lo_level": str(lo_i), "lo": float(t.loc[lo_i, rate]),
            "hi_level": str(hi_i), "hi": float(t.loc[hi_i, rate]),
            "separated": bool(t.loc[lo_i, f"{rate}_hi"] < t.loc[hi_i, f"{rate}_lo"])}


def position_summary(exposures: pd.DataFrame) -> dict[str, float]:
    """CTR of single-exposure screens vs screens of 2+, first vs repeat exposures, shares."""
    ex = exposures
    single = ex["screen_size"].to_numpy() == 1
    first = ex["exposure_index"].to_numpy() == 1
    clicked = ex["clicked"].to_numpy()

    def rate(mask):
        return float(clicked[mask].mean()) if mask.any() else float("nan")
    return {
        "share_multi_screen": float((~single).mean()) if len(ex) else float("nan"),
        "ctr_single_screen": rate(single), "ctr_multi_screen": rate(~single),
        "share_repeat_exposure": float((~first).mean()) if len(ex) else float("nan"),
        "ctr_first_exposure": rate(first), "ctr_repeat_exposure": rate(~first),
        "median_screen_size": float(np.median(ex["screen_size"])) if len(ex) else float("nan"),
    }


def headline_numbers(res: Mapping, segments: Iterable[str] = DEFAULT_SEGMENTS) -> dict:
    """Flat dict of plain Python numbers and strings for ``myst_nb.glue`` (chapter 5 prose).

    Keys: every registry metric of :data:`METRIC_KEYS` under its registry key (``n_clicks``,
    ``ctr``, ``gtr``, ``gifts_per_click``, ``gift_session_share``, ``overall_gift``, ...;
    the one value of each KPI in the book), the other columns of the overall
    :func:`kpi_table` (intervals ``ctr_lo``, ``gtr_hi``, ...), nested funnel ``n_<step>``,
    ``step_<step>`` / ``overall_<step>``, engagement statuses ``<kind>_<status>`` (counts) and
    ``<kind>_share_<status>``, ``gift_not_qualified`` (share of gifting clicks below the
    watch threshold), click-session rates ``sess_<name>`` (qualified, comment, like,
    interaction), gift values, ``ext_<rate>_<segment>_{lo,hi,lo_level,hi_level,
    separated}``, daily ranges ``daily_<rate>_{min,max}``, position effects and watch-time
    medians ``watch_p50_<outcome>``.
    """
    out: dict = {}
    k = res["kpis"].iloc[0]
    for c, v in k.items():
        out[c] = float(v)
    f = res["funnel"].set_index("step")
    for s in STEPS:
        out[f"n_{s}"] = int(f.loc[s, "n"])
        out[f"step_{s}"] = float(f.loc[s, "step_rate"])
        out[f"overall_{s}"] = float(f.loc[s, "overall_rate"])
    later = f.loc[list(STEPS[1:])]
    low = later["step_rate"].astype(float).idxmin() if later["step_rate"].notna().any() else "click"
    out["lowest_step"] = STEP_LABELS[low].lower()
    out["lowest_step_rate"] = float(f.loc[low, "step_rate"])
    n = f["n"].to_numpy(np.float64)
    lost = n[:-1] - n[1:]
    i = int(np.argmax(lost))
    out["biggest_loss_step"] = STEP_LABELS[STEPS[i + 1]].lower()
    out["biggest_loss_share"] = float(lost[i] / n[0]) if n[0] else float("nan")
    st = res["status"]
    for kind in (*ENGAGEMENT_KINDS, "all"):
        for s in STATUSES:
            out[f"{kind}_{s}"] = int(st.loc[kind, s])
            out[f"{kind}_share_{s}"] = float(st.loc[kind, f"share_{s}"])
    ct = res["clicks"]
    g = ct["gifted"].to_numpy()
    out["gift_not_qualified"] = (float((g & ~ct["qualified"].to_numpy()).sum() / g.sum())
                                 if g.any() else float("nan"))
    sk = res["session_kpis"]
    for name in ("qualified", "comment", "like", "interaction"):
        out[f"sess_{name}"] = float(sk.loc[f"{name} rate per click session", "rate"])
    out["sess_engaged_no_click"] = float(sk.loc["engaged sessions without a click", "rate"])
    gv = res["gift_values"]
    out["gift_mean_lo"] = float(gv.loc["all gifts", "lo"])
    out["gift_mean_hi"] = float(gv.loc["all gifts", "hi"])
    out["gift_median_all"] = float(gv.loc["all gifts", "median"])
    for seg in segments:
        if seg not in res["segments"]:
            continue
        for rate in ("ctr", "gtr", "qualified_rate"):
            e = extremes(res["segments"][seg], rate)
            for key, v in e.items():
                if key == "separated":
                    v = "do not overlap" if v else "overlap"
                out[f"ext_{rate}_{seg}_{key}"] = v if isinstance(v, str) else float(v)
    d = res["daily"]
    for rate in ("ctr", "gtr", "qualified_rate", "interaction_rate"):
        out[f"daily_{rate}_min"] = float(d[rate].min())
        out[f"daily_{rate}_max"] = float(d[rate].max())
    days = d.index.to_numpy()
    for name, mask in (("week1", days <= days.min() + 6), ("week3", days >= days.max() - 6)):
        w = d[mask]
        clicks = float(w["clicks"].sum())
        out[f"ctr_{name}"] = float(clicks / w["exposures"].sum()) if len(w) else float("nan")
        out[f"gtr_{name}"] = float(w["gifted"].sum() / clicks) if clicks else float("nan")
    out.update(position_summary(res["exposures"]))
    if "clustered" in res:
        cl = res["clustered"]
        for name in cl.index:
            out[f"boot_{name}_lo"] = float(cl.loc[name, "boot_lo"])
            out[f"boot_{name}_hi"] = float(cl.loc[name, "boot_hi"])
            out[f"boot_{name}_ratio"] = float(cl.loc[name, "width_ratio"])
    w = res["watch"]
    for name, key in zip(WATCH_OUTCOMES, ("none", "engaged", "gift")):
        out[f"watch_p50_{key}"] = float(w.loc[name, "p50"])
        out[f"watch_qualified_{key}"] = float(w.loc[name, "share_qualified"])
        out[f"watch_n_{key}"] = int(w.loc[name, "n_clicks"])
    # the registry's value of each KPI wins over any table's copy of it (one value per name)
    for key, mv in res["metrics"].items():
        out[key] = int(mv.value) if mv.unit == "count" else float(mv.value)
    return out
