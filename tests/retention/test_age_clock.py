"""Churn hazard on the account-age clock: occurrences over left-truncated exposure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.retention import hazard_by_age
from kuailive_analysis.retention.age_clock import youngest_and_oldest_rate


def test_hazard_by_age_is_occurrence_over_exposure():
    tab = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "first_day": [0, 0, 2],
            "duration": [2, 14, 4],
            "event": [True, False, True],
        }
    )
    users = pd.DataFrame({"user_id": [1, 2, 3], "watch_age_days": [5, 20, 1000]})
    h = hazard_by_age(tab, users, bands=(0, 100, np.inf)).set_index("age_band")
    assert list(h.index) == ["0-100", "100+"]
    assert h.iloc[0]["events"] == 1 and h.iloc[0]["exposure_days"] == 16
    assert h.iloc[0]["per_100_days"] == pytest.approx(100 / 16)
    assert h.iloc[1]["per_100_days"] == pytest.approx(25.0)
    # Poisson interval on the log scale: rate * exp(+-1.96 / sqrt(events))
    assert h.iloc[0]["hi"] == pytest.approx(100 / 16 * np.exp(1.96))
    assert youngest_and_oldest_rate(h.reset_index()) == pytest.approx((100 / 16, 25.0))
