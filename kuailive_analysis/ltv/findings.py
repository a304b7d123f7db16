"""The claims of chapter 4 with their checks (:func:`~kuailive_analysis.chapter.finding`): the
LTV value headline (only from a model that wins the holdout comparison), the ranking of users,
BG/NBD's fit to the calibration frequencies and to the holdout total, and the Gamma-Gamma
mean."""

from __future__ import annotations

from kuailive_analysis.chapter import Finding, finding
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.ltv import compare as C

VALUE_CHECK = (
    "holdout comparison: per-user RMSE of the holdout value below both naive baselines (run "
    "rate, zero), the 95% paired user-bootstrap interval of the difference below 0"
)
"""The check of the LTV value headline (:data:`~kuailive_analysis.ltv.compare.WINNER_RULE`)."""
LTV = ChapterId.LTV


def findings(res) -> list[Finding]:
    """The findings of an :class:`~kuailive_analysis.ltv.result.LTVResult`."""
    out = [value_finding(res.choice.comparison)]
    ranking = ranking_finding(res.choice.comparison.scores)
    if ranking is not None:
        out.append(ranking)
    t = res.checks.fit_test
    out.append(
        finding(
            LTV,
            "bg_frequency_fit",
            "BG/NBD reproduces the number of users by repeat gifting days in calibration "
            f"({t.misallocated:.1%} of users in the wrong bar).",
            check="Pearson chi-square goodness of fit, p >= 0.05",
            passed=t.p_value >= 0.05,
            value=t.misallocated,
            unit="share",
            evidence={"chi2": t.statistic, "df": t.df, "p_value": t.p_value},
            reason=f"Chi-square {t.statistic:,.1f} on {t.df} degrees of freedom, "
            f"p = {t.p_value:.2g}: the histogram differs from the model by more than chance.",
        )
    )
    r, lo, hi = res.checks.days_ratio
    lvl = res.choice.comparison.scores.level
    out.append(
        finding(
            LTV,
            "bg_holdout_days",
            f"BG/NBD predicts {r:.2f} gifting days in the holdout per actual one.",
            check=f"user-bootstrap {lvl:.0%} interval of the predicted/actual ratio contains 1",
            passed=lo <= 1 <= hi,
            value=r,
            unit="ratio",
            interval=(lo, hi),
            level=lvl,
            reason=f"The interval {lo:.2f} to {hi:.2f} excludes 1.",
        )
    )
    q, v, boot = res.fits.gg.params_["q"], res.value, res.value.bootstrap
    out.append(
        finding(
            LTV,
            "gg_mean",
            f"The Gamma-Gamma model gives a finite mean value per gifting day (q = {q:.2f}).",
            check="Gamma-Gamma q > 1 (finite population mean)",
            passed=q > 1,
            value=q,
            evidence={
                "fallback_mean": res.fits.fallback_mean,
                "n_boot_failed": boot.n_failed,
                "n_boot_degenerate": v.n_boot_degenerate,
            },
            reason=f"q = {q:.2f} <= 1: the population mean is infinite, so users without a "
            f"repeat gifting day get the sample mean ({res.fits.fallback_mean:,.1f} coins); "
            f"{boot.n_failed} of {res.params.n_boot} bootstrap refits failed and "
            f"{v.n_boot_degenerate} of the {boot.n_boot} successful ones also "
            "had q <= 1 (sample mean used).",
        )
    )
    return out


def value_finding(c: C.Comparison) -> Finding:
    """The LTV value headline: the winner's forecast of the next ``horizon`` days, validated
    only when a model wins the holdout comparison (:data:`VALUE_CHECK`)."""
    sc, w = c.scores, c.winner
    ev = {"criterion": C.CRITERION, "n_users": len(c.actual)}
    ev["holdout_actual_total"] = float(c.actual.sum())
    ev.update({f"rmse_{k}": float(v) for k, v in sc.estimate("RMSE").items()})
    if w.method is None or c.forward is None:
        return finding(
            LTV,
            "ltv_value",
            "No forecast of each user's gift value beats the naive baselines on the "
            "holdout, so this chapter states no lifetime-value amount.",
            check=VALUE_CHECK,
            passed=False,
            evidence={**ev, "best_model": w.best or ""},
            headline=True,
            reason=w.reason,
        )
    ratio, lo, hi = (
        sc.table.loc[w.method, ("total_ratio", x)] for x in ("estimate", "low", "high")
    )
    total = float(c.forward.sum())
    return finding(
        LTV,
        "ltv_value",
        f"The {len(c.forward):,d} users who gifted in the window are predicted to "
        f"give {total:,.0f} coins over the next {c.horizon} days ({w.method}, the "
        f"model that wins on the holdout; the interval rescales it by the "
        f"holdout's predicted/actual ratio interval).",
        check=VALUE_CHECK,
        passed=True,
        value=total,
        unit="coins",
        interval=(total / hi, total / lo) if lo > 0 else None,
        level=sc.level,
        evidence={**ev, "winner": w.method, "holdout_ratio": float(ratio)},
        headline=True,
        action=f"Plan next week's gifting revenue of this cohort at about {total:,.0f} "
        f"coins ({w.method}), and re-check the forecast against the actual "
        "week before using it for budgets.",
    )


def ranking_finding(sc: C.Scores) -> Finding | None:
    """The best ranking model's top decile against ranking by the run rate (None without a
    model)."""
    m = C.best_ranker(sc)
    if m is None:
        return None
    d = sc.paired.loc[("top10_capture", m, C.RUN_RATE)]
    cap = sc.table.loc[m, "top10_capture"]
    return finding(
        LTV,
        "ltv_ranking",
        f"Ranking users by the {m} forecast, the top 10% gave {cap['estimate']:.1%} "
        f"of the holdout gift value, {d['difference'] * 100:+.1f} points against "
        f"ranking by each user's run rate.",
        check=f"paired user bootstrap of the top-decile capture difference excludes 0 "
        f"({sc.level:.0%} interval {d['low'] * 100:+.1f} to {d['high'] * 100:+.1f} points)",
        passed=d["low"] > 0,
        value=float(cap["estimate"]),
        unit="share",
        interval=(float(cap["low"]), float(cap["high"])),
        level=sc.level,
        evidence={
            "model": m,
            "capture_model": float(cap["estimate"]),
            "capture_run_rate": float(sc.estimate("top10_capture")[C.RUN_RATE]),
            "difference": float(d["difference"]),
        },
        reason=f"The interval of the difference ({d['low'] * 100:+.1f} to "
        f"{d['high'] * 100:+.1f} points) includes 0: {m} does not rank users "
        "better than their own run rate.",
        action=f"Target gifting and retention campaigns at the top 10% of users by the "
        f"{m} forecast: they gave {cap['estimate']:.0%} ({cap['low']:.0%} to "
        f"{cap['high']:.0%}) of next-week gift value, "
        f"{d['difference'] * 100:.0f} points more than picking the top past "
        "spenders; test it as an A/B campaign before a roll-out.",
    )
