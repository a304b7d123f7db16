"""Chapter 3's analysis: :func:`analyse` runs every estimator once and builds the result's
sections, titles and tables."""

from __future__ import annotations

import math

import pandas as pd

from kuailive_analysis.core.format import format_range
from kuailive_analysis.core.params import ParamError
from kuailive_analysis.retention import gap, new_users, populations, result, tables
from kuailive_analysis.retention.activity import (
    BEHAVIOUR_COLUMNS,
    DEFAULT_LAST_DAY,
    activity_days,
    streamer_activity_days,
)
from kuailive_analysis.retention.age_clock import (
    CLOCK_LABELS,
    hazard_by_age,
    youngest_and_oldest_rate,
)
from kuailive_analysis.retention.checks import RetentionError
from kuailive_analysis.retention.cohorts import averaged_retention, cohort_triangle, retention_at
from kuailive_analysis.retention.cox import cox_design, cox_headline, fit_cox
from kuailive_analysis.retention.kaplan_meier import (
    churn_sensitivity,
    fit_km,
    km_summary,
    sensitivity_row,
)
from kuailive_analysis.retention.logrank import segment_headline, segment_report
from kuailive_analysis.retention.new_user_findings import gap_verdict
from kuailive_analysis.retention.params import Params
from kuailive_analysis.retention.segments import early_activity, landmark, user_segments
from kuailive_analysis.retention.stickiness import dau_wau, weekly_retention
from kuailive_analysis.retention.survival_data import follow_up_days, survival_table
from kuailive_analysis.retention.truth import has_truth, true_durations, true_vs_km

GAP_HORIZONS = (1, 7)
"""The days N at which new and existing users are compared (unadjusted and within activity
levels); the finding is the last."""

HAZARD_CLOCK = "watch_age_days"
"""Account-age clock of the chapter's hazard figure (days since the first live watched)."""


def analyse(ds, params: Params | None = None, **overrides) -> result.RetentionResult:
    """Chapter 3 on a dataset: cohorts, Kaplan-Meier and its sensitivity to ``churn_days``,
    the account-age hazard, segments on the landmark sample, the Cox model, streamers and (on
    a twin) the comparison with the planted lifetimes.

    Parameters
    ----------
    ds : Dataset
        The data (:func:`kuailive_analysis.dataset.load`, or ``Dataset(tables=...)``).
    params : Params, optional
        The chapter's parameters (None: the defaults). ``churn_days_grid`` sets the thresholds
        of the sensitivity table (the RMST horizon is the longest follow-up of the largest);
        ``truth_coverage_min`` is, on a twin, the share of days the planted curve must lie
        inside the KM 95% band for the recovery check to pass.
    **overrides
        Fields of ``params`` to change, checked as on the command line.

    Returns
    -------
    result.RetentionResult
        The sections, titles, tables and findings of chapter 3.
    """
    try:  # typed, as on the CLI: a bad value fails here, naming the parameter
        params = Params.resolve(params, overrides)
    except ParamError as err:
        raise RetentionError(str(err)) from None
    last_day = DEFAULT_LAST_DAY
    activity = activity_days(ds.user_day, behaviours=list(params.activity_behaviours))
    table = survival_table(activity, churn_days=params.churn_days, last_day=last_day)
    sample = _sample(ds, table, params, last_day)
    new = new_users.new_user_flags(
        ds.users, by=params.new_user_by, days_before=params.new_user_days_before
    )
    cohorts = _cohorts(activity, new, params, last_day)
    newcomers = _new_users(ds, activity, new, params, last_day, has_truth(ds.truth))
    survival = _survival(activity, sample.survival, params, last_day)
    hazard = hazard_by_age(sample.survival, ds.users, clock=HAZARD_CLOCK)
    young, old = youngest_and_oldest_rate(hazard)
    age = result.AgeClock(hazard, CLOCK_LABELS[HAZARD_CLOCK], haz_young=young, haz_old=old)
    segments = _segments(ds, table, sample.survival, params)
    cox = _cox(segments, ds.users, params)
    streamers = _streamers(ds, survival, params, last_day)
    validation = _validation(ds, sample.survival, activity, params, last_day)
    report = segments.report
    return result.RetentionResult(
        source=ds.source,
        params=params,
        sample=sample,
        cohorts=cohorts,
        new_users=newcomers,
        survival=survival,
        age=age,
        segments=segments,
        cox=cox,
        streamers=streamers,
        validation=validation,
        titles=_titles(cohorts, survival, segments, cox, streamers, validation),
        tables=tables.Tables(
            populations=tables.population_table(cohorts.populations),
            new_users=tables.new_user_check_table(newcomers.check),
            gaps=tables.gap_table(newcomers.gaps),
            weekly=tables.weekly_table(cohorts.weekly),
            stickiness=tables.stickiness_table(cohorts.stickiness),
            sensitivity=tables.sensitivity_table(survival.sensitivity),
            segments=tables.segment_overview_table(report.overview),
            pairs=tables.pair_summary_table(report.pairwise),
            ph=tables.ph_table(cox.fit.ph_test, cox.fit.labels),
        ),
    )


