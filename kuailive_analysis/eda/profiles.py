"""Section 2.1 "Who": users and streamers by profile attribute, and users' tenure.

Profiles are the snapshot taken at the end of the window. Users and streamers are compared as
shares of their own group; tenure is counted in years of 365.25 days before 2025-05-05.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.data.schema import ordered_bins, parse_bin

MISSING_LABEL = "(missing)"

DEMOGRAPHIC_PANELS = (
    ("gender", "gender", None),
    ("age", "age band (years)", None),
    ("device_price", "device price band (CNY; 0 = desktop)", None),
    ("country", "country", 3),
)
"""(column, panel title, ``top``) of the demographics figure; ``top`` pools the rest as other."""


def demographic_shares(
    users: pd.DataFrame, streamers: pd.DataFrame, column: str, top: int | None = None
) -> pd.DataFrame:
    """Users vs streamers side by side, as shares of their own group.

    Parameters
    ----------
    users, streamers : DataFrame
        The profile tables (with ``column``).
    column : str
        A profile attribute; binned ones (age, device_price) keep their numeric order, others
        are sorted by the mean share, missing values last as ``(missing)``.
    top : int, optional
        Pool the values beyond the ``top`` largest as ``other``.

    Returns
    -------
    DataFrame
        One row per value: ``n_users``, ``n_streamers`` and the shares ``users``,
        ``streamers`` (each sums to 1).
    """
    require_columns(users, [column], "users")
    require_columns(streamers, [column], "streamers")
    counts = {}
    for group, frame in (("users", users), ("streamers", streamers)):
        s = frame[column].astype("string").fillna(MISSING_LABEL)
        counts[group] = s.value_counts()
    out = pd.DataFrame({"n_users": counts["users"], "n_streamers": counts["streamers"]})
    out = out.fillna(0).astype("int64")
    out["users"] = out["n_users"] / max(out["n_users"].sum(), 1)
    out["streamers"] = out["n_streamers"] / max(out["n_streamers"].sum(), 1)
    labels = [v for v in out.index if v != MISSING_LABEL]
    ordered = ordered_bins(labels)
    numeric = sum(1 for v in ordered if _parses(v)) >= max(1, len(labels) - 1)
    if numeric and column in ("age", "device_price"):
        order = ordered
    else:
        order = list(
            (out.loc[labels, "users"] + out.loc[labels, "streamers"])
            .sort_values(ascending=False)
            .index
        )
    if MISSING_LABEL in out.index:
        order.append(MISSING_LABEL)
    out = out.loc[order]
    if top is not None and len(out) > top:
        head, tail = out.iloc[:top], out.iloc[top:]
        other = tail.sum().to_frame("other").T
        out = pd.concat([head, other])
    out.index.name = column
    return out


def _parses(v: str) -> bool:
    try:
        parse_bin(v)
        return True
    except ValueError:
        return False


def tenure_summary(users: pd.DataFrame) -> pd.DataFrame:
    """Quantiles (in years of 365.25 days) of registration tenure and first-watch age at the
    window start: rows ``tenure_days`` and ``watch_age_days`` (days before 2025-05-05),
    columns ``n`` (known dates), ``p10``, ``p25``, ``median``, ``p75``, ``p90`` and
    ``share_under_1y``; missing dates are left out."""
    require_columns(users, ["tenure_days", "watch_age_days"], "users")
    rows = {}
    for col in ("tenure_days", "watch_age_days"):
        d = pd.to_numeric(users[col], errors="coerce").dropna().to_numpy(dtype="float64")
        if d.size == 0:
            rows[col] = {"n": 0}
            continue
        y = d / 365.25
        rows[col] = {
            "n": d.size,
            "p10": np.quantile(y, 0.1),
            "p25": np.quantile(y, 0.25),
            "median": np.quantile(y, 0.5),
            "p75": np.quantile(y, 0.75),
            "p90": np.quantile(y, 0.9),
            "share_under_1y": float((y < 1).mean()),
        }
    return pd.DataFrame(rows).T


def tenure_distribution(users: pd.DataFrame, max_years: int = 15) -> pd.DataFrame:
    """Users per whole year of registration tenure and of first-watch age (0..max_years-1,
    last bin ``max_years``+ pooled): columns ``years``, ``tenure``, ``watch_age`` (shares of
    users with a known date)."""
    require_columns(users, ["tenure_days", "watch_age_days"], "users")
    out = {"years": np.arange(max_years + 1)}
    for col, name in (("tenure_days", "tenure"), ("watch_age_days", "watch_age")):
        d = pd.to_numeric(users[col], errors="coerce").dropna().to_numpy(dtype="float64")
        y = np.clip(np.floor(np.maximum(d, 0) / 365.25), 0, max_years).astype("int64")
        c = np.bincount(y, minlength=max_years + 1)
        out[name] = c / max(c.sum(), 1)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Profiles(Section):
    """Who the users and streamers are: ``demographics`` (panel title -> frame of
    :func:`demographic_shares`), ``tenure`` (:func:`tenure_summary`) and ``tenure_years``
    (:func:`tenure_distribution`), and the values the text quotes."""

    demographics: Mapping[str, pd.DataFrame] = field(repr=False)
    tenure: pd.DataFrame = field(repr=False)
    tenure_years: pd.DataFrame = field(repr=False)
    users_male: float = glued()
    streamers_female: float = glued()
    top_country: str = glued()
    users_top_country: float = glued()
    streamers_top_country: float = glued()
    user_top_age: str = glued()
    user_top_age_share: float = glued()
    streamer_top_age: str = glued()
    streamer_top_age_share: float = glued()
    tenure_median_y: float = glued()
    watch_age_median_y: float = glued()
    tenure_under_1y: float = glued()
    watch_age_under_1y: float = glued()


def profiles_section(ds) -> Profiles:
    """The :class:`Profiles` section from a dataset's profile tables (``tenure_days`` and
    ``watch_age_days`` of users as :func:`kuailive_analysis.dataset.load` derives them)."""
    users, streamers = ds.users, ds.streamers
    demo = {
        col: demographic_shares(users, streamers, col, top=top)
        for col, _, top in DEMOGRAPHIC_PANELS
    }
    country = demo["country"]
    top_country = country.index[0]  # sorted by mean share, largest first
    age = demo["age"].drop(index=[MISSING_LABEL], errors="ignore")
    ten = tenure_summary(users)
    return Profiles(
        demographics={title: demo[col] for col, title, _ in DEMOGRAPHIC_PANELS},
        tenure=ten,
        tenure_years=tenure_distribution(users),
        users_male=demo["gender"]["users"].get("M", np.nan),
        streamers_female=demo["gender"]["streamers"].get("F", np.nan),
        top_country=top_country,
        users_top_country=country.loc[top_country, "users"],
        streamers_top_country=country.loc[top_country, "streamers"],
        user_top_age=age["users"].idxmax(),
        user_top_age_share=age["users"].max(),
        streamer_top_age=age["streamers"].idxmax(),
        streamer_top_age_share=age["streamers"].max(),
        tenure_median_y=ten.loc["tenure_days", "median"],
        watch_age_median_y=ten.loc["watch_age_days", "median"],
        tenure_under_1y=ten.loc["tenure_days", "share_under_1y"],
        watch_age_under_1y=ten.loc["watch_age_days", "share_under_1y"],
    )
