"""Chapter 3's findings about new users: the check of the account-age definition against the
twin's planted start (a method check) and the gap between new and existing users within
activity levels (a claim whose 95% interval must exclude zero; on the twin also a gap the
generator plants). :mod:`.findings` puts them in the chapter's list."""

from __future__ import annotations

import math
from functools import partial

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.core.format import format_percent
from kuailive_analysis.retention.gap import ACCOUNT_SPLIT, Gap, detectable_effect, gap_of
from kuailive_analysis.retention.populations import NEW, rate_of

_finding = partial(finding, ChapterId.RETENTION, subject="users")

MIN_SHARE_RIGHT = 0.8
"""The new-user definition passes its twin check when at least this share of the users it
calls new have a planted start in the window."""
TWIN_PLANTS_NEW_USER_GAP = False
"""Whether the twin plants a retention difference between new and existing users of the same
activity. It does not: ``twin._draw_users`` draws lifetimes and the daily visit probability from
activity alone and only dates a new account's first live watch at its start. A gap whose
interval excludes zero on the twin is therefore a chance result of the 5% test, not a property
of users, and the claim fails there."""


def who(res, population: str) -> str:
    """Who a population is, in words (from the chapter's definition of new users)."""
    nu = res.new_users
    if population == NEW:
        return f"new users ({nu.new_clock} {nu.new_when})"
    d = res.params.new_user_days_before
    return f"existing users ({nu.new_clock} {f'more than {d} days ' if d else ''}before the window)"


def definition_finding(res) -> Finding:
    """The method check of the new-user definition: the share of the users it calls new whose
    planted start is in the window (not checkable without a planted start)."""
    nu = res.new_users
    check = f"at least {MIN_SHARE_RIGHT:.0%} of the users called new have a planted start in the "
    check += "window (twin)"
    before, after = (
        format_percent(nu.share_right_before, 1),
        format_percent(nu.share_right_after, 1),
    )
    twin = math.isfinite(nu.share_right_after)
    return _finding(
        "new_user_definition",
        f"The {who(res, NEW)} are new: on the twin {after} of them have a planted start in the "
        f"window, against {before} of the users first seen on day 1 or later (the earlier "
        "definition)."
        if twin
        else "New users by account age are users who started in the window.",
        check=check,
        passed=nu.share_right_after >= MIN_SHARE_RIGHT if twin else None,
        reason=f"Only {after} of the users called new have a planted start in the window."
        if twin
        else "These files have no planted start: the definition can be checked on the twin only.",
        value=nu.share_right_after if twin else None,
        unit="share",
        evidence={
            "share_right_before": nu.share_right_before,
            "share_right_after": nu.share_right_after,
            "share_found_after": nu.share_found_after,
            f"share_right_by_{nu.other_clock.replace(' ', '_')}": nu.share_right_other,
            "users_called_new": res.cohorts.n_new,
            "users_first_seen_day1_plus": nu.n_later,
        },
        origin="planted" if twin else "method",
        kind="method check",
        would_fail=f"fewer than {MIN_SHARE_RIGHT:.0%} of the users called new had a planted "
        "start in the window",
        question="Are the users this chapter calls new really new to the platform?",
    )


def gap_reading(g: Gap, twin: bool) -> tuple[bool | None, str]:
    """Whether the activity-adjusted gap ``g`` (new minus existing) is established, and why, in
    words: its interval must exclude zero and, on the twin, the generator must plant a gap
    (:data:`TWIN_PLANTS_NEW_USER_GAP`)."""
    if not math.isfinite(g.lo):
        return None, "too few new users reach the day to compare them with existing users"
    if not g.excludes_zero:
        return False, "its 95% interval includes zero: no gap is established"
    if twin and not TWIN_PLANTS_NEW_USER_GAP:
        return False, (
            "its 95% interval excludes zero, but the twin plants no difference between new and "
            "existing users of the same activity, so on the twin this is a chance result of the "
            "5% test, not a property of users"
        )
    way = "less" if g.diff < 0 else "more"
    return True, f"new users are retained {way} than existing users of the same early activity"


def gap_verdict(g: Gap, twin: bool) -> str:
    """The reading of :func:`gap_reading`, for the text."""
    return gap_reading(g, twin)[1]


def gap_finding(res) -> Finding:
    """The claim that new users are retained less (or more) on day N than existing users of the
    same early activity, with its action when new users are behind."""
    nu = res.new_users
    n = nu.gap_n
    g = gap_of(nu.gaps, ACCOUNT_SPLIT, n)
    passed, why = gap_reading(g, res.is_twin)
    pts = f"{100 * g.diff:+.1f} points (95% CI {nu.gap_adj_ci})"
    way = "less" if g.diff < 0 else "more"
    new = rate_of(res.cohorts.populations, NEW, n)
    # a nudge test on the new users, two arms of half of them each: se of the difference
    se_arms = math.sqrt(2 * new.rate * (1 - new.rate) / max(new.denominator / 2, 1))
    would_fail = "the interval of the activity-adjusted gap included zero"
    if res.is_twin:
        would_fail += " or the twin planted no such gap"
    return _finding(
        f"ret_gap_d{n}",
        f"New users (by {nu.new_clock}) are retained {way} on day {n} than existing users of "
        f"the same early activity (activity-adjusted difference, new minus existing, in "
        "percentage points).",
        check=f"95% interval of the Mantel-Haenszel difference within {nu.gap_levels} activity "
        f"levels (active days and click quartile of the first {nu.gap_window} days) excludes "
        "zero" + (" and the twin plants a gap" if res.is_twin else ""),
        passed=passed,
        reason=f"The activity-adjusted gap is {pts}: {why}. With {g.n_new:,} new users "
        f"reaching day {n}, a true gap smaller than {100 * g.mde:.1f} points is found less "
        "than 80% of the time (two-sided 5% test).",
        action=f"Aim first-week re-engagement tests at new users: on day {n} they are "
        f"{abs(100 * g.diff):.1f} points behind existing users of the same early activity "
        f"({pts}). Split into two arms, their {new.denominator:,} users detect a change of "
        f"about {100 * detectable_effect(se_arms):.0f} points in day-{n} retention (80% power, "
        "5% level)."
        if g.diff < 0
        else "",
        value=100 * g.diff,
        unit="percentage points",
        interval=(100 * g.lo, 100 * g.hi) if math.isfinite(g.lo) else None,
        level=0.95,
        evidence={
            "unadjusted_gap_points": nu.gap_raw,
            "unadjusted_ci": nu.gap_raw_ci,
            "detectable_at_80pct_power_points": 100 * g.mde,
            "n_new": g.n_new,
            "n_existing": g.n_existing,
            "activity_levels": g.levels,
        },
        origin="planted" if res.is_twin and TWIN_PLANTS_NEW_USER_GAP else "method",
        headline=True,
        would_fail=would_fail,
        question=f"Are new users retained differently on day {n} from existing users of the "
        "same early activity?",
    )
