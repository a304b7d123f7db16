"""Chapter 2's parameters, declared once (the notebook's ``parameters`` cell is generated from
this class and tested equal to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import Params as BaseParams, param
from kuailive_analysis.eda.returns import REPEAT_DEFINITIONS
from kuailive_analysis.metrics import DEFAULT_PARAMS

__all__ = ["Params"]


@dataclass(frozen=True)
class Params(BaseParams):
    """The choices of chapter 2 (thresholds that define groups, readings of published
    statistics, grids of the figures)."""

    chapter: ClassVar[str] = ChapterId.EDA

    cold_start_max: int = param(
        DEFAULT_PARAMS["cold_start_max"],
        "a streamer with fewer interactions than this is cold",
        min=1,
    )
    heavy_streamer_min: int = param(
        40, "a streamer with more interactions than this is heavy", min=1
    )
    light_user_max: int = param(50, "a user with fewer interactions than this is light", min=1)
    repeat_min_rooms: int = param(
        2, "a (user, streamer) pair returns with clicks in at least this many rooms", min=2
    )
    repeat_definition: str = param(
        "share_clicks_seen_streamer",
        "reading of the paper's repeat share",
        choices=tuple(REPEAT_DEFINITIONS),
    )
    revisit_max_hours: float = param(
        168.0, "revisit-interval histogram range in hours", min=0, min_open=True
    )
    rhythm_tol_hours: float = param(
        3.0,
        "an interval within this many hours of a whole number of days is daily",
        min=0,
        max=12,
        min_open=True,
    )
    live_step_minutes: int = param(
        15, "grid of the rooms-live-over-time curve in minutes", min=1, max=24 * 60
    )
    peak_hours: int = param(6, "width of the busiest-hours window", min=1, max=24)
