"""Cox proportional hazards on days to churn: design matrix, fit, proportional-hazards test."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR
from kuailive_analysis.retention.checks import RetentionError, require

SELECTED_COVARIATES = ("early_gifted", "early_commented", "early_liked")
"""Covariates the sampling rule confounds: KuaiLive kept only users who clicked, commented,
liked and gifted in the window, so a short lifetime forces these behaviours into its first
days. Their hazard ratios describe the sample, never an effect of the behaviour."""

PROFILE_COVARIATES = (  # (users column, design column, readable name, 0/1 value)
    ("gender", "female", "female (vs male/other)", lambda v, _: v.astype("string") == "F"),
    ("tenure_days", "new_account", None, lambda v, days: v < days),
    ("age", "young", "age band under 24", lambda v, _: v.astype("string").isin(["12-17", "18-23"])),
    (
        "device_price",
        "device_price_4000_plus",
        "device price 4000+ CNY",
        lambda v, _: v.astype("string").isin(["4000-5000", "5000+"]),
    ),
    ("is_live_streamer", "is_live_streamer", "also a live streamer", lambda v, _: v.fillna(0)),
)
"""The profile snapshot covariates of :func:`cox_design`."""


@dataclass
class CoxResult:
    """A fitted Cox model and its reading (:func:`fit_cox`).

    ``summary``: one row per covariate (covariate, label, snapshot, coef, hr = exp(coef), hr_lo,
    hr_hi (95% CI), p); ``concordance``: Harrell's C on the fitting data; ``ph_test``: the
    proportional-hazards test per covariate (covariate, test_statistic, p);
    ``ph_violations``: the covariates with p < ``ph_alpha``; ``warnings``: messages of the
    warnings raised while fitting (kept here instead of being printed into the chapter);
    ``labels``: covariate -> (readable name, snapshot flag), from :func:`cox_design`.
    """

    model: object
    design: pd.DataFrame
    summary: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    ph_violations: list
    warnings: list
    labels: dict = field(default_factory=dict)

    def hazard_ratio(self, covariate: str, column: str = "hr") -> float:
        """``column`` (hr, hr_lo, hr_hi, p, ...) of ``covariate``; NaN when the covariate is not
        in the model (dropped for lack of variation)."""
        s = self.summary.set_index("covariate")
        return float(s.loc[covariate, column]) if covariate in s.index else float("nan")

    def ph_p(self, covariate: str) -> float:
        """The proportional-hazards test p-value of ``covariate`` (NaN when absent)."""
        s = self.ph_test.set_index("covariate")
        return float(s.loc[covariate, "p"]) if covariate in s.index else float("nan")

    def label(self, covariate: str) -> str:
        """The readable name of ``covariate``."""
        return self.labels.get(covariate, (covariate,))[0]


def cox_design(
    table: pd.DataFrame,
    early: pd.DataFrame,
    users: pd.DataFrame | None = None,
    *,
    new_account_days: int = 365,
    id_col: str = "user_id",
) -> tuple[pd.DataFrame, dict]:
    """The covariate matrix of the Cox model, one row per user of ``table``.

    Early-activity covariates (measured in the first w days only): ``early_active_days``,
    ``log2_early_watch_h`` = log2(1 + hours watched) (the HR is per doubling),
    ``early_commented``, ``early_liked``, ``early_gifted`` (0/1). Profile snapshot covariates
    (end of window, flagged): :data:`PROFILE_COVARIATES`, ``new_account`` meaning registered
    fewer than ``new_account_days`` days before the window. Columns without variation are
    dropped.

    Parameters
    ----------
    table, early : DataFrame
        A survival table (duration and event are kept) and :func:`early_activity` of its users.
    users : DataFrame, optional
        The users table (without it, no snapshot covariates).
    new_account_days, id_col : int, str
        The cut of ``new_account``; the id column.

    Returns
    -------
    tuple of (DataFrame, dict)
        The design (duration, event, covariates) and covariate -> (readable name, snapshot).
    """
    require(early, [id_col, "early_active_days", "early_watch_ms"], "early activity")
    d = table[[id_col, "duration", "event"]].merge(early, on=id_col, how="left")
    X = pd.DataFrame({"duration": d["duration"].astype(float), "event": d["event"].astype(int)})
    X["early_active_days"] = d["early_active_days"].astype(float)
    X["log2_early_watch_h"] = np.log2(1 + d["early_watch_ms"].astype(float) / MS_PER_HOUR)
    labels = {
        "early_active_days": ("active days in early window (per day)", False),
        "log2_early_watch_h": ("early watch time (per doubling of 1 + hours)", False),
    }
    for src, name in (("comments", "commented"), ("likes", "liked"), ("gifts", "gifted")):
        if f"early_n_{src}" in d.columns:
            X[f"early_{name}"] = (d[f"early_n_{src}"] > 0).astype(float)
            labels[f"early_{name}"] = (f"{name} early", False)
    if users is not None:
        u = d[[id_col]].merge(users, on=id_col, how="left")
        for col, name, text, flag in PROFILE_COVARIATES:
            if col in u.columns:
                X[name] = flag(u[col], new_account_days).fillna(False).astype(float)
                labels[name] = (text or f"account younger than {new_account_days} days", True)
    flat = [c for c in labels if X[c].nunique() < 2]
    return X.drop(columns=flat), {k: v for k, v in labels.items() if k not in flat}


def fit_cox(
    design: pd.DataFrame,
    labels: dict | None = None,
    *,
    penalizer: float = 0.01,
    ph_alpha: float = 0.01,
) -> CoxResult:
    """Cox proportional hazards on days to churn, with the test of proportional hazards.

    The hazard of user :math:`j` is :math:`h(t \\mid x_j) = h_0(t) \\exp(\\beta^\\top x_j)`;
    :math:`\\beta` maximises Efron's partial likelihood for tied days with a small ridge
    penalty :math:`\\lambda` (numerical stability): with :math:`D_i` the users churning at
    :math:`t_i` (:math:`d_i` of them) and :math:`R_i` those at risk,

    .. math::

        \\ell(\\beta) = \\sum_i \\Bigl[\\sum_{j \\in D_i} \\beta^\\top x_j -
        \\sum_{l=0}^{d_i - 1} \\log\\Bigl(\\sum_{k \\in R_i} e^{\\beta^\\top x_k} -
        \\frac{l}{d_i} \\sum_{k \\in D_i} e^{\\beta^\\top x_k}\\Bigr)\\Bigr] -
        \\frac{\\lambda}{2} \\lVert \\beta \\rVert^2 .

    The hazard ratio of a covariate is :math:`e^{\\beta}` (Wald 95% interval). Proportional
    hazards is tested per covariate with the scaled Schoenfeld residuals :math:`r^*_{i}` at
    the event times against :math:`g(t_i)`, the rank of time (Grambsch and Therneau), with
    :math:`d` events:

    .. math::

        T = \\frac{\\bigl[\\sum_i (g(t_i) - \\bar g)\\, r^*_i\\bigr]^2}
        {d\\, \\widehat{\\text{Var}}(\\hat\\beta) \\sum_i (g(t_i) - \\bar g)^2}
        \\sim \\chi^2_1 .

    Parameters
    ----------
    design, labels : DataFrame, dict
        :func:`cox_design`: duration, event and covariates; covariate -> (name, snapshot).
    penalizer, ph_alpha : float
        :math:`\\lambda`; a covariate whose test p-value is below ``ph_alpha`` violates
        proportional hazards.

    Returns
    -------
    CoxResult
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    require(design, ["duration", "event"], "Cox design")
    if design["event"].sum() < 2:
        raise RetentionError("Cox design has fewer than 2 churn events; cannot fit.")
    cph = CoxPHFitter(penalizer=penalizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph.fit(design, duration_col="duration", event_col="event")
        ph = proportional_hazard_test(cph, design, time_transform="rank").summary
    notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    labels = dict(labels or {})
    s = cph.summary
    summ = pd.DataFrame(
        {
            "covariate": s.index,
            "label": [labels.get(c, (c, False))[0] for c in s.index],
            "snapshot": [bool(labels.get(c, (c, False))[1]) for c in s.index],
            "coef": s["coef"].to_numpy(),
            "hr": s["exp(coef)"].to_numpy(),
            "hr_lo": s["exp(coef) lower 95%"].to_numpy(),
            "hr_hi": s["exp(coef) upper 95%"].to_numpy(),
            "p": s["p"].to_numpy(),
        }
    ).reset_index(drop=True)
    ph = ph.reset_index().rename(columns={"index": "covariate"})[
        ["covariate", "test_statistic", "p"]
    ]
    viol = ph.loc[ph["p"] < ph_alpha, "covariate"].tolist()
    return CoxResult(cph, design, summ, float(cph.concordance_index_), ph, viol, notes, labels)


def cox_headline(
    summary: pd.DataFrame,
    alpha: float = 0.05,
    *,
    ph_violations=(),
    selected=SELECTED_COVARIATES,
) -> str:
    """What the forest plot shows: the covariate with the largest |log HR| among those with
    p < alpha, stated as an association, with the reason it is not an effect when proportional
    hazards fails for it or the sampling rule selects on it."""
    sig = summary[summary["p"] < alpha]
    if sig.empty:
        return f"No covariate is associated with the churn hazard at p < {alpha:g}"
    r = sig.loc[sig["coef"].abs().idxmax()]
    way = "higher" if r["hr"] > 1 else "lower"
    text = f"Strongest association: {r['label']}, {way} churn hazard (HR {r['hr']:.2f})"
    why = []
    if r.get("covariate") in set(ph_violations):
        why.append("proportional hazards fails")
    if r.get("covariate") in set(selected):
        why.append("the sampling rule selects on it")
    return text + (
        f"\nnot an effect: {' and '.join(why)}" if why else "\nan association, not an effect"
    )
