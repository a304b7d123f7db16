"""The small twin loaded once, and chapter 3 analysed on it as a twin and as a plain folder."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kuailive_analysis import retention as R


@pytest.fixture(scope="session")
def twin_ds(small_twin):
    from kuailive_analysis.dataset import load

    return load(small_twin)


@pytest.fixture(scope="session")
def twin_result(twin_ds):
    return R.analyse(twin_ds)


@pytest.fixture(scope="session")
def folder_result(twin_ds):
    """The same data presented as a plain folder (no ground truth)."""
    from kuailive_analysis.dataset import Dataset

    source = replace(
        twin_ds.source, kind="folder", scale=None, seed=None, label="KuaiLive files in /somewhere"
    )
    ds = Dataset(
        tables={n: twin_ds.table(n) for n in ("users", "user_day", "rooms")},
        source=source,
        params=twin_ds.params,
        truth=None,
    )
    return R.analyse(ds)
