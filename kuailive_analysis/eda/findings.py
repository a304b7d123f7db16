"""Chapter 2's findings (:func:`eda_findings`): four claims, each with a check that could have
failed (:mod:`kuailive_analysis.eda.checks`), and two edition checks.

Decided per finding (the headline policy of :mod:`kuailive_analysis.chapter.findings`: a
headline is a validated claim about users, streamers, money or the product whose check could
have failed on other data):

* ``revenue_concentration`` (money): a claim. "Money is concentrated" alone would be a
  description, and an interval of the Gini only a precision; the check compares revenue with
  the alternative a revenue team would otherwise assume, that money follows attention: the
  Gini of revenue across users minus the Gini of their watch time, its paired bootstrap
  interval above zero. Data where payers give in proportion to their watch time fails it.
* ``evening_habit`` (users): a claim. The busiest window of a day always beats a flat day on
  the days it was chosen from (a maximum exceeds a mean), so the window is chosen on days 0-13
  and its share of days 14-20 must exceed the flat-day share: a peak that moves fails it.
* ``loyal_users`` (users): a claim. A user's top streamer always holds more than an even share
  of the days it was chosen on, so the favourite of days 0-13 must keep more of the user's
  days-14-20 watch time than the user's other streamers of days 0-13 (paired difference above
  zero): favourites that do not last fail it.
* ``cold_start`` (streamers): a claim that most streamers are cold, its Wilson interval above
  one half; data where cold streamers are a minority fails it.
* ``calibration`` and ``click_concentration``: edition checks. They compare this data with
  published numbers, which checks the generator on the twin (``check_type="calibration"``) and
  the user's copy on a real folder (``"qa"``); agreeing with a published number says nothing
  new about users, so neither is ever a headline.

On the synthetic twin every pattern of the chapter is one the generator was built to show, so
the claims carry ``origin="planted"`` (recovered, not discovered; no product action), and a
claim that rests on a value the twin was tuned to (:data:`FINDING_FACTS`,
:mod:`kuailive_analysis.fidelity.targets`) carries ``tuned=True``: it is shown as such and
never headlined. Statements say the claim in words; the numbers are in the value, the interval
and the check.
"""

from __future__ import annotations

import math

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.core.format import format_interval, format_percent
from kuailive_analysis.eda.checks import COLD_MAJORITY, HOLDOUT_FIRST_DAY, LEVEL, N_BOOT
from kuailive_analysis.fidelity import FACT_BY_KEY

FINDING_FACTS: dict[str, tuple[str, ...]] = {
    "revenue_concentration": (
        "gini_user_revenue",
        "top1_user_revenue",
        "user_watch_p50",
        "user_watch_mean",
    ),
    "evening_habit": ("interaction_peak_hour", "noon_peak"),
    "loyal_users": ("loyal_watch_top_p50",),
    "cold_start": ("streamer_lt5",),
}
"""The published facts each claim rests on: on the twin a claim is ``tuned`` when the
generator was tuned to one of them."""

FIRST = f"days 0-{HOLDOUT_FIRST_DAY - 1}"
"""The days a window or a favourite is chosen on."""
THIRD = f"days {HOLDOUT_FIRST_DAY}-{N_WINDOW_DAYS - 1}"
"""The holdout days it is measured on."""


def _ci(interval) -> str:
    return format_interval(interval, LEVEL, "share")


def _ok(interval, above: float) -> bool | None:
    """The check's outcome: the interval lies above ``above`` (None: no interval, the data
    cannot support the test)."""
    if not all(math.isfinite(x) for x in interval):
        return None
    return bool(interval[0] > above)


def _shown(interval):
    """The interval a finding records (None when it could not be computed)."""
    return interval if all(math.isfinite(x) for x in interval) else None


def eda_findings(res) -> list[Finding]:
    """The findings of chapter 2 (see the module docstring) from an
    :class:`~kuailive_analysis.eda.EDAResult`."""
    twin = bool(res.source is not None and res.source.is_twin)
    origin = "planted" if twin else "data"

    def tuned(key: str) -> bool:
        return twin and any(FACT_BY_KEY[k].tuned for k in FINDING_FACTS[key])

    return [
        *_edition_checks(res, twin),
        _money(res, origin, tuned("revenue_concentration")),
        _evening(res, origin, tuned("evening_habit")),
        _favourite(res, origin, tuned("loyal_users")),
        _cold(res, origin, tuned("cold_start")),
    ]


