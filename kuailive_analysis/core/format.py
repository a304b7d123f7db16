"""Formatting numbers for the book's prose and tables, in one place: percentages, p-values,
numbers without scientific notation, a finding's value and interval.

Missing values read as an en dash in tables (``format_*``) and ``n/a`` in a finding's value;
shares are fractions shown as percentages. Imports nothing from the package.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "NEAR_ZERO",
    "format_interval",
    "format_number",
    "format_p",
    "format_percent",
    "format_range",
    "format_value",
    "plain",
]


def plain(value):
    """``value`` with a numpy scalar replaced by the equivalent Python scalar (others
    unchanged)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


NEAR_ZERO = 1e-9
"""Absolute values below this are shown as 0 (e.g. a correlation of -5.5e-17)."""


def format_p(p) -> str:
    """A p-value as text: ``< 0.001`` below one in a thousand, else three decimals."""
    if p is None or (isinstance(p, float) and not math.isfinite(p)) or pd.isna(p):
        return "\u2013"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_number(x, digits: int = 4) -> str:
    """A float without scientific notation: ``digits`` significant digits (at least whole
    units with thousands separators for large values), near-zero values as 0, infinities as
    ``inf``."""
    if x is None or pd.isna(x):
        return "\u2013"
    x = float(x)
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) < NEAR_ZERO:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_percent(x, digits: int | None = None) -> str:
    """A share as a percentage: ``digits`` decimals, or by default one decimal (two below
    10%) with near-zero values as 0%."""
    if x is None or pd.isna(x):
        return "\u2013"
    x = float(x)
    if not math.isfinite(x):
        return "\u2013"
    if digits is not None:
        return f"{x:.{digits}%}"
    if abs(x) < NEAR_ZERO:
        return "0%"
    return f"{x:.2%}" if abs(x) < 0.1 else f"{x:.1%}"


def format_range(lo, hi, digits: int | None = None) -> str:
    """Two shares as a range in prose, ``71.2% to 78.4%`` (:func:`format_percent` with
    ``digits``); ``n/a`` when an end is missing."""
    if any(x is None or pd.isna(x) or not math.isfinite(float(x)) for x in (lo, hi)):
        return "n/a"
    return f"{format_percent(lo, digits)} to {format_percent(hi, digits)}"


def format_value(value, unit: str = "") -> str:
    """A finding's value as text: ``share`` as a percentage (two decimals below 10%), whole
    numbers with thousands separators, other numbers with 3 significant digits; the unit
    follows (except for shares). None reads ``n/a``."""
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return f"{value} {unit}".strip()
    if unit == "share":
        return f"{value:.1%}" if abs(value) >= 0.1 or value == 0 else f"{value:.2%}"
    if isinstance(value, bool):
        text = str(value)
    elif float(value).is_integer() and abs(value) >= 1:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.3g}"
    return f"{text} {unit}".strip()


def format_interval(interval, level: float | None = None, unit: str = "") -> str:
    """``95% interval 80.1% to 84.0%``, ``95% interval 0.077 to 0.095 AUC`` (empty without an
    interval): shares as percentages, other units once, after the upper end."""
    if interval is None:
        return ""
    shown = unit if unit == "share" else ""
    lo, hi = (format_value(x, shown) for x in interval)
    what = f"{level:.0%} interval" if level else "interval"
    return f"{what} {lo} to {hi} {'' if shown else unit}".rstrip()
