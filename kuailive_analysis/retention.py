"""User and streamer retention: day-N cohort triangles and survival analysis of time to churn.

Definitions (used by every function here and stated in chapter 3)
-----------------------------------------------------------------

* **Calendar day.** Day index ``d = (ms - WINDOW_START_MS) // MS_PER_DAY`` in Beijing time
  (Asia/Shanghai); the window covers days ``0 .. 20`` (2025-05-05 .. 2025-05-25). The real logs
  end at 22:59:58 on day 20, so the last day is observed for 23 of 24 hours; it still counts
  as an observed day (``last_day`` lets an analysis drop it).
* **Activity.** A user is *active* on day ``d`` if they clicked into a room, commented, liked or
  sent a gift that day (``user_day.active``). Unclicked exposures (negatives) are things shown
  to the user, not things the user did, and do not count. A streamer is active on day ``d`` if
  a room of theirs starts that day (a room already live at the window start counts for day 0).
* **Entry.** The user's *first active day in the window*, ``f``. The survival clock ``t`` counts
  days since entry: relative day ``t = d - f + 1`` (the entry day is ``t = 1``).
* **Churn.** With ``k = churn_days``, a user churns after the last active day ``L`` that is
  followed by ``k`` consecutive inactive days (the first such gap). Users active again after
  that gap are *resurrected* (``returned = True``) but their first lifetime has still ended.
* **Event time.** ``T = L - f + 1`` days (a one-day user has ``T = 1``): the number of calendar
  days from entry to the last day of the first active spell. The survival function
  ``S(t) = P(T > t)`` is the share of users whose active lifetime extends beyond relative day
  ``t``.
* **Right-censoring.** A churn at ``L`` can only be seen if the ``k`` days after ``L`` lie in
  the window, ``L + k <= last_day``. Each user therefore has an *administrative censoring
  time* ``c = last_day - k - f + 1`` fixed at entry, independent of behaviour; we record
  ``duration = min(T, c)`` and ``event = T <= c``. Users whose last activity is within ``k``
  days of the end are censored at ``c`` (not at their last activity: censoring later than
  ``c`` would keep them at risk at times when their churn could not be seen, and bias the
  survival curve upwards). Users with ``c < 1`` (entry in the last ``k`` days) cannot be
  assessed and are flagged ``eligible = False``.
* **Clocks and left truncation.** Nearly every KuaiLive user was active on the platform long
  before the window (``first_watch_live_timestamp``, ``reg_timestamp``), so ``T`` is the
  *residual* lifetime from the first activity seen in the window, not a lifetime since sign-up.
  Account age is the other clock: a user enters the risk set at their age at entry
  (``watch_age_days + f``) and is followed only for the days observed; hazards on the age
  clock (:func:`hazard_by_age`) are occurrence/exposure rates from this left-truncated
  person-time.
* **Landmark for early-activity covariates.** Behaviour measured in the first ``w`` days of a
  user's window lifetime (days ``f .. f + w - 1``) is only compared among users whose lifetime
  reaches day ``w`` (``T >= w``), on the residual clock ``t - (w - 1)``; otherwise heavy users
  would look loyal simply because they had to survive to accumulate activity (immortal-time
  bias). ``w = 1`` is no landmark.

Profile fields (gender, age band, device price, registration) are a snapshot taken at the end
of the window; functions that use them flag them as snapshot covariates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import (
    MS_PER_DAY,
    MS_PER_HOUR,
    N_WINDOW_DAYS,
    WINDOW_START_MS,
    beijing_day,
)
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.schema import ordered_bins, parse_bin

ACTIVITY_BEHAVIOURS = ("click", "comment", "like", "gift")
"""Behaviours that make a user active on a day (negatives, i.e. unclicked exposures, do not)."""

DEFAULT_LAST_DAY = N_WINDOW_DAYS - 1
"""Last calendar day index of the window (day 20 = 2025-05-25, observed until 22:59:58)."""

SURVIVAL_COLUMNS = ("first_day", "last_active_day", "n_active_days", "duration", "event",
                    "returned", "censor_time", "eligible")


class RetentionError(ValueError):
    """Bad input to a retention function (the message names the frame, column and value)."""


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------
_HINT = "Pass the Dataset's table (or a frame with these columns)."


def _check_days(days: pd.Series, what: str, last_day: int) -> None:
    if days.isna().any():
        raise RetentionError(f"{what}.day has {int(days.isna().sum())} missing value(s).")
    bad = days[(days < 0) | (days > last_day)]
    if len(bad):
        raise RetentionError(
            f"{what}.day has value {int(bad.iloc[0])} outside 0..{last_day} "
            f"({len(bad)} row(s)); day is the Beijing day index since 2025-05-05."
        )


# ---------------------------------------------------------------------------------------------
# Activity
# ---------------------------------------------------------------------------------------------
BEHAVIOUR_COLUMNS = {"click": "n_clicks", "comment": "n_comments", "like": "n_likes",
                     "gift": "n_gifts", "exposure": "n_negatives"}
"""user_day count column of each behaviour; 'exposure' = an unclicked exposure (the user was on
the platform and was shown a room), the widest notion of presence."""


def activity_days(user_day: pd.DataFrame, *, id_col: str = "user_id",
                  last_day: int = DEFAULT_LAST_DAY, behaviours=None) -> pd.DataFrame:
    """Distinct active (id, day) pairs from a per-day frame.

    ``user_day`` has one row per (id, day). By default a row counts when its boolean ``active``
    column is True (the Dataset's ``user_day``: any click, comment, like or gift that day);
    without an ``active`` column every row counts. ``behaviours`` (names from
    :data:`BEHAVIOUR_COLUMNS`) instead counts a day when any of those counts is positive, e.g.
    ``("click", "comment", "like", "gift", "exposure")`` to treat being shown rooms as presence.
    Returns ``[id_col, day]`` (int32, int8), sorted, duplicates removed.
    """
    require_columns(user_day, [id_col, "day"], "user_day", error=RetentionError, hint=_HINT)
    frame = user_day
    if behaviours is not None:
        unknown = [b for b in behaviours if b not in BEHAVIOUR_COLUMNS]
        if unknown or not len(behaviours):
            raise RetentionError(f"behaviours {list(behaviours)!r}: choose from "
                                 f"{list(BEHAVIOUR_COLUMNS)}.")
        cols = [BEHAVIOUR_COLUMNS[b] for b in behaviours]
        require_columns(frame, cols, "user_day", error=RetentionError, hint=_HINT)
        frame = frame[(frame[cols].fillna(0) > 0).any(axis=1).to_numpy()]
    elif "active" in frame.columns:
        if frame["active"].isna().any():
            raise RetentionError("user_day.active has missing values; it must be boolean.")
        frame = frame[frame["active"].astype(bool)]
    _check_days(frame["day"], "user_day", last_day)
    out = (frame[[id_col, "day"]].drop_duplicates()
           .astype({id_col: "int32", "day": "int8"})
           .sort_values([id_col, "day"], kind="stable").reset_index(drop=True))
    return out


def streamer_activity_days(rooms: pd.DataFrame, *, last_day: int = DEFAULT_LAST_DAY
                           ) -> pd.DataFrame:
    """Broadcast days per streamer: ``[streamer_id, day]`` with one row per day a room started.

    Day = Beijing day index of ``start_ms``. A room that started before the window but was
    still live at its start counts for day 0; rooms starting after ``last_day`` are ignored.
    A long room counts only for its start day (a streamer is active when they go live).
    """
    require_columns(rooms, ["streamer_id", "start_ms", "end_ms"], "rooms",
                    error=RetentionError, hint=_HINT)
    start = rooms["start_ms"].to_numpy(np.int64)
    end = rooms["end_ms"].to_numpy(np.int64)
    day = beijing_day(start)
    keep = (end > WINDOW_START_MS) & (day <= last_day)
    frame = pd.DataFrame({"streamer_id": rooms["streamer_id"].to_numpy()[keep],
                          "day": np.clip(day[keep], 0, None)})
    return activity_days(frame, id_col="streamer_id", last_day=last_day)


# ---------------------------------------------------------------------------------------------
# Survival table
# ---------------------------------------------------------------------------------------------
def survival_table(activity: pd.DataFrame, *, churn_days: int = 7,
                   last_day: int = DEFAULT_LAST_DAY, id_col: str = "user_id") -> pd.DataFrame:
    """One row per id: time to churn with right-censoring (definitions in the module docstring).

    ``activity`` holds active (id, day) pairs (extra rows with ``active == False`` are ignored).
    Returns, indexed 0..n-1 and sorted by id:

    ``last_day`` is the last calendar day of the window (default 20). Columns:
    ``id_col``; ``first_day`` f (entry); ``last_active_day`` L, the last active day of the first
    spell (before the first gap of ``churn_days`` inactive days); ``n_active_days`` (active days
    in that spell); ``returned`` (active again after such a gap); ``censor_time``
    ``c = last_day - churn_days - f + 1``; ``duration = min(L - f + 1, c)`` (days, int16);
    ``event`` (churn observed, ``L - f + 1 <= c``); ``eligible`` (``c >= 1``: the user can be
    assessed; ineligible rows have ``duration = 0`` and must be dropped before fitting).
    """
    if int(churn_days) < 1:
        raise RetentionError(f"churn_days must be a positive number of days, got {churn_days!r}.")
    k = int(churn_days)
    act = activity_days(activity, id_col=id_col, last_day=last_day)
    if act.empty:
        raise RetentionError("activity has no active (id, day) rows: nothing to analyse.")
    ids = act[id_col].to_numpy()
    day = act["day"].to_numpy(np.int16)
    new_id = np.r_[True, ids[1:] != ids[:-1]]
    gap = np.where(new_id, 0, np.diff(day, prepend=day[0]) - 1)
    big = gap >= k
    # rows at or after the first churn gap of their id
    seg = np.cumsum(new_id) - 1
    after = pd.Series(big).groupby(seg).cumsum().to_numpy() > 0
    in_spell = ~after
    g = pd.DataFrame({"seg": seg, "day": day, "in_spell": in_spell, "after": after})
    first = g.groupby("seg")["day"].min().to_numpy()
    spell = g[g["in_spell"]].groupby("seg")["day"].agg(["max", "size"])
    returned = g.groupby("seg")["after"].any().to_numpy()
    L = spell["max"].to_numpy()
    T = L - first + 1
    c = last_day - k - first + 1
    eligible = c >= 1
    event = eligible & (T <= c)
    duration = np.where(eligible, np.minimum(T, c), 0)
    return pd.DataFrame({
        id_col: ids[new_id].astype("int32"),
        "first_day": first.astype("int8"),
        "last_active_day": L.astype("int8"),
        "n_active_days": spell["size"].to_numpy().astype("int16"),
        "duration": duration.astype("int16"),
        "event": event.astype(bool),
        "returned": returned.astype(bool),
        "censor_time": c.astype("int16"),
        "eligible": eligible.astype(bool),
    })


def churn_sensitivity(activity: pd.DataFrame, churn_days=(3, 5, 7), *,
                      last_day: int = DEFAULT_LAST_DAY, id_col: str = "user_id",
                      horizons=(1, 7), tau: float | None = None) -> pd.DataFrame:
    """How the headline numbers move with ``churn_days``: one row per k.

    Columns: churn_days, n (eligible), events, share_churned (events / n), share_returned
    (churned users active again later), median (days; inf = not reached), rmst (restricted mean
    survival time up to ``tau``, default the longest follow-up of the largest k), and
    ``S(h)`` for each horizon h.
    """
    ks = [int(k) for k in churn_days]
    tau = float(tau) if tau is not None else float(last_day - max(ks) + 1)
    rows = []
    for k in ks:
        tab = survival_table(activity, churn_days=k, last_day=last_day, id_col=id_col)
        tab = tab[tab["eligible"]]
        kmf = fit_km(tab, label=f"k={k}")
        summ = km_summary(kmf, tau=tau, horizons=horizons)
        row = {"churn_days": k, "n": len(tab), "events": int(tab["event"].sum()),
               "share_churned": tab["event"].mean(),
               "share_returned": (tab["returned"].sum() / max(int(tab["event"].sum()), 1)),
               "median": summ["median"], "rmst": summ["rmst"]}
        for h in horizons:
            row[f"S({h})"] = summ[f"S({h})"]
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Product retention: cohort triangle
# ---------------------------------------------------------------------------------------------
def cohort_triangle(activity: pd.DataFrame, *, last_day: int = DEFAULT_LAST_DAY,
                    id_col: str = "user_id") -> pd.DataFrame:
    """Day-N retention by cohort, long format.

    Cohort ``c`` = first active day in the window. For ``N = 0 .. last_day - c`` (only cells
    the cohort is old enough to have observed):

    * ``rate_on`` = share of the cohort active on day ``c + N`` ("day-N retention");
    * ``rate_on_or_after`` = share active on any day ``>= c + N`` ("unbounded" retention).

    Columns: cohort, n, cohort_size, active_on, active_on_or_after, rate_on, rate_on_or_after.
    """
    act = activity_days(activity, id_col=id_col, last_day=last_day)
    first = act.groupby(id_col)["day"].transform("min").to_numpy(np.int16)
    last = act.groupby(id_col)["day"].transform("max").to_numpy(np.int16)
    n = act["day"].to_numpy(np.int16) - first
    n_days = last_day + 1
    on = np.zeros((n_days, n_days), dtype=np.int64)
    np.add.at(on, (first, n), 1)
    is_first = n == 0
    reach = (last - first)[is_first]  # last active offset of each user
    coh = first[is_first]
    cnt = np.zeros((n_days, n_days), dtype=np.int64)
    np.add.at(cnt, (coh, reach), 1)
    on_or_after = cnt[:, ::-1].cumsum(axis=1)[:, ::-1]  # users with reach >= N
    size = on[:, 0]
    cc, nn = np.meshgrid(np.arange(n_days), np.arange(n_days), indexing="ij")
    ok = (cc + nn <= last_day) & (size[cc] > 0)
    out = pd.DataFrame({
        "cohort": cc[ok].astype("int8"), "n": nn[ok].astype("int8"),
        "cohort_size": size[cc[ok]], "active_on": on[ok], "active_on_or_after": on_or_after[ok],
    })
    out["rate_on"] = out["active_on"] / out["cohort_size"]
    out["rate_on_or_after"] = out["active_on_or_after"] / out["cohort_size"]
    return out.sort_values(["cohort", "n"]).reset_index(drop=True)


def averaged_retention(triangle: pd.DataFrame, *, z: float = 1.96) -> pd.DataFrame:
    """Cohort-size-weighted day-N retention curve from :func:`cohort_triangle`.

    For each N the denominator is the total size of the cohorts old enough to have reached day
    N (``cohort + N <= last_day``), so young cohorts never count as "not retained". Columns:
    n, n_cohorts, denominator, active_on, rate_on (+ Wilson ``on_lo``/``on_hi``),
    active_on_or_after, rate_on_or_after.
    """
    require_columns(triangle, ["n", "cohort_size", "active_on", "active_on_or_after"], "triangle",
                    error=RetentionError, hint=_HINT)
    g = triangle.groupby("n").agg(n_cohorts=("cohort_size", "size"),
                                  denominator=("cohort_size", "sum"),
                                  active_on=("active_on", "sum"),
                                  active_on_or_after=("active_on_or_after", "sum")).reset_index()
    g["rate_on"] = g["active_on"] / g["denominator"]
    g["rate_on_or_after"] = g["active_on_or_after"] / g["denominator"]
    lo, hi = wilson_interval(g["active_on"].to_numpy(), g["denominator"].to_numpy(), z=z)
    g["on_lo"], g["on_hi"] = lo, hi
    return g


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------------
def _fit_ready(table: pd.DataFrame, what: str = "survival table") -> pd.DataFrame:
    require_columns(table, ["duration", "event"], what, error=RetentionError, hint=_HINT)
    if "eligible" in table.columns:
        table = table[table["eligible"]]
    if table.empty:
        raise RetentionError(f"{what} has no eligible rows to fit.")
    if (table["duration"] < 1).any():
        raise RetentionError(f"{what}.duration must be >= 1 day for eligible rows.")
    return table


def fit_km(table: pd.DataFrame, *, label: str = "all", alpha: float = 0.05,
           duration_col: str = "duration"):
    """Kaplan-Meier fit of ``S(t) = P(T > t)`` (t in days since entry) with (1-alpha) pointwise
    confidence bands (Greenwood variance, log(-log) transform, lifelines' default)."""
    from lifelines import KaplanMeierFitter

    tab = _fit_ready(table)
    return KaplanMeierFitter(label=label, alpha=alpha).fit(
        tab[duration_col].to_numpy(float), tab["event"].to_numpy(bool))


def km_summary(kmf, *, tau: float, horizons=(1, 7)) -> dict:
    """Median survival (inf = not reached) with CI, restricted mean survival time up to ``tau``
    (``RMST = integral_0^tau S(t) dt``, days; lifelines, exact for KM) with its standard error
    (:func:`rmst_variance`), and ``S(h)`` at horizons."""
    from lifelines.utils import median_survival_times, restricted_mean_survival_time

    med = float(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    rmst = restricted_mean_survival_time(kmf, t=float(tau))
    var = rmst_variance(kmf, tau)
    out = {"n": int(kmf.event_table["entrance"].sum()), "events": int(kmf.event_observed.sum()),
           "median": med, "median_lo": float(ci.iloc[0, 0]), "median_hi": float(ci.iloc[0, 1]),
           "tau": float(tau), "rmst": float(rmst), "rmst_se": float(np.sqrt(max(var, 0.0)))}
    for h in horizons:
        out[f"S({h})"] = float(kmf.survival_function_at_times(h).iloc[0])
    return out


def rmst_variance(kmf, tau: float) -> float:
    """Greenwood-type variance of the KM restricted mean (Klein & Moeschberger 4.5):
    ``Var = sum_{t_i <= tau} A_i^2 d_i / (n_i (n_i - d_i))`` with ``A_i = integral_{t_i}^tau S``,
    over event times t_i with d_i events among n_i at risk (terms with n_i = d_i omitted)."""
    et = kmf.event_table
    t = et.index.to_numpy(float)
    d = et["observed"].to_numpy(float)
    n = et["at_risk"].to_numpy(float)
    s = kmf.survival_function_.iloc[:, 0].reindex(et.index).to_numpy(float)
    keep = (t <= tau) & (d > 0) & (n > d)
    # integral of the step function S from each t_i to tau
    grid = np.r_[t[t <= tau], tau]
    seg = np.diff(grid) * s[t <= tau]
    tail = np.cumsum(seg[::-1])[::-1]
    a = tail[keep[t <= tau]]
    return float(np.sum(a ** 2 * d[keep] / (n[keep] * (n[keep] - d[keep]))))


def km_table(kmf, times) -> pd.DataFrame:
    """Survival with confidence band at given times (step function evaluated at each t)."""
    times = np.asarray(list(times), float)
    s = kmf.survival_function_at_times(times).to_numpy()
    ci = kmf.confidence_interval_survival_function_
    idx = ci.index.to_numpy()
    pos = np.searchsorted(idx, times, side="right") - 1
    lo = np.where(pos >= 0, ci.iloc[np.clip(pos, 0, None), 0].to_numpy(), 1.0)
    hi = np.where(pos >= 0, ci.iloc[np.clip(pos, 0, None), 1].to_numpy(), 1.0)
    return pd.DataFrame({"t": times, "survival": s, "lo": lo, "hi": hi})


def format_median(value: float, unit: str = "days") -> str:
    """'5.0 days' or 'not reached' (the KM curve never falls to 50% within follow-up)."""
    return "not reached" if not np.isfinite(value) else f"{value:.0f} {unit}"


# ---------------------------------------------------------------------------------------------
# Early activity, landmark and segments
# ---------------------------------------------------------------------------------------------
EARLY_SUMS = ("n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value")


def early_activity(user_day: pd.DataFrame, table: pd.DataFrame, *, early_days: int = 3,
                   id_col: str = "user_id") -> pd.DataFrame:
    """Behaviour in each user's first ``early_days`` window days (days ``f .. f + w - 1``).

    Returns one row per id of ``table``: ``early_active_days`` and sums of n_clicks, watch_ms,
    n_comments, n_likes, n_gifts, gift_value (those present in ``user_day``) over the early
    window, prefixed ``early_``, plus ``early_watch_h`` (hours). Nothing after day
    ``f + w - 1`` is used.
    """
    if int(early_days) < 1:
        raise RetentionError(f"early_days must be >= 1, got {early_days!r}.")
    require_columns(user_day, [id_col, "day"], "user_day", error=RetentionError, hint=_HINT)
    require_columns(table, [id_col, "first_day"], "survival table",
                    error=RetentionError, hint=_HINT)
    cols = [c for c in EARLY_SUMS if c in user_day.columns]
    ud = user_day.merge(table[[id_col, "first_day"]], on=id_col, how="inner")
    rel = ud["day"].astype(int) - ud["first_day"].astype(int)
    ud = ud[(rel >= 0) & (rel < int(early_days))]
    active = ud["active"].astype(bool) if "active" in ud.columns else pd.Series(True, ud.index)
    agg = ud[cols].groupby(ud[id_col]).sum()
    agg["active_days"] = active.groupby(ud[id_col]).sum()
    agg.columns = [f"early_{c}" for c in agg.columns]
    out = table[[id_col]].merge(agg, left_on=id_col, right_index=True, how="left").fillna(0)
    for c in out.columns:
        if c != id_col:
            out[c] = out[c].astype("int64")
    if "early_watch_ms" in out.columns:
        out["early_watch_h"] = out["early_watch_ms"] / MS_PER_HOUR
    return out.reset_index(drop=True)


def landmark(table: pd.DataFrame, early_days: int) -> pd.DataFrame:
    """Users whose lifetime reaches relative day ``w = early_days`` (``duration >= w``), with the
    clock reset to the landmark: ``duration = duration - (w - 1)`` (so ``w = 1`` changes
    nothing). Use with covariates from :func:`early_activity` (same ``w``)."""
    w = int(early_days)
    tab = table[table["eligible"]] if "eligible" in table.columns else table
    tab = tab[tab["duration"] >= w].copy()
    tab["duration"] = (tab["duration"] - (w - 1)).astype("int16")
    return tab.reset_index(drop=True)


SEGMENTS = ("gender", "age", "device_price", "account", "early_gifter", "early_watch")
"""Segments chapter 3 compares; the first four are profile snapshot fields."""

SNAPSHOT_SEGMENTS = ("gender", "age", "device_price", "account")


def user_segments(users: pd.DataFrame, early: pd.DataFrame | None = None, *,
                  new_account_days: int = 365, heavy_quantile: float = 0.5) -> pd.DataFrame:
    """Segment labels per user (strings; missing profile values become 'unknown').

    * gender, age (band), device_price (band): profile snapshot fields as given;
    * account: 'new' if ``tenure_days < new_account_days`` (registered less than that many days
      before 2025-05-05), else 'old' (snapshot of the registration date);
    * early_gifter: 'gifter' if the user sent any gift in the early window, else 'non-gifter';
    * early_watch: 'heavy' if early watch time is above its ``heavy_quantile`` quantile among
      users, else 'light'.
    """
    require_columns(users, ["user_id"], "users", error=RetentionError, hint=_HINT)
    out = pd.DataFrame({"user_id": users["user_id"].astype("int32").to_numpy()})
    for col in ("gender", "age", "device_price"):
        if col in users.columns:
            out[col] = users[col].astype("string").fillna("unknown").to_numpy()
    if "tenure_days" in users.columns:
        ten = users["tenure_days"].to_numpy(float)
        out["account"] = np.where(np.isnan(ten), "unknown",
                                  np.where(ten < new_account_days, "new", "old"))
    if early is not None:
        require_columns(early, ["user_id", "early_n_gifts", "early_watch_ms"], "early activity",
                        error=RetentionError, hint=_HINT)
        e = early.set_index("user_id")
        gif = e["early_n_gifts"].reindex(out["user_id"]).to_numpy()
        wat = e["early_watch_ms"].reindex(out["user_id"]).to_numpy(float)
        cut = np.nanquantile(e["early_watch_ms"].to_numpy(float), heavy_quantile)
        out["early_gifter"] = np.where(np.isnan(gif.astype(float)), None,
                                       np.where(gif > 0, "gifter", "non-gifter"))
        out["early_watch"] = np.where(np.isnan(wat), None,
                                      np.where(wat > cut, "heavy", "light"))
    return out


def _groups(table: pd.DataFrame, labels: pd.Series, min_group: int):
    lab = labels.astype("string")
    keep = lab.notna()
    tab, lab = table[keep.to_numpy()], lab[keep]
    counts = lab.value_counts()
    big = counts[counts >= min_group].index
    ok = lab.isin(big).to_numpy()
    order = [g for g in counts.index if g in set(big)]  # largest level first
    try:  # binned levels ('18-23', '50+', '0'): in bin order
        [parse_bin(g) for g in order]
        order = ordered_bins(order)
    except ValueError:
        pass
    return tab[ok], lab[ok].to_numpy(dtype=object), order, counts[counts < min_group]


def km_by_segment(table: pd.DataFrame, labels: pd.Series, *, min_group: int = 30,
                  alpha: float = 0.05) -> dict:
    """One KM fit per segment level with at least ``min_group`` users (largest level first).

    ``labels`` is aligned with ``table`` rows. Returns {level: KaplanMeierFitter}."""
    tab, lab, order, _ = _groups(_fit_ready(table), labels[_eligible_mask(table)], min_group)
    return {g: fit_km(tab[lab == g], label=str(g), alpha=alpha) for g in order}


def _eligible_mask(table: pd.DataFrame) -> np.ndarray:
    if "eligible" in table.columns:
        return table["eligible"].to_numpy(bool)
    return np.ones(len(table), bool)


def holm(p) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control)."""
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def segment_tests(table: pd.DataFrame, labels: pd.Series, *, point_in_time: float = 7,
                  min_group: int = 30) -> dict:
    """Log-rank tests across segment levels and a fixed-time-point comparison.

    * ``overall``: multivariate log-rank test (H0: all levels share one survival curve);
      one-row frame with test_statistic (chi2), df, p.
    * ``pairwise``: every pair of levels: log-rank chi2 and p, ``S(point_in_time)`` of each
      level, their difference and the fixed-time test of ``S_a(t0) = S_b(t0)`` (lifelines'
      log(-log) transformed z-test), with Holm-adjusted p-values over the pairs.
    * ``dropped``: levels with fewer than ``min_group`` users (not tested).
    """
    from lifelines.statistics import (
        logrank_test,
        multivariate_logrank_test,
        survival_difference_at_fixed_point_in_time_test,
    )

    tab, lab, order, dropped = _groups(_fit_ready(table), labels[_eligible_mask(table)], min_group)
    if len(order) < 2:
        return {"overall": pd.DataFrame(), "pairwise": pd.DataFrame(), "dropped": dropped,
                "levels": order}
    dur = tab["duration"].to_numpy(float)
    ev = tab["event"].to_numpy(bool)
    mv = multivariate_logrank_test(dur, lab, ev)
    overall = pd.DataFrame([{"levels": len(order), "n": len(tab),
                             "test_statistic": float(mv.test_statistic),
                             "df": int(mv.degrees_of_freedom), "p": float(mv.p_value)}])
    fits = {g: fit_km(tab[lab == g], label=str(g)) for g in order}
    rows = []
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            ma, mb = lab == a, lab == b
            lr = logrank_test(dur[ma], dur[mb], ev[ma], ev[mb])
            fx = survival_difference_at_fixed_point_in_time_test(point_in_time, fits[a], fits[b])
            sa = float(fits[a].survival_function_at_times(point_in_time).iloc[0])
            sb = float(fits[b].survival_function_at_times(point_in_time).iloc[0])
            rows.append({"a": a, "b": b, "n_a": int(ma.sum()), "n_b": int(mb.sum()),
                         "logrank_chi2": float(lr.test_statistic), "logrank_p": float(lr.p_value),
                         "S_a": sa, "S_b": sb, "diff": sa - sb,
                         "fixed_chi2": float(fx.test_statistic), "fixed_p": float(fx.p_value)})
    pw = pd.DataFrame(rows)
    pw["logrank_p_holm"] = holm(pw["logrank_p"])
    pw["fixed_p_holm"] = holm(pw["fixed_p"])
    return {"overall": overall, "pairwise": pw, "dropped": dropped, "levels": order}


# ---------------------------------------------------------------------------------------------
# Cox proportional hazards
# ---------------------------------------------------------------------------------------------
@dataclass
class CoxResult:
    """A fitted Cox model and its reading.

    ``summary``: one row per covariate with hr = exp(coef), hr_lo / hr_hi (95% CI), p, and
    ``snapshot`` (True for end-of-window profile fields). ``concordance``: Harrell's C on the
    fitting data. ``ph_test``: per-covariate test of proportional hazards (scaled Schoenfeld
    residuals against the rank of time): test_statistic, p; ``ph_violations``: covariates with
    p < ``ph_alpha``. ``warnings``: messages of warnings raised while fitting (e.g. convergence),
    kept here instead of being printed into the chapter.
    """

    model: object
    design: pd.DataFrame
    summary: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    ph_violations: list
    warnings: list


def cox_design(table: pd.DataFrame, early: pd.DataFrame, users: pd.DataFrame | None = None, *,
               new_account_days: int = 365, id_col: str = "user_id") -> tuple[pd.DataFrame, dict]:
    """Covariate matrix for the Cox model, one row per user of ``table`` (duration, event kept).

    Early-activity covariates (from :func:`early_activity`, measured in the first w days only):
    ``early_active_days`` (days active of w), ``log2_early_watch_h`` (log2(1 + hours watched):
    the HR is per doubling), ``early_commented``, ``early_liked``, ``early_gifted`` (0/1).
    Snapshot covariates (end-of-window profile, flagged): ``female`` (vs male), ``new_account``
    (registered < ``new_account_days`` before the window), ``young`` (age band under 24),
    ``device_price_4000_plus``, ``is_live_streamer``. Columns without variation are dropped.
    Returns ``(design, labels)`` where labels maps column -> (readable name, snapshot flag).
    """
    require_columns(early, [id_col, "early_active_days", "early_watch_ms"], "early activity",
                    error=RetentionError, hint=_HINT)
    d = table[[id_col, "duration", "event"]].merge(early, on=id_col, how="left")
    X = pd.DataFrame({"duration": d["duration"].astype(float), "event": d["event"].astype(int)})
    labels = {}
    X["early_active_days"] = d["early_active_days"].astype(float)
    labels["early_active_days"] = ("active days in early window (per day)", False)
    X["log2_early_watch_h"] = np.log2(1 + d["early_watch_ms"].astype(float) / MS_PER_HOUR)
    labels["log2_early_watch_h"] = ("early watch time (per doubling of 1 + hours)", False)
    for src, name, text in (("early_n_comments", "early_commented", "commented early"),
                            ("early_n_likes", "early_liked", "liked early"),
                            ("early_n_gifts", "early_gifted", "gifted early")):
        if src in d.columns:
            X[name] = (d[src] > 0).astype(float)
            labels[name] = (text, False)
    if users is not None:
        u = d[[id_col]].merge(users, on=id_col, how="left")
        if "gender" in u.columns:
            g = u["gender"].astype("string")
            X["female"] = (g == "F").fillna(False).astype(float)
            labels["female"] = ("female (vs male/other)", True)
        if "tenure_days" in u.columns:
            X["new_account"] = (u["tenure_days"] < new_account_days).fillna(False).astype(float)
            labels["new_account"] = (f"account younger than {new_account_days} days", True)
        if "age" in u.columns:
            a = u["age"].astype("string")
            X["young"] = a.isin(["12-17", "18-23"]).fillna(False).astype(float)
            labels["young"] = ("age band under 24", True)
        if "device_price" in u.columns:
            p = u["device_price"].astype("string")
            X["device_price_4000_plus"] = p.isin(["4000-5000", "5000+"]).fillna(False).astype(float)
            labels["device_price_4000_plus"] = ("device price 4000+ CNY", True)
        if "is_live_streamer" in u.columns:
            X["is_live_streamer"] = u["is_live_streamer"].fillna(0).astype(float)
            labels["is_live_streamer"] = ("also a live streamer", True)
    covs = [c for c in X.columns if c not in ("duration", "event")]
    flat = [c for c in covs if X[c].nunique() < 2]
    X = X.drop(columns=flat)
    labels = {k: v for k, v in labels.items() if k not in flat}
    return X, labels


def fit_cox(design: pd.DataFrame, labels: dict | None = None, *, penalizer: float = 0.01,
            ph_alpha: float = 0.01) -> CoxResult:
    """Cox proportional hazards on days to churn (Efron ties), small ridge ``penalizer`` for
    numerical stability; hazard ratios with 95% CIs, concordance and the PH test."""
    import warnings

    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    require_columns(design, ["duration", "event"], "Cox design", error=RetentionError, hint=_HINT)
    if design["event"].sum() < 2:
        raise RetentionError("Cox design has fewer than 2 churn events; cannot fit.")
    cph = CoxPHFitter(penalizer=penalizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph.fit(design, duration_col="duration", event_col="event")
        ph = proportional_hazard_test(cph, design, time_transform="rank").summary
    notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    labels = labels or {}
    s = cph.summary
    summ = pd.DataFrame({
        "covariate": s.index,
        "label": [labels.get(c, (c, False))[0] for c in s.index],
        "snapshot": [bool(labels.get(c, (c, False))[1]) for c in s.index],
        "coef": s["coef"].to_numpy(), "hr": s["exp(coef)"].to_numpy(),
        "hr_lo": s["exp(coef) lower 95%"].to_numpy(), "hr_hi": s["exp(coef) upper 95%"].to_numpy(),
        "p": s["p"].to_numpy(),
    }).reset_index(drop=True)
    ph = ph.reset_index().rename(columns={"index": "covariate"})
    ph = ph[["covariate", "test_statistic", "p"]]
    viol = ph.loc[ph["p"] < ph_alpha, "covariate"].tolist()
    return CoxResult(cph, design, summ, float(cph.concordance_index_), ph, viol, notes)


def cox_headline(summary: pd.DataFrame, alpha: float = 0.05) -> str:
    """One-line finding for the forest plot: the covariate with the largest |log HR| among
    those with p < alpha (or a statement that none is significant)."""
    sig = summary[summary["p"] < alpha]
    if sig.empty:
        return f"No covariate changes the churn hazard at p < {alpha:g}"
    r = sig.loc[sig["coef"].abs().idxmax()]
    way = "raises" if r["hr"] > 1 else "lowers"
    return f"Strongest effect: {r['label']} {way} the churn hazard (HR {r['hr']:.2f})"


# ---------------------------------------------------------------------------------------------
# Account-age clock (left truncation)
# ---------------------------------------------------------------------------------------------
def hazard_by_age(table: pd.DataFrame, users: pd.DataFrame, *, clock: str = "watch_age_days",
                  bands=(0, 30, 180, 365, 730, 1460, np.inf), id_col: str = "user_id",
                  z: float = 1.96) -> pd.DataFrame:
    """Churn hazard (events per 100 user-days at risk) by account age at entry.

    Account age on ``clock`` (``watch_age_days`` = days since the first live watched, or
    ``tenure_days`` = since registration) at the window start plus ``first_day``. Users are
    left-truncated: each contributes only the ``duration`` days observed in the window. The
    rate is occurrences / exposure with a log-scale Poisson CI; a user is assigned to the band
    of their age at entry (follow-up is at most 21 days, shorter than any band).
    """
    require_columns(users, [id_col, clock], "users", error=RetentionError, hint=_HINT)
    tab = _fit_ready(table)
    d = tab[[id_col, "first_day", "duration", "event"]].merge(users[[id_col, clock]], on=id_col,
                                                              how="left")
    age = d[clock].astype(float) + d["first_day"].astype(float)
    if age.isna().all():
        raise RetentionError(f"users.{clock} is missing for every user; cannot use this clock.")
    edges = list(bands)
    names = [f"{edges[i]:g}+" if not np.isfinite(edges[i + 1]) else f"{edges[i]:g}-{edges[i + 1]:g}"
             for i in range(len(edges) - 1)]
    band = pd.cut(age, bins=edges, right=False, labels=names)
    g = d.groupby(band, observed=False).agg(users=("event", "size"), events=("event", "sum"),
                                            exposure=("duration", "sum")).reset_index()
    g = g.rename(columns={clock: "age_band", "index": "age_band"})
    g.columns = ["age_band", "users", "events", "exposure_days"]
    rate = g["events"] / g["exposure_days"].where(g["exposure_days"] > 0)
    se = 1 / np.sqrt(g["events"].where(g["events"] > 0))
    g["per_100_days"] = 100 * rate
    g["lo"] = 100 * rate * np.exp(-z * se)
    g["hi"] = 100 * rate * np.exp(z * se)
    g["age_band"] = g["age_band"].astype(str)
    g["missing_age"] = int(age.isna().sum())
    return g


# ---------------------------------------------------------------------------------------------
# Twin validation
# ---------------------------------------------------------------------------------------------
def true_durations(table: pd.DataFrame, truth_users: pd.DataFrame, *,
                   id_col: str = "user_id") -> pd.DataFrame:
    """Planted lifetimes on the same clock as :func:`survival_table`.

    The twin records ``churn_ms`` (end of the planted active lifetime, possibly after the
    window). On the survival clock the true event time is the relative day of the churn
    moment, ``T_true = day(churn_ms - 1) - f + 1`` (at least 1: the entry day is active), so a
    user active every day until churn has ``T == T_true``. Truth has no censoring.
    Returns ``[id_col, T_true, life_days]``, ``life_days = (churn_ms - entry_ms) / day``.
    """
    require_columns(truth_users, [id_col, "churn_ms"], "truth users",
                    error=RetentionError, hint=_HINT)
    d = table[[id_col, "first_day"]].merge(truth_users, on=id_col, how="left")
    if d["churn_ms"].isna().any():
        n = int(d["churn_ms"].isna().sum())
        raise RetentionError(f"truth users lack churn_ms for {n} user(s) of the survival table.")
    churn_day = beijing_day(d["churn_ms"].astype("int64") - 1)
    t_true = np.maximum(churn_day - d["first_day"].astype(int) + 1, 1)
    out = pd.DataFrame({id_col: d[id_col], "T_true": t_true.astype("int64")})
    if "entry_ms" in d.columns:
        life_ms = d["churn_ms"].astype("int64") - d["entry_ms"].astype("int64")
        out["life_days"] = life_ms / MS_PER_DAY
    return out


def true_vs_km(table: pd.DataFrame, truth_users: pd.DataFrame, *, times=None,
               id_col: str = "user_id") -> pd.DataFrame:
    """KM estimate vs the true survival ``P(T_true > t)`` of the same (eligible) users.

    Columns: t, km, lo, hi (KM band), truth, diff (km - truth), in_band (truth inside the band).
    """
    tab = _fit_ready(table)
    kmf = fit_km(tab)
    if times is None:
        times = np.arange(1, int(tab["duration"].max()) + 1)
    tr = true_durations(tab, truth_users, id_col=id_col)["T_true"].to_numpy()
    out = km_table(kmf, times).rename(columns={"survival": "km"})
    out["truth"] = [(tr > t).mean() for t in out["t"]]
    out["diff"] = out["km"] - out["truth"]
    out["in_band"] = (out["truth"] >= out["lo"]) & (out["truth"] <= out["hi"])
    return out


# ---------------------------------------------------------------------------------------------
# Chapter-level bundles (thin wrappers so the notebook stays short)
# ---------------------------------------------------------------------------------------------
def segment_report(table: pd.DataFrame, landmark_table: pd.DataFrame, segments: pd.DataFrame,
                   names, *, point_in_time: float = 7, min_group: int = 30,
                   id_col: str = "user_id") -> dict:
    """KM fits and tests for each segment in ``names``.

    Profile snapshot segments (:data:`SNAPSHOT_SEGMENTS`) use the full table (clock: days since
    entry); early-behaviour segments use ``landmark_table`` (clock: days since the landmark).
    Returns ``panels`` ({title: {level: kmf}}), ``xlabels`` (clock label of landmark panels),
    ``overview`` (one row per segment: multivariate
    log-rank chi2, df, p, sample, clock) and ``pairwise`` (all level pairs: S at
    ``point_in_time``, log-rank and fixed-time p with Holm adjustment within the segment).
    """
    panels, over, pairs, xlabels = {}, [], [], {}
    for name in names:
        if name not in segments.columns:
            continue
        behaviour = name not in SNAPSHOT_SEGMENTS
        tab = landmark_table if behaviour else table
        tab = tab[tab["eligible"]] if "eligible" in tab.columns else tab
        lab = tab[[id_col]].merge(segments[[id_col, name]], on=id_col, how="left")[name]
        res = segment_tests(tab, lab, point_in_time=point_in_time, min_group=min_group)
        if res["overall"].empty:
            continue
        sample = "landmark" if behaviour else "all"
        title = f"{name} ({'after landmark' if behaviour else 'snapshot'})"
        panels[title] = km_by_segment(tab, lab, min_group=min_group)
        if behaviour:
            xlabels[title] = "days since the landmark (end of the early window)"
        o = res["overall"].iloc[0]
        over.append({"segment": name, "sample": sample, "levels": int(o["levels"]),
                     "n": int(o["n"]), "chi2": float(o["test_statistic"]), "df": int(o["df"]),
                     "p": float(o["p"]), "snapshot": not behaviour})
        pairs.append(res["pairwise"].assign(segment=name, sample=sample))
    pw = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame()
    if len(pw):
        pw = pw[["segment", "sample", "a", "b", "n_a", "n_b", "S_a", "S_b", "diff",
                 "logrank_p", "logrank_p_holm", "fixed_p", "fixed_p_holm"]]
    return {"panels": panels, "xlabels": xlabels, "overview": pd.DataFrame(over), "pairwise": pw}



def segment_headline(overview: pd.DataFrame, alpha: float = 0.05) -> str:
    """One-line finding for the segment figure: which segments differ at p < alpha."""
    if overview is None or overview.empty:
        return "No segment has two levels large enough to compare"
    sig = overview.loc[overview["p"] < alpha, "segment"].tolist()
    if not sig:
        return f"No segment's curves differ at p < {alpha:g} (log-rank)"
    return f"Curves differ by {', '.join(sig)} (log-rank p < {alpha:g})"
