"""Twin-only checks of chapter 4: recovery of a planted BG/NBD process and of planted values.

The current twin plants no BG/NBD process (its gifts follow clicks), so
:func:`planted_bgnbd` returns None for it and the chapter says there is nothing to recover;
the checks run for a twin whose ``truth.json`` holds ``gift_r``, ``gift_alpha``, ``gift_a``,
``gift_b`` (and per-user ``gift_dropout_ms``, ``churn_ms``, ``gift_mean_value``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import N_WINDOW_DAYS, day_start_ms, days_since_start
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.data.data_source import TRUTH_USERS_FILE
from kuailive_analysis.ltv.bgnbd import BetaGeo, simulate_bgnbd_events
from kuailive_analysis.ltv.evaluate import try_fit_bgnbd
from kuailive_analysis.ltv.summary import rfm_summary

DROPOUT = "mean dropout a/(a+b)"
"""Column of :func:`discretisation_check` with the implied mean dropout per transaction."""
TWIN_FIT_ROW = "fit on the twin's gifting days"
"""Row that :func:`twin_checks` appends to the discretisation table: the fit on the data."""


def param_row(bg: BetaGeo, name: str) -> pd.DataFrame:
    """One row like those of :func:`discretisation_check` for a fitted model."""
    p = bg.params_
    return pd.DataFrame(
        {
            **p,
            "penalizer": getattr(bg, "penalizer_", 0.0),
            "mean rate r/alpha": p["r"] / p["alpha"],
            "mean dropout a/(a+b)": p["a"] / (p["a"] + p["b"]),
        },
        index=pd.Index([name]),
    )


def recovery_table(bg: BetaGeo, planted: dict) -> pd.DataFrame:
    """Fitted vs planted BG/NBD parameters: estimate, 95% interval, planted value, covered,
    plus the implied mean rate ``r/alpha`` and mean dropout ``a/(a+b)``."""
    tab = bg.summary_[["estimate", "ci_low", "ci_high"]].copy()
    tab["planted"] = [planted[k] for k in tab.index]
    tab["covered"] = (tab["ci_low"] <= tab["planted"]) & (tab["planted"] <= tab["ci_high"])
    p = bg.params_
    extra = pd.DataFrame(
        {
            "estimate": [p["r"] / p["alpha"], p["a"] / (p["a"] + p["b"])],
            "planted": [
                planted["r"] / planted["alpha"],
                planted["a"] / (planted["a"] + planted["b"]),
            ],
        },
        index=pd.Index(["mean rate r/alpha (per day)", "mean dropout a/(a+b)"]),
    )
    return pd.concat([tab, extra])


def planted_bgnbd(truth: dict | None) -> dict | None:
    """The twin's planted BG/NBD gifting parameters ``{r, alpha, a, b}`` from
    ``Dataset.truth`` (``truth.json`` ``params.gift_r`` ...), or None for real data."""
    if not truth or not truth.get("params"):
        return None
    prm = truth["params"].get("params", truth["params"])
    try:
        return {k: float(prm[f"gift_{k}"]) for k in ("r", "alpha", "a", "b")}
    except KeyError:
        return None


def _summary_from_times(ci, t, calibration_days: int, n_days: int, grid: bool) -> pd.DataFrame:
    if grid:
        ev = pd.DataFrame({"user_id": ci + 1, "day": np.floor(t).astype(np.int64)})
        ev = ev[(ev["day"] >= 0) & (ev["day"] < n_days)]
        s = rfm_summary(ev, calibration_days=calibration_days, n_days=n_days)
        return s
    df = pd.DataFrame({"c": ci, "t": t})
    df = df[df["t"] < calibration_days]
    g = df.groupby("c")["t"].agg(["min", "max", "size"])
    # times rounded to 0.01 day (15 min) so that the fit can pool identical rows
    return pd.DataFrame(
        {
            "frequency_cal": g["size"] - 1,
            "recency_cal": (g["max"] - g["min"]).round(2),
            "T_cal": (calibration_days - g["min"]).round(2),
        }
    )


def discretisation_check(
    planted: dict,
    birth_days,
    stop_days,
    *,
    calibration_days: int,
    n_days: int = N_WINDOW_DAYS,
    n_sim: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Where does the bias of a BG/NBD fit on gifting *days* come from? Simulate the planted
    process with the twin's birth (first-gift) times and stop times (activity churn), adding
    one departure from the model at a time, and fit BG/NBD to each:

    1. ``continuous BG/NBD``: exact model, continuous event times, observed to the window end;
    2. ``+ counted as gifting days``: the same events, one transaction per Beijing day;
    3. ``+ dropout after the first gift``: the customer may leave right after the first gift;
    4. ``+ stopped at activity churn``: gifting also ends when the user's activity ends
       (the twin's full process).

    Births are resampled (with replacement) to ``n_sim`` customers. Returns one row per
    variant with the fitted r, alpha, a, b, the penalizer used and the mean rate and dropout.
    """
    rng = np.random.default_rng(seed)
    birth_days, stop_days = np.asarray(birth_days, float), np.asarray(stop_days, float)
    keep = birth_days < calibration_days
    pick = rng.integers(0, int(keep.sum()), n_sim)
    b, st = birth_days[keep][pick], np.minimum(stop_days[keep][pick], n_days)
    variants = [
        ("continuous BG/NBD", False, False, False),
        ("+ counted as gifting days", True, False, False),
        ("+ dropout after the first gift", True, True, False),
        ("+ stopped at activity churn", True, True, True),
    ]
    rows = {}
    for name, grid, at_birth, churn in variants:
        ci, t = simulate_bgnbd_events(
            planted, b, st if churn else float(n_days), dropout_at_birth=at_birth, rng=seed + 1
        )
        s = _summary_from_times(ci, t, calibration_days, n_days, grid)
        bg, note = try_fit_bgnbd(s)
        p = bg.params_ if bg is not None else dict.fromkeys(("r", "alpha", "a", "b"), np.nan)
        rows[name] = {
            **p,
            "penalizer": getattr(bg, "penalizer_", np.nan),
            "mean rate r/alpha": p["r"] / p["alpha"],
            "mean dropout a/(a+b)": p["a"] / (p["a"] + p["b"]),
        }
    rows = {
        "planted": {
            **planted,
            "penalizer": np.nan,
            "mean rate r/alpha": planted["r"] / planted["alpha"],
            "mean dropout a/(a+b)": planted["a"] / (planted["a"] + planted["b"]),
        },
        **rows,
    }
    return pd.DataFrame(rows).T


