"""The Cox model: a planted hazard ratio is recovered; the design flags snapshot covariates; the
headline states an association, with the reason it is not an effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.retention import fit_cox
from kuailive_analysis.retention.cox import cox_design, cox_headline


def test_cox_recovers_a_planted_hazard_ratio():
    rng = np.random.default_rng(5)
    n = 1500
    gifted = rng.random(n) < 0.4
    T = rng.exponential(1 / np.where(gifted, 0.1, 0.2))  # HR of gifting = 0.5
    tab = pd.DataFrame(
        {
            "user_id": np.arange(1, n + 1, dtype="int32"),
            "duration": np.minimum(np.ceil(T), 12).astype(int),
            "event": np.ceil(T) <= 12,
        }
    )
    early = pd.DataFrame(
        {
            "user_id": tab["user_id"],
            "early_active_days": rng.integers(1, 4, n),
            "early_watch_ms": rng.integers(0, 10**7, n),
            "early_n_gifts": gifted.astype(int),
        }
    )
    X, labels = cox_design(tab, early)
    res = fit_cox(X, labels, penalizer=0.0)
    row = res.summary.set_index("covariate").loc["early_gifted"]
    assert 0.4 < row["hr"] < 0.62 and row["hr_lo"] < 0.5 < row["hr_hi"]
    assert not row["snapshot"]
    noise = res.summary.set_index("covariate").loc["early_active_days"]
    assert noise["hr_lo"] < 1 < noise["hr_hi"]
    assert 0.55 < res.concordance < 0.7
    assert set(res.ph_test["covariate"]) == set(res.summary["covariate"])
    assert "early_gifted" not in res.ph_violations


def test_cox_design_flags_snapshot_and_drops_constant_columns():
    tab = pd.DataFrame(
        {"user_id": [1, 2, 3, 4], "duration": [1, 2, 3, 4], "event": [True, True, False, True]}
    )
    early = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "early_active_days": [1, 2, 3, 3],
            "early_watch_ms": [0, 1, 2, 3],
            "early_n_gifts": [0, 0, 0, 0],
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "gender": ["F", "M", "F", "M"],
            "tenure_days": [10, 1000, 20, 2000],
            "age": ["18-23", "50+", None, "24-30"],
            "is_live_streamer": [0, 0, 0, 0],
        }
    )
    X, labels = cox_design(tab, early, users, new_account_days=100)
    assert "early_gifted" not in X.columns and "is_live_streamer" not in X.columns  # constant
    assert labels["female"][1] and labels["new_account"] == ("account younger than 100 days", True)
    assert not labels["early_active_days"][1]
    assert list(X["female"]) == [1, 0, 1, 0] and list(X["new_account"]) == [1, 0, 1, 0]
    assert list(X["young"]) == [1, 0, 0, 0]
    assert X["log2_early_watch_h"].iloc[0] == 0 and list(X.columns[:2]) == ["duration", "event"]


def test_cox_result_reads_hazard_ratios_and_violations():
    rng = np.random.default_rng(5)
    n = 400
    x = rng.integers(0, 2, n).astype(float)
    t = np.ceil(rng.exponential(4.0 / np.exp(0.7 * x)))
    design = pd.DataFrame(
        {"duration": np.minimum(t, 12), "event": (t <= 12).astype(int), "early_gifted": x}
    )
    cox = fit_cox(design, {"early_gifted": ("gifted early", False)}, ph_alpha=1.01)
    assert cox.hazard_ratio("early_gifted") == pytest.approx(np.exp(0.7), rel=0.25)
    assert cox.hazard_ratio("early_gifted", "hr_lo") < cox.hazard_ratio("early_gifted")
    assert np.isnan(cox.hazard_ratio("female")) and np.isnan(cox.ph_p("female"))
    assert cox.ph_violations == ["early_gifted"]  # ph_alpha > 1 flags every covariate
    assert cox.label("early_gifted") == "gifted early" and cox.label("x") == "x"
    head = cox_headline(cox.summary, ph_violations=cox.ph_violations)
    assert head.startswith("Strongest association: gifted early, higher churn hazard")
    assert head.endswith(
        "not an effect: proportional hazards fails and the sampling rule selects on it"
    )


def test_cox_headline():
    summ = pd.DataFrame(
        {"label": ["a", "b"], "coef": [0.1, -0.7], "hr": [1.1, 0.5], "p": [0.01, 0.001]}
    )
    assert cox_headline(summ) == (
        "Strongest association: b, lower churn hazard (HR 0.50)\nan association, not an effect"
    )
    assert cox_headline(summ.assign(p=0.5)).startswith("No covariate")
