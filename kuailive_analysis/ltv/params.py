"""Chapter 4's parameters, declared once (the notebook's ``parameters`` cell is generated from
this class and tested equal to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import Params as BaseParams, param

__all__ = ["MIN_BOOT", "Params"]

MIN_BOOT = 20
"""Fewest bootstrap replicates that give an interval."""


@dataclass(frozen=True)
class Params(BaseParams):
    """The choices of chapter 4: the calibration / holdout split, the CLV horizon and discount,
    the intervals and the tables' sizes."""

    chapter: ClassVar[str] = ChapterId.LTV

    calibration_days: int = param(
        14, "days 0 .. calibration_days-1 calibrate, the rest is the holdout",
        min=1, max=N_WINDOW_DAYS - 1,
    )  # fmt: skip
    horizon_days: int = param(30, "CLV horizon in days after the end of calibration", min=1)
    discount_rate_daily: float = param(
        0.0005, "daily discount rate of the CLV", min=0, max=1, max_open=True
    )
    n_boot: int = param(100, "bootstrap replicates for the CLV intervals", min=MIN_BOOT)
    level: float = param(
        0.9, "level of the CLV intervals", min=0, max=1, min_open=True, max_open=True
    )
    max_freq: int = param(7, "calibration frequencies from max_freq up are pooled in plots", min=1)
    top_n: int = param(10, "users listed in the top-CLV table", min=1)
    seed: int = param(0, "random seed of the bootstraps and the twin's simulation checks", min=0)
    n_boot_compare: int = param(
        1000, "Poisson-bootstrap replicates of the holdout model comparison", min=MIN_BOOT
    )
    compare_level: float = param(
        0.95,
        "level of the holdout comparison's intervals and of its winner rule",
        min=0,
        max=1,
        min_open=True,
        max_open=True,
    )

    @property
    def holdout_days(self) -> int:
        """Length of the holdout, ``N_WINDOW_DAYS - calibration_days`` days."""
        return N_WINDOW_DAYS - self.calibration_days

    @property
    def last_cal_day(self) -> int:
        """Index of the last calibration day."""
        return self.calibration_days - 1

    @property
    def grid_T(self) -> int:
        """``T`` of the heat maps: a user whose first transaction is on day 0."""
        return self.calibration_days - 1
