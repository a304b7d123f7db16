"""Chapter 1 (``kuailive_analysis.cleaning``): its glued numbers are exactly the keys the
notebook's text uses, with known answers on the tiny folder; its findings and their checks; the
twin's ground truth; the figures."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from _tiny import write_tiny

from kuailive_analysis import cleaning, dataset
from kuailive_analysis.chapter import ChapterId, Finding
from kuailive_analysis.cleaning.analysis import SCHEMA_COLUMNS, report_title, room_days_label
from kuailive_analysis.core.params import ParamError
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.accounting import REPORT_COLUMNS, check_report

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "chapters" / "01_cleaning.ipynb"


def _markdown_glue_keys(path: Path) -> set[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z_0-9]+)", text))


@pytest.fixture(scope="module")
def tiny_ds(tmp_path_factory):
    return dataset.load(write_tiny(tmp_path_factory.mktemp("ch1") / "tiny"))


@pytest.fixture(scope="module")
def tiny_result(tiny_ds):
    return cleaning.analyse(tiny_ds)


def test_numbers_are_exactly_the_keys_the_chapter_glues(tiny_result):
    keys = _markdown_glue_keys(CHAPTER)
    assert len(keys) > 30 and "click_kept_share" in keys
    n = tiny_result.numbers()
    assert set(n) == keys
    for k, v in n.items():
        assert type(v) in (int, float, str), (k, type(v))  # glue needs plain Python values


def test_numbers_known_answers_on_the_tiny_folder(tiny_result, tiny_ds):
    n = tiny_result.numbers()
    assert (n["click_in"], n["gift_in"], n["room_in"], n["negative_in"]) == (10, 3, 7, 3)
    # by default the duplicate click and the long-room click and gift are kept, flagged
    assert n["click_kept_share"] == 0.7 and n["gift_kept_share"] == 1.0
    assert (n["click_out"], n["gift_out"]) == (7, 3)
    assert n["duplicate_rooms_room_dropped"] == 2 and n["duplicate_rooms_room_flagged"] == 1
    assert n["censored_room_end_room_flagged"] == 1 and n["long_rooms_room_dropped"] == 0
    assert n["long_rooms_room_flagged"] == 1 and n["long_rooms_mode"] == "flag"
    assert n["events_outside_window_click_dropped"] == 1
    assert n["duplicate_events_click_dropped"] == 0 and n["duplicate_events_click_flagged"] == 1
    assert n["orphan_events_click_dropped"] == 2
    assert (n["long_click_n"], n["long_gift_n"]) == (1, 1)
    assert n["streamer_mismatch_click_flagged"] == 1
    # the 7-day room holds 1 of 10 raw clicks and 1 of 3 gifts
    assert n["long_click_share"] == pytest.approx(0.1)
    assert n["long_gift_share"] == pytest.approx(1 / 3)
    assert n["sens_click_half"] == pytest.approx(0.1)  # only the 7-day room is over 12 h
    assert n["sens_click_week"] == 0.0  # exactly 7 days is not over 7 days
    assert (n["q_dup_rooms"], n["q_capped"], n["q_dup_neg"], n["q_mismatch_click"]) == (2, 1, 0, 1)
    assert n["click_first"].startswith("2025-05-04 23:00")  # c8, an hour before the window
    assert n["room_name_rule"] == "last" and n["max_room_days_label"] == "1 day"
    assert n["source_label"].startswith("KuaiLive files in ")
    # 10 (user, room) pairs, 5 of them with a click; 10 (user, day) rows
    assert (n["n_sessions"], n["n_user_days"]) == (len(tiny_ds.sessions), len(tiny_ds.user_day))
    assert (n["n_sessions"], n["share_sessions_click"], n["n_user_days"]) == (10, 0.5, 10)


def test_sections_and_tables(tiny_result):
    r = tiny_result
    found = r.checks.found
    assert (found["count"] > 0).all() and len(found) < len(r.checks.quality)
    assert not r.delivered.schema["column"].str.startswith("onehot_feat").any()
    assert list(r.delivered.schema.columns) == SCHEMA_COLUMNS
    assert isinstance(r.delivered.schema.index, pd.RangeIndex)  # shown without an index
    assert list(r.delivered.click_sample.columns) == S.CLICK.column_names
    assert list(r.model.data_model["table"]) == list(dataset.TABLES)
    assert (r.model.n_rooms, r.model.n_room_ids) == (5, 5)
    assert r.params == cleaning.Params() and r.params.max_room_days == 1.0
    check_report(r.accounting.report)
    for t in (r.accounting.report_display(), r.decisions.sensitivity_display()):
        assert not any("_" in str(c) for c in t.columns), list(t.columns)
    assert r.accounting.truth is None and r.accounting.truth_display().empty


def test_params_must_be_the_datasets(tiny_ds):
    assert cleaning.analyse(tiny_ds, cleaning.Params()).params == cleaning.Params()
    with pytest.raises(ParamError, match="cleaned with"):
        cleaning.analyse(tiny_ds, long_rooms="drop")


@pytest.mark.parametrize("days,label", [(None, "no limit"), (1.0, "1 day"), (2.0, "2 days")])
def test_room_days_label(days, label):
    assert room_days_label(days) == label


def test_findings_on_a_folder_without_truth(tiny_result):
    f = {x.key: x for x in tiny_result.findings()}
    assert list(f) == ["keeps_real_events", "row_accounting", "duplicate_rooms", "long_rooms"]
    assert all(isinstance(x, Finding) and x.chapter == ChapterId.CLEANING for x in f.values())
    assert f["keeps_real_events"].status == "not checkable" and f["keeps_real_events"].reason
    assert f["row_accounting"].status == "validated"
    assert f["duplicate_rooms"].status == "validated"
    assert f["duplicate_rooms"].evidence == {"room_rows": 7, "rooms": 5, "rows_merged": 2}
    assert f["long_rooms"].status == "validated" and f["long_rooms"].evidence["clicks"] == 1
    assert all(x.origin != "planted" for x in f.values())  # a plain folder: nothing planted


def test_duplicate_rooms_finding_fails_when_live_id_is_not_a_key(tiny_result):
    """The check is real: rooms that repeat a live_id (or disagree with the report) fail it."""
    bad = replace(tiny_result, model=replace(tiny_result.model, n_room_ids=4))
    f = {x.key: x for x in bad.findings()}["duplicate_rooms"]
    assert f.status == "failed" and "4 distinct live_ids" in f.reason


def test_row_accounting_fails_on_a_broken_report(tiny_result):
    rep = tiny_result.accounting.report.copy()
    rep.loc[rep.index[-1], "rows_out"] += 1
    bad = replace(tiny_result, accounting=replace(tiny_result.accounting, report=rep))
    f = {x.key: x for x in bad.findings()}["row_accounting"]
    assert f.status == "failed" and "does not add up" in f.reason


def test_truth_check_counts_real_events_lost_and_flagged():
    rep = pd.DataFrame(
        [
            ("duplicate_events", "gift", 10, 0, 2, 10),
            ("long_rooms", "gift", 10, 1, 0, 9),
            ("long_rooms", "click", 5, 0, 1, 5),
        ],
        columns=REPORT_COLUMNS,
    )
    t = cleaning.truth_check(rep, {"params": {"counts": {"gift": 10, "click": 5}}})
    t = t.set_index("table")
    assert t.loc["gift", "kept"] == 9 and t.loc["gift", "dropped"] == 1
    assert t.loc["gift", "flagged"] == 2 and t.loc["click", "dropped"] == 0
    assert cleaning.truth_check(rep, None) is None


def test_keeps_real_events_fails_when_a_rule_drops_real_gifts(tiny_result):
    truth = pd.DataFrame(
        [{"table": "gift", "written": 3, "in_file": 3, "kept": 2, "dropped": 1, "flagged": 0}]
    )
    acc = replace(tiny_result.accounting, truth=truth)
    f = {x.key: x for x in replace(tiny_result, accounting=acc).findings()}["keeps_real_events"]
    assert f.status == "failed" and f.value == 1 and not f.action and f.reason
    acc = replace(tiny_result.accounting, truth=truth.assign(kept=3, dropped=0))
    f = {x.key: x for x in replace(tiny_result, accounting=acc).findings()}["keeps_real_events"]
    assert (
        f.status == "validated"
        and f.action
        and not f.reason
        and not f.headline
        and f.kind == "edition check"
    )


def test_figures(tmp_path):
    from matplotlib.figure import Figure

    from kuailive_analysis.plots import cleaning as P

    ds = dataset.load(write_tiny(tmp_path / "tiny"), drop_duplicate_events=True, long_rooms="drop")
    res = cleaning.analyse(ds)
    hist = res.decisions.room_durations
    assert int(hist[["real", "censored"]].to_numpy().sum()) == 5  # all deduplicated rooms
    # 1 of 3 gift rows (in the long room) is the largest share any rule dropped
    assert res.titles.report == "Long rooms removes the largest share: 33.33% of gift rows"
    figs = [
        P.plot_room_durations(hist, title=res.titles.room_durations, source="tiny"),
        P.plot_room_sensitivity(res.decisions.room_sensitivity, title=res.titles.room_sensitivity),
        P.plot_report(res.accounting.report, title=res.titles.report),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_title(loc="left")
    assert figs[2].axes[0].get_title(loc="left") == res.titles.report
    no_drops = res.accounting.report.assign(rows_dropped=0)
    assert report_title(no_drops) == "No cleaning rule dropped any row"


def test_cleaning_keeps_every_real_event_on_the_twin(small_twin):
    """On the twin every row the generator wrote is a real event: the default cleaning keeps
    them all (the duplicate and long-room rules flag, not drop)."""
    res = cleaning.analyse(dataset.load(small_twin))
    t = res.accounting.truth.set_index("table")
    assert (t["dropped"] == 0).all() and (t["kept"] == t["written"]).all()
    f = {x.key: x for x in res.findings()}
    assert (
        f["keeps_real_events"].status == "validated" and f["keeps_real_events"].check_type == "qa"
    )
    assert f["long_rooms"].origin == "planted" and f["duplicate_rooms"].origin == "planted"
    assert f["duplicate_rooms"].status == "validated"
    res2 = cleaning.analyse(dataset.load(small_twin, long_rooms="drop"))
    assert res2.accounting.truth.set_index("table").loc["click", "dropped"] > 0
    assert {x.key: x for x in res2.findings()}["keeps_real_events"].status == "failed"


def test_every_finding_is_an_edition_check_never_a_headline(tiny_result):
    """Chapter 1 checks the pipeline on these files (issue 23: QA is not a claim about users):
    every finding is a QA edition check, none is proposed as a headline, and each asks an open
    question in case its check does not pass."""
    from kuailive_analysis.chapter.findings import headlines

    found = tiny_result.findings()
    assert found and all(f.kind == "edition check" and f.check_type == "qa" for f in found)
    assert not any(f.headline for f in found) and all(f.question.endswith("?") for f in found)
    assert headlines(found, twin=False) == []
