"""The result of chapter 4: :class:`LTVResult`, one :class:`~kuailive_analysis.chapter.Section`
per part of the chapter. Each section holds the tables and models of its part and, as
:func:`~kuailive_analysis.chapter.glued` fields, the values its prose glues (``numbers()``
collects them); its readable tables are properties."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.chapter import ChapterResult, Section, glued
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.ltv import findings, tables
from kuailive_analysis.ltv.base import BaseBetaGeo
from kuailive_analysis.ltv.clv import BootstrapCLV
from kuailive_analysis.ltv.compare import MBG, MODELS, RUN_RATE, Comparison
from kuailive_analysis.ltv.evaluate import FitTest
from kuailive_analysis.ltv.gamma_gamma import GammaGamma
from kuailive_analysis.ltv.params import Params
from kuailive_analysis.ltv.scoring import concentration_curve
from kuailive_analysis.ltv.summary import RFMSummary


@dataclass(frozen=True)
class Titles:
    """The titles of the chapter's figures, each stating what its figure shows."""

    histogram: str
    by_frequency: str
    tracking: str
    heatmaps: str
    deciles: str
    ranking: str
    watch_histogram: str
    clv: str
    concentration: str


@dataclass(frozen=True)
class Cohorts(Section):
    """4.1 Transactions and cohorts: the RFM summaries of gifting and watching days."""

    gift: RFMSummary
    watch: RFMSummary
    data_name: str = glued()
    def_gift: str = glued()
    def_watch: str = glued()
    last_cal_day: int = glued()
    holdout_days: int = glued()
    n_gift_users: int = glued()
    share_gift_repeat: float = glued()
    n_gift_late: int = glued()
    n_watch_users: int = glued()
    share_watch_repeat: float = glued()

    @property
    def table(self) -> pd.DataFrame:
        """Mean, median and maximum of the gifting RFM summary, readable names."""
        return tables.rfm(self.gift)


@dataclass(frozen=True)
class Fits(Section):
    """4.2-4.3 The models fitted on gifting days: BG/NBD, Gamma-Gamma, MBG/NBD (None when it
    could not be fitted) and the value per gifting day used when the Gamma-Gamma mean is
    infinite (``fallback_mean``)."""

    bg: BaseBetaGeo
    gg: GammaGamma
    mbg: BaseBetaGeo | None
    fallback_mean: float
    bg_rate: float = glued()
    bg_days_between: float = glued()
    bg_dropout: float = glued()
    time_bg_fit_ms: float = glued()
    time_gg_fit_ms: float = glued()
    bg_ll: float = glued()
    gg_n: int = glued()
    bg_note: str = glued()
    gg_note: str = glued()
    gg_mean_note: str = glued()
    mbg_text: str = glued()

    @property
    def table(self) -> pd.DataFrame:
        """Estimates of the three models with standard errors and 95% intervals."""
        return tables.parameters(self.bg, self.mbg, self.gg)


@dataclass(frozen=True)
class Checks(Section):
    """4.4-4.6 Does BG/NBD describe the data: the frequency histogram and its chi-square test,
    the holdout by calibration frequency, the daily tracking, the heat maps of P(alive) and
    expected transactions, the per-user holdout forecasts and their accuracy against the
    baselines, and the ratio of predicted to actual holdout gifting days with its interval
    (``days_ratio``: ratio, low, high)."""

    histogram: pd.DataFrame
    fit_test: FitTest
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    p_alive_grid: pd.DataFrame
    expected_grid: pd.DataFrame
    forecasts: pd.DataFrame
    accuracy: pd.DataFrame
    days_ratio: tuple[float, float, float]
    fit_test_text: str = glued()
    track_model_hold: float = glued()
    track_actual_hold: float = glued()
    track_ratio: float = glued()
    grid_T: int = glued()
    mae_bg: float = glued()
    mae_past: float = glued()
    mae_pooled: float = glued()
    ratio_bg: float = glued()
    dev_value_bg: float = glued()
    dev_value_past: float = glued()

    @property
    def by_frequency_table(self) -> pd.DataFrame:
        """Mean holdout gifting days by calibration frequency, readable headers."""
        return tables.by_frequency(self.by_frequency)

    @property
    def accuracy_table(self) -> pd.DataFrame:
        """Holdout accuracy of BG/NBD and the baselines on gifting days and value."""
        return tables.accuracy(self.accuracy)


