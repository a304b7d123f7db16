"""Chapter 3's findings: each headline claim with the check that supports it
(:class:`kuailive_analysis.findings.Finding`), built from a :class:`RetentionResult`.

Origins on the twin: the generator plants the users' lifetimes and their activity (Weibull
lifetimes, longer for active users: ``twin/assumptions.py``), so Kaplan-Meier, churn-threshold
and Cox findings are *recovered planted properties* there; the day-0 vs new-user split, the
cohort weighting and the stickiness ratios are definitions applied by the method (``method``).
On real files every estimate is a method output. Product actions are attached only to
validated findings that are not planted.
"""

from __future__ import annotations

import math

from kuailive_analysis.chapter.findings import Finding
from kuailive_analysis.retention.cox import SELECTED_COVARIATES
from kuailive_analysis.retention.kaplan_meier import km_table
from kuailive_analysis.retention.populations import EXISTING, NEW, difference, rate_of
from kuailive_analysis.retention.sensitivity import sensitivity_row
from kuailive_analysis.retention.tables import ci, p_text, pct

CHAPTER = "03_retention"
MAX_HALF_WIDTH = 0.05
"""A retention rate is a headline only when its 95% interval is at most +-5 points wide."""
MAX_STICKINESS_RANGE = 0.10
"""DAU/WAU is a usable KPI when its daily values stay within 10 points over the window."""
PH_ALPHA = 0.01
SAMPLE_RULE = (
    "every KuaiLive user clicked, commented, liked and gifted at least once in the 21 days, so "
    "this is retention of a selected, engaged population"
)


_WHO = {EXISTING: "already active on day 0", NEW: "first active on day 1 or later"}


def _rate_finding(res, key: str, population: str, n: int, short: str) -> Finding:
    r = rate_of(res.populations, population, n)
    users = int(res.populations.loc[res.populations["population"] == population, "users"].max())
    min_n = res.params.min_cohort
    ok = r.denominator >= min_n and r.half_width <= MAX_HALF_WIDTH
    reason = ""
    if not ok:
        reason = (
            f"only {r.denominator:,} users reach day {n}; the 95% interval "
            f"({ci(r.lo, r.hi)}) is wider than +-{100 * MAX_HALF_WIDTH:.0f} points or the sample is below "
            f"{min_n} users."
        )
    return Finding(
        chapter=CHAPTER,
        key=key,
        statement=(
            f"Day-{n} retention of {short} ({users:,} users, {_WHO[population]}): {pct(r.rate)} are active on day "
            f"{n} after their first active day (95% CI {ci(r.lo, r.hi)}; N-day retention, "
            "Amplitude 'N-day' / Mixpanel 'on day N'). Sampled users only: each clicked, "
            "commented, liked and gifted in the window."
        ),
        value=r.rate,
        unit="share",
        interval=(r.lo, r.hi) if math.isfinite(r.lo) else None,
        level=0.95,
        check=(
            f"Wilson 95% interval at most +-{100 * MAX_HALF_WIDTH:.0f} points wide, at least {min_n} users "
            f"reaching day {n}"
        ),
        status="validated" if ok else "failed",
        evidence={
            "users_reaching_day": r.denominator,
            "half_width": r.half_width,
            "unweighted_cohort_mean": r.unweighted,
        },
        origin="method",
        headline=True,
        reason=reason,
    )


def _mde_points(r) -> float:
    """Minimum detectable difference (points) of a two-arm test splitting ``r``'s users in
    half, at 80% power and a two-sided 5% level: 2.8 * sqrt(2 p (1 - p) / (n / 2))."""
    n = max(r.denominator, 2) / 2
    return 100 * 2.8 * math.sqrt(2 * r.rate * (1 - r.rate) / n)


