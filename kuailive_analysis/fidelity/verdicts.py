"""Judging: how far a measured value is from the real one (:func:`deviation`), its verdict
(:func:`judge`), the table of every fact (:func:`compare`) and values as text
(:func:`format_value`)."""

from __future__ import annotations

import math

import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR, WINDOW_START_MS, format_ms
from kuailive_analysis.core.format import format_percent
from kuailive_analysis.fidelity.comparability import NOT_COMPARABLE_VERDICT
from kuailive_analysis.fidelity.fact import COUNT_REAL_FOLDER, Fact
from kuailive_analysis.fidelity.facts import FACTS


def deviation(fact: Fact, value: float) -> float:
    r"""How far ``value`` (already scaled for counts) is from the real value :math:`v_0`, in
    the fact's terms (its ``mode``); NaN when the value is missing.

    .. math::

        d = \begin{cases}
        \max(r, 1/r) - 1,\ r = v / v_0 & \text{count, rel (a factor either way; } r \le 0
        \text{ gives } \infty) \\
        |v - v_0| & \text{abs (in the fact's unit)} \\
        \max(v_0 - v, 0) & \text{min (the shortfall)}
        \end{cases}
    """
    if value is None or not math.isfinite(value):
        return float("nan")
    if fact.mode == "abs":
        return abs(value - fact.real)
    if fact.mode == "min":
        return max(fact.real - value, 0.0)
    r = value / fact.real
    return math.inf if r <= 0 else max(r, 1.0 / r) - 1.0


def judge(
    fact: Fact, value: float, *, scale: float = 1.0, real_folder: bool = False
) -> tuple[float, float, str]:
    """The verdict of one fact: *match* when :func:`deviation` is within the first tolerance,
    *close* within the second, else *off* (*n/a* without a value); *not comparable* whatever
    the value when the fact is not computed the way its source computed it (``fact.comparable``
    False, :mod:`~kuailive_analysis.fidelity.comparability`).

    Parameters
    ----------
    fact : Fact
        The fact, with its real value, mode and tolerance ``(match, close)``.
    value : float
        This data's value (raw: counts are divided by ``scale`` first).
    scale : float
        The data's size relative to the real files (a twin's users / 23,772).
    real_folder : bool
        On a real folder the exact counts must match the published count
        (:data:`~kuailive_analysis.fidelity.fact.COUNT_REAL_FOLDER`) whatever the fact's
        own tolerance.

    Returns
    -------
    tuple
        ``(compared value, ratio to the real value, verdict)``.
    """
    value = float(value) if value is not None else float("nan")
    if fact.mode == "count":
        value = value / scale
    tol = COUNT_REAL_FOLDER if (fact.exact and real_folder) else fact.tol
    ratio = value / fact.real if math.isfinite(value) else float("nan")
    dev = deviation(fact, value)
    if not fact.comparable:
        return value, ratio, NOT_COMPARABLE_VERDICT
    if math.isnan(dev):
        return value, ratio, "n/a"
    verdict = "match" if dev <= tol[0] + 1e-12 else "close" if dev <= tol[1] + 1e-12 else "off"
    return value, ratio, verdict


TABLE_COLUMNS = [
    "Family",
    "Fact",
    "Real value",
    "This data",
    "Ratio",
    "Verdict",
    "How computed",
    "Key",
    "Unit",
    "Published as",
    "Source",
    "Measured",
    "Basis",
    "Tuned",
]


def compare(
    stats: dict, *, scale: float = 1.0, real_folder: bool = False, facts=FACTS
) -> pd.DataFrame:
    """The table of facts.

    Parameters
    ----------
    stats : dict
        Measured values by fact key (:func:`~kuailive_analysis.fidelity.measure`).
    scale, real_folder
        As :func:`judge`.
    facts : sequence of Fact
        The rows (default: every fact).

    Returns
    -------
    DataFrame
        One row per fact (columns :data:`TABLE_COLUMNS`): the real value, this folder's value
        (counts divided by ``scale``), their ratio, the verdict, how it was computed, the
        value before scaling (``Measured``), why the comparison is valid or not (``Basis``)
        and whether the twin was tuned to the fact (``Tuned``).
    """
    rows = []
    for f in facts:
        raw = stats.get(f.key, float("nan"))
        value, ratio, verdict = judge(f, raw, scale=scale, real_folder=real_folder)
        rows.append(
            (
                f.family,
                f.fact,
                f.real,
                value,
                ratio,
                verdict,
                f.how,
                f.key,
                f.unit,
                f.published,
                f.source,
                float(raw),
                f.basis,
                f.tuned,
            )
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def format_value(value: float, unit: str) -> str:
    """A value in the fact's unit as text (en dash when missing)."""
    if value is None or not math.isfinite(value):
        return "\u2013"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "share":  # four decimals for the tiny shares of the sheet
        return format_percent(value) if abs(value) >= 0.001 or value == 0 else f"{value:.4%}"
    if unit == "seconds":
        return f"{value:.1f} s" if value < 100 else f"{value:,.0f} s"
    if unit == "minutes":
        return f"{value:,.0f} min"
    if unit == "hours":
        return f"{value:.2f} h" if value < 100 else f"{value:,.0f} h"
    if unit == "coins":
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if unit == "hour":
        return f"{int(value):02d}:00" if value == int(value) else f"{value:g} h"
    if unit == "window_h":  # hours after the window start, shown as a Beijing time
        return format_ms(WINDOW_START_MS + int(round(value * MS_PER_HOUR)), "%Y-%m-%d %H:%M")
    if unit == "flag":
        return "yes" if value >= 0.5 else "no"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
