"""Fixtures of the LTV tests: the CDNOW reference data (Fader, Hardie & Lee 2005) with the
models fitted to it, and chapter 4 run on the small twin."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kuailive_analysis import ltv
from kuailive_analysis.ltv import BetaGeo, GammaGamma

DATA = Path(__file__).parents[1] / "data"
if not (DATA / "cdnow_summary.csv").exists():  # pragma: no cover - repository set-up error
    raise FileNotFoundError(
        f"{DATA / 'cdnow_summary.csv'} is missing: the CDNOW reference data must be committed "
        "with the tests (a '.gitignore' rule 'data/' also ignores tests/data; anchor it as "
        "'/data/')."
    )


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_summary.csv")


@pytest.fixture(scope="module")
def cdnow_bg(cdnow) -> BetaGeo:
    return BetaGeo().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_gg(cdnow) -> GammaGamma:
    rep = cdnow[cdnow["x"] > 0]
    return GammaGamma().fit(rep["x"], rep["zbar"])


@pytest.fixture(scope="session")
def twin_ds(small_twin):
    from kuailive_analysis.dataset import load

    return load(small_twin)


@pytest.fixture(scope="session")
def result(twin_ds) -> ltv.LTVResult:
    """Chapter 4 on the small twin, analysed once for every LTV test module that reads it."""
    # the chapter's defaults: with few replicates (e.g. 12) the percentile interval of users
    # without a repeat gifting day can miss their estimate, whose fallback value per gifting
    # day is a heavy-tailed sample mean
    return ltv.analyse(twin_ds)