def _gap_finding(res, n: int) -> Finding:
    old, new = rate_of(res.populations, EXISTING, n), rate_of(res.populations, NEW, n)
    d, lo, hi = difference(old, new)
    ok = math.isfinite(lo) and (lo > 0 or hi < 0)
    pts = f"{100 * d:.1f} points (95% CI {100 * lo:.1f} to {100 * hi:.1f})"
    return Finding(
        chapter=CHAPTER,
        key=f"ret_gap_d{n}",
        statement=(
            f"Users new to the window are retained less than existing users: day-{n} retention "
            f"{pct(new.rate)} vs {pct(old.rate)}, a gap of {pts}."
        ),
        value=d,
        unit="share",
        interval=(lo, hi) if ok or math.isfinite(lo) else None,
        level=0.95,
        check="95% interval of the difference (normal approximation) excludes zero",
        status="validated" if ok else "failed",
        evidence={
            "existing": old.rate,
            "new": new.rate,
            "n_existing": old.denominator,
            "n_new": new.denominator,
        },
        origin="method",
        reason="" if ok else f"the interval of the gap ({pts}) includes zero.",
        action=(
            f"Aim first-week re-engagement tests at users new to the window: their day-{n} "
            f"retention is {pct(new.rate)} against {pct(old.rate)} for existing users, a gap "
            f"of {pts}. Measure a nudge by its day-{n} retention on that group: split into "
            f"two arms, its {new.denominator:,} users detect a change of about "
            f"{_mde_points(new):.0f} points (80% power, 5% level)."
            if ok
            else ""
        ),
    )


def _weighting_finding(res) -> Finding:
    allr = rate_of(res.populations, "all users", 1)
    share0 = float((res.table["first_day"] == 0).mean())
    n_coh = int(res.populations.query("population == 'all users' and n == 1")["cohorts"].iloc[0])
    return Finding(
        chapter=CHAPTER,
        key="ret_weighting",
        statement=(
            f"Over all {n_coh} cohorts, day-1 retention is {pct(allr.rate)} weighted by cohort "
            f"size and {pct(allr.unweighted)} as the unweighted mean of cohort rates; the day-0 "
            f"cohort holds {pct(share0)} of the users, so the weighted figure is mostly the "
            "stickiness of existing users."
        ),
        value=allr.rate,
        unit="share",
        interval=(allr.lo, allr.hi),
        level=0.95,
        check="both means computed on the same cohorts and users",
        status="validated",
        evidence={"unweighted": allr.unweighted, "share_day0_cohort": share0, "cohorts": n_coh},
        origin="data",
    )


def _weekly_finding(res) -> Finding:
    w = res.weekly
    row = w[(w["cohort_week"] == 0) & (w["n_weeks"] == 1)]
    if row.empty:
        return Finding(
            CHAPTER,
            "ret_week1",
            "Week-1 retention of the first week's users.",
            "a full second week",
            "not checkable",
            reason="the window has no second full week.",
        )
    r = row.iloc[0]
    ok = (r["hi"] - r["lo"]) / 2 <= MAX_HALF_WIDTH
    return Finding(
        chapter=CHAPTER,
        key="ret_week1",
        statement=(
            f"Of the {int(r['cohort_size']):,} users active in the first calendar week "
            f"(Beijing Monday to Sunday), {pct(r['rate'])} are active again in the second "
            f"(95% CI {ci(r['lo'], r['hi'])}; Amplitude N-week / Mixpanel weekly retention)."
        ),
        value=float(r["rate"]),
        unit="share",
        interval=(float(r["lo"]), float(r["hi"])),
        level=0.95,
        check=f"Wilson 95% interval at most +-{100 * MAX_HALF_WIDTH:.0f} points wide",
        status="validated" if ok else "failed",
        evidence={"cohort_size": int(r["cohort_size"])},
        origin="method",
        reason="" if ok else "the interval is too wide.",
    )