def _sample(ds, table: pd.DataFrame, params: Params, last_day: int) -> result.Sample:
    surv = table[table["eligible"]]
    ages = surv[["user_id"]].merge(ds.users[["user_id", "watch_age_days"]], on="user_id")
    return result.Sample(
        table=table,
        data_name=ds.source.label,
        last_day=last_day,
        activity_list=", ".join(params.activity_behaviours),
        churn_days=params.churn_days,
        n_active_users=len(table),
        n_eligible=len(surv),
        n_ineligible=int((~table["eligible"]).sum()),
        n_events=int(surv["event"].sum()),
        share_events=float(surv["event"].mean()),
        share_entry0=float((table["first_day"] == 0).mean()),
        median_watch_age=float(ages["watch_age_days"].median()),
    )


def _triangle(activity: pd.DataFrame, ids, last_day: int) -> pd.DataFrame:
    """The cohort triangle of the users ``ids`` (an empty triangle when there are none)."""
    part = activity[activity["user_id"].isin(ids)]
    if part.empty:
        cols = ["cohort", "n", "cohort_size", "active_on", "active_on_or_after", "rate_on"]
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in cols})
    return cohort_triangle(part, last_day=last_day)


def _cohorts(
    activity: pd.DataFrame, new: pd.Series, params: Params, last_day: int
) -> result.Cohorts:
    triangle = cohort_triangle(activity, last_day=last_day)
    avg = averaged_retention(triangle)
    ids = activity["user_id"].unique()
    is_new = new.reindex(ids, fill_value=False).to_numpy(bool)
    by_pop = {
        populations.EXISTING: _triangle(activity, ids[~is_new], last_day),
        populations.NEW: _triangle(activity, ids[is_new], last_day),
    }
    pops = populations.population_retention({**by_pop, populations.ALL_USERS: triangle}, (1, 7, 14))
    split = populations.population_retention(populations.cohort_split(triangle), (1,))
    pooled = populations.pool_cohorts(triangle, params.min_cohort)
    weekly = weekly_retention(activity, last_day=last_day)
    dw = dau_wau(activity, last_day=last_day)
    by_population = {}
    for tag, population in (("old", populations.EXISTING), ("new", populations.NEW)):
        users = pops.loc[pops["population"] == population, "users"]
        by_population[f"n_{tag}"] = int(users.max()) if len(users) else 0
        for n in (1, 7):
            r = populations.rate_of(pops, population, n)
            by_population[f"ret{n}_{tag}"] = r.rate
            by_population[f"ret{n}_{tag}_ci"] = format_range(r.lo, r.hi, 1)
    week1 = weekly[(weekly["cohort_week"] == 0) & (weekly["n_weeks"] == 1)]
    return result.Cohorts(
        triangle=triangle,
        retention=avg,
        populations=pops,
        cohort_split=split,
        curves={p: averaged_retention(t) for p, t in by_pop.items() if len(t)},
        pooled=pooled,
        weekly=weekly,
        stickiness=dw,
        min_cohort=params.min_cohort,
        ret1_unweighted=populations.rate_of(pops, populations.ALL_USERS, 1).unweighted,
        n_cohorts=int((triangle["n"] == 1).sum()),  # the cohorts that reach day 1
        n_pooled_rows=int(pooled["cohort"].nunique()),
        ret_on_1=retention_at(avg, 1),
        ret_on_7=retention_at(avg, 7),
        ret_on_14=retention_at(avg, 14),
        ret_after_7=retention_at(avg, 7, "rate_on_or_after"),
        week1_ret=float(week1["rate"].iloc[0]) if len(week1) else float("nan"),
        week1_ci=format_range(week1["lo"].iloc[0], week1["hi"].iloc[0], 1) if len(week1) else "n/a",
        dauwau_mean=float(dw["ratio"].mean()),
        dauwau_lo=float(dw["ratio"].min()),
        dauwau_hi=float(dw["ratio"].max()),
        **by_population,
    )


