"""Chapter 3 on the small twin (without executing the notebook): the glued values are exactly
the keys the text uses and render with its specs; titles, tables and findings; the same data
as a plain folder has no truth; the notebook stays thin."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kuailive_analysis import retention as R
from kuailive_analysis.chapter import ChapterId, headlines
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY
from kuailive_analysis.retention.cohorts import retention_at
from kuailive_analysis.retention.populations import ALL_USERS, EXISTING, NEW

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "chapters" / "03_retention.ipynb"
INTRO = CHAPTER.parents[1] / "intro.md"
TEXT_KEY = re.compile(r"\{glue:text\}`(?:chapters/03_retention\.ipynb::)?(\w+)(?::([^`]*))?`")
FIGURE_KEY = re.compile(r"\{glue:figure\}\s+(\w+)")
TRUTH_KEYS = ("truth_tmax", "truth_maxdiff", "truth_inband", "truth_maxdiff_presence")


def _cells(kind):
    nb = json.loads(CHAPTER.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def _text_uses():
    """(key, spec or None) of every {glue:text} in the chapter's markdown."""
    return {(k, s or None) for md in _cells("markdown") for k, s in TEXT_KEY.findall(md)}


def _intro_uses():
    pattern = r"\{glue:text\}`chapters/03_retention\.ipynb::(\w+)(?::([^`]*))?`"
    return {(k, s or None) for k, s in re.findall(pattern, INTRO.read_text())}


def _rendered(value, spec):
    """What the book shows: the glued text/plain read back as myst-nb does, then formatted."""
    from kuailive_analysis.report import text_value

    stored = text_value(*value) if isinstance(value, tuple) else text_value(value)
    shown = ast.literal_eval(repr(stored))
    return format(shown, spec) if spec else str(shown)


def test_numbers_are_exactly_the_keys_the_chapter_text_uses(twin_result, folder_result):
    used = {k for k, _ in _text_uses()}
    assert len(used) > 50
    assert {k for k, _ in _intro_uses()} <= used
    for res in (twin_result, folder_result):
        assert set(res.numbers()) == used


def test_figures_and_tables_of_the_text_are_glued_by_the_notebook():
    code = "\n".join(_cells("code"))
    for key in {k for md in _cells("markdown") for k in FIGURE_KEY.findall(md)}:
        assert re.search(rf'\bg\(\s*"{key}"', code), key


def test_every_number_renders_with_the_spec_the_text_uses(twin_result, folder_result):
    for res in (twin_result, folder_result):
        h = res.numbers()
        for key, spec in _text_uses() | _intro_uses():
            value = h[key]
            if spec in (None, "s"):  # shown as text: a string, or pre-formatted in the package
                assert isinstance(value, (str, tuple)), (key, value)
            else:
                assert not isinstance(value, tuple), f"{key} is pre-formatted but used with :{spec}"
            text = _rendered(value, None if spec == "s" else spec)
            assert text and "nan" not in text.lower(), (key, text)
        for key, value in h.items():  # plain Python values, never numpy scalars
            v = value[0] if isinstance(value, tuple) else value
            assert type(v) in (int, float, str), (key, type(v))


