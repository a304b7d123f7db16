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
    # no model on 7 exposures: the title says so instead of printing nan
    assert t.model == (
        "Within users, click model not evaluated on this data; gift model not evaluated on this "
        "data"
    )
    # streamer 102 is never clicked (0 of 2), streamer 100 always (3 of 3): the widest spread
    assert t.seg_ctr == "CTR varies most across streamer popularity deciles: 0.0% to 100.0%"
    # 2 gift events (one without a click) over 4 clicks in the first UTC period; no clicks later
    assert t.gift_trend == "Gifts per click by UTC period: 50.00%, \u2013, \u2013"
    assert t.segment_funnels == (
        "Step conversion per level of hours of the day and of device price bands"
    )
    assert t.daily == "Daily CTR between 57.1% and 57.1%, GTR between 25.00% and 25.00%"
    assert all(isinstance(v, str) and v for v in vars(t).values())
    assert all("nan" not in v for v in vars(t).values())


def test_glue_roles_in_the_prose_are_well_formed():
    """Every glue role is `{glue:text}` + a backticked name with an optional format spec; a
    stray brace or a missing backtick leaves raw markup on the page."""
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    roles = re.findall(r"\{glue:text\}`([^`]*)`", text)
    assert len(roles) > 100
    bad = [r for r in roles if not re.fullmatch(r"[A-Za-z_0-9]+(:[^`{}]+)?", r)]
    assert bad == []
    assert text.count("{glue:text}") == len(roles)  # no role without its closing backtick


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
    assert keys == ["ctr_kpi", "gtr_kpi", "ctr_feed_ranking", "gtr_gift_prompts",
                    "gtr_within_user", "leak_audit", "ctr_calibration", "gtr_calibration",
                    "gift_trend"]  # fmt: skip
    by = {f.key: f for f in fs}
    # no model on 7 exposures: the decisions cannot be checked, and carry no action
    for key in ("ctr_feed_ranking", "gtr_gift_prompts", "gtr_within_user"):
        assert by[key].status == "not checkable" and not by[key].action
    for f in fs:
        if f.status != "validated" or f.origin == "planted":
            assert not f.action, f.key
        # every finding says what it is, what would have failed it and what it asks
        assert f.would_fail and f.question.endswith("?"), f.key
        # a statement never repeats its number: the value and interval fields carry it
        assert f.value is None or not re.search(r"\d", f.statement), f.key
        assert f.kind in ("claim", "method check") and f.check_type, f.key
    assert by["ctr_kpi"].origin == "data" and by["ctr_kpi"].check_type == "precision"
    assert not by["ctr_kpi"].tuned  # the hand log is not the twin
    assert by["leak_audit"].kind == "method check" and by["leak_audit"].check_type == "qa"
    actions_markdown(fs)


def _policy_rows(res):
    from kuailive_analysis.chapter.findings import headline_refusal

    twin = res.source.is_twin
    return {f.key: (f, headline_refusal(f, twin=twin)) for f in res.findings()}


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
    fs = _policy_rows(res)
    by = {k: f for k, (f, _) in fs.items()}
    decisions = {"ctr_feed_ranking": "uauc", "gtr_gift_prompts": "auc", "gtr_within_user": "uauc"}
    for key in (*decisions, "gift_trend"):
        f = by[key]
        if f.status in ("validated", "failed"):
            lo, hi = f.interval
            assert (f.status == "validated") == (lo > 0 or (key == "gift_trend" and hi < 0))
    # each decision is judged against the baseline it would otherwise use, on its metric
    p = res.prediction
    for (key, met), d in zip(decisions.items(), ("feed", "prompt", "rooms")):
        c = p.comparison(d)
        assert by[key].unit == met.upper() and by[key].value == pytest.approx(c[f"diff_{met}"])
        assert c["baseline"] == {"feed": "streamer's past CTR", "prompt": "user's own past GTR",
                                 "rooms": "streamer's past GTR"}[d]  # fmt: skip
        assert c[f"diff_{met}"] == pytest.approx(c[f"model_{met}"] - c[f"baseline_{met}"])
    for f in by.values():  # a statement never repeats its number (the value carries it)
        assert f.value is None or not re.search(r"\d", f.statement), f.key
    # the twin: CTR and GTR are values the generator was tuned to, precision gates, never
    # headlines; the planted rise of gifts per click is tuned too
    for key in ("ctr_kpi", "gtr_kpi", "gift_trend"):
        f, refusal = fs[key]
        assert f.tuned and refusal, key
    assert by["gift_trend"].origin == "planted"  # the twin plants the rise
    assert res.trends.planted_gift_period is not None
    # a validated decision is a headline; a failed one is not, and asks its question instead
    for key in ("ctr_feed_ranking", "gtr_gift_prompts"):
        f, refusal = fs[key]
        assert (refusal == "") == (f.status == "validated"), (key, refusal)
    # the leak audit: the models use no profile feature, and recomputing the history features
    # from earlier days only changed none of them
    assert by["leak_audit"].status == "validated", by["leak_audit"].reason
    for feats in p.info["features"]:
        assert not set(feats.split(", ")) & P.LEAKS
    assert p.leak_max_change == 0 and p.leak_rows_checked > 0
    audit = p.audit.set_index("column")
    assert (
        set(audit.index[audit["leak"] == "yes"])
        == set(P.LEAKS)
        == {"age", "gender", "device_price"}
    )
    assert (audit.loc[audit["leak"] == "no", "time bound"].str.len() > 0).all()
    n = res.numbers()
    assert "twin" in n["gift_trend_origin"] and "twin" in n["paper_gap_data_text"]
