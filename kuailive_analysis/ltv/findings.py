"""The findings of chapter 4 (:func:`~kuailive_analysis.chapter.finding`): the LTV value
headline and the targeting claim (only from a model that wins the holdout comparison by the
rule fixed before it, :data:`~kuailive_analysis.ltv.compare.WINNER_RULE`), and the method
checks of BG/NBD, Gamma-Gamma and the zero-inflated lognormal."""

from __future__ import annotations

from kuailive_analysis.chapter import Finding, finding
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.ltv import compare as C

LTV = ChapterId.LTV
TRAIN_RATIO_BOUNDS = (0.8, 1.25)
"""The zero-inflated lognormal's lognormal mean describes its training window when its
forecast total is within these bounds of the training users' actual total."""
ALPHA = 0.05
"""Significance level of the BG/NBD chi-square goodness-of-fit check."""


def findings(res) -> list[Finding]:
    """The findings of an :class:`~kuailive_analysis.ltv.result.LTVResult`."""
    c, lvl = res.choice.comparison, res.choice.comparison.scores.level
    out = [
        value_finding(c, res.choice.ltv_value, res.params.horizon_days),
        ranking_finding(c),
    ]
    t = res.checks.fit_test
    out.append(
        finding(
            LTV,
            "bg_frequency_fit",
            "BG/NBD reproduces how many users gift again on 0, 1, 2, ... days in calibration.",
            check=f"Pearson chi-square goodness of fit of the frequency histogram, p >= {ALPHA}",
            passed=t.p_value >= ALPHA,
            value=t.misallocated,
            unit="share",
            evidence={"chi2": t.statistic, "df": t.df, "p_value": t.p_value},
            reason=f"Chi-square {t.statistic:,.1f} on {t.df} degrees of freedom, "
            f"p = {t.p_value:.2g}: the model puts {t.misallocated:.1%} of users in the wrong "
            "bar, more than chance.",
            kind="method check",
            subject="users",
            would_fail=f"the chi-square test had given p < {ALPHA}",
            question="How often do users come back to gift?",
        )
    )
    r, lo, hi = res.checks.days_ratio
    out.append(
        finding(
            LTV,
            "bg_holdout_days",
            "BG/NBD forecasts the cohort's number of gifting days in the holdout.",
            check=f"user-bootstrap {lvl:.0%} interval of the forecast/actual ratio of holdout "
            "gifting days contains 1",
            passed=lo <= 1 <= hi,
            value=r,
            unit="ratio",
            interval=(lo, hi),
            level=lvl,
            reason=f"It forecasts {r:.2f} gifting days per actual one; the interval {lo:.2f} to "
            f"{hi:.2f} excludes 1.",
            kind="method check",
            subject="users",
            would_fail="the interval of the ratio had excluded 1",
            question="How many days will the cohort gift on next week?",
        )
    )
    q, boot = res.fits.gg.params_["q"], res.value.bootstrap
    out.append(
        finding(
            LTV,
            "gg_mean",
            "The Gamma-Gamma fit gives a finite population mean value per gifting day.",
            check="Gamma-Gamma shape q > 1 (finite population mean)",
            passed=q > 1,
            value=q,
            evidence={
                "fallback_mean": res.fits.fallback_mean,
                "n_boot_failed": boot.n_failed,
                "n_boot_degenerate": res.value.n_boot_degenerate,
            },
            reason=f"The fit gives q = {q:.2f}, at most 1: the population mean is infinite, so "
            "users without a repeat gifting day get the sample mean over repeat gifters "
            f"({res.fits.fallback_mean:,.1f} coins); {boot.n_failed} of {res.params.n_boot} "
            f"bootstrap refits failed and {res.value.n_boot_degenerate} of the {boot.n_boot} "
            "successful ones also had q <= 1.",
            kind="method check",
            subject="money",
            would_fail="the fitted q had been at most 1",
            question="What is a gifting day worth on average across users?",
        )
    )
    z = c.supervised.get(C.ZILN)
    if z is not None:
        a, b = TRAIN_RATIO_BOUNDS
        out.append(
            finding(
                LTV,
                "ziln_training_total",
                "The zero-inflated lognormal's mean reproduces the total of its own training "
                "window.",
                check=f"forecast/actual total on the training window within {a} to {b}, before "
                "the balance step",
                passed=a <= z.train_total_ratio <= b,
                value=z.train_total_ratio,
                unit="ratio",
                evidence={"log_variance": z.log_variance, "balance": z.balance},
                reason=f"With a user-level variance of log value of {z.log_variance:.2f} its "
                f"mean forecasts {z.train_total_ratio:.2f} times the training total; the "
                f"comparison uses it scaled by {z.balance:.2f}.",
                kind="method check",
                subject="money",
                would_fail=f"the training-window ratio had been outside {a} to {b}",
                question="Does a lognormal describe what a gifting user gives?",
            )
        )
    return out