def _new_users(
    ds, activity: pd.DataFrame, new: pd.Series, params: Params, last_day: int, twin: bool
) -> result.NewUsers:
    """3.2's new users: the definition, its check against the planted start (on a twin) and
    the gaps, unadjusted and within activity levels (:data:`GAP_HORIZONS`)."""
    first = activity.groupby("user_id")["day"].min()
    rows = gap.gap_rows(
        activity,
        ds.user_day,
        {gap.ACCOUNT_SPLIT: new, gap.COHORT_SPLIT: first >= 1},
        horizons=GAP_HORIZONS,
        early_days=params.early_days,
        last_day=last_day,
    )
    by, days = params.new_user_by, params.new_user_days_before
    other = next(c for c in new_users.NEW_USER_CLOCKS if c != by)
    checked = {}
    truth = ds.truth["users"] if twin and "entry_ms" in ds.truth["users"].columns else None
    check = new_users.definition_check(first, ds.users, truth, by=by, days_before=days)
    if truth is not None:
        right = check.set_index(["clock", "days_before"])["share_right"]
        checked = {
            "new_check_status": "the twin records each user's planted start",
            "share_right_before": float(check["share_right"].iloc[0]),
            "share_right_after": float(right[(by, float(days))]),
            "share_found_after": float(check.loc[check["chosen"], "share_found"].iloc[0]),
            "share_right_other": float(right[(other, float(days))]),
        }
    n = GAP_HORIZONS[-1]
    adj, raw = gap.gap_of(rows, gap.ACCOUNT_SPLIT, n), gap.gap_of(rows, gap.ACCOUNT_SPLIT, n, "raw")
    habit = "These files have no planted visit habit to check this against."
    if truth is not None and gap.PLANTED_VISIT in truth.columns:
        h = gap.planted_habit_gap(activity, truth, first >= 1, n, last_day=last_day)
        habit = (
            "On the twin, within quartiles of the planted daily visit probability (the habit "
            f"that a few early days measure only roughly), it is {100 * h.diff:+.1f} points "
            f"({_points(h)}): the later cohorts hold users who visit less often, not users who "
            "are new."
        )
    c_adj, c_raw = (gap.gap_of(rows, gap.COHORT_SPLIT, n, t) for t in ("adj", "raw"))
    window = rows.loc[rows["n"] == n, "window_days"]
    return result.NewUsers(
        check=check,
        gaps=rows,
        new_clock=new_users.CLOCK_WORDS[by],
        new_when="in the window" + (f" or at most {days} days before it" if days else ""),
        n_later=int((first >= 1).sum()),
        new_check_status=checked.pop(
            "new_check_status",
            "these files have no planted start, so the definition cannot be checked here",
        ),
        **checked,
        other_clock=new_users.CLOCK_WORDS[other],
        n_new_other=int(
            check.loc[
                (check["clock"] == other) & (check["days_before"] == days), "called_new"
            ].iloc[0]
        ),
        gap_n=n,
        gap_window=int(window.iloc[0]) if len(window) else 0,
        gap_n_new=adj.n_new,
        gap_n_old=adj.n_existing,
        gap_levels=adj.levels,
        gap_raw=100 * raw.diff,
        gap_raw_ci=_points(raw),
        gap_adj=100 * adj.diff,
        gap_adj_ci=_points(adj),
        gap_mde=100 * adj.mde,
        gapc_raw=100 * c_raw.diff,
        gapc_raw_ci=_points(c_raw),
        gapc_adj=100 * c_adj.diff,
        gapc_adj_ci=_points(c_adj),
        gapc_habit=habit,
        gap_verdict=gap_verdict(adj, twin),
    )


