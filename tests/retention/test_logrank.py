"""Tests between segment levels (log-rank, fixed time point, Holm) and the chapter's segment
comparison on the right sample."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.retention import holm, segment_tests
from kuailive_analysis.retention.logrank import segment_headline, segment_report
from kuailive_analysis.retention.segments import landmark

from ._data import two_groups


def test_segment_tests_detect_a_real_difference_and_not_a_null():
    rng = np.random.default_rng(11)
    tab, lab = two_groups(rng, 300, 3.0, 9.0)
    res = segment_tests(tab, lab, point_in_time=3)
    assert res.overall.iloc[0]["p"] < 1e-6
    pw = res.pairwise.iloc[0]
    assert pw["S_a"] < pw["S_b"] and pw["fixed_p"] < 1e-3
    tab0, lab0 = two_groups(rng, 300, 5.0, 5.0)
    assert segment_tests(tab0, lab0, point_in_time=3).overall.iloc[0]["p"] > 0.001


def test_segment_tests_drop_small_levels_and_need_two():
    tab = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": True})
    res = segment_tests(tab, pd.Series(["a"] * 5 + ["b"]), min_group=3)
    assert res.overall.empty and list(res.dropped.index) == ["b"]


def test_holm_adjustment():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])


def test_segment_report_uses_landmark_for_behaviour_segments():
    rng = np.random.default_rng(8)
    n = 240
    tab = pd.DataFrame(
        {
            "user_id": np.arange(1, n + 1, dtype="int32"),
            "first_day": 0,
            "duration": rng.integers(1, 12, n),
            "event": rng.random(n) < 0.6,
        }
    )
    lm = landmark(tab, 3)
    seg = pd.DataFrame(
        {
            "user_id": tab["user_id"],
            "age": rng.choice(["50+", "18-23", "24-30"], n),
            "early_gifter": rng.choice(["gifter", "non-gifter"], n),
        }
    )
    rep = segment_report(tab, lm, seg, ["age", "early_gifter", "missing"], min_group=10)
    ov = rep.overview.set_index("segment")
    assert list(ov.index) == ["age", "early_gifter"]
    assert ov.loc["age", "n"] == n and ov.loc["early_gifter", "n"] == len(lm)
    assert ov.loc["age", "snapshot"] and not ov.loc["early_gifter", "snapshot"]
    # binned levels in bin order, not by size
    assert list(rep.panels["age (snapshot)"]) == ["18-23", "24-30", "50+"]
    assert list(rep.xlabels) == ["early_gifter (after landmark)"]
    assert len(rep.pairwise) == 3 + 1
    assert segment_headline(rep.overview, alpha=1.01) == (
        "Curves differ by age, early_gifter (log-rank p < 1.01); early_gifter: selection by "
        "the sampling rule, not an effect"
    )
    assert segment_headline(rep.overview, alpha=0.0).startswith("No segment's curves differ")
    assert segment_headline(pd.DataFrame()).startswith("No segment has two levels")
