"""Chapter 3's findings: each claim with the check that supports it, built with
:func:`kuailive_analysis.chapter.finding` from a :class:`RetentionResult`.

Origins on the twin: the generator plants the users' lifetimes and their activity (Weibull
lifetimes, longer for active users: ``twin/assumptions.py``), so Kaplan-Meier, churn-threshold
and Cox findings are *recovered planted properties* there; the day-0 vs new-user split, the
cohort weighting and the stickiness ratios are definitions applied by the method (``method``).
On real files every estimate is a method output.
"""

from __future__ import annotations

import math
from functools import partial

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.core.format import format_p, format_percent, format_range
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.cox import SELECTED_COVARIATES
from kuailive_analysis.retention.kaplan_meier import km_table, sensitivity_row
from kuailive_analysis.retention.populations import ALL_USERS, EXISTING, NEW, difference, rate_of

_finding = partial(finding, ChapterId.RETENTION)
MAX_HALF_WIDTH = 0.05
"""A retention rate is a headline only when its 95% interval is at most +-5 points wide."""
MAX_STICKINESS_RANGE = 0.10
"""DAU/WAU is a usable KPI when its daily values stay within 10 points over the window."""
PH_ALPHA = 0.01
"""A Cox finding needs its proportional-hazards test at p >= this."""
WIDTH = f"Wilson 95% interval at most +-{100 * MAX_HALF_WIDTH:.0f} points wide"
_WHO = {EXISTING: "already active on day 0", NEW: "first active on day 1 or later"}