def test_result_values_are_consistent(twin_result):
    res = twin_result
    h = res.numbers()
    assert h["n_eligible"] + h["n_ineligible"] == h["n_active_users"] == len(res.sample.table)
    assert 0 < h["n_events"] <= h["n_eligible"]
    assert h["share_events"] == pytest.approx(h["n_events"] / h["n_eligible"])
    for key in ("share_events", "share_entry0", "km_s1", "km_s7", "st_s7", "cox_c"):
        assert 0 <= h[key] <= 1, key
    assert h["tau"] == DEFAULT_LAST_DAY - max(res.params.churn_days_grid) + 1
    assert h["follow_max"] == DEFAULT_LAST_DAY - res.params.churn_days + 1
    assert h["km_rmst"] <= h["tau"] and h["km_rmst_se"] > 0
    assert (h["k_lo"], h["k_hi"]) == (3, 7) and h["sens_churned_lo"] >= h["sens_churned_hi"]
    assert h["n_landmark"] == len(res.segments.landmark) <= h["n_eligible"]
    # every Kaplan-Meier curve is a survival function: in [0, 1] and non-increasing
    panels = res.segments.report.panels.values()
    for kmf in [
        res.survival.km,
        res.streamers.km,
        *res.survival.by_threshold.values(),
        *(f for panel in panels for f in panel.values()),
    ]:
        s = kmf.survival_function_.iloc[:, 0].to_numpy()
        assert ((0 <= s) & (s <= 1)).all() and (np.diff(s) <= 1e-12).all()
    assert h["km_s7"] <= h["km_s1"]
    tri, r = res.cohorts.triangle, res.cohorts.retention
    assert (tri.groupby("cohort")["rate_on_or_after"].diff().dropna() <= 1e-12).all()
    assert (tri["rate_on_or_after"] >= tri["rate_on"]).all()
    assert ((r["on_lo"] <= r["rate_on"]) & (r["rate_on"] <= r["on_hi"])).all()
    assert h["ret_on_1"] == (retention_at(r, 1), ".1%")
    # the segment and Cox numbers read the tables they come from
    pair = res.segments.report.pairwise.query("segment == 'early_gifter'").iloc[0]
    assert (h["gift_a"], h["gift_b"]) == (pair["a"], pair["b"])
    assert h["cox_hr_gift"] == (res.cox.fit.hazard_ratio("early_gifted"), ".2f")
    assert h["ph_n"] == len(res.cox.fit.ph_test) and h["ph_n_viol"] <= h["ph_n"]
    pops = res.cohorts.populations
    assert h["n_old"] + h["n_new"] == h["n_active_users"] == pops["users"].max()
    assert list(res.cohorts.curves) == [EXISTING, NEW]


def test_truth_comparison_only_on_a_twin(twin_result, folder_result):
    t, v = twin_result.numbers(), twin_result.validation
    assert twin_result.is_twin and t["truth_status"] == "planted lifetimes are available"
    assert 0 <= v.truth_maxdiff < 0.17 and t["truth_maxdiff"] == (v.truth_maxdiff, ".1%")
    assert t["truth_tmax"][0] == twin_result.survival.tau  # users entering on day 0 reach tau
    assert v.truth_inband == v.chosen["in_band"].mean()
    assert v.passed == (v.truth_inband >= 0.8) and t["truth_verdict"] in ("passed", "failed")
    assert list(v.curves) == [
        "KM, active: click, comment, like, gift",
        "KM, active incl. exposures",
    ]
    f = folder_result.numbers()
    assert not folder_result.is_twin and folder_result.validation.curves is None
    assert f["truth_status"].startswith("this is not a twin")
    assert f["truth_verdict"] == "not checkable on these files (no planted truth)"
    assert all(_rendered(f[key], None) == "n/a" for key in TRUTH_KEYS)
    assert folder_result.titles.truth == ""
    # the same data without the truth file: every other number is unchanged
    other = set(t) - {"data_name", "truth_status", "truth_verdict", *TRUTH_KEYS}
    assert {k: t[k] for k in other} == {k: f[k] for k in other}
    assert f["data_name"] == "KuaiLive files in /somewhere"


def test_analyse_parameters_reach_the_numbers(twin_ds):
    res = R.analyse(
        twin_ds,
        churn_days=5,
        churn_days_grid=[3, 5],
        early_days=2,
        segments=["gender", "early_gifter"],
        activity_behaviours=["click", "gift"],
    )
    h = res.numbers()
    assert (h["churn_days"], h["k_hi"], h["early_days"]) == (5, 5, 2)
    assert h["tau"] == h["follow_max"] == DEFAULT_LAST_DAY - 5 + 1
    assert h["activity_list"] == "click, gift"
    assert list(res.segments.report.overview["segment"]) == ["gender", "early_gifter"]
    assert list(res.survival.by_threshold) == ["3 days", "5 days"]
    with pytest.raises(R.RetentionError, match="choose from"):
        R.analyse(twin_ds, activity_behaviours=["watch"])


