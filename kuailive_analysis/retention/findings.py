"""Chapter 3's findings: each claim with the check that supports it, built with
:func:`kuailive_analysis.chapter.finding` from a :class:`RetentionResult`.

Kinds and checks (the headline policy, :func:`kuailive_analysis.chapter.findings.headline_refusal`):
a retention rate whose check is "interval at most +-5 points wide, at least 30 users" is a
*precision* gate, so it is said in the text and never headlined; the claims that could have
been wrong are the activity-adjusted gap between new and existing users (its interval excludes
zero) and the Cox associations (interval excludes 1, proportional hazards holds, no selection by
the sampling rule); the checks of the new-user definition and of Kaplan-Meier against the
planted truth are *method checks*.

Origins on the twin: the generator plants the users' lifetimes and their activity (Weibull
lifetimes, longer for active users: ``twin/assumptions.py``), so Kaplan-Meier, churn-threshold
and Cox findings are *recovered planted properties* there; it plants no difference between new
and existing users of the same activity (:data:`TWIN_PLANTS_NEW_USER_GAP`). On real files every
estimate is a method output.
"""

from __future__ import annotations

import math
from functools import partial

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.core.format import format_p, format_percent, format_range
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.cox import SELECTED_COVARIATES
from kuailive_analysis.retention.gap import ACCOUNT_SPLIT, Gap, detectable_effect, gap_of
from kuailive_analysis.retention.kaplan_meier import km_table, sensitivity_row
from kuailive_analysis.retention.populations import ALL_USERS, DAY0, EXISTING, NEW, rate_of

_finding = partial(finding, ChapterId.RETENTION, subject="users")
MAX_HALF_WIDTH = 0.05
"""A retention rate is reported as precise when its 95% interval is at most +-5 points wide."""
MAX_STICKINESS_RANGE = 0.10
"""DAU/WAU is a usable KPI when its daily values stay within 10 points over the window."""
PH_ALPHA = 0.01
"""A Cox finding needs its proportional-hazards test at p >= this."""
MIN_SHARE_RIGHT = 0.8
"""The new-user definition passes its twin check when at least this share of the users it
calls new have a planted start in the window."""
TWIN_PLANTS_NEW_USER_GAP = False
"""Whether the twin plants a retention difference between new and existing users of the same
activity. It does not: ``twin._draw_users`` draws lifetimes and the daily visit probability from
activity alone and only dates a new account's first live watch at its start. A gap whose
interval excludes zero on the twin is therefore a chance result of the 5% test, not a property
of users, and the claim fails there."""
WIDTH = f"Wilson 95% interval at most +-{100 * MAX_HALF_WIDTH:.0f} points wide"


def build_findings(res) -> list[Finding]:
    """Chapter 3's findings in the order of the Key findings."""
    truth = _truth_finding(res)
    out = [
        _definition_finding(res),
        _rate_finding(res, "ret_d1_existing", EXISTING, 1),
        _rate_finding(res, "ret_d7_existing", EXISTING, 7),
        _rate_finding(res, "ret_d1_new", NEW, 1),
        _rate_finding(res, "ret_d7_new", NEW, 7),
        _gap_finding(res),
        _weighting_finding(res),
        _weekly_finding(res),
        _stickiness_finding(res),
        _km_finding(res, truth),
        truth,
        _threshold_finding(res),
        _cox_finding(res, "early_gifted", "cox_early_gift"),
        _cox_finding(res, "log2_early_watch_h", "cox_early_watch"),
    ]
    return [f for f in out if f is not None]


def _who(res, population: str) -> str:
    """Who a population is, in words (from the chapter's definition of new users)."""
    nu = res.new_users
    if population == NEW:
        return f"new users ({nu.new_clock} {nu.new_when})"
    d = res.params.new_user_days_before
    return f"existing users ({nu.new_clock} {f'more than {d} days ' if d else ''}before the window)"


def _definition_finding(res) -> Finding:
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
        f"The {_who(res, NEW)} are new: on the twin {after} of them have a planted start in the "
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