def _points(g: gap.Gap) -> str:
    """A gap's interval in percentage points, ``-4.2 to +11.0`` (``n/a`` when missing)."""
    if not (math.isfinite(g.lo) and math.isfinite(g.hi)):
        return "n/a"
    return f"{100 * g.lo:+.1f} to {100 * g.hi:+.1f}"


def _survival(
    activity: pd.DataFrame, surv: pd.DataFrame, params: Params, last_day: int
) -> result.Survival:
    grid = params.churn_days_grid
    k_lo, k_hi = min(grid), max(grid)
    tau = float(follow_up_days(k_hi, last_day))
    km = fit_km(surv, label=f"churn after {params.churn_days} silent days")
    summary = km_summary(km, tau=tau, horizons=(1, 7))
    sens = churn_sensitivity(activity, grid, last_day=last_day, tau=tau)
    lo, hi = sensitivity_row(sens, k_lo), sensitivity_row(sens, k_hi)
    return result.Survival(
        km=km,
        summary=summary,
        sensitivity=sens,
        by_threshold={
            f"{k} days": fit_km(survival_table(activity, churn_days=k, last_day=last_day))
            for k in grid
        },
        tau=tau,
        follow_max=follow_up_days(params.churn_days, last_day),
        km_s1=summary.at(1),
        km_s7=summary.at(7),
        km_median=summary.median_text,
        km_rmst=summary.rmst,
        km_rmst_se=summary.rmst_se,
        k_lo=k_lo,
        k_hi=k_hi,
        sens_churned_lo=float(lo["share_churned"]),
        sens_churned_hi=float(hi["share_churned"]),
        sens_returned_lo=float(lo["share_returned"]),
        sens_returned_hi=float(hi["share_returned"]),
    )


def _segments(ds, table: pd.DataFrame, surv: pd.DataFrame, params: Params) -> result.Segments:
    early = early_activity(ds.user_day, table, early_days=params.early_days)
    lm = landmark(table, params.early_days)
    labels = user_segments(
        ds.users,
        early,
        new_account_days=params.new_account_days,
        heavy_quantile=params.heavy_quantile,
    )
    report = segment_report(
        surv,
        lm,
        labels,
        params.segments,
        point_in_time=params.point_in_time,
        min_group=params.min_group,
    )
    pw = report.pairwise
    gift = pw[pw["segment"] == "early_gifter"] if len(pw) else pw  # the first pair
    gift = gift.iloc[0] if len(gift) else pd.Series({"a": "n/a", "b": "n/a"}, dtype=object)
    nan = float("nan")
    return result.Segments(
        early=early,
        landmark=lm,
        labels=labels,
        report=report,
        early_days=params.early_days,
        point_in_time=params.point_in_time,
        n_landmark=len(lm),
        gift_a=str(gift["a"]),
        gift_b=str(gift["b"]),
        gift_S_a=float(gift.get("S_a", nan)),
        gift_S_b=float(gift.get("S_b", nan)),
        gift_fixed_p=float(gift.get("fixed_p", nan)),
        gift_logrank_p=float(gift.get("logrank_p", nan)),
    )


def _cox(segments: result.Segments, users: pd.DataFrame, params: Params) -> result.CoxModel:
    design, labels = cox_design(
        segments.landmark, segments.early, users, new_account_days=params.new_account_days
    )
    fit = fit_cox(design, labels)
    return result.CoxModel(
        fit=fit,
        cox_c=fit.concordance,
        cox_hr_gift=fit.hazard_ratio("early_gifted"),
        cox_hr_gift_lo=fit.hazard_ratio("early_gifted", "hr_lo"),
        cox_hr_gift_hi=fit.hazard_ratio("early_gifted", "hr_hi"),
        cox_hr_watch=fit.hazard_ratio("log2_early_watch_h"),
        cox_hr_days=fit.hazard_ratio("early_active_days"),
        cox_notes="; ".join(fit.warnings) or "none",
        ph_n=len(fit.ph_test),
        ph_n_viol=len(fit.ph_violations),
        ph_viol_names=", ".join(fit.label(c) for c in fit.ph_violations) or "none",
    )


