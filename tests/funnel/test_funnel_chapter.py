"""Chapter 5 as a whole: ``analyse`` on the hand log (its glued values by hand, the keys the
notebook glues, the result's sections, titles, findings and figures) and on the small twin
(findings follow their intervals)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from kuailive_analysis import funnel as F, predict as P
from kuailive_analysis.chapter import ChapterId, ChapterResult, Finding

sys.path.insert(0, str(Path(__file__).resolve().parent))
from funnel_hand import dataset  # noqa: E402

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "chapters" / "05_funnel_ctr.ipynb"


def markdown_glue_keys(path: Path) -> tuple[set[str], set[str]]:
    """(text keys, figure keys) the notebook's markdown cells glue."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return (
        set(re.findall(r"\{glue:text\}`([A-Za-z_0-9]+)", text)),
        set(re.findall(r"\{glue:figure\}\s+([A-Za-z_0-9]+)", text)),
    )


@pytest.fixture(scope="module")
def hand_result():
    return F.analyse(dataset(), qualified_watch_s=5, attribution_window_s=3600, n_boot=20)


def test_numbers_are_exactly_the_keys_the_chapter_glues(hand_result):
    text_keys, figure_keys = markdown_glue_keys(CHAPTER)
    assert len(text_keys) > 100 and "ctr" in text_keys and figure_keys
    assert set(hand_result.numbers()) == text_keys
    for k, v in hand_result.numbers().items():
        assert type(v) in (int, float, str), (k, type(v))  # glue needs plain Python values


def test_numbers_known_values_on_the_hand_log(hand_result):
    h = hand_result.numbers()
    assert h["n_exposures"] == 7 and h["n_clicks"] == 4 and h["n_negatives"] == 3
    assert h["gift_no_click"] == 1 and h["all_late"] == 1 and h["all_before_click"] == 1
    assert h["gift_share_no_click"] == 0.5 and h["all_share_attributed"] == pytest.approx(2 / 5)
    assert h["ctr"] == pytest.approx(4 / 7)
    assert h["step_qualified"] == 0.5 and h["step_interaction"] == 0.5 and h["step_gift"] == 1
    assert h["gift_not_qualified"] == 0.0
    assert h["biggest_loss_step"] == "click"  # 3 of 7 exposures lost at the click step
    assert h["biggest_loss_share"] == pytest.approx(3 / 7)
    assert h["lowest_step"] == "qualified watch" and h["lowest_step_rate"] == 0.5
    assert h["rpm_all"] == pytest.approx(1000 * 12 / 7)  # includes the gift without a click
    assert h["rpm"] == pytest.approx(1000 * 5 / 7)
    assert h["ctr_single_screen"] == pytest.approx(0.5)  # two lone exposures, one clicked
    assert h["ctr_week1"] == pytest.approx(4 / 7) and h["gtr_week3"] == pytest.approx(1 / 4)
    assert h["watch_p50_gift"] == 8.0 and h["watch_p50_none"] == 3.0
    # GTR by age band: user 1 (18-23) gifts on 1 of 3 clicks, user 2 (50+) on none
    assert (h["ext_gtr_age_lo_level"], h["ext_gtr_age_lo"]) == ("50+", 0.0)
    assert (h["ext_gtr_age_hi_level"], h["ext_gtr_age_hi"]) == ("18-23", pytest.approx(1 / 3))
    assert h["ext_ctr_hour_separated"] in ("overlap", "do not overlap")
    assert h["window_label"] == "60 minutes" and h["qualified_watch_s"] == 5.0
    assert h["interval_label"] == "users resampled by bootstrap"
    assert h["source_label"] == "hand-made log"
    # no gift in the train part of 7 exposures: the baseline is skipped, not an error
    assert np.isnan(h["ctr_gb_auc"]) and h["gtr_n_test"] == 0
    assert "real-format files" in h["paper_gap_data_text"]  # not a twin
    assert h["gift_trend_origin"].startswith("No trend is planted")


def test_the_result_is_a_chapter_result_of_sections(hand_result):
    res = hand_result
    assert isinstance(res, ChapterResult) and isinstance(res.prediction, P.PredictResult)
    assert res.params.interval == "user" and res.params.n_boot == 20
    assert set(res.segments.tables) == set(F.Params().segments)
    assert set(res.segments.funnels) == set(F.Params().funnel_segments)
    assert res.segments.funnels["hour"]["n"].sum() == res.steps.funnel["n"].sum()
    s = res.kpis.summary.set_index("kpi")
    assert s.loc["CTR", "numerator"] == 4 and s.loc["CTR", "denominator"] == 7
    assert res.overall("qualified_rate") == res.overview.metrics["qualified_rate"].value == 0.5
    assert res.overall("interaction_rate") == 0.25
    assert list(res.trends.weekly.index) == ["week1", "week3"]
    assert res.numbers()["median_screen_size"] == 2.0
    for table in (res.steps.funnel, res.kpis.kpis, res.trends.daily, res.positions.by_screen):
        assert not table.attrs  # results travel as fields, never in DataFrame.attrs
    assert list(res.trends.gift_trend_table().columns)[0] == "period (UTC)"


