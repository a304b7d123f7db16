"""Chapter 4 in one call: :func:`analyse` fits, validates and values, :class:`LTVResult` holds it.

``analyse(ds, **params)`` takes a :class:`~kuailive_analysis.dataset.Dataset` and the chapter's
parameters (:class:`Params`, the notebook's ``parameters`` cell) and returns an
:class:`LTVResult`: the RFM summaries of gifting and watching days, the fitted BG/NBD and
Gamma-Gamma models with their notes, the holdout tables, the CLV table with bootstrap
intervals and, on a twin that planted a BG/NBD process, the recovery checks.
:meth:`LTVResult.numbers` returns every value and sentence the chapter's prose glues.

The window length comes from :data:`kuailive_analysis.core.calendar.N_WINDOW_DAYS`: the
holdout is ``N_WINDOW_DAYS - calibration_days`` days long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.chapter.findings import Finding
from kuailive_analysis.core import stats
from kuailive_analysis.core.calendar import MS_PER_HOUR, N_WINDOW_DAYS
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.ltv import compare as C, evaluate as E, recovery as R
from kuailive_analysis.ltv.bgnbd import BetaGeo
from kuailive_analysis.ltv.clv import BootstrapCLV, bootstrap_clv, clv_table
from kuailive_analysis.ltv.gamma_gamma import GammaGamma, sample_mean_spend
from kuailive_analysis.ltv.mbgnbd import ModifiedBetaGeo
from kuailive_analysis.ltv.params import Params
from kuailive_analysis.ltv.summary import (
    TRANSACTION_DEFINITIONS,
    RFMSummary,
    repeat_transactions_by_day,
    summarise,
)

__all__ = ["Params", "LTVResult", "analyse", "transaction_tables"]

INTERIOR_NOTE = "The fit is an interior maximum (no penalty)."
NO_WATCH_FIT = "n/a (no fit)"
RFM_LABELS = {
    "first_day": "first gifting day (day index)",
    "frequency_cal": "repeat gifting days in calibration",
    "recency_cal": "days from first to last gifting day",
    "T_cal": "days from first gifting day to end of calibration",
    "monetary_cal": "mean coins per repeat gifting day",
    "value_cal": "coins in calibration",
    "frequency_holdout": "gifting days in the holdout",
    "monetary_holdout": "mean coins per holdout gifting day",
    "value_holdout": "coins in the holdout",
    "duration_holdout": "holdout length (days)",
}
"""Readable names of the RFM summary's columns (tables of the book)."""
VALUE_CHECK = (
    "holdout comparison: per-user RMSE of the holdout value below both naive baselines (run "
    "rate, zero), the 95% paired user-bootstrap interval of the difference below 0"
)
"""The check of the LTV value headline (:data:`~kuailive_analysis.ltv.compare.WINNER_RULE`)."""
MAX_GRID_FREQUENCY = 12
"""Rows of the P(alive) / expected-transactions heat maps (frequencies 0..12 at most)."""


