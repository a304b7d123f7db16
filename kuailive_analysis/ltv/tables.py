"""The tables of chapter 4 for the reader: readable names and headers, interval cells (the
result's table properties call these)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.ltv.scoring import Scores
from kuailive_analysis.ltv.summary import RFMSummary

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
"""Readable names of the RFM summary's columns."""
INTERVAL = {"se": "standard error", "ci_low": "95% interval, low", "ci_high": "95% interval, high"}
ACCURACY = {
    "deviance": "Poisson deviance per user",
    "MAE": "MAE per user",
    "RMSE": "RMSE per user",
    "correlation": "Pearson correlation",
    "total_predicted": "total predicted",
    "total_actual": "total actual",
    "total_ratio": "predicted / actual total",
}
BY_FREQUENCY = {
    "frequency_cal": "repeat gifting days in calibration",
    "n_users": "users",
    "actual": "actual (mean holdout gifting days)",
    "model": "BG/NBD (mean)",
    "past_rate": "past rate (mean)",
}
COMPARISON_COLUMNS = (
    ("deviance", "Poisson deviance (coins per user)", ",.1f", True),
    ("total_ratio", "total ratio (forecast / actual)", ".2f", True),
    ("decile error", "decile error (share of actual value)", ".1%", False),
    ("top-decile ratio", "top decile: forecast / actual", ".2f", False),
    ("norm_gini", "normalized Gini", ".2f", True),
    ("top10_capture", "top-decile capture (share of actual value)", ".1%", True),
    ("RMSE", "RMSE (coins per user)", ",.1f", True),
    ("RMSE without top user", "RMSE without the top user (coins per user)", ",.1f", False),
)
"""Columns of :func:`comparison`: score, header, format, whether it has an interval."""
DIFFERENCE_COLUMNS = (
    ("deviance", "Poisson deviance (coins per user)", ",.1f", 1),
    ("RMSE", "RMSE (coins per user)", ",.1f", 1),
    ("norm_gini", "normalized Gini", "+.2f", 1),
    ("top10_capture", "top-decile capture (points)", "+.1f", 100),
)
"""Columns of :func:`differences`: metric, header, format, scale."""
DASH = "\u2013"


def rfm(summary: RFMSummary) -> pd.DataFrame:
    """Mean, median and maximum of each column of an RFM summary, readable names."""
    d = summary.describe().rename(index=RFM_LABELS)
    d.columns = ["mean", "median", "maximum"]
    d.index.name = "per cohort user"
    return d.reset_index()


def parameters(bg, mbg, gg) -> pd.DataFrame:
    """Estimates of BG/NBD, MBG/NBD (when fitted) and Gamma-Gamma with standard errors and 95%
    intervals."""
    fits = [(bg, "BG/NBD"), (mbg, "MBG/NBD"), (gg, "Gamma-Gamma")]
    parts = [m.summary_.reset_index().assign(model=n) for m, n in fits if m is not None]
    d = pd.concat(parts, ignore_index=True)
    return d[["model", "parameter", "estimate", "se", "ci_low", "ci_high"]].rename(columns=INTERVAL)


def by_frequency(table: pd.DataFrame) -> pd.DataFrame:
    """Mean holdout transactions by calibration frequency, readable headers."""
    return table.reset_index().rename(columns=BY_FREQUENCY)


def accuracy(table: pd.DataFrame) -> pd.DataFrame:
    """Holdout accuracy by target and method (:func:`~kuailive_analysis.ltv.evaluate.
    score_forecasts`), readable headers and units."""
    unit = {"transactions": "gifting or watching days", "value": "coins"}
    d = table.reset_index()
    d["target"] = d["target"].map(lambda t: f"{t} ({unit.get(t, '')})")
    return d.rename(columns=ACCURACY)


def _cell(est, lo, hi, spec: str) -> str:
    if not np.isfinite(est):
        return DASH
    if lo is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{est:{spec}}"
    return f"{est:{spec}} ({lo:{spec}} to {hi:{spec}})"


def comparison(scores: Scores) -> pd.DataFrame:
    """The holdout comparison: one row per method, one column per score (with its bootstrap
    interval where it has one: "estimate (low to high)")."""
    t, out = scores.table, {}
    for k, header, spec, boot in COMPARISON_COLUMNS:
        est = t[(k, "estimate")]
        lo = t[(k, "low")] if boot else [None] * len(t)
        hi = t[(k, "high")] if boot else [None] * len(t)
        out[header] = [_cell(e, a, b, spec) for e, a, b in zip(est, lo, hi)]
    df = pd.DataFrame(out, index=t.index)
    df.index.name = "forecast method"
    return df.reset_index()


def differences(diffs: pd.DataFrame, baseline: str, level: float) -> pd.DataFrame:
    """Each method's paired difference to the best ``baseline`` (method - baseline, negative
    deviance and RMSE and positive Gini and capture are better), "difference (low to high)"
    at ``level``."""
    out = {}
    for k, header, spec, scale in DIFFERENCE_COLUMNS:
        est, lo, hi = (diffs[(k, c)] * scale for c in ("difference", "low", "high"))
        out[f"{header}, {level:.0%} interval"] = [
            _cell(e, a, b, spec) for e, a, b in zip(est, lo, hi)
        ]
    df = pd.DataFrame(out, index=diffs.index)
    df.index.name = f"forecast method minus the {baseline}"
    return df.reset_index()


def top_users(table: pd.DataFrame, horizon: int, level: float) -> pd.DataFrame:
    """The users with the highest CLV (:func:`~kuailive_analysis.ltv.evaluate.top_users`),
    readable headers."""
    return table.reset_index().rename(
        columns={
            "user_id": "user",
            **RFM_LABELS,
            "p_alive": "P(alive)",
            "expected_purchases": f"expected gifting days ({horizon} d)",
            "expected_spend": "expected coins per gifting day",
            "clv": "CLV (coins)",
            "clv_low": f"CLV {level:.0%} low",
            "clv_high": f"CLV {level:.0%} high",
        }
    )
