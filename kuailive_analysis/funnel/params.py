"""Chapter 5's parameters, declared once (the notebook's ``parameters`` cell is generated from
this class and tested equal to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import Params as BaseParams, param
from kuailive_analysis.metrics import DEFAULT_PARAMS

__all__ = ["INTERVALS", "MIN_BOOT", "Params"]

INTERVALS = ("user", "wilson")
"""``user``: users resampled (a user-clustered Poisson bootstrap); ``wilson``: units
independent (Wilson score)."""

MIN_BOOT = 20
"""Fewest bootstrap replicates that give an interval."""


@dataclass(frozen=True)
class Params(BaseParams):
    """The choices of chapter 5: what counts as a qualified watch and an attributed engagement,
    the segments, the intervals and the predictive baseline's split."""

    chapter: ClassVar[str] = ChapterId.FUNNEL

    qualified_watch_s: float = param(
        DEFAULT_PARAMS["qualified_watch_s"],
        "seconds of watch time that make a qualified watch",
        min=0,
    )
    attribution_window_s: float | None = param(
        DEFAULT_PARAMS["attribution_window_s"],
        "max seconds from a click to an engagement credited to it, None: no limit",
        min=0,
        min_open=True,
    )
    segments: tuple[str, ...] = param(
        (
            "hour",
            "day",
            "live_content_category",
            "live_type",
            "streamer_decile",
            "user_decile",
            "age",
            "gender",
            "device_price",
        ),
        "segments broken down in the KPI tables",
    )
    funnel_segments: tuple[str, ...] = param(
        ("hour", "device_price"), "segments drawn as full step-by-step funnels"
    )
    interval: str = param("user", "segment intervals: users resampled or Wilson", choices=INTERVALS)
    n_boot: int = param(200, "bootstrap replicates for interval user", min=MIN_BOOT)
    conf: float = param(
        0.95, "level of every interval of the chapter", min=0, max=1, min_open=True, max_open=True
    )
    split_fractions: tuple[float, ...] = param(
        (0.8, 0.1, 0.1),
        "chronological train / valid / test shares of rows",
        min=0,
        max=1,
        min_open=True,
        max_open=True,
        length=3,
        total=1.0,
    )
    max_train_rows: int = param(200_000, "training rows sampled for the baseline models", min=100)
    seed: int = param(0, "random seed", min=0)