def _rate_finding(res, key: str, population: str, n: int) -> Finding:
    pops, min_n = res.cohorts.populations, res.params.min_cohort
    r = rate_of(pops, population, n)
    users = int(pops.loc[pops["population"] == population, "users"].max())
    rate, ci = format_percent(r.rate, 1), format_range(r.lo, r.hi, 1)
    who = _who(res, population)
    return _finding(
        key,
        f"Day-{n} retention of {who}, {users:,} users: {rate} are active on day {n} after "
        f"their first active day (95% CI {ci}; N-day retention, Amplitude 'N-day' / Mixpanel "
        "'on day N'). Sampled users only: each clicked, commented, liked and gifted in the "
        "window.",
        check=f"{WIDTH}, at least {min_n} users reaching day {n}",
        passed=r.denominator >= min_n and r.half_width <= MAX_HALF_WIDTH,
        reason=f"Only {r.denominator:,} users reach day {n}; the 95% interval ({ci}) is wider "
        f"than +-{100 * MAX_HALF_WIDTH:.0f} points or the sample is below {min_n} users.",
        value=r.rate,
        unit="share",
        interval=(r.lo, r.hi) if math.isfinite(r.lo) else None,
        level=0.95,
        evidence={
            "users_reaching_day": r.denominator,
            "half_width": r.half_width,
            "unweighted_cohort_mean": r.unweighted,
        },
        origin="data",
        check_type="precision",
        would_fail=f"its 95% interval had been wider than +-{100 * MAX_HALF_WIDTH:.0f} points "
        f"or fewer than {min_n} users had reached day {n}",
        question=f"What share of {who.split(' (')[0]} is active on day {n} after their first day?",
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


def _gap_finding(res) -> Finding:
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


def _weighting_finding(res) -> Finding:
    """The claim "the weighted figure is mostly the day-0 cohort's retention" holds when the
    day-0 cohort holds more than half of the users that reach day 1."""
    pops, split = res.cohorts.populations, res.cohorts.cohort_split
    allr, day0 = rate_of(pops, ALL_USERS, 1), rate_of(split, DAY0, 1)
    share0 = res.sample.share_entry0
    weight0 = day0.denominator / allr.denominator if allr.denominator else float("nan")
    n_coh = res.cohorts.n_cohorts
    return _finding(
        "ret_weighting",
        f"Over all {n_coh} cohorts, day-1 retention is {format_percent(allr.rate, 1)} weighted "
        f"by cohort size and {format_percent(allr.unweighted, 1)} as the unweighted mean of "
        f"cohort rates; the day-0 cohort holds {format_percent(share0, 1)} of the users, so the "
        "weighted figure is mostly the retention of users already active when the window opens.",
        check="the day-0 cohort holds more than half of the users reaching day 1",
        passed=weight0 > 0.5,
        reason=f"The day-0 cohort holds only {format_percent(weight0, 1)} of the users reaching "
        "day 1, so the weighted figure is not mostly the day-0 cohort's retention.",
        value=allr.rate,
        unit="share",
        interval=(allr.lo, allr.hi),
        level=0.95,
        evidence={"unweighted": allr.unweighted, "share_day0_cohort": share0, "cohorts": n_coh},
        origin="data",
        would_fail="the day-0 cohort had held half or fewer of the users reaching day 1",
        question="Is the pooled day-1 retention mostly the retention of the day-0 cohort?",
    )


def _weekly_finding(res) -> Finding:
    w = res.cohorts.weekly
    row = w[(w["cohort_week"] == 0) & (w["n_weeks"] == 1)]
    common = dict(
        check_type="precision",
        would_fail=f"its 95% interval had been wider than +-{100 * MAX_HALF_WIDTH:.0f} points",
        question="What share of the first week's users comes back in the second week?",
    )
    if row.empty:
        return _finding(
            "ret_week1",
            "Week-1 retention of the first week's users.",
            check="a full second week",
            passed=None,
            reason="The window has no second full week.",
            **common,
        )
    r = row.iloc[0]
    return _finding(
        "ret_week1",
        f"Of the {int(r['cohort_size']):,} users active in the first calendar week (Beijing "
        f"Monday to Sunday), {format_percent(r['rate'], 1)} are active again in the second (95% CI "
        f"{format_range(r['lo'], r['hi'], 1)}; Amplitude N-week / Mixpanel weekly retention).",
        check=WIDTH,
        passed=(r["hi"] - r["lo"]) / 2 <= MAX_HALF_WIDTH,
        reason="The interval is too wide.",
        value=float(r["rate"]),
        unit="share",
        interval=(float(r["lo"]), float(r["hi"])),
        level=0.95,
        evidence={"cohort_size": int(r["cohort_size"])},
        origin="data",
        **common,
    )


def _stickiness_finding(res) -> Finding:
    dw = res.cohorts.stickiness
    mean, lo, hi = float(dw["ratio"].mean()), float(dw["ratio"].min()), float(dw["ratio"].max())
    mean_p, lo_p, hi_p = (format_percent(x, 1) for x in (mean, lo, hi))
    spread = f"{100 * MAX_STICKINESS_RANGE:.0f} points"
    return _finding(
        "dau_wau",
        f"DAU/WAU stickiness averages {mean_p} over days {int(dw['day'].min())}-"
        f"{int(dw['day'].max())} (daily values {lo_p} to {hi_p}): a user active in "
        f"a week is active on about {7 * mean:.1f} of its 7 days.",
        check=f"daily values stay within {spread} of each other",
        passed=hi - lo <= MAX_STICKINESS_RANGE,
        reason=f"DAU/WAU moves from {lo_p} to {hi_p} over the window.",
        action=f"Track DAU/WAU as the stickiness KPI of the engaged base ({mean_p} now; its "
        f"daily values ranged from {lo_p} to {hi_p} in this window).",
        value=mean,
        unit="share",
        evidence={"min": lo, "max": hi, "days": len(dw)},
        origin="data",
        check_type="precision",
        would_fail=f"its daily values had spread over more than {spread}",
        question="Is DAU/WAU stable enough over the window to track as a KPI?",
    )


def _truth_finding(res) -> Finding:
    v = res.validation
    check = (
        "planted survival, dated at each user's last active day on or before the planted churn "
        f"(what the churn rule can see), inside the KM 95% band on at least "
        f"{v.truth_coverage_min:.0%} of days"
    )
    common = dict(
        kind="method check",
        would_fail=f"that curve had been outside the band on more than "
        f"{1 - v.truth_coverage_min:.0%} of the days",
        question="Does Kaplan-Meier recover the planted lifetimes as the churn rule sees them?",
    )
    if v.chosen is None:
        return _finding(
            "km_truth",
            "Kaplan-Meier recovers the true survival curve.",
            check=check,
            passed=None,
            reason="These files have no planted lifetimes, so the churn definition cannot be "
            "checked against a truth.",
            **common,
        )
    n_days, cov, gap = len(v.chosen), v.truth_inband, v.truth_maxdiff
    cov_p, gap_p = format_percent(cov, 0), format_percent(gap, 1)
    raw_p, bias_p = format_percent(v.truth_inband_raw, 0), format_percent(v.truth_below_raw, 1)
    return _finding(
        "km_truth",
        "On the twin the Kaplan-Meier curve recovers the planted survival as the churn rule "
        f"sees it: inside its 95% band on {cov_p} of {n_days} days (max gap {gap_p}). Against "
        f"the planted churn day itself it sits {bias_p} lower on average (inside the band on "
        f"{raw_p} of days), the known bias of dating a churn at the last active day; "
        f"{format_percent(v.truth_real_churns, 0)} of the observed churns are planted churns.",
        check=check,
        passed=v.passed,
        reason=f"The planted curve as the churn rule sees it lies inside the band on only "
        f"{cov_p} of {n_days} days (max gap {gap_p}): the censoring or the silences read as "
        "churns bias the estimate beyond its sampling error.",
        value=cov,
        unit="share",
        evidence={
            "coverage": cov,
            "threshold": v.truth_coverage_min,
            "max_gap": gap,
            "coverage_raw_truth": v.truth_inband_raw,
            "max_gap_raw_truth": v.truth_maxdiff_raw,
            "mean_below_raw_truth": v.truth_below_raw,
            "real_churns": v.truth_real_churns,
            "days": n_days,
        },
        origin="planted",
        **common,
    )


def _km_finding(res, truth: Finding) -> Finding:
    row = km_table(res.survival.km, [7]).iloc[0]
    k, k_lo = res.params.churn_days, res.survival.k_lo
    s_lo = sensitivity_row(res.survival.sensitivity, k_lo)["S(7)"]
    half = (float(row["hi"]) - float(row["lo"])) / 2
    recovered = {"validated": True, "failed": False}.get(truth.status, True)
    why = []
    if half > MAX_HALF_WIDTH:
        why.append(f"its 95% interval is wider than +-{100 * MAX_HALF_WIDTH:.0f} points")
    if not recovered:
        why.append("the same Kaplan-Meier estimate fails its recovery check (see km_truth)")
    reason = "; ".join(why)
    return _finding(
        "km_s7",
        f"{format_percent(row['survival'], 1)} of users have not churned a week after entry "
        f"(Kaplan-Meier, churn = {k} silent days; 95% CI "
        f"{format_range(row['lo'], row['hi'], 1)}); with a {k_lo}-day threshold, "
        f"{format_percent(s_lo, 1)}.",
        check=f"Greenwood 95% interval at most +-{100 * MAX_HALF_WIDTH:.0f} points wide"
        + (
            ", and the recovery check of the planted lifetimes (km_truth) passes"
            if res.is_twin
            else ""
        ),
        passed=not why,
        reason=reason[:1].upper() + reason[1:] + "." if reason else "",
        value=float(row["survival"]),
        unit="share",
        interval=(float(row["lo"]), float(row["hi"])),
        level=0.95,
        evidence={"churn_days": k, "users": len(res.sample.survival), "S7_shorter": float(s_lo)},
        origin="planted" if res.is_twin else "method",
        check_type="precision",
        would_fail=f"its 95% interval had been wider than +-{100 * MAX_HALF_WIDTH:.0f} points"
        + (" or Kaplan-Meier had missed the planted lifetimes" if res.is_twin else ""),
        question="What share of users has not churned a week after entry?",
    )


def _threshold_finding(res) -> Finding:
    s = res.survival
    a, b = (sensitivity_row(s.sensitivity, k) for k in (s.k_lo, s.k_hi))
    (lo_a, hi_a), (lo_b, hi_b) = (
        wilson_interval(int(round(r["share_returned"] * r["events"])), int(r["events"]))
        if r["events"]
        else (float("nan"), float("nan"))
        for r in (a, b)
    )
    ci_a, ci_b = format_range(lo_a, hi_a, 1), format_range(lo_b, hi_b, 1)
    churn_a, back_a, churn_b, back_b = (
        format_percent(r[c], 1) for r in (a, b) for c in ("share_churned", "share_returned")
    )
    return _finding(
        "churn_threshold",
        f"With a {s.k_lo}-day churn threshold {churn_a} of users churn and {back_a} of them come "
        f"back (95% CI {ci_a}); with {s.k_hi} days {churn_b} churn and {back_b} come back "
        f"({ci_b}).",
        check="Wilson 95% intervals of the come-back shares do not overlap",
        passed=math.isfinite(lo_a) and math.isfinite(lo_b) and (lo_a > hi_b or lo_b > hi_a),
        reason="The come-back shares of the two thresholds overlap.",
        action=f"Trigger win-back messages after {s.k_hi} silent days, not {s.k_lo}: at "
        f"{s.k_lo} days {back_a} ({ci_a}) of flagged users return unprompted, at {s.k_hi} days "
        f"{back_b}.",
        value=float(a["share_returned"]),
        unit="share",
        interval=(float(lo_a), float(hi_a)) if math.isfinite(lo_a) else None,
        level=0.95,
        evidence={"churned_lo": float(a["share_churned"]), "churned_hi": float(b["share_churned"])},
        origin="planted" if res.is_twin else "method",
        would_fail="the 95% intervals of the two come-back shares had overlapped",
        question=f"Does a {s.k_lo}-day churn threshold flag more users who come back on their own "
        f"than a {s.k_hi}-day one?",
    )


COX_QUESTIONS = {
    "early_gifted": "Does gifting early go with staying longer or leaving sooner, beyond what "
    "the sampling rule forces?",
    "log2_early_watch_h": "Do users who watch more in their first days stay longer?",
}
"""The open question of each Cox finding when its check fails."""


def _cox_finding(res, covariate: str, key: str) -> Finding | None:
    cox = res.cox.fit
    hr = cox.hazard_ratio(covariate)
    if not math.isfinite(hr):
        return None
    lo, hi = cox.hazard_ratio(covariate, "hr_lo"), cox.hazard_ratio(covariate, "hr_hi")
    ph_p = cox.ph_p(covariate)
    problems = []
    if ph_p < PH_ALPHA:
        problems.append(f"proportional hazards fails (Schoenfeld p = {format_p(ph_p)})")
    if covariate in SELECTED_COVARIATES:
        problems.append(
            "the sampling rule selects on it (a short lifetime forces every behaviour into "
            "the first days)"
        )
    if not (lo > 1 or hi < 1):
        problems.append("the 95% interval includes 1")
    reason = "; ".join(problems) + f" (hazard ratio {hr:.2f}, 95% CI {lo:.2f} to {hi:.2f})."
    way = "higher" if hr > 1 else "lower"
    return _finding(
        key,
        f"{cox.label(covariate).capitalize()} goes with a {way} churn hazard after the first "
        f"{res.params.early_days} days (Cox hazard ratio in the landmark sample; an "
        "association, not an effect).",
        check=f"Cox: proportional hazards holds (p >= {PH_ALPHA:g}), interval excludes 1, no "
        "selection by the sampling rule",
        passed=not problems,
        reason=reason[:1].upper() + reason[1:],
        value=hr,
        unit="hazard ratio",
        interval=(lo, hi),
        level=0.95,
        evidence={"ph_p": ph_p, "concordance": cox.concordance},
        origin="planted" if res.is_twin else "method",
        headline=True,
        would_fail="the hazard ratio's 95% interval had included 1, its proportional-hazards "
        f"test had given p < {PH_ALPHA:g}, or the sampling rule selected on it",
        question=COX_QUESTIONS.get(covariate, "Does this behaviour go with a longer stay?"),
    )