def _stickiness_finding(res) -> Finding:
    dw = res.stickiness
    mean, lo, hi = float(dw["ratio"].mean()), float(dw["ratio"].min()), float(dw["ratio"].max())
    ok = hi - lo <= MAX_STICKINESS_RANGE
    return Finding(
        chapter=CHAPTER,
        key="dau_wau",
        statement=(
            f"DAU/WAU stickiness averages {pct(mean)} over days {int(dw['day'].min())}-"
            f"{int(dw['day'].max())} (daily values {pct(lo)} to {pct(hi)}): a user active in a "
            f"week is active on about {7 * mean:.1f} of its 7 days."
        ),
        value=mean,
        unit="share",
        check=f"daily values stay within {100 * MAX_STICKINESS_RANGE:.0f} points of each other",
        status="validated" if ok else "failed",
        evidence={"min": lo, "max": hi, "days": len(dw)},
        origin="method",
        reason="" if ok else f"DAU/WAU moves from {pct(lo)} to {pct(hi)} over the window.",
        action=(
            f"Track DAU/WAU as the stickiness KPI of the engaged base ({pct(mean)} now); a "
            f"move of more than {100 * (hi - lo):.1f} points, its day-to-day range in this "
            "window, is a signal rather than noise."
            if ok
            else ""
        ),
    )


def _truth_finding(res) -> Finding:
    t = res.truth
    thr = res.params.truth_coverage_min
    check = f"planted survival inside the KM 95% band on at least {thr:.0%} of days"
    if t is None:
        return Finding(
            CHAPTER,
            "km_truth",
            "Kaplan-Meier recovers the true survival curve.",
            check,
            "not checkable",
            origin="method",
            reason="these files have no planted lifetimes, so the churn definition cannot be "
            "checked against a truth.",
        )
    n_days = len(t.chosen)
    return Finding(
        chapter=CHAPTER,
        key="km_truth",
        statement=(
            f"On the twin the Kaplan-Meier curve recovers the planted survival: the truth lies "
            f"inside its 95% band on {pct(t.coverage, 0)} of {n_days} days (max gap "
            f"{pct(t.max_gap)})."
        ),
        value=t.coverage,
        unit="share",
        check=check,
        status="validated" if t.passes else "failed",
        evidence={
            "coverage": t.coverage,
            "threshold": thr,
            "max_gap": t.max_gap,
            "mean_bias": t.mean_bias,
            "days": n_days,
        },
        origin="planted",
        reason=""
        if t.passes
        else (
            f"the planted curve lies inside the band on only {pct(t.coverage, 0)} of "
            f"{n_days} days (max gap {pct(t.max_gap)}, KM {pct(abs(t.mean_bias))} "
            f"{'below' if t.mean_bias < 0 else 'above'} the truth on average): the "
            "inactivity-based churn definition ends lifetimes early, a bias the band does not "
            "cover."
        ),
    )


def _km_finding(res, truth: Finding) -> Finding:
    row = km_table(res.km, [7]).iloc[0]
    k = res.params.churn_days
    status = truth.status
    reason = ""
    if status == "failed":
        reason = "the same Kaplan-Meier estimate fails its recovery check (see km_truth)."
    elif status == "not checkable":
        s_lo = sensitivity_row(res.sensitivity, min(res.params.churn_days_grid))["S(7)"]
        reason = (
            "no planted lifetimes to check the inactivity-based churn definition against; "
            f"the value moves to {pct(s_lo)} with a {min(res.params.churn_days_grid)}-day "
            "threshold."
        )
    return Finding(
        chapter=CHAPTER,
        key="km_s7",
        statement=(
            f"{pct(row['survival'])} of users have not churned a week after entry (Kaplan-Meier, "
            f"churn = {k} silent days; 95% CI {ci(row['lo'], row['hi'])})."
        ),
        value=float(row["survival"]),
        unit="share",
        interval=(float(row["lo"]), float(row["hi"])),
        level=0.95,
        check=truth.check + " (recovery of the planted lifetimes)",
        status=status,
        evidence={"churn_days": k, "users": len(res.survival)},
        origin="planted" if res.is_twin else "method",
        headline=True,
        reason=reason,
    )