def twin_alive_check(
    p_alive: pd.Series, truth_users: pd.DataFrame, calibration_days: int, n_bins: int = 5
) -> pd.DataFrame:
    """Calibration of P(alive) against the twin's planted truth.

    A user is **truly alive** at the end of calibration (``WINDOW_START + calibration_days``
    days) if the planted gifting process had not stopped by then: no BG/NBD dropout before it
    (``gift_dropout_ms == -1`` or later) and no activity churn before it (``churn_ms``).
    Users are grouped into ``n_bins`` quantile bins of predicted P(alive); per bin: users,
    mean predicted P(alive), share truly alive.
    """
    need = ["user_id", "gift_dropout_ms", "churn_ms"]
    require_columns(truth_users, need, TRUTH_USERS_FILE)
    end = day_start_ms(calibration_days)
    tu = truth_users.set_index("user_id").reindex(p_alive.index)
    drop = tu["gift_dropout_ms"].to_numpy()
    alive = ((drop < 0) | (drop >= end)) & (tu["churn_ms"].to_numpy() >= end)
    df = pd.DataFrame({"p_alive": p_alive.to_numpy(), "alive": alive})
    df["bin"] = pd.qcut(df["p_alive"].rank(method="first"), n_bins, labels=False)
    out = df.groupby("bin").agg(
        n_users=("alive", "size"), predicted=("p_alive", "mean"), truly_alive=("alive", "mean")
    )
    out.index.name = "P(alive) bin (low to high)"
    return out


def spend_check(expected_spend: pd.Series, truth_users: pd.DataFrame) -> float:
    """Spearman correlation of predicted value per gifting day with the planted
    ``gift_mean_value`` (expected value per gifting day) across cohort users."""
    tv = truth_users.set_index("user_id")["gift_mean_value"].reindex(expected_spend.index)
    return float(expected_spend.rank().corr(tv.rank()))


@dataclass(frozen=True)
class TwinChecks:
    """The planted-truth checks of chapter 4 (every field None when nothing was planted):
    ``planted`` BG/NBD parameters, ``recovery`` (:func:`recovery_table`), ``discretisation``
    (:func:`discretisation_check` plus the fit on the data, row :data:`TWIN_FIT_ROW`),
    ``alive_check`` (:func:`twin_alive_check`) and ``spend_rho`` (:func:`spend_check`)."""

    planted: dict | None = None
    recovery: pd.DataFrame | None = None
    discretisation: pd.DataFrame | None = None
    alive_check: pd.DataFrame | None = None
    spend_rho: float | None = None


def twin_checks(
    truth: dict | None,
    bg: BetaGeo,
    summary: pd.DataFrame,
    predictions: pd.DataFrame,
    *,
    calibration_days: int,
    seed: int = 0,
) -> TwinChecks:
    """All planted-truth checks of a BG/NBD fit on gifting days (``predictions`` from
    :func:`~kuailive_analysis.ltv.clv.clv_table`); empty when ``truth`` plants no BG/NBD
    process (:func:`planted_bgnbd`)."""
    planted = planted_bgnbd(truth)
    if planted is None:
        return TwinChecks()
    tu = truth["users"]
    disc = discretisation_check(
        planted,
        days_since_start(tu["gift_birth_ms"]),
        days_since_start(tu["churn_ms"]),
        calibration_days=calibration_days,
        seed=seed,
    )
    return TwinChecks(
        planted=planted,
        recovery=recovery_table(bg, planted),
        discretisation=pd.concat([disc, param_row(bg, TWIN_FIT_ROW)]),
        alive_check=twin_alive_check(predictions["p_alive"], tu, calibration_days),
        spend_rho=spend_check(predictions["expected_spend"], tu),
    )
