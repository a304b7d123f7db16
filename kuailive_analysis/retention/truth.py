"""Validation on the synthetic twin: Kaplan-Meier against the planted lifetimes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_DAY, beijing_day
from kuailive_analysis.retention.checks import RetentionError, fit_ready, require
from kuailive_analysis.retention.kaplan_meier import fit_km, km_table


def true_durations(
    table: pd.DataFrame, truth_users: pd.DataFrame, *, id_col: str = "user_id"
) -> pd.DataFrame:
    """Planted lifetimes on the same clock as :func:`survival_table`.

    The twin records ``churn_ms`` (end of the planted active lifetime, possibly after the
    window). On the survival clock the true event time is the relative day of the churn
    moment, ``T_true = day(churn_ms - 1) - f + 1`` (at least 1: the entry day is active), so a
    user active every day until churn has ``T == T_true``. Truth has no censoring.
    Returns ``[id_col, T_true, life_days]``, ``life_days = (churn_ms - entry_ms) / day``.
    """
    require(truth_users, [id_col, "churn_ms"], "truth users")
    d = table[[id_col, "first_day"]].merge(truth_users, on=id_col, how="left")
    if d["churn_ms"].isna().any():
        n = int(d["churn_ms"].isna().sum())
        raise RetentionError(f"truth users lack churn_ms for {n} user(s) of the survival table.")
    churn_day = beijing_day(d["churn_ms"].astype("int64") - 1)
    t_true = np.maximum(churn_day - d["first_day"].astype(int) + 1, 1)
    out = pd.DataFrame({id_col: d[id_col], "T_true": t_true.astype("int64")})
    if "entry_ms" in d.columns:
        life_ms = d["churn_ms"].astype("int64") - d["entry_ms"].astype("int64")
        out["life_days"] = life_ms / MS_PER_DAY
    return out


def true_vs_km(
    table: pd.DataFrame, truth_users: pd.DataFrame, *, times=None, id_col: str = "user_id"
) -> pd.DataFrame:
    """KM estimate vs the true survival ``P(T_true > t)`` of the same (eligible) users.

    Columns: t, km, lo, hi (KM band), truth, diff (km - truth), in_band (truth inside the band).
    """
    tab = fit_ready(table)
    kmf = fit_km(tab)
    if times is None:
        times = np.arange(1, int(tab["duration"].max()) + 1)
    tr = true_durations(tab, truth_users, id_col=id_col)["T_true"].to_numpy()
    out = km_table(kmf, times).rename(columns={"survival": "km"})
    out["truth"] = [(tr > t).mean() for t in out["t"]]
    out["diff"] = out["km"] - out["truth"]
    out["in_band"] = (out["truth"] >= out["lo"]) & (out["truth"] <= out["hi"])
    return out


def has_truth(truth: dict | None) -> bool:
    """True when a Dataset's ``truth`` holds the planted per-user lifetimes (``churn_ms``)."""
    users = (truth or {}).get("users")
    return users is not None and "churn_ms" in users.columns


@dataclass
class TruthComparison:
    """KM against the planted survival for two activity definitions (:func:`true_vs_km`
    frames): ``chosen`` (the chapter's ``activity_behaviours``) and ``presence`` (every
    behaviour including unclicked exposures), with their legend labels."""

    chosen: pd.DataFrame
    presence: pd.DataFrame
    chosen_label: str
    presence_label: str = "KM, active incl. exposures"
    min_coverage: float = 0.8
    """The validation threshold: the KM recovers the planted curve when the truth lies inside
    its 95% band on at least this share of the days compared."""

    @property
    def t_max(self) -> float:
        """The last day compared."""
        return float(self.chosen["t"].max())

    @property
    def max_gap(self) -> float:
        """Largest |KM - truth| over the days compared (chosen definition)."""
        return float(self.chosen["diff"].abs().max())

    @property
    def max_gap_presence(self) -> float:
        """Largest |KM - truth| when exposures also count as activity."""
        return float(self.presence["diff"].abs().max())

    @property
    def share_in_band(self) -> float:
        """Share of the days on which the truth lies inside the KM 95% band."""
        return float(self.chosen["in_band"].mean())

    @property
    def coverage(self) -> float:
        """Coverage of the band: the share of days the planted curve lies inside the KM 95%
        band (same as :attr:`share_in_band`)."""
        return self.share_in_band

    @property
    def passes(self) -> bool:
        """True when the coverage reaches :attr:`min_coverage`."""
        return self.coverage >= self.min_coverage

    @property
    def mean_bias(self) -> float:
        """Mean of KM - truth over the days compared (negative: KM below the truth)."""
        return float(self.chosen["diff"].mean())

    @property
    def title(self) -> str:
        """What the validation figure shows (the number, not a hoped-for claim)."""
        return (
            f"KM vs planted survival: truth inside the 95% band on {self.coverage:.0%} of "
            f"days (max gap {self.max_gap:.1%})"
        )

    def curves(self) -> dict:
        """{legend label: comparison frame} for :func:`plots.retention.km_vs_truth`."""
        return {self.chosen_label: self.chosen, self.presence_label: self.presence}
