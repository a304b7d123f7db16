"""Chapter 3's findings: each claim with the check that supports it, built with
:func:`kuailive_analysis.chapter.finding` from a :class:`RetentionResult`.

Kinds and checks (the headline policy, ``chapter.findings.headline_refusal``): a retention rate whose check is "interval at most +-5 points wide, at least 30 users" is a
*precision* gate, so it is said in the text and never headlined; the claims that could have
been wrong are the activity-adjusted gap between new and existing users (its interval excludes
zero) and the Cox associations (interval excludes 1, proportional hazards holds, no selection by
the sampling rule); the checks of the new-user definition and of Kaplan-Meier against the
planted truth are *method checks*.

Origins on the twin: the generator plants the users' lifetimes and their activity (Weibull
lifetimes, longer for active users: ``twin/assumptions.py``), so Kaplan-Meier, churn-threshold
and Cox findings are *recovered planted properties* there; it plants no difference between new
and existing users of the same activity (``new_user_findings.TWIN_PLANTS_NEW_USER_GAP``). On
real files every estimate is a method output.
"""

from __future__ import annotations

import math
from functools import partial

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.core.format import format_p, format_percent, format_range
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.cox import SELECTED_COVARIATES
from kuailive_analysis.retention.kaplan_meier import km_table, sensitivity_row
from kuailive_analysis.retention.new_user_findings import definition_finding, gap_finding, who
from kuailive_analysis.retention.populations import ALL_USERS, DAY0, EXISTING, NEW, rate_of

_finding = partial(finding, ChapterId.RETENTION, subject="users")
MAX_HALF_WIDTH = 0.05
"""A retention rate is reported as precise when its 95% interval is at most +-5 points wide."""
MAX_STICKINESS_RANGE = 0.10
"""DAU/WAU is a usable KPI when its daily values stay within 10 points over the window."""
PH_ALPHA = 0.01
"""A Cox finding needs its proportional-hazards test at p >= this."""
WIDTH = f"Wilson 95% interval at most +-{100 * MAX_HALF_WIDTH:.0f} points wide"


def build_findings(res) -> list[Finding]:
    """Chapter 3's findings in the order of the Key findings."""
    truth = _truth_finding(res)
    out = [
        definition_finding(res),
        _rate_finding(res, "ret_d1_existing", EXISTING, 1),
        _rate_finding(res, "ret_d7_existing", EXISTING, 7),
        _rate_finding(res, "ret_d1_new", NEW, 1),
        _rate_finding(res, "ret_d7_new", NEW, 7),
        gap_finding(res),
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


def _rate_finding(res, key: str, population: str, n: int) -> Finding:
    pops, min_n = res.cohorts.populations, res.params.min_cohort
    r = rate_of(pops, population, n)
    users = int(pops.loc[pops["population"] == population, "users"].max())
    rate, ci = format_percent(r.rate, 1), format_range(r.lo, r.hi, 1)
    label = who(res, population)
    return _finding(
        key,
        f"Day-{n} retention of {label}, {users:,} users: {rate} are active on day {n} after "
        f"their first active day (95% CI {ci}; N-day retention, Amplitude 'N-day' / Mixpanel "
        "'on day N'). Sampled users only: each clicked, commented, liked and gifted in the "
        "window.",
        check=f"{WIDTH}, at least {min_n} users reaching day {n}",
        passed=r.denominator >= min_n and r.half_width <= MAX_HALF_WIDTH,
        reason=f"Only {r.denominator:,} users reach day {n}, fewer than {min_n}."
        if r.denominator < min_n
        else f"The 95% interval from the {r.denominator:,} users who reach day {n} ({ci}) is wider "
        f"than +-{100 * MAX_HALF_WIDTH:.0f} points.",
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
        question=f"What share of {label.split(' (')[0]} is active on day {n} after their first day?",
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
