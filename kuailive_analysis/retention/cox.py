"""Cox proportional hazards on days to churn: design matrix, fit, proportional-hazards test."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR
from kuailive_analysis.retention.checks import RetentionError, require


@dataclass
class CoxResult:
    """A fitted Cox model and its reading.

    ``summary``: one row per covariate with hr = exp(coef), hr_lo / hr_hi (95% CI), p, and
    ``snapshot`` (True for end-of-window profile fields). ``concordance``: Harrell's C on the
    fitting data. ``ph_test``: per-covariate test of proportional hazards (scaled Schoenfeld
    residuals against the rank of time): test_statistic, p; ``ph_violations``: covariates with
    p < ``ph_alpha``. ``warnings``: messages of warnings raised while fitting (e.g. convergence),
    kept here instead of being printed into the chapter. ``labels``: covariate -> (readable
    name, snapshot flag), from :func:`cox_design`.
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

    def label(self, covariate: str) -> str:
        """The readable name of ``covariate``."""
        return self.labels.get(covariate, (covariate,))[0]

    @property
    def violation_names(self) -> str:
        """The readable names of the covariates flagged by the PH test, or 'none'."""
        return ", ".join(self.label(c) for c in self.ph_violations) or "none"

    @property
    def warnings_text(self) -> str:
        """The fitting warnings joined by '; ', or 'none'."""
        return "; ".join(self.warnings) or "none"

    def headline(self, alpha: float = 0.05) -> str:
        """One-line title of the forest plot (:func:`cox_headline`), an association."""
        return cox_headline(self.summary, alpha, ph_violations=self.ph_violations)

    def ph_p(self, covariate: str) -> float:
        """The proportional-hazards test p-value of ``covariate`` (NaN when absent)."""
        s = self.ph_test.set_index("covariate")
        return float(s.loc[covariate, "p"]) if covariate in s.index else float("nan")


def cox_design(
    table: pd.DataFrame,
    early: pd.DataFrame,
    users: pd.DataFrame | None = None,
    *,
    new_account_days: int = 365,
    id_col: str = "user_id",
) -> tuple[pd.DataFrame, dict]:
    """Covariate matrix for the Cox model, one row per user of ``table`` (duration, event kept).

    Early-activity covariates (from :func:`early_activity`, measured in the first w days only):
    ``early_active_days`` (days active of w), ``log2_early_watch_h`` (log2(1 + hours watched):
    the HR is per doubling), ``early_commented``, ``early_liked``, ``early_gifted`` (0/1).
    Snapshot covariates (end-of-window profile, flagged): ``female`` (vs male), ``new_account``
    (registered < ``new_account_days`` before the window), ``young`` (age band under 24),
    ``device_price_4000_plus``, ``is_live_streamer``. Columns without variation are dropped.
    Returns ``(design, labels)`` where labels maps column -> (readable name, snapshot flag).
    """
    require(early, [id_col, "early_active_days", "early_watch_ms"], "early activity")
    d = table[[id_col, "duration", "event"]].merge(early, on=id_col, how="left")
    X = pd.DataFrame({"duration": d["duration"].astype(float), "event": d["event"].astype(int)})
    labels = {}
    X["early_active_days"] = d["early_active_days"].astype(float)
    labels["early_active_days"] = ("active days in early window (per day)", False)
    X["log2_early_watch_h"] = np.log2(1 + d["early_watch_ms"].astype(float) / MS_PER_HOUR)
    labels["log2_early_watch_h"] = ("early watch time (per doubling of 1 + hours)", False)
    for src, name, text in (
        ("early_n_comments", "early_commented", "commented early"),
        ("early_n_likes", "early_liked", "liked early"),
        ("early_n_gifts", "early_gifted", "gifted early"),
    ):
        if src in d.columns:
            X[name] = (d[src] > 0).astype(float)
            labels[name] = (text, False)
    if users is not None:
        u = d[[id_col]].merge(users, on=id_col, how="left")
        if "gender" in u.columns:
            g = u["gender"].astype("string")
            X["female"] = (g == "F").fillna(False).astype(float)
            labels["female"] = ("female (vs male/other)", True)
        if "tenure_days" in u.columns:
            X["new_account"] = (u["tenure_days"] < new_account_days).fillna(False).astype(float)
            labels["new_account"] = (f"account younger than {new_account_days} days", True)
        if "age" in u.columns:
            a = u["age"].astype("string")
            X["young"] = a.isin(["12-17", "18-23"]).fillna(False).astype(float)
            labels["young"] = ("age band under 24", True)
        if "device_price" in u.columns:
            p = u["device_price"].astype("string")
            X["device_price_4000_plus"] = p.isin(["4000-5000", "5000+"]).fillna(False).astype(float)
            labels["device_price_4000_plus"] = ("device price 4000+ CNY", True)
        if "is_live_streamer" in u.columns:
            X["is_live_streamer"] = u["is_live_streamer"].fillna(0).astype(float)
            labels["is_live_streamer"] = ("also a live streamer", True)
    covs = [c for c in X.columns if c not in ("duration", "event")]
    flat = [c for c in covs if X[c].nunique() < 2]
    X = X.drop(columns=flat)
    labels = {k: v for k, v in labels.items() if k not in flat}
    return X, labels


def fit_cox(
    design: pd.DataFrame,
    labels: dict | None = None,
    *,
    penalizer: float = 0.01,
    ph_alpha: float = 0.01,
) -> CoxResult:
    """Cox proportional hazards on days to churn (Efron ties), small ridge ``penalizer`` for
    numerical stability; hazard ratios with 95% CIs, concordance and the PH test."""
    import warnings

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
    ph = ph.reset_index().rename(columns={"index": "covariate"})
    ph = ph[["covariate", "test_statistic", "p"]]
    viol = ph.loc[ph["p"] < ph_alpha, "covariate"].tolist()
    return CoxResult(cph, design, summ, float(cph.concordance_index_), ph, viol, notes, labels)


SELECTED_COVARIATES = ("early_gifted", "early_commented", "early_liked")
"""Covariates the sampling rule confounds: KuaiLive kept only users who clicked, commented,
liked and gifted in the window, so a short lifetime forces these behaviours into its first
days. Their hazard ratios describe the sample, never an effect of the behaviour."""


def cox_headline(
    summary: pd.DataFrame,
    alpha: float = 0.05,
    *,
    ph_violations=(),
    selected=SELECTED_COVARIATES,
) -> str:
    """One-line title for the forest plot: the covariate with the largest |log HR| among
    those with p < alpha, stated as an association, with the reason it is not an effect when
    proportional hazards fails for it or the sampling rule selects on it."""
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