def test_titles_state_what_each_figure_shows(hand_result):
    t = hand_result.titles
    assert t.funnel == "57.1% of exposures are clicked, 14.29% end in a gift"
    assert t.units == "50% of users but 14.29% of exposures reach the gift step"
    assert t.watch == "Median watch: 3 s without engagement, 8 s for gifting clicks"
    assert t.model.startswith("Best test AUC: CTR nan")
    assert all(isinstance(v, str) and v for v in vars(t).values())


def test_analyse_rejects_unknown_segments_and_reports_extremes_it_did_not_analyse():
    with pytest.raises(ValueError, match="unknown segment"):
        F.analyse(dataset(), segments=["nope"])
    with pytest.raises(ValueError, match="unknown segment"):
        F.analyse(dataset(), funnel_segments=["nope"])
    h = F.analyse(dataset(), segments=["hour"], n_boot=20, interval="wilson").numbers()
    assert (h["ext_gtr_age_lo_level"], h["ext_gtr_age_hi_level"]) == ("n/a", "n/a")
    assert np.isnan(h["ext_gtr_age_lo"]) and h["ext_gtr_device_price_separated"] == "overlap"
    assert h["interval_label"] == "Wilson: exposures treated as independent"


def test_findings_gate_on_the_hand_log(hand_result):
    from kuailive_analysis.report.findings import actions_markdown

    fs = hand_result.findings()
    assert all(isinstance(f, Finding) and f.chapter == ChapterId.FUNNEL.value for f in fs)
    keys = [f.key for f in fs]
    assert len(keys) == len(set(keys))
    assert {"ctr_kpi", "ctr_model_beats_baseline", "leak_check", "gift_trend"} <= set(keys)
    by = {f.key: f for f in fs}
    # no model on 7 exposures: the model findings cannot be checked, and carry no action
    assert by["ctr_model_beats_baseline"].status == "not checkable"
    assert by["leak_check"].status == "not checkable"
    for f in fs:
        if f.status != "validated" or f.origin == "planted":
            assert not f.action, f.key
    assert by["ctr_kpi"].origin == "data" and by["ctr_kpi"].status == "validated"
    assert by["ctr_kpi"].action.startswith("Test the room card")
    actions_markdown(fs)


def test_figures_draw_from_the_result(hand_result):
    from matplotlib.figure import Figure

    from kuailive_analysis.plots import funnel as PF

    res = hand_result
    figs = [
        PF.plot_funnel(res.steps.funnel, title=res.titles.funnel, source="hand log"),
        PF.plot_unit_funnels(res.steps.units, title=res.titles.units),
        PF.plot_segment_grid(res.segments.tables, "ctr", 0.5, title=res.titles.seg_ctr),
        PF.plot_segment_funnels(res.segments.funnels, title=res.titles.segment_funnels),
        PF.plot_daily(res.trends.daily, title=res.titles.daily),
        PF.plot_positions(res.positions.by_screen, res.positions.by_index, title="t"),
        PF.plot_watch_ecdf(res.watch.clicks, 5, title=res.titles.watch),
        PF.plot_gift_trend(res.trends.gift_trend.table, reference=res.trends.published),
        PF.plot_calibrations(res.prediction.calibrations, title=res.titles.calibration),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        labelled = [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel()]
        assert labelled, "every figure labels its axes"
    assert len(figs[3].axes) == 4 * len(res.segments.funnels)
    assert any("Beijing" in t.get_text() for t in figs[4].texts)
    assert figs[0].axes[0].get_title(loc="left") == res.titles.funnel


def test_findings_on_a_small_twin_follow_their_intervals(small_twin):
    from kuailive_analysis.dataset import load

    res = F.analyse(load(small_twin), n_boot=50, max_train_rows=30_000)
    by = {f.key: f for f in res.findings()}
    for key in ("ctr_model_beats_baseline", "ctr_model_within_user", "gift_trend"):
        f = by[key]
        if f.status in ("validated", "failed"):
            lo, hi = f.interval
            assert (f.status == "validated") == (lo > 0 or (key == "gift_trend" and hi < 0))
    assert by["gift_trend"].origin == "planted"  # the twin plants the rise
    assert res.trends.planted_gift_period is not None
    leak = res.prediction.info["leaks"]
    assert (by["leak_check"].status == "failed") == bool(leak.str.len().sum())
    # a suspected leak never carries the headline: no flagged feature in the headline model
    for task, ev in res.prediction.evaluations.items():
        flagged = set(ev.leaks.loc[ev.leaks["suspected_leak"], "feature"])
        assert res.prediction.metrics.loc[(task, "gradient boosting"), "kind"] == "model"
        if flagged:
            assert ev.comparison["best_baseline"] not in {
                n for k, n, c in P.TASKS[task].baselines if c in flagged
            }
    n = res.numbers()
    assert "twin" in n["gift_trend_origin"] and "twin" in n["paper_gap_data_text"]