def _threshold_finding(res) -> Finding:
    from kuailive_analysis.core.stats import wilson_interval

    grid = res.params.churn_days_grid
    rows = [sensitivity_row(res.sensitivity, k) for k in (min(grid), max(grid))]
    ivs = [
        wilson_interval(int(round(r["share_returned"] * r["events"])), int(r["events"]))
        if r["events"]
        else (float("nan"), float("nan"))
        for r in rows
    ]
    (lo_a, hi_a), (lo_b, hi_b) = ivs
    ok = math.isfinite(lo_a) and math.isfinite(lo_b) and (lo_a > hi_b or lo_b > hi_a)
    a, b = rows
    planted = res.is_twin
    return Finding(
        chapter=CHAPTER,
        key="churn_threshold",
        statement=(
            f"With a {min(grid)}-day churn threshold {pct(a['share_churned'])} of users churn "
            f"and {pct(a['share_returned'])} of them come back (95% CI {ci(lo_a, hi_a)}); with "
            f"{max(grid)} days {pct(b['share_churned'])} churn and {pct(b['share_returned'])} "
            f"come back ({ci(lo_b, hi_b)})."
        ),
        value=float(a["share_returned"]),
        unit="share",
        interval=(float(lo_a), float(hi_a)) if math.isfinite(lo_a) else None,
        level=0.95,
        check="Wilson 95% intervals of the come-back shares do not overlap",
        status="validated" if ok else "failed",
        evidence={"churned_lo": float(a["share_churned"]), "churned_hi": float(b["share_churned"])},
        origin="planted" if planted else "method",
        reason="" if ok else "the come-back shares of the two thresholds overlap.",
        action=(
            f"Trigger win-back messages after {max(grid)} silent days, not {min(grid)}: at "
            f"{min(grid)} days {pct(a['share_returned'])} ({ci(lo_a, hi_a)}) of flagged users "
            f"return unprompted, at {max(grid)} days {pct(b['share_returned'])}."
            if ok and not planted
            else ""
        ),
    )


def _cox_finding(res, covariate: str, key: str) -> Finding | None:
    cox = res.cox
    hr = cox.hazard_ratio(covariate)
    if not math.isfinite(hr):
        return None
    lo, hi = cox.hazard_ratio(covariate, "hr_lo"), cox.hazard_ratio(covariate, "hr_hi")
    ph_p = cox.ph_p(covariate)
    selected = covariate in SELECTED_COVARIATES
    ph_ok = not (ph_p < PH_ALPHA)
    excludes = lo > 1 or hi < 1
    problems = []
    if not ph_ok:
        problems.append(f"proportional hazards fails (Schoenfeld p = {p_text(ph_p)})")
    if selected:
        problems.append(
            "the sampling rule selects on it (a short lifetime forces every behaviour into "
            "the first days)"
        )
    if not excludes:
        problems.append("the 95% interval includes 1")
    ok = not problems
    return Finding(
        chapter=CHAPTER,
        key=key,
        statement=(
            f"{cox.label(covariate).capitalize()} goes with a churn hazard ratio of {hr:.2f} "
            f"(95% CI {lo:.2f} to {hi:.2f}) in the landmark sample; an association, not an "
            "effect."
        ),
        value=hr,
        unit="hazard ratio",
        interval=(lo, hi),
        level=0.95,
        check=(
            f"Cox: proportional hazards holds (p >= {PH_ALPHA:g}), interval excludes 1, no "
            "selection by the sampling rule"
        ),
        status="validated" if ok else "failed",
        evidence={"ph_p": ph_p, "concordance": cox.concordance},
        origin="planted" if res.is_twin else "method",
        reason="; ".join(problems) + "." if problems else "",
    )


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
    return [_sentence(f) for f in out if f is not None]


def _sentence(f: Finding) -> Finding:
    """The finding with its reason starting with a capital letter (it follows a full stop)."""
    from dataclasses import replace

    return replace(f, reason=f.reason[:1].upper() + f.reason[1:]) if f.reason else f