def test_findings_gate_origins_and_chapter(twin_result, folder_result):
    found = {f.key: f for f in twin_result.findings()}
    assert {f.chapter for f in found.values()} == {ChapterId.RETENTION.value}
    for key in ("ret_d1_existing", "ret_d7_existing", "ret_d1_new", "ret_d7_new"):
        f = found[key]
        assert f.headline and f.origin == "method" and f.interval[0] <= f.value <= f.interval[1]
        assert "clicked, commented, liked and gifted" in f.statement  # the sample rule
    v, truth = twin_result.validation, found["km_truth"]
    assert truth.origin == "planted" and truth.value == v.truth_inband
    assert truth.status == ("validated" if v.truth_inband >= 0.8 else "failed")
    assert found["km_s7"].status == truth.status and found["km_s7"].origin == "planted"
    # gifting early is selected on by the sampling rule: never a validated finding
    assert found["cox_early_gift"].status == "failed"
    assert "sampling rule" in found["cox_early_gift"].reason
    assert all(f.status == "validated" for f in headlines(found.values()))
    for f in found.values():
        if f.action:  # actions only from validated findings that are not planted properties
            assert f.status == "validated" and f.origin != "planted", f.key
        assert f.status == "validated" or f.reason[:1].isupper(), f.key
    assert 2 <= sum(bool(f.action) for f in found.values()) <= 4
    plain = {f.key: f for f in folder_result.findings()}
    assert plain["km_truth"].status == plain["km_s7"].status == "not checkable"
    assert "-day threshold" in plain["km_s7"].reason
    assert all(f.origin != "planted" for f in plain.values())


def test_weighting_finding_checks_that_existing_users_dominate(twin_result):
    """The claim 'the weighted figure is mostly the stickiness of existing users' needs the
    day-0 cohort to hold more than half of the users reaching day 1."""
    found = {f.key: f for f in twin_result.findings()}
    assert found["ret_weighting"].status == "validated"
    pops = twin_result.cohorts.populations.copy()
    day1 = pops["n"] == 1
    pops.loc[day1 & (pops["population"] == EXISTING), "denominator"] = 10
    pops.loc[day1 & (pops["population"] == ALL_USERS), "denominator"] = 100
    res = replace(twin_result, cohorts=replace(twin_result.cohorts, populations=pops))
    weighting = {f.key: f for f in res.findings()}["ret_weighting"]
    assert weighting.status == "failed" and "only 10.0%" in weighting.reason


def test_truth_check_uses_the_coverage_threshold(twin_ds, twin_result):
    cov = twin_result.validation.truth_inband
    lax = R.analyse(twin_ds, truth_coverage_min=0.0)
    assert lax.validation.passed and lax.numbers()["truth_verdict"] == "passed"
    assert {f.key: f.status for f in lax.findings()}["km_truth"] == "validated"
    strict = R.analyse(twin_ds, truth_coverage_min=1.0)
    assert strict.validation.passed == (cov == 1.0) and strict.validation.truth_inband == cov


def test_titles_state_what_the_figures_show(twin_result):
    titles, v = twin_result.titles, twin_result.validation
    assert titles.km.endswith("of users not yet churned 7 days after entry")
    assert "raises" not in titles.forest and "lowers" not in titles.forest
    assert titles.forest.startswith(("Strongest association", "No covariate"))
    assert titles.truth == (
        f"KM vs planted survival: truth inside the 95% band on {v.truth_inband:.0%} of days "
        f"(max gap {v.truth_maxdiff:.1%})"
    )
    assert "day-0 cohort" in titles.cohorts


def test_tables_are_readable(twin_result):
    tabs = twin_result.tables
    pairs = twin_result.segments.report.pairwise
    assert len(tabs.pairs) == pairs["segment"].nunique() < len(pairs)  # one row per segment
    for name in ("populations", "weekly", "stickiness", "sensitivity", "segments", "pairs", "ph"):
        df = getattr(tabs, name)
        for col in df.columns:
            assert " " in col or col in ("population", "segment", "covariate", "clock", "p-value")
            if df[col].dtype == object:
                assert not df[col].astype(str).str.contains(r"\de[-+]\d").any(), (name, col)
    assert set(tabs.populations["population"]) == {EXISTING, NEW, ALL_USERS}


def test_chapter_notebook_is_thin():
    """Parameters, prose, one analyse call, glue and figure calls: no definitions, loops or
    string building, and about 60 code lines at most outside the parameters."""
    nb = json.loads(CHAPTER.read_text())
    code = [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])
    ]
    lines = [ln for cell in code for ln in cell.splitlines() if ln.strip()]
    assert len(lines) <= 60
    src = "\n".join(code)
    for banned in (
        r"\bdef\b",
        r"\bclass\b",
        r"\bfor\b",
        r"\bwhile\b",
        r"\blambda\b",
        r"\bf[\"']",
        r"\.iloc\b",
        r"\b21\s*-",
        r"\.join\(",
    ):
        assert not re.search(banned, src), banned
    assert src.count("retention.analyse(") == 1 and "glue_all(res.numbers())" in src
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
