"""Chapter 3's figures: numbers at risk under the Kaplan-Meier panels (lifelines'
``add_at_risk_counts``), the pooled heat map, the placeholder without a truth."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from kuailive_analysis.plots import retention as P
from kuailive_analysis.retention import fit_km
from kuailive_analysis.retention.segments import km_by_segment

from ._data import two_groups


def test_km_figures_show_the_numbers_at_risk():
    tab = pd.DataFrame({"duration": [1, 1, 2, 3, 3, 4, 4, 4], "event": True})
    tab.loc[7, "event"] = False
    fig = P.plot_km({"users": fit_km(tab)}, title="t", tick_step=1)
    strip = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    # at risk at day t: the users whose duration reaches t (8, 8, 6, 5, 3 at days 0..4)
    assert re.fullmatch(r"At risk\n\s+users\s+8\n", strip[0])
    assert [int(t) for t in strip[1:]] == [8, 6, 5, 3]
    rng = np.random.default_rng(4)
    fits = km_by_segment(*two_groups(rng, 100, 3.0, 6.0))
    grid = P.plot_km_grid({"x": fits, "y": fits, "z": fits}, title="g")
    shown = [a.get_title(loc="left") for a in grid.axes if a.get_visible()]
    assert [t for t in shown if t] == ["x", "y", "z"]
    ticks = [t.get_text() for ax in grid.axes for t in ax.get_xticklabels()]
    assert sum(t.startswith("At risk") for t in ticks) == 3  # one at-risk table per panel
    plt.close("all")


def test_heatmap_pools_and_greys_small_cohorts(twin_result):
    pooled, min_cohort = twin_result.cohorts.pooled, twin_result.params.min_cohort
    sizes = pooled.groupby("cohort")["cohort_size"].first()
    assert (sizes.iloc[:-1] >= min_cohort).all()  # only the tail may be small
    fig = P.plot_cohort_heatmap(pooled, min_size=min_cohort)
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(rows) == len(sizes) and any("pooled" in r for r in rows)
    if pooled["small"].any():
        assert fig.axes[0].get_legend() is not None
    plt.close("all")


def test_truth_figure_states_the_coverage_or_that_there_is_no_truth(twin_result, folder_result):
    fig = P.plot_km_vs_truth(folder_result.validation.curves, title=folder_result.titles.truth)
    assert "No ground truth" in fig.axes[0].texts[0].get_text()
    assert not fig.axes[0].get_title(loc="left")
    fig = P.plot_km_vs_truth(twin_result.validation.curves, title=twin_result.titles.truth)
    shown = fig.axes[0].get_title(loc="left")
    assert shown.startswith("KM vs planted survival as the churn rule sees it: inside the 95%")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][-2:] == [
        "truth as the churn rule sees it",
        "truth (planted lifetimes)",
    ]
    plt.close("all")