@dataclass(frozen=True)
class LTVResult:
    """Everything chapter 4 shows (see :func:`analyse`).

    Gifting: ``gift`` (RFM summary), ``bg`` / ``gg`` (fitted models) with ``bg_note`` /
    ``gg_note`` (empty for a plain fit, else why a ridge penalty was added), ``fallback_mean``
    (sample mean value per repeat gifting day, used when the Gamma-Gamma mean is infinite),
    ``parameters`` (both models' estimates), ``histogram`` (users by calibration frequency,
    actual vs model), ``by_frequency`` (holdout by calibration frequency), ``tracking`` (daily
    repeat gifting days), ``p_alive_grid`` / ``expected_grid`` (heat maps), ``forecasts``
    (per-user holdout forecasts, one column per (target, method)) and ``accuracy`` (their
    scores), ``gift_checks`` (assumption checks). Watching: ``watch``, ``watch_bg`` (None when
    no fit), ``watch_note``, ``watch_histogram`` (None when no fit), ``watch_accuracy``,
    ``watch_checks``. Value: ``bootstrap`` (CLV with intervals), ``predictions`` (P(alive),
    expected gifting days and value, CLV per user), ``top_users``. Planted truth (twin with a
    planted BG/NBD process, else None): ``planted``, ``recovery``, ``discretisation``,
    ``alive_check``, ``spend_rho``.
    """

    params: Params
    source: DataSource
    gift: RFMSummary
    watch: RFMSummary
    bg: BetaGeo
    bg_note: str
    gg: GammaGamma
    gg_note: str
    fallback_mean: float
    parameters: pd.DataFrame
    histogram: pd.DataFrame
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    p_alive_grid: pd.DataFrame
    expected_grid: pd.DataFrame
    forecasts: pd.DataFrame
    accuracy: pd.DataFrame
    gift_checks: E.AssumptionChecks
    watch_bg: BetaGeo | None
    watch_note: str
    watch_histogram: pd.DataFrame | None
    watch_accuracy: pd.DataFrame
    watch_checks: E.AssumptionChecks
    bootstrap: BootstrapCLV
    predictions: pd.DataFrame
    top_users: pd.DataFrame
    mbg: BetaGeo | None = None
    mbg_note: str = ""
    comparison: C.Comparison | None = None
    gift_fit_test: E.FitTest | None = None
    bg_days_ratio: tuple[float, float, float] | None = None
    tenure_days: pd.Series | None = None
    planted: dict | None = None
    recovery: pd.DataFrame | None = None
    discretisation: pd.DataFrame | None = None
    alive_check: pd.DataFrame | None = None
    spend_rho: float | None = None

    # -- derived values ---------------------------------------------------------------------
    @property
    def is_twin(self) -> bool:
        return self.source.is_twin

    @property
    def clv(self) -> pd.Series:
        """Predicted CLV per cohort user (point estimate)."""
        return self.bootstrap.per_user["clv"]

    def holdout_totals(self) -> pd.Series:
        """Repeat gifting days over the holdout: ``model`` and ``actual`` (from the tracking
        table) and their ratio (``ratio``, predicted per actual; the actual total floored at 1)."""
        hold = self.tracking.index >= self.params.calibration_days
        model = self.tracking.loc[hold, "model"].sum()
        actual = self.tracking.loc[hold, "actual"].sum()
        return pd.Series({"model": model, "actual": actual, "ratio": model / max(actual, 1)})

    def concentration_curves(self) -> dict[str, pd.DataFrame]:
        """Lorenz curves (all points) of the predicted CLV and of the calibration value, for
        :func:`kuailive_analysis.plots.ltv.concentration`."""
        return {
            "predicted CLV": stats.lorenz_curve(self.clv, n_points=None),
            "calibration value": stats.lorenz_curve(self.gift.table["value_cal"], n_points=None),
        }

    # -- text ---------------------------------------------------------------------------------
    def gg_mean_note(self) -> str:
        """What the Gamma-Gamma population mean is, or why users without repeats get the
        sample mean instead."""
        if np.isfinite(self.gg.mean_spend):
            return (
                f"The model's population mean value per gifting day is "
                f"{self.gg.mean_spend:,.1f} coins."
            )
        return (
            f"The fitted q = {self.gg.params_['q']:.2f} is at most 1: between users, value "
            "per gifting day is so heavy-tailed that the model's population mean is infinite. "
            "Users without a repeat gifting day therefore get the sample mean over repeat "
            f"gifters, {self.fallback_mean:,.1f} coins, as their expected value."
        )

    def watch_fit_text(self) -> str:
        """The BG/NBD fit on watching days in words (or why it failed)."""
        if self.watch_bg is None:
            return f"The fit fails: {self.watch_note}"
        pw = self.watch_bg.params_
        return (
            f"The fit gives r = {pw['r']:.3g} and alpha = {pw['alpha']:.3g}: a mean rate of "
            f"{pw['r'] / pw['alpha']:.2f} watching days per day, and a mean dropout of "
            f"{pw['a'] / (pw['a'] + pw['b']):.1%} per watching day. "
        ) + penalty_note(self.watch_bg, "BG/NBD")

    def recovery_texts(self) -> tuple[str, str, str]:
        """``(rec_intro, disc_text, alive_text)``: the planted-truth section in words."""
        if self.planted is None:
            intro = (
                "This twin plants no BG/NBD process: its gifts follow ordinary clicks (a gift "
                "probability per click that grows with the watch time; see the fidelity "
                "appendix), so there are no planted BG/NBD parameters to recover, and the "
                "holdout comparison above is the only check of the model."
                if self.is_twin
                else "This data folder is not a synthetic twin, so there is no planted truth to "
                "recover."
            )
            return (
                intro,
                "(Not applicable: nothing was planted in BG/NBD form.)",
                "Not applicable: no planted P(alive) to compare with.",
            )
        p, rec = self.planted, self.recovery
        n_cov = int(rec.loc[list(BetaGeo.param_names), "covered"].sum())
        rate, drop = "mean rate r/alpha (per day)", "mean dropout a/(a+b)"
        intro = (
            f"The twin planted r = {p['r']:g}, alpha = {p['alpha']:g}, a = {p['a']:g} and "
            f"b = {p['b']:g}. The fit on gifting days covers {n_cov} of the 4 planted values "
            f"with its 95% interval; the implied mean gifting rate is "
            f"{rec.loc[rate, 'estimate']:.3f} per day (planted "
            f"{rec.loc[rate, 'planted']:.3f}) and the mean dropout "
            f"{rec.loc[drop, 'estimate']:.1%} (planted "
            f"{rec.loc[drop, 'planted']:.1%})."
        )
        d = self.discretisation[R.DROPOUT]
        disc = (
            "Why the estimates miss: the twin's gifting process departs from BG/NBD in three "
            "ways, and we can add them one at a time to a simulation of the planted process "
            "(same first-gift times, fitted the same way). "
            f"Fitted to exact BG/NBD data in continuous time the estimates land on the planted "
            f"values (mean dropout {d['continuous BG/NBD']:.1%} vs {d['planted']:.1%}). "
            f"Counting transactions as gifting days, one per day, already moves them (mean "
            f"dropout {d['+ counted as gifting days']:.1%}): a user who gifts twice in a day "
            "looks like a user who gifts once, which removes the most active users' repeats. "
            f"Letting users also leave right after their first gift "
            f"({d['+ dropout after the first gift']:.1%}) and stopping gifting at the user's "
            f"activity churn ({d['+ stopped at activity churn']:.1%}) gives the twin's full "
            f"process; the fit on the twin itself, last row, finds {d[R.TWIN_FIT_ROW]:.1%}. "
            "The table lists the fitted parameters for each step."
        )
        chk = self.alive_check
        truly = float((chk["truly_alive"] * chk["n_users"]).sum() / chk["n_users"].sum())
        no_repeat = float((self.gift.table["frequency_cal"] == 0).mean())
        alive = (
            f"On average the model says {self.predictions['p_alive'].mean():.1%} of the "
            f"cohort is still alive at the end of calibration; in the planted truth "
            f"{truly:.1%} are. Most of the gap comes from the {no_repeat:.0%} of users "
            "without a repeat gifting day: BG/NBD lets users leave only after a repeat "
            "transaction, so it holds all of them alive with certainty, whereas in the twin "
            "(and, plausibly, in live streaming) a user can stop right after the first gift. "
            "It also explains why the model overpredicts the holdout of users without a "
            "repeat (section 4.4). The Spearman correlation between each user's predicted "
            f"value per gifting day and the planted one is {self.spend_rho:.2f}."
        )
        return intro, disc, alive

    # -- readable tables ----------------------------------------------------------------------
    def rfm_table(self) -> pd.DataFrame:
        """Mean, median and maximum of the gifting RFM summary, with readable names."""
        d = self.gift.describe().rename(index=RFM_LABELS)
        d.columns = ["mean", "median", "maximum"]
        d.index.name = "per cohort user"
        return d.reset_index()

    def parameter_display(self) -> pd.DataFrame:
        """Estimates of BG/NBD, MBG/NBD and Gamma-Gamma with standard errors and 95%
        intervals, readable headers."""
        parts = [self.parameters.reset_index()]
        if self.mbg is not None:
            parts.insert(1, self.mbg.summary_.reset_index().assign(model="MBG/NBD"))
        d = pd.concat(parts, ignore_index=True)[
            ["model", "parameter", "estimate", "se", "ci_low", "ci_high"]
        ]
        return d.rename(
            columns={
                "se": "standard error",
                "ci_low": "95% interval, low",
                "ci_high": "95% interval, high",
            }
        )

    def by_frequency_table(self) -> pd.DataFrame:
        """Mean holdout gifting days by calibration frequency, readable headers."""
        d = self.by_frequency.reset_index()
        return d.rename(
            columns={
                "frequency_cal": "repeat gifting days in calibration",
                "n_users": "users",
                "actual": "actual (mean holdout gifting days)",
                "model": "BG/NBD (mean)",
                "past_rate": "past rate (mean)",
            }
        )

    @staticmethod
    def _accuracy_display(acc: pd.DataFrame) -> pd.DataFrame:
        unit = {"transactions": "gifting or watching days", "value": "coins"}
        d = acc.reset_index()
        d["target"] = d["target"].map(lambda t: f"{t} ({unit.get(t, '')})")
        return d.rename(
            columns={
                "MAE": "MAE per user",
                "RMSE": "RMSE per user",
                "correlation": "Pearson correlation",
                "total_predicted": "total predicted",
                "total_actual": "total actual",
                "total_ratio": "predicted / actual total",
            }
        )

    def accuracy_table(self) -> pd.DataFrame:
        """Holdout accuracy of BG/NBD and the baselines on gifting days and value."""
        return self._accuracy_display(self.accuracy)

    def watch_accuracy_table(self) -> pd.DataFrame:
        """Holdout accuracy on watching days."""
        return self._accuracy_display(self.watch_accuracy)

    def top_users_table(self) -> pd.DataFrame:
        """The users with the highest BG/NBD x Gamma-Gamma CLV, readable headers."""
        d = self.top_users.reset_index()
        return d.rename(
            columns={
                "user_id": "user",
                **RFM_LABELS,
                "p_alive": "P(alive)",
                "expected_purchases": f"expected gifting days ({self.params.horizon_days} d)",
                "expected_spend": "expected coins per gifting day",
                "clv": "CLV (coins)",
                "clv_low": f"CLV {self.params.level:.0%} low",
                "clv_high": f"CLV {self.params.level:.0%} high",
            }
        )

    def clv_status(self) -> str:
        """Whether the CLV of section 4.9 is a validated forecast (it is only when BG/NBD x
        Gamma-Gamma wins the holdout comparison)."""
        if self.comparison.winner.method == C.BG:
            return "BG/NBD x Gamma-Gamma wins the holdout comparison (section 4.7)."
        return (
            "These values are BG/NBD x Gamma-Gamma's, which does not win the holdout "
            "comparison (section 4.7): read them as what the model says, not as a validated "
            "forecast; they are not a headline of this book."
        )

    # -- holdout model comparison ----------------------------------------------------------
    @property
    def n_boot_degenerate(self) -> int:
        """Successful bootstrap replicates whose Gamma-Gamma fit has q <= 1 (infinite mean;
        the replicate's sample mean value per gifting day was used instead)."""
        reps = self.bootstrap.replicates
        return int((reps["q"] <= 1).sum()) if "q" in reps else 0

    def comparison_table(self) -> pd.DataFrame:
        """The holdout comparison for the book: one row per method, one column per metric,
        each cell "estimate (low to high)" with readable units."""
        sc = self.comparison.scores
        fmt = {
            "total_ratio": "{:.2f}",
            "MAE": "{:,.1f}",
            "RMSE": "{:,.1f}",
            "spearman": "{:.2f}",
            "norm_gini": "{:.2f}",
            "top10_capture": "{:.1%}",
        }
        out = {}
        for k in C.METRICS:
            est, lo, hi = (sc.table[(k, c)] for c in ("estimate", "low", "high"))
            out[C.METRIC_LABELS[k]] = [
                "\u2013"
                if not np.isfinite(e)
                else f"{fmt[k].format(e)} ({fmt[k].format(a)} to {fmt[k].format(b)})"
                for e, a, b in zip(est, lo, hi)
            ]
        df = pd.DataFrame(out, index=sc.table.index)
        df.index.name = "forecast method"
        return df.reset_index()

    def comparison_text(self) -> str:
        """The holdout comparison in words."""
        c, sc = self.comparison, self.comparison.scores
        mae, rmse = sc.estimate("MAE"), sc.estimate("RMSE")
        cap = sc.estimate("top10_capture")
        share_zero = float((c.actual == 0).mean())
        ranker = self.best_ranker()
        text = (
            f"The {len(c.actual):,d} cohort users gave {c.actual.sum():,.0f} coins in the "
            f"{c.horizon}-day holdout; {share_zero:.1%} of them gave nothing, so the zero "
            f"forecast has an MAE of {mae[C.ZERO]:,.1f} coins per user (the mean) and an RMSE "
            f"of {rmse[C.ZERO]:,.1f}. BG/NBD x Gamma-Gamma predicts "
            f"{sc.estimate('total_ratio')[C.BG]:.2f} times the actual total (MAE "
            f"{mae[C.BG]:,.1f}, RMSE {rmse[C.BG]:,.1f})."
        )
        if ranker is not None:
            text += (
                f" For ranking users, {ranker} does best: the 10% of users it ranks highest "
                f"gave {cap[ranker]:.1%} of the holdout value, against {cap[C.RUN_RATE]:.1%} "
                "for ranking by the run rate."
            )
        if c.notes:
            text += " " + " ".join(f"{m}: no forecast ({why})." for m, why in c.notes.items())
        return text

    def best_ranker(self) -> str | None:
        """The model with the highest top-decile capture (None without models)."""
        cap = self.comparison.scores.estimate("top10_capture")
        models = [m for m in C.MODELS if m in cap.index and np.isfinite(cap[m])]
        return max(models, key=lambda m: cap[m]) if models else None

    def mbg_text(self) -> str:
        """The MBG/NBD fit in words."""
        if self.mbg is None:
            return f"MBG/NBD could not be fitted: {self.mbg_note}"
        pm, pb = self.mbg.params_, self.bg.params_
        return (
            f"MBG/NBD (BG/NBD plus a chance to leave right after the first gift) gives a mean "
            f"dropout of {pm['a'] / (pm['a'] + pm['b']):.1%} per gifting day (BG/NBD: "
            f"{pb['a'] / (pb['a'] + pb['b']):.1%}) and a log-likelihood of "
            f"{self.mbg.log_likelihood_:,.1f} (BG/NBD: {self.bg.log_likelihood_:,.1f}). "
        ) + penalty_note(self.mbg, "MBG/NBD")

    def fit_test_text(self) -> str:
        """The chi-square test of the frequency histogram in words."""
        t = self.gift_fit_test
        return (
            f"The model puts {t.misallocated:.1%} of users in the wrong bar; a Pearson "
            f"chi-square test (cells pooled to at least 5 expected users) gives "
            f"{t.statistic:,.1f} on {t.df} degrees of freedom, p = {t.p_value:.3g}"
            + (
                ": the differences are larger than chance."
                if t.p_value < 0.05
                else ": the differences are within chance."
            )
        )

    def truncation_text(self) -> str:
        """Left truncation in words (the cohort's account age at the window start)."""
        ten = self.tenure_days
        if ten is None or ten.dropna().empty:
            return "The data has no registration dates, so we cannot say how old the accounts are."
        ten = ten.dropna()
        return (
            f"The median cohort user registered {ten.median():,.0f} days before the window "
            f"opened, and {(ten > self.params.calibration_days).mean():.1%} of them more than "
            f"{self.params.calibration_days} days before it."
        )

    def decile_title(self) -> str:
        """Title of the decile chart: what the top decile of the best ranking model shows."""
        m = self.best_ranker()
        if m is None:
            return "Forecast deciles: mean predicted vs actual holdout value"
        d = self.comparison.deciles
        top = d[(d["method"] == m)].iloc[-1]
        return (
            f"Top decile of {m}: forecast {top['predicted']:,.0f}, "
            f"actual {top['actual']:,.0f} coins/user"
        )

    # -- findings -----------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """The chapter's claims with their checks (see :mod:`kuailive_analysis.findings`)."""
        c, sc, w = self.comparison, self.comparison.scores, self.comparison.winner
        lvl = sc.level
        out = []
        # 1. the LTV value headline: only from a model that wins on the holdout
        ev = {
            "criterion": C.CRITERION,
            "n_users": len(c.actual),
            "holdout_actual_total": float(c.actual.sum()),
        }
        ev.update({f"rmse_{k}": float(v) for k, v in sc.estimate("RMSE").items()})
        if w.method is not None and c.forward is not None:
            ratio, lo, hi = (
                sc.table.loc[w.method, ("total_ratio", x)] for x in ("estimate", "low", "high")
            )
            total = float(c.forward.sum())
            out.append(
                Finding(
                    "04_ltv",
                    "ltv_value",
                    f"The {len(c.forward):,d} users who gifted in the window are predicted to "
                    f"give {total:,.0f} coins over the next {c.horizon} days ({w.method}, the "
                    f"model that wins on the holdout; the interval rescales it by the "
                    f"holdout's predicted/actual ratio interval).",
                    VALUE_CHECK,
                    "validated",
                    value=total,
                    unit="coins",
                    interval=(total / hi, total / lo) if lo > 0 else None,
                    level=lvl,
                    evidence={**ev, "winner": w.method, "holdout_ratio": float(ratio)},
                    headline=True,
                    action=(
                        f"Plan next week's gifting revenue of this cohort at about {total:,.0f} "
                        f"coins ({w.method}), and re-check the forecast against the actual "
                        "week before using it for budgets."
                    ),
                )
            )
        else:
            out.append(
                Finding(
                    "04_ltv",
                    "ltv_value",
                    "No forecast of each user's gift value beats the naive baselines on the "
                    "holdout, so this chapter states no lifetime-value amount.",
                    VALUE_CHECK,
                    "failed",
                    evidence={**ev, "best_model": w.best or ""},
                    headline=True,
                    reason=w.reason,
                )
            )
        # 2. ranking: the best model's top decile against the run-rate ranking
        m = self.best_ranker()
        if m is not None:
            d = sc.paired.loc[("top10_capture", m, C.RUN_RATE)]
            cap = sc.table.loc[m, "top10_capture"]
            ok = d["low"] > 0
            st = (
                f"Ranking users by the {m} forecast, the top 10% gave {cap['estimate']:.1%} "
                f"of the holdout gift value, {d['difference'] * 100:+.1f} points against "
                f"ranking by each user's run rate."
            )
            out.append(
                Finding(
                    "04_ltv",
                    "ltv_ranking",
                    st,
                    f"paired user bootstrap of the top-decile capture difference excludes 0 "
                    f"({lvl:.0%} interval {d['low'] * 100:+.1f} to {d['high'] * 100:+.1f} "
                    "points)",
                    "validated" if ok else "failed",
                    value=float(cap["estimate"]),
                    unit="share",
                    interval=(float(cap["low"]), float(cap["high"])),
                    level=lvl,
                    evidence={
                        "model": m,
                        "capture_model": float(cap["estimate"]),
                        "capture_run_rate": float(sc.estimate("top10_capture")[C.RUN_RATE]),
                        "difference": float(d["difference"]),
                    },
                    reason=""
                    if ok
                    else f"The interval of the difference ({d['low'] * 100:+.1f} to "
                    f"{d['high'] * 100:+.1f} points) includes 0: {m} does not rank users "
                    "better than their own run rate.",
                    action=(
                        f"Target gifting and retention campaigns at the top 10% of users by the "
                        f"{m} forecast: they gave {cap['estimate']:.0%} ({cap['low']:.0%} to "
                        f"{cap['high']:.0%}) of next-week gift value, "
                        f"{d['difference'] * 100:.0f} points more than picking the top past "
                        "spenders; test it as an A/B campaign before a roll-out."
                    )
                    if ok
                    else "",
                )
            )
        # 3. BG/NBD describes the calibration frequencies
        t = self.gift_fit_test
        out.append(
            Finding(
                "04_ltv",
                "bg_frequency_fit",
                f"BG/NBD reproduces the number of users by repeat gifting days in calibration "
                f"({t.misallocated:.1%} of users in the wrong bar).",
                "Pearson chi-square goodness of fit, p >= 0.05",
                "validated" if t.p_value >= 0.05 else "failed",
                value=t.misallocated,
                unit="share",
                evidence={"chi2": t.statistic, "df": t.df, "p_value": t.p_value},
                reason=""
                if t.p_value >= 0.05
                else f"Chi-square {t.statistic:,.1f} on {t.df} degrees of freedom, p = {t.p_value:.2g}: the "
                "histogram differs from the model by more than chance.",
            )
        )
        # 4. BG/NBD's holdout total of gifting days
        r, lo, hi = self.bg_days_ratio
        ok = lo <= 1 <= hi
        out.append(
            Finding(
                "04_ltv",
                "bg_holdout_days",
                f"BG/NBD predicts {r:.2f} gifting days in the holdout per actual one.",
                f"user-bootstrap {lvl:.0%} interval of the predicted/actual ratio contains 1",
                "validated" if ok else "failed",
                value=r,
                unit="ratio",
                interval=(lo, hi),
                level=lvl,
                reason="" if ok else f"The interval {lo:.2f} to {hi:.2f} excludes 1.",
            )
        )
        # 5. the Gamma-Gamma population mean
        q = self.gg.params_["q"]
        out.append(
            Finding(
                "04_ltv",
                "gg_mean",
                f"The Gamma-Gamma model gives a finite mean value per gifting day (q = {q:.2f}).",
                "Gamma-Gamma q > 1 (finite population mean)",
                "validated" if q > 1 else "failed",
                value=q,
                unit="",
                evidence={
                    "fallback_mean": self.fallback_mean,
                    "n_boot_failed": self.bootstrap.n_failed,
                    "n_boot_degenerate": self.n_boot_degenerate,
                },
                reason=""
                if q > 1
                else f"q = {q:.2f} <= 1: the population mean is infinite, so users without a "
                f"repeat gifting day get the sample mean ({self.fallback_mean:,.1f} coins); "
                f"{self.bootstrap.n_failed} of {self.params.n_boot} bootstrap refits failed and "
                f"{self.n_boot_degenerate} of the {self.bootstrap.n_boot} successful ones also "
                "had q <= 1 (sample mean used).",
            )
        )
        return out

    # -- glue ---------------------------------------------------------------------------------
    def numbers(self) -> dict:
        """Every value the chapter's prose glues, by key, as Python scalars or text (a
        ``(value, spec)`` tuple is glued pre-formatted; see
        :func:`kuailive_analysis.report.glue_all`)."""
        return {
            k: (_plain(v[0]), v[1]) if isinstance(v, tuple) else _plain(v)
            for k, v in self._numbers().items()
        }

    def _numbers(self) -> dict:
        p, bg, gg = self.params, self.bg.params_, self.gg
        acc, wacc, boot = self.accuracy, self.watch_accuracy, self.bootstrap
        totals = self.holdout_totals()
        rec_intro, disc_text, alive_text = self.recovery_texts()
        value_cal = self.gift.table["value_cal"]
        return {
            # 4.1 transactions and cohorts
            "data_name": self.source.label,
            "def_gift": TRANSACTION_DEFINITIONS["gift"],
            "def_watch": TRANSACTION_DEFINITIONS["watch"],
            "last_cal_day": p.last_cal_day,
            "holdout_days": p.holdout_days,
            "n_gift_users": self.gift.n_users,
            "share_gift_repeat": self.gift.share_repeat,
            "n_gift_late": self.gift.n_users_first_in_holdout,
            "n_watch_users": self.watch.n_users,
            "share_watch_repeat": self.watch.share_repeat,
            # 4.3 fitted parameters
            "bg_rate": bg["r"] / bg["alpha"],
            "bg_days_between": bg["alpha"] / bg["r"],
            "bg_dropout": bg["a"] / (bg["a"] + bg["b"]),
            "time_bg_fit_ms": self.bg.fit_seconds_ * 1000,
            "time_gg_fit_ms": gg.fit_seconds_ * 1000,
            "bg_ll": self.bg.log_likelihood_,
            "gg_n": int(gg.n_customers_),
            "bg_note": penalty_note(self.bg, "BG/NBD") or INTERIOR_NOTE,
            "gg_note": penalty_note(self.gg, "Gamma-Gamma") or INTERIOR_NOTE,
            "gg_mean_note": self.gg_mean_note(),
            # 4.4 holdout tracking, 4.5 heat maps
            "track_model_hold": totals["model"],
            "track_actual_hold": totals["actual"],
            "track_ratio": totals["ratio"],
            "grid_T": p.grid_T,
            # 4.6 holdout accuracy
            "mae_bg": acc.loc[("transactions", "BG/NBD"), "MAE"],
            "mae_past": acc.loc[("transactions", "past rate"), "MAE"],
            "mae_pooled": acc.loc[("transactions", "pooled rate"), "MAE"],
            "ratio_bg": acc.loc[("transactions", "BG/NBD"), "total_ratio"],
            "mae_value_bg": acc.loc[("value", "BG/NBD x Gamma-Gamma"), "MAE"],
            "mae_value_past": acc.loc[("value", "past rate x own mean"), "MAE"],
            # 4.7 model choice on the holdout
            "cmp_rule": C.WINNER_RULE,
            "cmp_text": self.comparison_text(),
            "cmp_verdict": self.comparison.winner.reason,
            "mbg_text": self.mbg_text(),
            "fit_test_text": self.fit_test_text(),
            # 4.8 watching days
            "watch_every_day": self.watch_checks.share_every_day,
            "watch_note": self.watch_fit_text(),
            "watch_mae_bg": (
                NO_WATCH_FIT
                if self.watch_bg is None
                else (wacc.loc[("transactions", "BG/NBD"), "MAE"], ".3f")
            ),
            "watch_mae_past": wacc.loc[("transactions", "past rate"), "MAE"],
            # 4.8 lifetime value
            "time_boot_s": boot.seconds,
            "horizon": p.horizon_days,
            "discount": p.discount_rate_daily,
            "level": p.level,
            "n_boot_ok": boot.n_boot,
            "n_boot_failed": boot.n_failed,
            "n_boot_degenerate": self.n_boot_degenerate,
            "clv_status": self.clv_status(),
            "clv_total": boot.total_clv,
            "clv_total_lo": boot.total_low,
            "clv_total_hi": boot.total_high,
            "clv_median": float(self.clv.median()),
            "clv_top1": stats.top_share(self.clv, 0.01),
            "clv_top10": stats.top_share(self.clv, 0.10),
            "clv_gini": stats.gini(self.clv),
            "cal_top1": stats.top_share(value_cal, 0.01),
            "cal_gini": stats.gini(value_cal),
            # 4.9 planted truth
            "rec_intro": rec_intro,
            "disc_text": disc_text,
            "alive_text": alive_text,
            # 4.10 assumptions
            "rho_freq_value": self.gift_checks.freq_value_spearman,
            "truncation_text": self.truncation_text(),
            "gg_q": gg.params_["q"],
        }