@dataclass(frozen=True)
class Choice(Section):
    """4.7 Choosing the LTV model on the holdout by the rule fixed before it
    (:func:`~kuailive_analysis.ltv.compare.compare`); ``ltv_value`` is the winner's value per
    user over ``horizon_days`` days after the window with its interval
    (:func:`~kuailive_analysis.ltv.compare.per_user_value`; None without a winner)."""

    comparison: Comparison
    ltv_value: tuple[float, float, float] | None
    cmp_rule: str = glued()
    cmp_text: str = glued()
    cmp_training: str = glued()
    cmp_verdict: str = glued()
    cmp_targeting: str = glued()
    cmp_forward: str = glued()
    cmp_baseline: str = glued()
    n_boot_compare: int = glued()

    @property
    def table(self) -> pd.DataFrame:
        """One row per forecast method, one column per score: estimate (interval)."""
        return tables.comparison(self.comparison.scores)

    @property
    def differences_table(self) -> pd.DataFrame:
        """Each method's paired difference to the best baseline, with the interval."""
        c = self.comparison
        return tables.differences(c.differences, c.winner.baseline, c.scores.level)

    @property
    def decile_methods(self) -> tuple[str, ...]:
        """The methods of the decile figure: the winner (else the best model), the other
        models but MBG/NBD (whose forecasts are almost BG/NBD's) and the best baseline."""
        c = self.comparison
        first = c.winner.method or c.winner.best
        models = [m for m in MODELS if m in c.forecasts and m not in (first, MBG)]
        return tuple(x for x in [first, *models, c.winner.baseline] if x)

    @property
    def curves(self) -> dict[str, pd.DataFrame]:
        """Concentration curves of the holdout value over users ranked by the winner (else the
        best model), by the run rate, and by the actual value (the best possible order)."""
        c = self.comparison
        m = c.winner.method or c.winner.best
        names = ([m] if m else []) + [RUN_RATE]
        out = {n: concentration_curve(c.forecasts[n], c.actual) for n in names}
        out["actual value (best order)"] = concentration_curve(c.actual, c.actual)
        return out


@dataclass(frozen=True)
class Watching(Section):
    """4.8 BG/NBD on watching days (``model`` None when it could not be fitted; then
    ``histogram`` is None and ``accuracy`` holds the baselines only)."""

    model: BaseBetaGeo | None
    histogram: pd.DataFrame | None
    accuracy: pd.DataFrame
    watch_every_day: float = glued()
    watch_note: str = glued()
    watch_mae_bg: float | None = glued(".3f")
    watch_mae_past: float = glued()

    @property
    def accuracy_table(self) -> pd.DataFrame:
        """Holdout accuracy on watching days, readable headers."""
        return tables.accuracy(self.accuracy)


@dataclass(frozen=True)
class Value(Section):
    """4.9 Lifetime value under BG/NBD x Gamma-Gamma: the bootstrap, the per-user predictions
    (P(alive), expected gifting days and value, CLV), the top users and the Lorenz curves of
    the predicted CLV and of the calibration value (``curves``)."""

    bootstrap: BootstrapCLV
    predictions: pd.DataFrame
    top_users: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    time_boot_s: float = glued()
    horizon: int = glued()
    discount: float = glued()
    level: float = glued()
    n_boot_ok: int = glued()
    n_boot_failed: int = glued()
    n_boot_degenerate: int = glued()
    clv_status: str = glued()
    clv_total: float = glued()
    clv_total_lo: float = glued()
    clv_total_hi: float = glued()
    clv_median: float = glued()
    clv_top1: float = glued()
    clv_top10: float = glued()
    clv_gini: float = glued()
    cal_top1: float = glued()
    cal_gini: float = glued()

    @property
    def clv(self) -> pd.Series:
        """Predicted CLV per cohort user (point estimate)."""
        return self.bootstrap.per_user["clv"]

    @property
    def top_users_table(self) -> pd.DataFrame:
        """The users with the highest CLV, readable headers."""
        return tables.top_users(self.top_users, self.horizon, self.level)


@dataclass(frozen=True)
class Assumptions(Section):
    """4.10-4.11 What the data cannot check (no planted process), and the models'
    assumptions."""

    rec_intro: str = glued()
    rho_freq_value: float = glued()
    truncation_text: str = glued()
    gg_q: float = glued()


@dataclass(frozen=True)
class LTVResult(ChapterResult):
    """Everything chapter 4 shows (:func:`~kuailive_analysis.ltv.analysis.analyse`)."""

    source: DataSource
    params: Params
    titles: Titles
    cohorts: Cohorts
    fits: Fits
    checks: Checks
    choice: Choice
    watching: Watching
    value: Value
    assumptions: Assumptions

    def findings(self) -> list:
        """The chapter's claims with their checks (:mod:`~kuailive_analysis.ltv.findings`)."""
        return findings.findings(self)
