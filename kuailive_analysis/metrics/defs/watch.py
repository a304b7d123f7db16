"""Metrics of kind ``watch``: watch time and timing."""

from __future__ import annotations

from kuailive_analysis.metrics.defs.records import _CLEAN, Metric

WATCH: tuple[Metric, ...] = (
    Metric(
        "watch_share_lt_5s",
        "Clicks under 5 seconds",
        "Share of clicks whose watch time is under 5 seconds.",
        r"\frac{\lvert\{c : \text{watch}_c < 5\,\text{s}\}\rvert}{\text{clicks}}",
        "share",
        "clicks under 5 s",
        "clicks",
        _CLEAN,
        ("02_eda",),
        "watch",
        computed_by="eda.watch_time_summary",
    ),
    Metric(
        "watch_median_s",
        "Median watch time per click",
        "Median of watch_live_time over clicks.",
        r"\operatorname{median}_c \text{watch}_c",
        "seconds",
        "",
        "",
        _CLEAN,
        ("02_eda",),
        "watch",
        computed_by="eda.watch_time_summary",
    ),
    Metric(
        "activity_peak_share",
        "Peak-hours share of interactions",
        "Share of interactions in the busiest window of consecutive Beijing hours "
        "(chapter 2 parameter `peak_hours`, default 6; the window may wrap midnight).",
        r"\max_h \frac{\sum_{j=h}^{h+w-1} \text{interactions}_{j \bmod 24}}"
        r"{\text{interactions}}",
        "share",
        "interactions in the peak window",
        "interactions",
        _CLEAN,
        ("02_eda",),
        "watch",
        ("peak_hours",),
        computed_by="eda.peak_window",
    ),
    Metric(
        "daily_active_median",
        "Median DAU",
        "Median over the 21 days of the number of users active that day.",
        r"\operatorname{median}_d \lvert\{u : u \text{ active on } d\}\rvert",
        "count",
        "",
        "",
        "user-day panel",
        ("02_eda",),
        "watch",
        computed_by="eda.daily_totals",
    ),
)
"""Watch time and timing, in glossary order."""