def penalty_note(model, name: str) -> str:
    """Why a fit carries a ridge penalty, in words (no optimiser trace); empty for a plain
    fit."""
    c = getattr(model, "penalizer_", 0.0) if model is not None else 0.0
    if not c:
        return ""
    return (
        f"The unpenalised {name} fit has no interior maximum (the likelihood keeps rising "
        "towards the edge of the parameter space, e.g. when the data show almost no dropout), "
        f"so the fit adds a small ridge penalty ({c:g}) on the log-parameters."
    )


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def transaction_tables(ds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(gift_days, watch_days)``: the user-day rows with a gift (value ``gift_value``, coins)
    and with a click (value ``watch_hours``), from the dataset's user-day panel."""
    ud = ds.table("user_day", ["user_id", "day", "n_clicks", "watch_ms", "n_gifts", "gift_value"])
    gift_days = ud[ud["n_gifts"] > 0]
    watch_days = ud[ud["n_clicks"] > 0].assign(watch_hours=lambda d: d["watch_ms"] / MS_PER_HOUR)
    return gift_days, watch_days


def analyse(ds, params: Params | None = None, **overrides) -> LTVResult:
    """Chapter 4 on a :class:`~kuailive_analysis.dataset.Dataset`; ``params`` are the fields of
    :class:`Params`. Raises RuntimeError when the gifting models cannot be fitted."""
    p = Params.resolve(params, overrides)
    gift_days, watch_days = transaction_tables(ds)
    gift = summarise(gift_days, calibration_days=p.calibration_days, value_col="gift_value")
    watch = summarise(watch_days, calibration_days=p.calibration_days, value_col="watch_hours")
    gs = gift.table

    bg, bg_note = E.try_fit_bgnbd(gs)
    gg, gg_note = E.try_fit_gamma_gamma(gs)
    if bg is None or gg is None:
        raise RuntimeError(f"gifting models could not be fitted: {bg_note} {gg_note}")
    fallback = sample_mean_spend(gs["frequency_cal"], gs["monetary_cal"])
    forecasts = E.holdout_forecasts(gs, bg, gg, fallback_mean=fallback)
    p_alive_grid, expected_grid = E.prediction_grids(
        bg, p.grid_T, p.holdout_days, max_x=min(p.grid_T, MAX_GRID_FREQUENCY)
    )

    mbg, mbg_note = E._try(lambda c: ModifiedBetaGeo().fit(*E._xtT(gs), penalizer=c), E.PENALIZERS)
    fitted = {C.BG: (bg, gg, fallback)}
    if mbg is not None:
        fitted[C.MBG] = (mbg, gg, fallback)
    users = ds.table("users")
    comparison = C.compare(
        ds.table(
            "user_day",
            [
                "user_id",
                "day",
                "n_clicks",
                "watch_ms",
                "n_comments",
                "n_likes",
                "n_gifts",
                "gift_value",
                "active",
            ],
        ),
        users,
        p.calibration_days,
        p.holdout_days,
        end=N_WINDOW_DAYS,
        fitted=fitted,
        n_boot=p.n_boot_compare,
        level=p.compare_level,
        seed=p.seed,
    )
    histogram = E.frequency_histogram(bg, gs, p.max_freq)
    bg_days = forecasts[("transactions", "BG/NBD")]
    tenure = (
        users.set_index("user_id")["tenure_days"].reindex(gs.index)
        if "tenure_days" in users
        else None
    )
    wbg, w_note = E.try_fit_bgnbd(watch.table)
    boot = bootstrap_clv(
        gs,
        horizon=p.horizon_days,
        bg=bg,
        gg=gg,
        n_boot=p.n_boot,
        discount_rate=p.discount_rate_daily,
        level=p.level,
        seed=p.seed,
    )
    preds = clv_table(
        bg,
        gg,
        gs,
        horizon=p.horizon_days,
        discount_rate=p.discount_rate_daily,
        fallback_mean=fallback,
    )
    twin = R.twin_checks(ds.truth, bg, gs, preds, calibration_days=p.calibration_days, seed=p.seed)
    return LTVResult(
        params=p,
        source=ds.source,
        gift=gift,
        watch=watch,
        bg=bg,
        bg_note=bg_note,
        gg=gg,
        gg_note=gg_note,
        fallback_mean=fallback,
        parameters=E.parameter_table(bg, gg),
        histogram=histogram,
        by_frequency=E.holdout_by_frequency(bg, gs, p.max_freq),
        tracking=E.tracking(bg, gs, repeat_transactions_by_day(gift_days, gs.index)),
        p_alive_grid=p_alive_grid,
        expected_grid=expected_grid,
        forecasts=forecasts,
        accuracy=E.score_forecasts(forecasts, gs),
        gift_checks=E.assumption_checks(gs),
        watch_bg=wbg,
        watch_note=w_note,
        watch_histogram=(
            E.frequency_histogram(wbg, watch.table, p.max_freq) if wbg is not None else None
        ),
        watch_accuracy=E.holdout_accuracy(wbg, watch.table),
        watch_checks=E.assumption_checks(watch.table),
        bootstrap=boot,
        predictions=preds,
        top_users=E.top_users(gs, boot.per_user, preds, p.top_n),
        mbg=mbg,
        mbg_note=mbg_note,
        comparison=comparison,
        gift_fit_test=E.frequency_fit_test(histogram),
        bg_days_ratio=E.ratio_interval(
            bg_days,
            gs["frequency_holdout"],
            n_boot=p.n_boot_compare,
            level=p.compare_level,
            seed=p.seed,
        ),
        tenure_days=tenure,
        planted=twin.planted,
        recovery=twin.recovery,
        discretisation=twin.discretisation,
        alive_check=twin.alive_check,
        spend_rho=twin.spend_rho,
    )