def _streamers(ds, survival: result.Survival, params: Params, last_day: int) -> result.Streamers:
    days = streamer_activity_days(ds, last_day)
    table = survival_table(
        days, churn_days=params.churn_days, last_day=last_day, id_col="streamer_id"
    )
    km = fit_km(table, label="streamers")
    summary = km_summary(km, tau=survival.tau, horizons=(7,))
    return result.Streamers(
        table=table,
        km=km,
        summary=summary,
        curves={"streamers": km, "users": survival.km},
        st_n=int(table["eligible"].sum()),
        st_s7=summary.at(7),
        st_median=summary.median_text,
        st_rmst=summary.rmst,
    )


def _validation(
    ds, surv: pd.DataFrame, activity: pd.DataFrame, params: Params, last_day: int
) -> result.Validation:
    """KM against the planted lifetimes, as the churn definition sees them and raw, for the
    chosen and the widest activity definition (frames None and numbers NaN when the dataset
    has no ground truth)."""
    label = f"KM, active: {', '.join(params.activity_behaviours)}"
    if not has_truth(ds.truth):
        return result.Validation(None, None, label, truth_coverage_min=params.truth_coverage_min)
    truth = ds.truth["users"]
    k = params.churn_days
    presence = activity_days(ds.user_day, behaviours=list(BEHAVIOUR_COLUMNS), last_day=last_day)
    chosen = true_vs_km(surv, truth, activity, last_day=last_day)
    wide_table = survival_table(presence, churn_days=k, last_day=last_day)
    wide = true_vs_km(wide_table, truth, presence, last_day=last_day)
    coverage = float(chosen["in_band"].mean())
    passed = coverage >= params.truth_coverage_min
    churns = surv[surv["event"]].merge(true_durations(surv, truth), on="user_id")
    real = churns["churn_day"] <= churns["last_active_day"].astype(int) + k
    return result.Validation(
        chosen,
        wide,
        label,
        truth_coverage_min=params.truth_coverage_min,
        truth_status="planted lifetimes are available",
        truth_verdict="passed" if passed else "failed",
        truth_tmax=float(chosen["t"].max()),
        truth_maxdiff=float(chosen["diff"].abs().max()),
        truth_inband=coverage,
        truth_maxdiff_raw=float(chosen["diff_truth"].abs().max()),
        truth_inband_raw=float(chosen["in_band_truth"].mean()),
        truth_below_raw=-float(chosen["diff_truth"].mean()),
        truth_real_churns=float(real.mean()) if len(real) else float("nan"),
        truth_maxdiff_presence=float(wide["diff"].abs().max()),
        passed=passed,
    )


def _titles(cohorts, survival, segments, cox, streamers, validation) -> result.Titles:
    split, pops = cohorts.cohort_split, cohorts.populations
    day0, later = (
        populations.rate_of(split, p, 1).rate for p in (populations.DAY0, populations.LATER)
    )
    old7, new7 = (populations.rate_of(pops, p, 7).rate for p in populations.POPULATIONS)
    v = validation
    return result.Titles(
        cohorts=f"Day-1 retention: {day0:.0%} in the day-0 cohort, {later:.0%} in later cohorts",
        retention_curve=f"Day-7 retention: {old7:.0%} of existing users, {new7:.0%} of new users "
        "(by account age)",
        km=f"Kaplan-Meier: {survival.km_s7:.0%} of users not yet churned 7 days after entry",
        km_by_threshold="A shorter churn threshold makes users look less loyal",
        age_hazard="Churn hazard by live-watching age at entry",
        segments=segment_headline(segments.report.overview),
        forest=cox_headline(cox.fit.summary, ph_violations=cox.fit.ph_violations),
        streamers=f"{streamers.st_s7:.0%} of streamers still broadcast a week after entry",
        truth="KM vs planted survival as the churn rule sees it: inside the 95% band on "
        f"{v.truth_inband:.0%} of days (max gap {v.truth_maxdiff:.1%})"
        if v.chosen is not None
        else "",
    )