def _edition_checks(res, twin: bool) -> list[Finding]:
    pub = res.published
    cal = pub.calibration
    off = cal[cal["verdict"] == "off"]
    judged = pub.calibration_n_judged
    misses = "; ".join(
        f"{r.statistic}: {r.this_run} against the published {r.published}" for r in off.itertuples()
    )
    who = "The twin reproduces" if twin else "This data reproduces"
    tuned = f" ({pub.calibration_n_tuned} of them values the twin was tuned to)" if twin else ""
    kind = {"kind": "edition check", "check_type": "calibration" if twin else "qa"}
    calibration = finding(
        ChapterId.EDA,
        "calibration",
        f"{who} the published statistics of the exploratory chapter: {pub.calibration_match} "
        f"of the {judged} comparable ones match and {pub.calibration_close} are close"
        f"{tuned}; {pub.calibration_not_comparable} published figures are not comparable "
        "with any computation of these files.",
        check="none of the comparable statistics is off, each computed the way its source "
        "computed it and judged within its tolerance",
        passed=None if judged == 0 else off.empty,
        value=float(pub.calibration_match),
        unit="statistics",
        evidence={
            "n": pub.calibration_n,
            "judged": judged,
            "match": pub.calibration_match,
            "close": pub.calibration_close,
            "off": pub.calibration_off,
            "not_comparable": pub.calibration_not_comparable,
            "tuned": pub.calibration_n_tuned,
        },
        origin="data",
        reason="no published statistic could be computed on this data"
        if judged == 0
        else f"{len(off)} statistic(s) outside tolerance: {misses}",
        question="Which of this chapter's numbers inherit the twin's gaps to the real files?"
        if twin
        else "Does this copy hold the published release, read the way its sources read it?",
        **kind,
    )
    v = pub.verdict("daily_gini_clicks")
    daily = finding(
        ChapterId.EDA,
        "click_concentration",
        "The published concentration of attention, a daily-averaged Gini of clicks across the "
        "streamers active each day, is reproduced when computed that way; the Gini pooled "
        "over the window and all streamers is another statistic and is not compared with it.",
        check=f"the daily-averaged Gini, per full UTC day over the streamers clicked that day "
        f"and averaged, is {pub.click_gini_daily:.3f} here, within its tolerance of the "
        f"published {pub.click_gini_daily_real:.3f}; the pooled Gini, "
        f"{res.concentration.gini_clicks:.2f}, is {pub.verdict('gini_streamer_clicks')}",
        passed=None if v == "n/a" else v in ("match", "close"),
        value=pub.click_gini_daily,
        unit="Gini",
        evidence={
            "published": pub.click_gini_daily_real,
            "verdict": v,
            "pooled_gini": res.concentration.gini_clicks,
            "pooled_verdict": pub.verdict("gini_streamer_clicks"),
        },
        origin="data",
        reason="the daily-averaged Gini could not be computed on this data"
        if v == "n/a"
        else f"verdict {v}: {pub.click_gini_daily:.3f} here against the published "
        f"{pub.click_gini_daily_real:.3f}",
        question="How concentrated is attention across the streamers live on a day?",
        **kind,
    )
    return [calibration, daily]


def _money(res, origin: str, tuned: bool) -> Finding:
    c = res.checks
    ok = _ok(c.gini_gap_ci, 0.0)
    why = "the interval of the difference reaches zero" if ok is False else "no user gave a gift"
    return finding(
        ChapterId.EDA,
        "revenue_concentration",
        "Gift revenue is concentrated on far fewer users than watch time is: a few payers "
        "carry the money.",
        check=f"the Gini of gift revenue across users ({c.gini_revenue:.3f}) minus the Gini of "
        f"their watch time ({c.gini_watch:.3f}) is {c.gini_gap:.3f}, its "
        f"{format_interval(c.gini_gap_ci, LEVEL)} (paired bootstrap over users, {N_BOOT} "
        "resamples) above zero",
        passed=ok,
        value=c.gini_gap,
        unit="Gini points",
        interval=_shown(c.gini_gap_ci),
        level=LEVEL,
        evidence={
            "gini_revenue": c.gini_revenue,
            "gini_watch": c.gini_watch,
            "top1_revenue": c.top1_revenue,
            "n_users": c.n_users_money,
        },
        origin=origin,
        reason=why,
        action="Protect the few payers who carry revenue: the top 1% of users give "
        f"{format_percent(c.top1_revenue)} ({_ci(c.top1_revenue_ci)}); track their retention "
        "as a separate KPI and test VIP retention offers on them first.",
        headline=True,
        subject="money",
        would_fail="the interval of the difference had reached zero: revenue no more "
        "concentrated across users than their watch time",
        tuned=tuned,
        question="Is gift revenue more concentrated across users than their watch time?",
    )


