"""Validation and reporting tables for the LTV chapter (frames in, frames out).

All functions take a fitted :class:`~kuailive_analysis.ltv.BetaGeo` (and
:class:`~kuailive_analysis.ltv.GammaGamma`) and an :func:`~kuailive_analysis.ltv.rfm_summary`
frame (one row per cohort user; time unit = day). Conventions:

* calibration frequency is grouped as ``0, 1, ..., max_x - 1`` and ``max_x+`` (last group);
* the **past-rate baseline** predicts ``x / T * t`` holdout transactions (a user's own repeat
  rate so far; users with ``T = 0`` get the cohort's pooled rate ``sum x / sum T``), and the
  **pooled-rate baseline** gives every user ``sum x / sum T * t``;
* holdout **value** predictions multiply transactions by the Gamma-Gamma expected value per
  transaction (model) or by the user's own calibration mean value per transaction day
  (baseline; the pooled mean for users without one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.ltv import (
    BetaGeo,
    ConvergenceError,
    GammaGamma,
    rfm_summary,
    simulate_bgnbd_events,
)
from kuailive_analysis.core.calendar import N_WINDOW_DAYS, day_start_ms
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.data_source import TRUTH_USERS_FILE


def _xtT(summary: pd.DataFrame):
    return (summary["frequency_cal"].to_numpy(float), summary["recency_cal"].to_numpy(float),
            summary["T_cal"].to_numpy(float))


def _freq_group(x: np.ndarray, max_x: int) -> pd.Categorical:
    labels = [str(i) for i in range(max_x)] + [f"{max_x}+"]
    return pd.Categorical.from_codes(np.minimum(x, max_x).astype(int), labels, ordered=True)


PENALIZERS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
"""Ridge strengths tried in turn by :func:`try_fit_bgnbd` / :func:`try_fit_gamma_gamma`."""


def try_fit_bgnbd(summary: pd.DataFrame, penalizers=PENALIZERS) -> tuple[BetaGeo | None, str]:
    """Fit BG/NBD on a summary, unpenalised first, then with growing ``penalizer`` if the
    plain MLE is on the boundary. Returns ``(model, note)``: the note is empty for a plain
    fit, else says why the plain fit failed and which penalizer was used; ``(None, reason)``
    when every attempt fails."""
    return _try(lambda c: BetaGeo().fit(*_xtT(summary), penalizer=c), penalizers)


def try_fit_gamma_gamma(summary: pd.DataFrame, penalizers=PENALIZERS
                        ) -> tuple[GammaGamma | None, str]:
    """Fit Gamma-Gamma on the repeat customers, as :func:`try_fit_bgnbd`."""
    return _try(lambda c: GammaGamma().fit(summary["frequency_cal"], summary["monetary_cal"],
                                           penalizer=c), penalizers)


def _try(fit, penalizers):
    first = ""
    for c in penalizers:
        try:
            model = fit(c)
        except (ConvergenceError, ValueError) as e:
            first = first or str(e)
            continue
        reason = first.split(";")[0].split(" (eigenvalues")[0]
        note = "" if c == 0 else (f"The unpenalised fit has no interior optimum ({reason}), so "
                                  f"the fit adds a ridge penalty {c:g} on the log-parameters.")
        return model, note
    return None, first


def parameter_table(bg: BetaGeo | None = None, gg: GammaGamma | None = None) -> pd.DataFrame:
    """Estimates, SEs and 95% intervals of both models stacked, with derived quantities:
    mean transaction rate ``r/alpha`` (per day) and mean dropout probability ``a/(a+b)``."""
    parts = []
    if bg is not None:
        parts.append(bg.summary_.assign(model="BG/NBD"))
    if gg is not None:
        parts.append(gg.summary_.assign(model="Gamma-Gamma"))
    return pd.concat(parts).reset_index().set_index(["model", "parameter"])


def frequency_histogram(bg: BetaGeo, summary: pd.DataFrame, max_x: int = 7) -> pd.DataFrame:
    """Number of users by calibration frequency: actual and expected under the model
    (``sum_i P(X(T_i) = x)``); index ``0 .. max_x-1, max_x+``."""
    x, _, T = _xtT(summary)
    grp = _freq_group(x, max_x)
    actual = pd.Series(grp).value_counts(sort=False)
    model = bg.expected_frequency_histogram(T, max_x)
    return pd.DataFrame({"actual": actual.to_numpy(), "model": model},
                        index=pd.Index(actual.index.astype(str), name="frequency_cal"))


def baseline_predictions(summary: pd.DataFrame, t: float) -> pd.DataFrame:
    """Past-rate and pooled-rate predictions of holdout transactions (module docstring)."""
    x, _, T = _xtT(summary)
    pooled = x.sum() / max(T.sum(), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(T > 0, x / T, pooled)
    return pd.DataFrame({"past_rate": own * t, "pooled_rate": np.full(x.size, pooled * t)},
                        index=summary.index)


def holdout_by_frequency(bg: BetaGeo, summary: pd.DataFrame, max_x: int = 7) -> pd.DataFrame:
    """Mean holdout transactions by calibration frequency: actual, model (conditional
    expectation over the holdout length) and the past-rate baseline; with group sizes."""
    x, tx, T = _xtT(summary)
    t = float(summary["duration_holdout"].iloc[0])
    df = pd.DataFrame({
        "frequency_cal": _freq_group(x, max_x),
        "actual": summary["frequency_holdout"].to_numpy(float),
        "model": bg.expected_purchases(t, x, tx, T),
        "past_rate": baseline_predictions(summary, t)["past_rate"].to_numpy(),
    })
    out = df.groupby("frequency_cal", observed=False).agg(
        n_users=("actual", "size"), actual=("actual", "mean"), model=("model", "mean"),
        past_rate=("past_rate", "mean"))
    out.index = out.index.astype(str)
    return out


def tracking(bg: BetaGeo, summary: pd.DataFrame, repeats_by_day: np.ndarray) -> pd.DataFrame:
    """Daily and cumulative repeat transactions of the cohort: actual vs model.

    A user first seen on day ``f`` has, by the end of day ``d >= f``, ``X(d - f)`` repeat
    transactions; the model's cumulative curve is ``sum_f n_f E[X(max(d - f, 0))]`` (the
    unconditional expectation, as in FHL 2005 Fig. 2), its daily curve the differences.
    """
    n_days = len(repeats_by_day)
    first = summary["first_day"].to_numpy().astype(int)
    n_f = np.bincount(first, minlength=n_days)
    d = np.arange(n_days)
    lag = np.clip(d[:, None] - np.arange(n_days)[None, :], 0, None).astype(float)
    cum = bg.expected_purchases_new(lag) @ n_f
    act = np.asarray(repeats_by_day, float)
    return pd.DataFrame({"actual": act, "model": np.diff(np.r_[0.0, cum]),
                         "actual_cum": np.cumsum(act), "model_cum": cum},
                        index=pd.Index(d, name="day"))


def _metrics(pred: np.ndarray, act: np.ndarray) -> dict:
    if not np.all(np.isfinite(pred)):
        nan = float("nan")
        return {"MAE": nan, "RMSE": nan, "correlation": nan, "total_predicted": nan,
                "total_actual": act.sum(), "total_ratio": nan}
    err = pred - act
    return {"MAE": np.mean(np.abs(err)), "RMSE": np.sqrt(np.mean(err ** 2)),
            "correlation": (np.corrcoef(pred, act)[0, 1] if pred.std() > 0 and act.std() > 0
                            else np.nan),
            "total_predicted": pred.sum(), "total_actual": act.sum(),
            "total_ratio": pred.sum() / act.sum() if act.sum() > 0 else np.nan}


def holdout_accuracy(bg: BetaGeo, summary: pd.DataFrame, gg: GammaGamma | None = None,
                     fallback_mean: float | None = None) -> pd.DataFrame:
    """Per-user holdout accuracy of the model and the baselines.

    Rows: (target, method) with target ``transactions`` (holdout transaction days) and, when
    ``gg`` is given, ``value`` (holdout value; ``fallback_mean`` as in
    :meth:`GammaGamma.expected_spend`). Columns: MAE, RMSE, correlation,
    total_predicted, total_actual, total_ratio (predicted / actual totals).
    """
    x, tx, T = _xtT(summary)
    t = float(summary["duration_holdout"].iloc[0])
    act = summary["frequency_holdout"].to_numpy(float)
    base = baseline_predictions(summary, t)
    preds = {"BG/NBD": bg.expected_purchases(t, x, tx, T),
             "past rate": base["past_rate"].to_numpy(),
             "pooled rate": base["pooled_rate"].to_numpy()}
    rows = {("transactions", k): _metrics(v, act) for k, v in preds.items()}
    if gg is not None:
        actv = summary["value_holdout"].to_numpy(float)
        m = summary["monetary_cal"].to_numpy(float)
        # per-transaction-day mean value over all calibration days (incl. the first)
        own = summary["value_cal"].to_numpy(float) / (x + 1)
        pooled_v = own.mean()
        spend = gg.expected_spend(x, m, fallback_mean=fallback_mean)
        rows[("value", "BG/NBD x Gamma-Gamma")] = _metrics(preds["BG/NBD"] * spend, actv)
        rows[("value", "past rate x own mean")] = _metrics(preds["past rate"] * own, actv)
        rows[("value", "pooled rate x pooled mean")] = _metrics(preds["pooled rate"] * pooled_v,
                                                                actv)
    out = pd.DataFrame(rows).T
    out.index.names = ["target", "method"]
    return out


def prediction_grids(bg: BetaGeo, T: float, t: float, max_x: int | None = None):
    """``(p_alive, expected)`` grids over calibration frequency (rows 0..max_x) and recency
    (columns 0..T, whole days) for a user observed for ``T`` days; ``expected`` = conditional
    expected transactions in the next ``t`` days. Impossible cells (more repeats than days
    since the first transaction, or recency without repeats) are NaN."""
    T = int(T)
    max_x = T if max_x is None else min(int(max_x), T)
    x = np.arange(max_x + 1, dtype=float)[:, None]
    r = np.arange(T + 1, dtype=float)[None, :]
    ok = ((x == 0) & (r == 0)) | ((x > 0) & (x <= r))
    xx, rr = np.broadcast_arrays(x, r)
    pa = np.where(ok, bg.probability_alive(xx, rr, float(T)), np.nan)
    ex = np.where(ok, bg.expected_purchases(t, xx, rr, float(T)), np.nan)
    idx = pd.Index(np.arange(max_x + 1), name="frequency_cal")
    cols = pd.Index(np.arange(T + 1), name="recency_cal")
    return pd.DataFrame(pa, idx, cols), pd.DataFrame(ex, idx, cols)


def top_users(summary: pd.DataFrame, per_user: pd.DataFrame, preds: pd.DataFrame,
              n: int = 10) -> pd.DataFrame:
    """The ``n`` users with the highest predicted CLV, with their history and intervals."""
    cols = ["frequency_cal", "recency_cal", "T_cal", "monetary_cal"]
    df = summary[cols].join(preds[["p_alive", "expected_purchases", "expected_spend"]])
    df = df.join(per_user[["clv", "clv_low", "clv_high"]])
    return df.sort_values("clv", ascending=False).head(n)


def assumption_checks(summary: pd.DataFrame) -> dict:
    """Numbers behind the model's assumptions: Spearman correlation of calibration frequency
    and mean value among repeat users (Gamma-Gamma assumes independence), share of users with
    a transaction on every calibration day after their first (BG/NBD's Poisson clock cannot
    produce such regularity often), and the share of repeat users."""
    rep = summary[summary["frequency_cal"] > 0]
    rho = (rep["frequency_cal"].rank().corr(rep["monetary_cal"].rank())
           if len(rep) > 2 else float("nan"))
    every_day = (summary["T_cal"] > 0) & (summary["frequency_cal"] == summary["T_cal"])
    return {"freq_value_spearman": float(rho),
            "share_every_day": float(every_day[summary["T_cal"] > 0].mean()),
            "share_repeat": float((summary["frequency_cal"] > 0).mean())}


def param_row(bg: BetaGeo, name: str) -> pd.DataFrame:
    """One row like those of :func:`discretisation_check` for a fitted model."""
    p = bg.params_
    return pd.DataFrame({**p, "penalizer": getattr(bg, "penalizer_", 0.0),
                         "mean rate r/alpha": p["r"] / p["alpha"],
                         "mean dropout a/(a+b)": p["a"] / (p["a"] + p["b"])},
                        index=pd.Index([name]))


def recovery_table(bg: BetaGeo, planted: dict) -> pd.DataFrame:
    """Fitted vs planted BG/NBD parameters: estimate, 95% interval, planted value, covered,
    plus the implied mean rate ``r/alpha`` and mean dropout ``a/(a+b)``."""
    tab = bg.summary_[["estimate", "ci_low", "ci_high"]].copy()
    tab["planted"] = [planted[k] for k in tab.index]
    tab["covered"] = (tab["ci_low"] <= tab["planted"]) & (tab["planted"] <= tab["ci_high"])
    p = bg.params_
    extra = pd.DataFrame({
        "estimate": [p["r"] / p["alpha"], p["a"] / (p["a"] + p["b"])],
        "planted": [planted["r"] / planted["alpha"], planted["a"] / (planted["a"] + planted["b"])],
    }, index=pd.Index(["mean rate r/alpha (per day)", "mean dropout a/(a+b)"]))
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
    return pd.DataFrame({"frequency_cal": g["size"] - 1,
                         "recency_cal": (g["max"] - g["min"]).round(2),
                         "T_cal": (calibration_days - g["min"]).round(2)})


def discretisation_check(planted: dict, birth_days, stop_days, *, calibration_days: int,
                         n_days: int = N_WINDOW_DAYS, n_sim: int = 10_000, seed: int = 0
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
    variants = [("continuous BG/NBD", False, False, False),
                ("+ counted as gifting days", True, False, False),
                ("+ dropout after the first gift", True, True, False),
                ("+ stopped at activity churn", True, True, True)]
    rows = {}
    for name, grid, at_birth, churn in variants:
        ci, t = simulate_bgnbd_events(planted, b, st if churn else float(n_days),
                                      dropout_at_birth=at_birth, rng=seed + 1)
        s = _summary_from_times(ci, t, calibration_days, n_days, grid)
        bg, note = try_fit_bgnbd(s)
        p = bg.params_ if bg is not None else dict.fromkeys(("r", "alpha", "a", "b"), np.nan)
        rows[name] = {**p, "penalizer": getattr(bg, "penalizer_", np.nan),
                      "mean rate r/alpha": p["r"] / p["alpha"],
                      "mean dropout a/(a+b)": p["a"] / (p["a"] + p["b"])}
    rows = {"planted": {**planted, "penalizer": np.nan,
                        "mean rate r/alpha": planted["r"] / planted["alpha"],
                        "mean dropout a/(a+b)": planted["a"] / (planted["a"] + planted["b"])},
            **rows}
    return pd.DataFrame(rows).T


def twin_alive_check(p_alive: pd.Series, truth_users: pd.DataFrame, calibration_days: int,
                     n_bins: int = 5) -> pd.DataFrame:
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
    out = df.groupby("bin").agg(n_users=("alive", "size"), predicted=("p_alive", "mean"),
                                truly_alive=("alive", "mean"))
    out.index.name = "P(alive) bin (low to high)"
    return out


def spend_check(expected_spend: pd.Series, truth_users: pd.DataFrame) -> float:
    """Spearman correlation of predicted value per gifting day with the planted
    ``gift_mean_value`` (expected value per gifting day) across cohort users."""
    tv = truth_users.set_index("user_id")["gift_mean_value"].reindex(expected_spend.index)
    return float(expected_spend.rank().corr(tv.rank()))
