"""Chapter 3's parameters, declared once (the notebook's ``parameters`` cell is generated from
this class and tested equal to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import Params as BaseParams, param
from kuailive_analysis.retention.activity import ACTIVITY_BEHAVIOURS
from kuailive_analysis.retention.new_users import NEW_USER_CLOCKS
from kuailive_analysis.retention.segments import SEGMENTS

__all__ = ["Params"]

LAST_DAY = N_WINDOW_DAYS - 1


@dataclass(frozen=True)
class Params(BaseParams):
    """The choices of chapter 3 (what makes a user active and churned, who is a new user, the
    segments, the smallest groups that get an estimate, the twin check's threshold)."""

    chapter: ClassVar[str] = ChapterId.RETENTION

    churn_days: int = param(
        7, "churn after this many consecutive inactive days", min=1, max=LAST_DAY
    )
    churn_days_grid: tuple[int, ...] = param(
        (3, 5, 7), "churn thresholds of the sensitivity table", min=1, max=LAST_DAY
    )
    activity_behaviours: tuple[str, ...] = param(
        ACTIVITY_BEHAVIOURS, "what makes a day active", choices=ACTIVITY_BEHAVIOURS
    )
    early_days: int = param(
        3, "early-activity window and landmark in days", min=1, max=LAST_DAY - 1
    )
    point_in_time: float = param(
        7.0, "horizon in days of the fixed-time-point test", min=0, max=LAST_DAY, min_open=True
    )
    new_user_by: str = param(
        "first_watch",
        "new users by the date of their first live watch or of registration",
        choices=tuple(NEW_USER_CLOCKS),
    )
    new_user_days_before: int = param(
        0, "new user: that date in the window or at most this many days before it", min=0, max=365
    )
    segments: tuple[str, ...] = param(SEGMENTS, "segments compared", choices=SEGMENTS)
    new_account_days: int = param(
        365, "a new account registered fewer days than this before 2025-05-05", min=1
    )
    heavy_quantile: float = param(
        0.5,
        "heavy watcher: early watch time above this quantile",
        min=0,
        max=1,
        min_open=True,
        max_open=True,
    )
    min_group: int = param(30, "smallest segment level that gets a curve and a test", min=1)
    min_cohort: int = param(30, "cohorts smaller than this are pooled", min=1)
    truth_coverage_min: float = param(
        0.8,
        "twin check: share of days the KM band holds the planted curve as the churn rule sees it",
        min=0,
        max=1,
    )