def _evening(res, origin: str, tuned: bool) -> Finding:
    c = res.checks
    flat = format_percent(c.flat_share)
    return finding(
        ChapterId.EDA,
        "evening_habit",
        "The evening peak holds from week to week: the busiest hours of the first two weeks "
        "stay busier than a flat day in the third.",
        check=f"the busiest {res.timing.peak_hours} hours of {FIRST} ({c.peak_window}) hold "
        f"{format_percent(c.peak_share_hold)} of the interactions of {THIRD} "
        f"({_ci(c.peak_share_hold_ci)}, bootstrap over {c.n_users_peak:,} users), above the "
        f"flat-day share {flat}",
        passed=_ok(c.peak_share_hold_ci, c.flat_share),
        value=c.peak_share_hold,
        unit="share",
        interval=_shown(c.peak_share_hold_ci),
        level=LEVEL,
        evidence={"flat_share": c.flat_share, "window": c.peak_window, "n_users": c.n_users_peak},
        origin=origin,
        reason=f"the interval of the third week's share reaches the flat-day share {flat}"
        if c.n_users_peak
        else f"no interaction on {THIRD}",
        action=f"Schedule notifications, featured slots and campaigns for {c.peak_window}: "
        f"chosen on the first two weeks, it held {format_percent(c.peak_share_hold)} of the "
        f"third week's interactions against {flat} for a flat day; test the send time in an "
        "A/B experiment before moving the whole budget.",
        headline=True,
        subject="users",
        would_fail=f"the interval had reached the flat-day share ({flat}): the first two "
        "weeks' busiest hours no busier than any others in the third",
        tuned=tuned,
        question="Is the evening peak a stable habit, or does the busiest window move from week "
        "to week?",
    )


def _favourite(res, origin: str, tuned: bool) -> Finding:
    c = res.checks
    fav, other = format_percent(c.fav_share_hold), format_percent(c.other_share_hold)
    return finding(
        ChapterId.EDA,
        "loyal_users",
        "Users keep their favourite streamer: the streamer a user watched most in the first "
        "two weeks keeps more of their third-week watch time than the other streamers they "
        "watched then.",
        check=f"over the {c.n_users_fav:,} users with watch time in both periods and at least "
        f"two streamers in {FIRST}, the favourite of {FIRST} holds on average {fav} of a "
        f"user's watch time of {THIRD}, one of their other streamers {other}; the paired "
        f"difference, {c.fav_lift:.2f} percentage points "
        f"({format_interval(c.fav_lift_ci, LEVEL)}, bootstrap over users), is above zero",
        passed=_ok(c.fav_lift_ci, 0.0),
        value=c.fav_lift,
        unit="percentage points",
        interval=_shown(c.fav_lift_ci),
        level=LEVEL,
        evidence={
            "favourite_share": c.fav_share_hold,
            "other_share": c.other_share_hold,
            "n_users": c.n_users_fav,
        },
        origin=origin,
        reason="the interval of the difference reaches zero: the favourite keeps no more of "
        "the third week than the user's other streamers"
        if c.n_users_fav
        else f"no user watched two streamers on {FIRST} and any on {THIRD}",
        action="Make the favourite streamer one tap away (live notifications for it): the "
        f"favourite of the first two weeks kept {fav} of a user's third-week watch time "
        f"against {other} for one of their other streamers; test the notifications against "
        "the current feed.",
        headline=True,
        subject="users",
        would_fail="the interval of the difference had reached zero: the first two weeks' "
        "favourite no more watched in the third than the user's other streamers of those weeks",
        tuned=tuned,
        question="Do users' favourite streamers keep their attention from one week to the next?",
    )


def _cold(res, origin: str, tuned: bool) -> Finding:
    c, s = res.checks, res.streamers
    majority = format_percent(COLD_MAJORITY)
    return finding(
        ChapterId.EDA,
        "cold_start",
        f"Most streamers are cold: they get fewer than {s.cold_start_max} interactions in "
        "three weeks.",
        check=f"{format_percent(c.cold_share)} of the {c.n_streamers:,} streamers have fewer "
        f"than {s.cold_start_max} interactions ({_ci(c.cold_share_ci)}, Wilson), above "
        f"{majority}",
        passed=_ok(c.cold_share_ci, COLD_MAJORITY) if c.n_streamers else None,
        value=c.cold_share,
        unit="share",
        interval=_shown(c.cold_share_ci) if c.n_streamers else None,
        level=LEVEL,
        evidence={"majority": COLD_MAJORITY, "n_streamers": c.n_streamers},
        origin=origin,
        reason=f"the share's interval reaches {majority}" if c.n_streamers else "no streamers",
        action="Give new and cold streamers a guaranteed exposure budget: "
        f"{format_percent(c.cold_share)} of streamers ({_ci(c.cold_share_ci)}) get fewer than "
        f"{s.cold_start_max} interactions in three weeks; measure the effect on their "
        "second-week return to streaming.",
        headline=True,
        subject="streamers",
        would_fail=f"the interval had reached {majority}: cold streamers not a majority",
        tuned=tuned,
        question=f"Do most streamers get fewer than {s.cold_start_max} interactions in three "
        "weeks?",
    )
