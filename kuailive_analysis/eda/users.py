"""Section 2.3 "Users": activity per user over the window and active days.

The per-user table is the registry's derived ``user_activity`` (the SQL definition
:data:`~kuailive_analysis.engine.queries.eda.USER_ACTIVITY`, every profiled user included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.eda.distributions import ccdf, integer_counts, share_below


@dataclass(frozen=True, eq=False)
class Users(Section):
    """Activity per user: ``activity`` (one row per user), ``ccdfs`` (panel -> (CCDF frame,
    x label)), ``active_days`` (users per number of active days 0..21) and the quoted values."""

    activity: pd.DataFrame = field(repr=False)
    ccdfs: Mapping[str, tuple[pd.DataFrame, str]] = field(repr=False)
    active_days: pd.DataFrame = field(repr=False)
    light_user_max: int = glued()
    users_lt_light: float = glued()
    user_median_interactions: float = glued()
    user_median_sessions: float = glued()
    user_median_streamers: float = glued()
    user_median_watch_h: float = glued()
    user_mean_watch_h: float = glued()
    user_p99_watch_h: float = glued()
    user_median_active_days: float = glued()
    users_all_days: float = glued()


def users_section(mc, light_user_max: int) -> Users:
    """The :class:`Users` section from a :class:`~kuailive_analysis.metrics.MetricContext`;
    ``light_user_max``: a user with fewer interactions is light."""
    ua = mc.derived("user_activity")
    return Users(
        activity=ua,
        ccdfs={
            "interactions": (ccdf(ua["n_interactions"]), "interactions per user"),
            "sessions": (ccdf(ua["n_sessions"]), "rooms clicked per user"),
            "streamers": (ccdf(ua["n_streamers"]), "distinct streamers per user"),
            "watch time": (ccdf(ua["watch_hours"]), "hours watched per user"),
        },
        active_days=integer_counts(ua["active_days"], N_WINDOW_DAYS),
        light_user_max=light_user_max,
        users_lt_light=share_below(ua["n_interactions"], light_user_max),
        user_median_interactions=ua["n_interactions"].median(),
        user_median_sessions=ua["n_sessions"].median(),
        user_median_streamers=ua["n_streamers"].median(),
        user_median_watch_h=ua["watch_hours"].median(),
        user_mean_watch_h=ua["watch_hours"].mean(),
        user_p99_watch_h=ua["watch_hours"].quantile(0.99),
        user_median_active_days=ua["active_days"].median(),
        users_all_days=(ua["active_days"] == N_WINDOW_DAYS).mean(),
    )
