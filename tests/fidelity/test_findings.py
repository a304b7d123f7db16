"""The appendix's findings and the declarations both chapters read: which published
comparisons are valid (:mod:`kuailive_analysis.fidelity.comparability`), which values the twin
was tuned to (:mod:`~kuailive_analysis.fidelity.targets`), the twin caveats
(:mod:`~kuailive_analysis.fidelity.caveats`) and the findings of the appendix (every one an
edition check, none a headline)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from kuailive_analysis import fidelity as F
from kuailive_analysis.chapter import findings as CF
from kuailive_analysis.fidelity.caveats import CAVEATS, caveat_findings
from kuailive_analysis.fidelity.comparability import (
    NOT_COMPARABLE,
    NOT_COMPARABLE_VERDICT,
    implied_session_watch_s,
)
from kuailive_analysis.fidelity.findings import OFF_SHARE_MAX
from kuailive_analysis.fidelity.targets import TUNED_TO
from kuailive_analysis.fidelity.twin_bounds import TWIN_TEST_BOUNDS

CAVEAT_KEYS = {c.key for c in CAVEATS}


# --------------------------------------------------------------------------------------------
# Which comparisons are valid
# --------------------------------------------------------------------------------------------
def test_a_comparison_that_is_not_computed_as_its_source_did_is_never_judged():
    click = F.FACT_BY_KEY["gini_streamer_clicks"]
    assert not click.comparable and "daily-averaged" in click.basis
    for value in (click.real, 0.77, float("nan")):  # a match, an off value, no value
        assert F.judge(click, value)[2] == NOT_COMPARABLE_VERDICT
    daily = F.FACT_BY_KEY["daily_gini_clicks"]
    assert daily.comparable and F.judge(daily, 0.563)[2] == "match"
    assert F.judge(daily, 0.77)[2] == "off"
    assert {f.key for f in F.FACTS if not f.comparable} == set(NOT_COMPARABLE)
    assert all(f.basis for f in F.FACTS)


def test_the_published_session_figures_contradict_the_published_totals():
    # 4.74 h x 23,772 users / 4,293,908 sessions = 94.47 s per session, not 514 s
    implied = implied_session_watch_s(F.FACT_BY_KEY)
    assert implied == pytest.approx(4.74 * 3600 * 23_772 / 4_293_908)
    assert implied == pytest.approx(94.47, abs=0.01)
    # the per-streamer mean gives the same total watch (896 s x 452,621 = 4.06e8 s)
    assert 896 * 452_621 == pytest.approx(4.74 * 3600 * 23_772, rel=0.001)
    note = F.FACT_BY_KEY["session_watch_mean"].basis
    assert "94.5 s per session, not 514 s" in note and "Markov" in note  # 94.5 / 1,026 < 10%
    assert F.FACT_BY_KEY["session_watch_mean"].comparable  # valid as defined, judged


# --------------------------------------------------------------------------------------------
# What the twin was tuned to
# --------------------------------------------------------------------------------------------
def test_every_target_is_cited_by_the_twins_assumptions_or_held_by_its_test():
    from kuailive_analysis.twin.assumptions import ASSUMPTIONS

    assert set(TWIN_TEST_BOUNDS) <= set(TUNED_TO)
    for key, (component, phrase) in TUNED_TO.items():
        assert key in F.FACT_BY_KEY, key
        if phrase is not None:
            texts = [a.planted + " " + a.evidence for a in ASSUMPTIONS if a.component == component]
            assert any(phrase in t for t in texts), (key, component, phrase)
    assert {f.key for f in F.FACTS if f.tuned} == set(TUNED_TO)
    # the concentration across streamers and the session watch were not tuned: they test it
    for key in ("daily_gini_clicks", "daily_gini_revenue", "session_watch_mean"):
        assert not F.FACT_BY_KEY[key].tuned


# --------------------------------------------------------------------------------------------
# The appendix on the small twin
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twin_result(small_twin):
    from kuailive_analysis.dataset import load

    return F.analyse(load(small_twin))


def _with_verdicts(res, off: int = 0, *, counts_off: int = 0, keys=()):
    """The result with every comparable verdict set to match, then ``off`` non-count facts,
    ``counts_off`` count facts and the facts ``keys`` set to off."""
    t = res.table.copy()
    comparable = t["Verdict"] != NOT_COMPARABLE_VERDICT
    t.loc[comparable, "Verdict"] = "match"
    t.loc[t.index[comparable & (t["Unit"] != "count")][:off], "Verdict"] = "off"
    t.loc[t.index[comparable & (t["Unit"] == "count")][:counts_off], "Verdict"] = "off"
    t.loc[t["Key"].isin(list(keys)), "Verdict"] = "off"
    return replace(res, table=t)


def test_fidelity_findings_on_the_twin_are_edition_checks(twin_result):
    found = {f.key: f for f in twin_result.findings()}
    assert set(found) == {"matches_published", "planted_relationships", *CAVEAT_KEYS}
    n = twin_result.numbers()
    for f in found.values():
        assert (f.kind, f.check_type) == ("edition check", "calibration"), f.key
        assert not f.headline and not f.action and f.question.endswith("?"), f.key
        proposed = replace(f, headline=True, status="validated")  # even if it had passed
        assert "not a claim" in CF.headline_refusal(proposed, twin=True)
    agree = found["matches_published"]
    assert agree.origin == "data" and agree.unit == "share"
    assert agree.statement.startswith(f"The twin matches {n['n_match']} of the {n['n_judged']}")
    assert f"Of the {n['n_untuned_judged']} it was not tuned to" in agree.statement
    assert agree.status == ("validated" if n["n_off"] / n["n_judged"] < OFF_SHARE_MAX else "failed")
    assert found["planted_relationships"].status == "not checkable"
    assert found["planted_relationships"].origin == "planted"
    json.loads(CF.to_json(found.values()))

    judged = n["n_judged"]
    ok = _with_verdicts(twin_result).findings()
    assert all(f.status == "validated" for f in ok if f.key != "planted_relationships")
    assert ok[0].value == 1.0
    many = int(judged * OFF_SHARE_MAX) + 1
    bad = _with_verdicts(twin_result, many).findings()[0]
    assert bad.status == "failed" and f"{many} of {judged} comparable facts" in bad.reason


def test_a_caveat_fails_when_one_of_its_facts_is_off_and_states_both_numbers(twin_result):
    res = _with_verdicts(twin_result, keys=["session_watch_mean"])
    f = {x.key: x for x in res.findings()}
    session = f["twin_session_watch"]
    assert session.status == "failed" and session.value == 1.0
    row = res.table.set_index("Key").loc["session_watch_mean"]
    this = F.format_value(row["This data"], "seconds")
    assert f"watch per session, mean: {this} on the twin against 514 s" in session.reason
    assert "94.5 s per session" in session.reason  # what the published totals imply
    assert "{" not in session.reason  # every template field filled
    assert session.evidence["session_watch_mean_verdict"] == "off"
    assert all(f[k].status == "validated" for k in CAVEAT_KEYS - {"twin_session_watch"})
    ctr = {x.key: x for x in _with_verdicts(twin_result, keys=["first_negative_h"]).findings()}
    assert ctr["twin_ctr"].status == "failed" and "2025-05-06 18:05" in ctr["twin_ctr"].reason


def test_a_caveat_ignores_facts_that_are_not_comparable_or_not_available(twin_result):
    t = twin_result.table.copy()
    t.loc[t["Key"].isin(CAVEATS[0].facts), "Verdict"] = "n/a"
    (none,) = caveat_findings(t, CAVEATS[:1])
    assert none.status == "not checkable" and none.reason and none.question
    t.loc[t["Key"] == CAVEATS[0].facts[0], "Verdict"] = NOT_COMPARABLE_VERDICT
    assert caveat_findings(t, CAVEATS[:1])[0].status == "not checkable"


def test_fidelity_findings_on_a_real_folder_check_the_copy(twin_result):
    folder = replace(
        twin_result, source=replace(twin_result.source, kind="folder", label="KuaiLive")
    )
    good = {f.key: f for f in _with_verdicts(folder).findings()}
    assert set(good) == {"matches_published", "copy_reproduces_counts"}  # no twin caveats
    assert all((f.kind, f.check_type) == ("edition check", "qa") for f in good.values())
    assert good["matches_published"].statement.startswith("This data matches")
    assert "tuned" not in good["matches_published"].statement
    assert good["copy_reproduces_counts"].status == "validated"
    assert good["copy_reproduces_counts"].statement.startswith("Your copy reproduces")
    bad = {f.key: f for f in _with_verdicts(folder, counts_off=2).findings()}
    assert bad["copy_reproduces_counts"].status == "failed"
    assert "2 of" in bad["copy_reproduces_counts"].reason
    assert CF.headlines(bad.values()) == [] and CF.headlines(good.values()) == []


def test_comparability_table_lists_every_note(twin_result):
    t = twin_result.comparability_table()
    assert list(t.columns) == ["Fact", "Published", "Verdict", "Why"]
    nc = t[t["Verdict"] == NOT_COMPARABLE_VERDICT]
    assert set(nc["Fact"]) == {F.FACT_BY_KEY[k].fact for k in NOT_COMPARABLE}
    assert t["Why"].str.len().min() > 40


def test_every_number_the_appendix_text_glues_is_computed(twin_result):
    """The appendix's prose glues only numbers of the result, among them the counts of
    comparable, not comparable and untuned facts."""
    import re
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[2] / "book" / "chapters" / "06_fidelity.ipynb"
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    used = set(re.findall(r"\{glue:text\}`(\w+)", text))
    numbers = twin_result.numbers()
    assert used <= set(numbers), used - set(numbers)
    new = {"n_not_comparable", "not_comparable_facts", "n_tuned_judged", "n_untuned_judged"}
    assert new | {"n_untuned_match", "n_untuned_close", "n_untuned_off"} <= used
    figures = set(re.findall(r"\{glue:figure\}\s+(\w+)", text))
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert figures == set(re.findall(r"\bg\(\s*\"(\w+)\"", code))
    assert "tab_comparability" in figures