def build_findings(res) -> list[Finding]:
    """Chapter 3's findings in the order of the Key findings."""
    truth = _truth_finding(res)
    out = [
        _rate_finding(res, "ret_d1_existing", EXISTING, 1, "existing users"),
        _rate_finding(res, "ret_d7_existing", EXISTING, 7, "existing users"),
        _rate_finding(res, "ret_d1_new", NEW, 1, "users new to the window"),
        _rate_finding(res, "ret_d7_new", NEW, 7, "users new to the window"),
        _gap_finding(res, 7),
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


def _rate_finding(res, key: str, population: str, n: int, short: str) -> Finding:
    pops, min_n = res.cohorts.populations, res.params.min_cohort
    r = rate_of(pops, population, n)
    users = int(pops.loc[pops["population"] == population, "users"].max())
    rate, ci = format_percent(r.rate, 1), format_range(r.lo, r.hi, 1)
    return _finding(
        key,
        f"Day-{n} retention of {short} ({users:,} users, {_WHO[population]}): {rate} are active "
        f"on day {n} after their first active day (95% CI {ci}; N-day retention, "
        "Amplitude 'N-day' / Mixpanel 'on day N'). Sampled users only: each clicked, "
        "commented, liked and gifted in the window.",
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
        headline=True,
    )


def _gap_finding(res, n: int) -> Finding:
    pops = res.cohorts.populations
    old, new = rate_of(pops, EXISTING, n), rate_of(pops, NEW, n)
    d, lo, hi = difference(old, new)
    pts = f"{100 * d:.1f} points (95% CI {100 * lo:.1f} to {100 * hi:.1f})"
    # minimum detectable difference of a two-arm test splitting the new users in half, at 80%
    # power and a two-sided 5% level: 2.8 * sqrt(2 p (1 - p) / (n / 2))
    mde = 100 * 2.8 * math.sqrt(2 * new.rate * (1 - new.rate) / (max(new.denominator, 2) / 2))
    new_p, old_p = format_percent(new.rate, 1), format_percent(old.rate, 1)
    return _finding(
        f"ret_gap_d{n}",
        "Users new to the window are retained less than existing users: day-"
        f"{n} retention {new_p} vs {old_p}, a gap of {pts}.",
        check="95% interval of the difference (normal approximation) excludes zero",
        passed=math.isfinite(lo) and (lo > 0 or hi < 0),
        reason=f"The interval of the gap ({pts}) includes zero.",
        action=f"Aim first-week re-engagement tests at users new to the window: their day-{n} "
        f"retention is {new_p} against {old_p} for existing users, a gap "
        f"of {pts}. Measure a nudge by its day-{n} retention on that group: split into two "
        f"arms, its {new.denominator:,} users detect a change of about {mde:.0f} points (80% "
        "power, 5% level).",
        value=d,
        unit="share",
        interval=(lo, hi) if math.isfinite(lo) else None,
        level=0.95,
        evidence={
            "existing": old.rate,
            "new": new.rate,
            "n_existing": old.denominator,
            "n_new": new.denominator,
        },
    )


def _weighting_finding(res) -> Finding:
    """The claim "the weighted figure is mostly the stickiness of existing users" holds when
    the day-0 cohort holds more than half of the users that reach day 1 (the weighted rate is
    then nearer the existing users' rate than the new users')."""
    pops = res.cohorts.populations
    allr, old = rate_of(pops, ALL_USERS, 1), rate_of(pops, EXISTING, 1)
    share0 = res.sample.share_entry0
    weight0 = old.denominator / allr.denominator if allr.denominator else float("nan")
    n_coh = int(pops.loc[(pops["population"] == ALL_USERS) & (pops["n"] == 1), "cohorts"].iloc[0])
    return _finding(
        "ret_weighting",
        f"Over all {n_coh} cohorts, day-1 retention is {format_percent(allr.rate, 1)} weighted "
        f"by cohort size and {format_percent(allr.unweighted, 1)} as the unweighted mean of "
        f"cohort rates; the day-0 cohort holds {format_percent(share0, 1)} of the users, so the "
        "weighted figure is mostly the stickiness of existing users.",
        check="the day-0 cohort holds more than half of the users reaching day 1",
        passed=weight0 > 0.5,
        reason=f"The day-0 cohort holds only {format_percent(weight0, 1)} of the users reaching "
        "day 1, so the weighted figure is not mostly the stickiness of existing users.",
        value=allr.rate,
        unit="share",
        interval=(allr.lo, allr.hi),
        level=0.95,
        evidence={"unweighted": allr.unweighted, "share_day0_cohort": share0, "cohorts": n_coh},
        origin="data",
    )


def _weekly_finding(res) -> Finding:
    w = res.cohorts.weekly
    row = w[(w["cohort_week"] == 0) & (w["n_weeks"] == 1)]
    if row.empty:
        return _finding(
            "ret_week1",
            "Week-1 retention of the first week's users.",
            check="a full second week",
            passed=None,
            reason="The window has no second full week.",
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
    )


def _stickiness_finding(res) -> Finding:
    dw = res.cohorts.stickiness
    mean, lo, hi = float(dw["ratio"].mean()), float(dw["ratio"].min()), float(dw["ratio"].max())
    mean_p, lo_p, hi_p = (format_percent(x, 1) for x in (mean, lo, hi))
    return _finding(
        "dau_wau",
        f"DAU/WAU stickiness averages {mean_p} over days {int(dw['day'].min())}-"
        f"{int(dw['day'].max())} (daily values {lo_p} to {hi_p}): a user active in "
        f"a week is active on about {7 * mean:.1f} of its 7 days.",
        check=f"daily values stay within {100 * MAX_STICKINESS_RANGE:.0f} points of each other",
        passed=hi - lo <= MAX_STICKINESS_RANGE,
        reason=f"DAU/WAU moves from {lo_p} to {hi_p} over the window.",
        action=f"Track DAU/WAU as the stickiness KPI of the engaged base ({mean_p} now); "
        f"a move of more than {100 * (hi - lo):.1f} points, its day-to-day range in this "
        "window, is a signal rather than noise.",
        value=mean,
        unit="share",
        evidence={"min": lo, "max": hi, "days": len(dw)},
    )


def _truth_finding(res) -> Finding:
    v = res.validation
    check = (
        f"planted survival inside the KM 95% band on at least {v.truth_coverage_min:.0%} of days"
    )
    if v.chosen is None:
        return _finding(
            "km_truth",
            "Kaplan-Meier recovers the true survival curve.",
            check=check,
            passed=None,
            reason="These files have no planted lifetimes, so the churn definition cannot be "
            "checked against a truth.",
        )
    n_days, cov, gap = len(v.chosen), v.truth_inband, v.truth_maxdiff
    cov_p, gap_p = format_percent(cov, 0), format_percent(gap, 1)
    bias_p = format_percent(abs(v.mean_bias), 1)
    side = "below" if v.mean_bias < 0 else "above"
    return _finding(
        "km_truth",
        "On the twin the Kaplan-Meier curve recovers the planted survival: the truth lies inside "
        f"its 95% band on {cov_p} of {n_days} days (max gap {gap_p}).",
        check=check,
        passed=v.passed,
        reason=f"The planted curve lies inside the band on only {cov_p} of {n_days} days "
        f"(max gap {gap_p}, KM {bias_p} {side} the truth on average): "
        "the inactivity-based churn definition ends lifetimes early, a bias the band does not "
        "cover.",
        value=cov,
        unit="share",
        evidence={
            "coverage": cov,
            "threshold": v.truth_coverage_min,
            "max_gap": gap,
            "mean_bias": v.mean_bias,
            "days": n_days,
        },
        origin="planted",
    )


def _km_finding(res, truth: Finding) -> Finding:
    row = km_table(res.survival.km, [7]).iloc[0]
    k, k_lo = res.params.churn_days, res.survival.k_lo
    s_lo = sensitivity_row(res.survival.sensitivity, k_lo)["S(7)"]
    passed = {"validated": True, "failed": False}.get(truth.status)
    return _finding(
        "km_s7",
        f"{format_percent(row['survival'], 1)} of users have not churned a week after entry "
        f"(Kaplan-Meier, churn = {k} silent days; 95% CI "
        f"{format_range(row['lo'], row['hi'], 1)}).",
        check=truth.check + " (recovery of the planted lifetimes)",
        passed=passed,
        reason="The same Kaplan-Meier estimate fails its recovery check (see km_truth)."
        if passed is False
        else "No planted lifetimes to check the inactivity-based churn definition against; the "
        f"value moves to {format_percent(s_lo, 1)} with a {k_lo}-day threshold.",
        value=float(row["survival"]),
        unit="share",
        interval=(float(row["lo"]), float(row["hi"])),
        level=0.95,
        evidence={"churn_days": k, "users": len(res.sample.survival)},
        origin="planted" if res.is_twin else "method",
        headline=True,
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
    )


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
    reason = "; ".join(problems) + "."
    return _finding(
        key,
        f"{cox.label(covariate).capitalize()} goes with a churn hazard ratio of {hr:.2f} (95% CI "
        f"{lo:.2f} to {hi:.2f}) in the landmark sample; an association, not an effect.",
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
    )
