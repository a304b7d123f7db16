"""Chapter 2's result (``eda.analyse -> EDAResult``) without executing the notebook: the glued
numbers against the text, the thin notebook, known answers on the tiny folder, the figures, the
calibration table and the findings."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from kuailive_analysis import eda
from kuailive_analysis.chapter import ChapterId, Section
from kuailive_analysis.core.stats import gini
from kuailive_analysis.dataset import load
from kuailive_analysis.eda.published import CALIBRATION_COLUMNS, CALIBRATION_KEYS
from kuailive_analysis.eda.returns import REPEAT_DEFINITIONS
from kuailive_analysis.eda.timing import days_per_weekday

from .hand import dataset

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "chapters" / "02_eda.ipynb"
INTRO = CHAPTER.parents[1] / "intro.md"
TEXT_KEY = re.compile(r"\{glue:text\}`(\w+)(?::([^`]*))?`")
INTRO_KEY = re.compile(r"\{glue:text\}`chapters/02_eda\.ipynb::(\w+)(?::([^`]*))?`")
FIGURE_KEY = re.compile(r"\{glue:figure\}\s+(\w+)")
DROPPING = {"drop_duplicate_events": True, "long_rooms": "drop"}


def _cells(kind: str) -> list[str]:
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == kind and "parameters" not in c["metadata"].get("tags", [])
    ]


def _text_uses() -> set[tuple[str, str]]:
    """(key, spec) of every {glue:text} of the chapter's markdown and of the landing page."""
    uses = {u for md in _cells("markdown") for u in TEXT_KEY.findall(md)}
    return uses | set(INTRO_KEY.findall(INTRO.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from _tiny import write_tiny

    return write_tiny(tmp_path_factory.mktemp("tiny_eda"))


@pytest.fixture(scope="module")
def tiny_ds(tiny_folder):
    # the known answers below are for the cleaning that drops the duplicate click and the
    # long room (the default keeps and flags them)
    return load(tiny_folder, cache=False, **DROPPING)


@pytest.fixture(scope="module")
def result(tiny_ds) -> eda.EDAResult:
    return eda.analyse(tiny_ds)


def test_numbers_are_exactly_the_glue_keys_of_the_text(result):
    used = {k for k, _ in _text_uses()}
    assert len(used) > 100
    assert set(result.numbers()) == used


def test_every_number_takes_the_spec_the_text_uses(result):
    h = result.numbers()
    for key, spec in _text_uses():
        value = h[key]
        assert type(value) in (int, float, str), (key, type(value))  # no numpy scalars
        if spec.endswith("d"):
            assert isinstance(value, int), (key, value)
        if spec.endswith("s"):
            assert isinstance(value, str), (key, value)
        format(value, spec)


def test_figures_and_tables_of_the_text_are_glued_by_the_notebook_with_the_results_titles():
    figures = {k for md in _cells("markdown") for k in FIGURE_KEY.findall(md)}
    code = "\n".join(_cells("code"))
    glued = set(re.findall(r"\bg\(\s*\"(\w+)\"", code))
    assert len(figures) == 17 and figures == glued
    titles = set(re.findall(r"title=res\.titles\.(\w+)", code))
    assert titles == {f.name for f in dataclasses.fields(eda.Titles)}
    assert {f"fig_{t}" for t in titles} <= glued


def test_notebook_is_thin_and_stored_without_outputs():
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    assert not any(
        c.get("outputs") or c.get("execution_count")
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )
    text = "\n".join(_cells("code"))
    assert len([ln for ln in text.splitlines() if ln.strip()]) <= 63
    for call in ("ds = load(data_dir)", "eda.analyse(ds, params)", "glue_all(res.numbers())"):
        assert text.count(call) == 1, call
    for banned in (
        r"^\s*def ",
        r"^\s*class ",
        r"^\s*(for|while) ",
        r"\bf\"",
        r"\bf'",
        r"\.iloc\b",
        r"\bimport (numpy|pandas)\b",
    ):
        assert not re.search(banned, text, re.MULTILINE), banned


def test_result_is_a_frozen_chapter_result_and_carries_nothing_in_attrs(result):
    assert isinstance(result.params, eda.Params) and result.source.kind == "folder"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.streamers.streamers_zero = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.elapsed_s = 0.0
    sections = [
        getattr(result, f.name)
        for f in dataclasses.fields(result)
        if isinstance(getattr(result, f.name), Section)
    ]
    assert [type(s).__name__ for s in sections] == [
        "Overview",
        "Profiles",
        "Streamers",
        "Concentration",
        "Rooms",
        "Users",
        "Timing",
        "Returns",
        "Behaviour",
        "Gifts",
        "Published",
    ]
    frames = []
    for section in sections:
        for f in dataclasses.fields(section):
            v = getattr(section, f.name)
            items = v.values() if isinstance(v, dict) else [v]
            frames += [
                x[0] if isinstance(x, tuple) else x
                for x in items
                if isinstance(x, (pd.DataFrame, pd.Series, tuple))
            ]
    assert len(frames) >= 25 and not any(x.attrs for x in frames)
    assert len(repr(result)) < 20_000  # tables stay out of the repr


def test_known_answers_on_the_tiny_folder(result, tiny_ds):
    h = result.numbers()
    # 5 clean clicks (watch 2, 3, 5, 7, 60 s) and 3 negatives; 2 clean gifts of 2 and 10 coins
    assert (h["n_users"], h["n_streamers"], h["n_clicks"]) == (4, 3, 5)
    assert h["n_rooms"] == len(tiny_ds.rooms)
    assert h["ctr"] == pytest.approx(5 / 8) and h["negatives_per_click"] == pytest.approx(3 / 5)
    shares = (
        "watch_share_lt_5s",
        "watch_share_5_30s",
        "watch_share_30_300s",
        "watch_share_ge_300s",
    )
    assert [h[k] for k in shares] == pytest.approx([0.4, 0.4, 0.2, 0.0])
    assert h["watch_median_s"] == pytest.approx(5.0) and h["watch_mean_s"] == pytest.approx(15.4)
    assert h["watch_max_min"] == pytest.approx(1.0)
    assert (h["revenue"], h["gift_price_mean"], h["gift_max"]) == (12, 6.0, 10.0)
    assert h["gift_share_eq_1"] == 0.0 and h["gift_share_le_20"] == 1.0
    assert h["users_male"] == 0.5 and h["streamers_female"] == 1.0 and h["top_country"] == "China"
    assert h["cold_start_max"] == 5 and h["live_step_label"] == "15-minute"
    assert h["shop_share"] == pytest.approx(1 / len(tiny_ds.rooms))  # room 11 is the shop room


def test_sections_agree_with_their_tables(result, tiny_ds):
    h = result.numbers()
    st = result.streamers
    n = st.activity["n_interactions"]
    assert h["streamers_lt_cold"] == pytest.approx((n < h["cold_start_max"]).mean())
    assert h["streamers_zero"] == pytest.approx((n == 0).mean()) and st.n_zero == (n == 0).sum()
    assert st.histogram["count"].sum() + st.n_zero == len(n) == h["n_streamers"]
    conc = result.concentration
    assert conc.table.loc["clicks", "gini"] == pytest.approx(gini(st.activity["n_clicks"]))
    assert h["gini_clicks"] == conc.ginis["clicks"] and set(conc.curves) == set(conc.table.index)
    assert list(conc.display_table().columns[-2:]) == ["top 1% share", "top 10% share"]
    users = result.users
    assert users.active_days["count"].sum() == len(users.activity) == h["n_users"]
    timing = result.timing
    per_weekday = days_per_weekday()[:, None]
    assert (timing.matrix.to_numpy() * per_weekday).sum() == pytest.approx(h["n_clicks"])
    assert timing.daily["n_clicks"].sum() == h["n_clicks"]
    assert timing.profile.sum().to_numpy() == pytest.approx(1.0)
    assert h["uniform_peak_share"] == h["peak_hours"] / 24
    rooms = result.rooms
    assert rooms.start_hours["share"].sum() == pytest.approx(1.0)
    assert h["live_max"] == rooms.live["n_live"].max()
    assert set(rooms.durations) == {"content category", "live_type"}
    assert h["shop_cmp"] == (
        "longer" if h["shop_median_min"] > h["nonshop_median_min"] else "no longer"
    )
    assert result.gifts.price_counts["count"].sum() == len(tiny_ds.gifts)
    table = result.published.display_table()
    assert list(table.columns) == list(CALIBRATION_COLUMNS.values())
    assert len(table) == len(CALIBRATION_KEYS)


def test_titles_state_the_findings(result):
    h, t = result.numbers(), result.titles
    assert t.demographics == "50% of users are men, 100% of streamers are women"
    assert t.streamer_hist.startswith(
        f"{h['streamers_lt_cold']:.0%} of streamers get fewer than 5 interactions"
    )
    assert result.streamers.threshold_label == "cold-start threshold (5)"
    assert t.rooms.startswith(f"Rooms start mostly {h['room_start_peak']};")
    assert t.time.startswith(f"Activity peaks {h['activity_peak']} Beijing time")
    assert t.watch == "40% of clicks last under 5 seconds; median 5.0 s"
    assert t.gifts.startswith("0% of gifts cost 1 coin")
    assert t.lorenz.startswith(result.concentration.table["gini"].idxmax().capitalize())


def test_every_figure_builds_from_the_result_with_labelled_axes(result):
    from matplotlib.figure import Figure

    from kuailive_analysis.plots import eda as ep

    r, t = result, result.titles
    figs = [
        ep.plot_demographics(r.profiles.demographics, title=t.demographics),
        ep.plot_tenure(r.profiles.tenure_years, title=t.tenure),
        ep.plot_ccdfs(r.streamers.ccdfs, markers={"interactions": 5}, title=t.streamer_ccdf),
        ep.plot_log_histogram(
            r.streamers.histogram, xlabel="x", density=True, n_zero=r.streamers.n_zero
        ),
        ep.plot_lorenz(r.concentration.curves, r.concentration.ginis, title=t.lorenz),
        ep.plot_room_schedule(r.rooms.start_hours, r.rooms.live, title=t.rooms),
        ep.plot_durations(r.rooms.durations, title=t.durations),
        ep.plot_activity_time(r.timing.matrix, r.timing.daily, title=t.time),
        ep.plot_hourly_profile(r.timing.profile, title=t.hourly),
        ep.plot_revisits(r.returns.intervals, title=t.revisits),
        ep.plot_bars(r.users.active_days, x="value", y="share", xlabel="x", ylabel="y"),
        ep.plot_gift_prices(r.gifts.price_counts, r.gifts.histogram, title=t.gifts),
    ]
    for f in figs:
        assert isinstance(f, Figure)
        for ax in f.axes:
            if ax.get_visible() and ax.get_label() != "<colorbar>":
                assert ax.get_xlabel() or ax.get_ylabel(), f"unlabelled axes in {f}"


def test_parameters_reach_the_result(tiny_ds, result):
    res = eda.analyse(
        tiny_ds,
        cold_start_max=2,
        repeat_definition="share_pairs_returning",
        peak_hours=4,
        live_step_minutes=30,
    )
    h = res.numbers()
    n = res.streamers.activity["n_interactions"]
    assert h["cold_start_max"] == 2 and h["streamers_lt_cold"] == pytest.approx((n < 2).mean())
    assert h["peak_hours"] == 4 and h["uniform_peak_share"] == 1 / 6
    assert h["live_step_label"] == "30-minute" and len(res.rooms.live) * 2 == len(result.rooms.live)
    assert h["repeat_definition_text"] == REPEAT_DEFINITIONS["share_pairs_returning"]
    assert res.params.values()["cold_start_max"] == 2
    params = eda.Params(peak_hours=4)
    assert eda.analyse(tiny_ds, params, cold_start_max=2).params == params.replace(cold_start_max=2)
    with pytest.raises(ValueError, match="cold_start_maximum"):
        eda.analyse(tiny_ds, cold_start_maximum=2)
    with pytest.raises(ValueError, match="repeat_definition"):
        eda.Params(repeat_definition="share_of_nothing")
    with pytest.raises(ValueError, match="peak_hours"):
        eda.Params(peak_hours=0)


# ---------------------------------------------------------------------------------------------
# Calibration check and findings
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twin_result(small_twin) -> eda.EDAResult:
    return eda.analyse(load(small_twin))


def test_calibration_table_takes_each_value_from_the_fidelity_module(twin_result, small_twin):
    from kuailive_analysis import fidelity
    from kuailive_analysis.eda.published import ROLE_TUNED, ROLE_UNTUNED

    cal = twin_result.published.calibration
    assert list(cal.index) == list(CALIBRATION_KEYS)
    stats = fidelity.measure(small_twin)
    for key in ("daily_gini_clicks", "ctr", "gini_user_revenue", "streamer_lt5"):
        assert cal.loc[key, "run_value"] == pytest.approx(stats[key])
        assert cal.loc[key, "real_value"] == fidelity.FACT_BY_KEY[key].real
    # the click Gini is the source's daily-averaged one (0.563); the pooled Gini is shown but
    # not comparable, with the same verdict as in the appendix
    assert cal.loc["daily_gini_clicks", "real_value"] == 0.563
    assert cal.loc["daily_gini_clicks", "verdict"] in ("match", "close", "off")
    assert cal.loc["gini_streamer_clicks", "verdict"] == "not comparable"
    appendix = fidelity.analyse(load(small_twin)).table.set_index("Key")["Verdict"]
    assert (cal["verdict"] == appendix[cal.index]).all()
    assert twin_result.published.click_gini_daily == pytest.approx(stats["daily_gini_clicks"])
    # on the twin the role says whether the generator was tuned to the value
    tuned = [fidelity.FACT_BY_KEY[k].tuned for k in cal.index]
    assert cal["role"].tolist() == [ROLE_TUNED if t else ROLE_UNTUNED for t in tuned]
    assert cal.loc["ctr", "role"] == ROLE_TUNED
    assert cal.loc["daily_gini_clicks", "role"] == ROLE_UNTUNED
    assert set(cal["verdict"]) <= set(fidelity.VERDICTS)
    n = twin_result.numbers()
    n_na = int((cal["verdict"] == "n/a").sum())
    judged = n["calibration_match"] + n["calibration_close"] + n["calibration_off"]
    assert n["calibration_n_judged"] == judged == len(cal) - n_na - n["calibration_not_comparable"]
    assert n["calibration_n"] == len(cal) and n["calibration_not_comparable"] == 2
    assert n["calibration_n_tuned"] == sum(
        t for t, v in zip(tuned, cal["verdict"]) if v not in ("n/a", "not comparable")
    )


CLAIMS = ("revenue_concentration", "evening_habit", "loyal_users", "cold_start")
CHECKS = ("calibration", "click_concentration")


def test_findings_on_the_twin_are_planted_tuned_and_never_headlines(twin_result):
    from kuailive_analysis.chapter import Finding, findings as F

    f = {x.key: x for x in twin_result.findings()}
    assert set(f) == {*CHECKS, *CLAIMS}
    assert all(isinstance(x, Finding) and x.chapter == ChapterId.EDA.value for x in f.values())
    subjects = {"revenue_concentration": "money", "cold_start": "streamers"}
    for key in CLAIMS:
        x = f[key]
        assert (x.kind, x.check_type, x.origin) == ("claim", "test", "planted"), key
        assert x.subject == subjects.get(key, "users") and x.would_fail and x.question, key
        assert x.tuned and x.headline and not x.action, key
        assert x.interval[0] <= x.value <= x.interval[1], key
        assert "tuned to" in F.headline_refusal(x, twin=True)
    for key in CHECKS:
        x = f[key]
        assert (x.kind, x.check_type, x.origin) == ("edition check", "calibration", "data")
        assert not x.headline and x.question and not x.subject
    assert F.headlines(f.values(), twin=True) == []
    ev, c = f["evening_habit"], twin_result.checks
    assert ev.status == ("validated" if ev.interval[0] > c.flat_share else "failed")
    assert ev.evidence["window"] == c.peak_window
    assert f["loyal_users"].status == ("validated" if c.fav_lift_ci[0] > 0 else "failed")
    if f["calibration"].status == "failed":
        assert "outside tolerance" in f["calibration"].reason
    # the statement of a claim does not repeat its number (the headline table shows it)
    for key in CLAIMS:
        assert f"{f[key].value:.1%}" not in f[key].statement, key


def test_findings_on_a_plain_folder_are_data_and_their_claims_may_be_headlines(result):
    from kuailive_analysis.chapter import findings as F

    f = {x.key: x for x in result.findings()}
    assert all(x.origin == "data" and not x.tuned for x in f.values())
    for key in CLAIMS:
        x = f[key]
        assert bool(x.action) == (x.status == "validated"), key
        assert (F.headline_refusal(x, twin=False) == "") == (x.status == "validated"), key
    for key in CHECKS:
        assert f[key].check_type == "qa" and not f[key].action
        assert F.headline_refusal(f[key], twin=False) == "not proposed as a headline"
    assert all(not x.reason for x in f.values() if x.status == "validated")
    assert all(x.reason and x.question for x in f.values() if x.status != "validated")
    assert (result.published.calibration["role"] == "published value: checks this copy").all()


def test_a_claim_whose_interval_reaches_its_alternative_fails_with_its_question(result):
    """The same finding with a check that reaches its alternative: failed, no action, never a
    headline, and the open question is asked in its place."""
    from kuailive_analysis.chapter import findings as F

    c = result.checks
    worse = dataclasses.replace(
        result,
        checks=dataclasses.replace(c, peak_share_hold_ci=(0.1, 0.9), cold_share_ci=(0.4, 0.6)),
    )
    f = {x.key: x for x in worse.findings()}
    for key in ("evening_habit", "cold_start"):
        assert f[key].status == "failed" and not f[key].action and f[key].reason, key
        assert F.headlines([f[key]]) == [] and f[key].question.endswith("?")


def test_titles_say_planted_on_the_twin(twin_result, result):
    from kuailive_analysis.eda.result import PLANTED

    for name, title in dataclasses.asdict(twin_result.titles).items():
        assert title.startswith(PLANTED), name
        assert title[len(PLANTED)].islower() or title[len(PLANTED)].isdigit(), name
    assert not any(t.startswith(PLANTED) for t in dataclasses.asdict(result.titles).values())


def test_calibration_without_a_data_folder_is_not_available():
    cal = eda.calibration_table(dataset())
    assert (cal["verdict"].isin(["n/a", "not comparable"])).all() and cal["run_value"].isna().all()
