"""Hand-made inputs shared by the retention tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.dataset import Dataset


def act(days_by_user: dict[int, list[int]]) -> pd.DataFrame:
    """Active (user, day) pairs from {user: [days]}."""
    rows = [(u, d) for u, ds in days_by_user.items() for d in ds]
    return pd.DataFrame(rows, columns=["user_id", "day"])


def row(tab: pd.DataFrame, uid: int) -> pd.Series:
    return tab.set_index("user_id").loc[uid]


def frames_dataset(**tables: pd.DataFrame) -> Dataset:
    """A Dataset of in-memory frames (its engine registers them), no truth."""
    source = DataSource("folder", "/hand-made", None, None, "0" * 16, "hand-made frames")
    return Dataset(tables=tables, source=source, params={})


def two_groups(rng, n, scale_a, scale_b):
    """Two groups of exponential lifetimes (ceil to days) censored at day 10."""
    ta = np.ceil(rng.exponential(scale_a, n)).astype(int)
    tb = np.ceil(rng.exponential(scale_b, n)).astype(int)
    dur = np.r_[ta, tb]
    tab = pd.DataFrame({"duration": np.minimum(dur, 10), "event": dur <= 10})
    return tab, pd.Series(["a"] * n + ["b"] * n)