def _would_fail(c: C.Comparison, m: str) -> str:
    lo, hi = C.TOTAL_RATIO_BOUNDS
    return (
        f"the {c.scores.level:.0%} paired interval of {m}'s Poisson-deviance difference to the "
        f"{c.winner.baseline.split(' (')[0]} had reached 0, or its holdout total ratio had "
        f"been outside {lo:g} to {hi:g}"
    )


def value_finding(c: C.Comparison, value: tuple | None, days: int) -> Finding:
    """The LTV value headline: the winner's value per user over the next ``days`` days
    (``value``: :func:`~kuailive_analysis.ltv.compare.per_user_value`), validated only when a
    model wins the holdout comparison."""
    sc, w = c.scores, c.winner
    dev = sc.estimate(C.PRIMARY)
    ev = {
        "criterion": "Poisson deviance",
        "best_baseline": w.baseline,
        "n_users": len(c.actual),
        "holdout_actual_total": float(c.actual.sum()),
        **{f"deviance_{k}": float(v) for k, v in dev.items()},
    }
    m = w.method or w.best or ""
    question = f"What is a gifting user worth over the next {days} days?"
    if w.method is None or value is None:
        return finding(
            LTV,
            "ltv_value",
            f"The model that wins the holdout comparison forecasts what a gifting user gives "
            f"over the next {days} days.",
            check=C.rule_check(c.scores.level),
            passed=False,
            evidence={**ev, "best_model": m},
            headline=True,
            reason=w.reason,
            subject="money",
            would_fail=_would_fail(c, m) if m else "no model could be fitted",
            question=question,
        )
    v, lo, hi = value
    d = sc.difference(C.PRIMARY, m, w.baseline)
    return finding(
        LTV,
        "ltv_value",
        f"{m}, the model that beats the {w.baseline.split(' (')[0]} on the holdout, "
        f"forecasts the coins a user who gifted in the window gives over the next {days} days "
        f"(its {c.horizon}-day forecast, corrected by its holdout forecast/actual ratio, "
        f"counted over {days} days).",
        check=C.rule_check(c.scores.level),
        passed=True,
        value=v,
        unit="coins per user",
        interval=(lo, hi),
        level=sc.level,
        evidence={
            **ev,
            "winner": m,
            "deviance_difference": d["difference"],
            "deviance_difference_low": d["low"],
            "deviance_difference_high": d["high"],
            "holdout_total_ratio": float(sc.estimate("total_ratio")[m]),
            "n_forward_users": len(c.forward),
        },
        headline=True,
        subject="money",
        would_fail=_would_fail(c, m),
        question=question,
        action=f"Plan the next {days} days' gifting revenue of these users from {m} (about "
        f"{v:,.0f} coins per gifting user, {lo:,.0f} to {hi:,.0f}), and compare it with the "
        "actual month before using it for budgets.",
    )


def ranking_finding(c: C.Comparison) -> Finding:
    """Targeting: the top 10% of users by the winner against the top 10% by run rate (paired
    difference of the top-decile capture); failed without a winner (no ranking by a rejected
    model)."""
    sc, w = c.scores, c.winner
    m = w.method
    run = float(sc.estimate("top10_capture")[C.RUN_RATE])
    question = "Which users will give most next week?"
    statement = (
        f"The 10% of users ranked highest by {m or 'the winning model'} give more of the next "
        "week's gift value than the 10% with the highest run rate."
    )
    check = (
        f"paired user-bootstrap {sc.level:.0%} interval of the top-decile capture difference "
        "(model - run rate) above 0"
    )
    if m is None:
        return finding(
            LTV,
            "ltv_ranking",
            statement,
            check=check,
            passed=False,
            evidence={"capture_run_rate": run},
            headline=True,
            reason="No model passes the rule of the holdout comparison (section 4.7), so no "
            "model's ranking is put against the run rate.",
            subject="users",
            would_fail="that interval had reached 0, or no model had passed the LTV rule",
            question=question,
        )
    d = sc.difference("top10_capture", m, C.RUN_RATE)
    cap = sc.table.loc[m, "top10_capture"]
    return finding(
        LTV,
        "ltv_ranking",
        statement,
        check=check,
        passed=d["low"] > 0,
        value=float(cap["estimate"]),
        unit="share",
        interval=(float(cap["low"]), float(cap["high"])),
        level=sc.level,
        evidence={
            "model": m,
            "capture_model": float(cap["estimate"]),
            "capture_run_rate": run,
            "difference": d["difference"],
            "difference_low": d["low"],
            "difference_high": d["high"],
        },
        headline=True,
        reason=f"The {sc.level:.0%} interval of the difference ({d['low'] * 100:+.1f} to "
        f"{d['high'] * 100:+.1f} points) reaches 0: {m} does not find the top givers better "
        "than their own run rate.",
        subject="users",
        would_fail="that interval had reached 0",
        question=question,
        action=f"Aim gifting campaigns at the top 10% of users by {m}: on the holdout they "
        f"gave {cap['estimate']:.0%} of the next week's gift value, against {run:.0%} for the "
        f"top 10% by run rate ({d['difference'] * 100:+.0f} points); test it as an A/B "
        "campaign before a roll-out.",
    )
