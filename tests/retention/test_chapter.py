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
from kuailive_analysis.chapter.findings import headline_refusal
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY
from kuailive_analysis.retention.cohorts import retention_at
from kuailive_analysis.retention.gap import ACCOUNT_SPLIT, detectable_effect
from kuailive_analysis.retention.populations import ALL_USERS, DAY0, EXISTING, NEW

CHAPTER = Path(__file__).resolve().parents[2] / "book" / "chapters" / "03_retention.ipynb"
INTRO = CHAPTER.parents[1] / "intro.md"
TEXT_KEY = re.compile(r"\{glue:text\}`(?:chapters/03_retention\.ipynb::)?(\w+)(?::([^`]*))?`")
FIGURE_KEY = re.compile(r"\{glue:figure\}\s+(\w+)")
TRUTH_KEYS = (
    "truth_tmax",
    "truth_maxdiff",
    "truth_inband",
    "truth_maxdiff_raw",
    "truth_inband_raw",
    "truth_below_raw",
    "truth_real_churns",
    "truth_maxdiff_presence",
    "share_right_before",
    "share_right_after",
    "share_found_after",
    "share_right_other",
)
TWIN_TEXTS = ("truth_status", "truth_verdict", "new_check_status", "gapc_habit", "gap_verdict")
"""Texts that say what the twin's truth shows, or that there is none."""


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
    # the new users are those of the check table's chosen definition; the gaps read the table
    chosen = res.new_users.check.query("chosen").iloc[0]
    assert chosen["called_new"] == h["n_new"] and chosen["clock"] == res.params.new_user_by
    assert h["n_later"] == res.new_users.check["called_new"].iloc[0]
    row = res.new_users.gaps.query("n == 7 and split == @ACCOUNT_SPLIT").iloc[0]
    assert h["gap_adj"] == (100 * row["adj"], "+.1f") and h["gap_n_new"] == row["n_new"]
    assert h["gap_mde"][0] == pytest.approx(100 * detectable_effect(row["adj_se"]))
    assert (
        row["n_new"] + row["n_existing"]
        == pops.query("population == @ALL_USERS and n == 7")["denominator"].iloc[0]
    )


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
    # like with like: the planted lifetimes as the churn rule sees them are never longer than
    # the planted ones, so that curve lies at or below the raw planted survival
    assert (v.chosen["seen"] <= v.chosen["truth"] + 1e-12).all()
    assert v.truth_maxdiff == v.chosen["diff"].abs().max()
    assert v.truth_inband_raw == v.chosen["in_band_truth"].mean()
    assert 0.5 <= v.truth_real_churns <= 1
    f = folder_result.numbers()
    assert not folder_result.is_twin and folder_result.validation.curves is None
    assert f["truth_status"].startswith("this is not a twin")
    assert f["truth_verdict"] == "not checkable on these files (no planted truth)"
    assert f["new_check_status"].startswith("these files have no planted start")
    assert all(_rendered(f[key], None) == "n/a" for key in TRUTH_KEYS)
    assert folder_result.titles.truth == ""
    assert folder_result.new_users.check["share_right"].isna().all()
    # the same data without the truth file: every other number is unchanged
    other = set(t) - {"data_name", *TWIN_TEXTS, *TRUTH_KEYS}
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
    for f in found.values():  # the headline policy's fields are set on every finding
        assert f.subject == "users" and f.would_fail and f.question.endswith("?"), f.key
    for key in ("ret_d1_existing", "ret_d7_existing", "ret_d1_new", "ret_d7_new", "ret_week1"):
        f = found[key]  # an interval-width gate is precision: said in the text, never a headline
        assert f.check_type == "precision" and not f.headline and f.origin == "data", key
        assert f.interval[0] <= f.value <= f.interval[1]
    for key in ("ret_d1_new", "ret_d7_new"):
        assert "clicked, commented, liked and gifted" in found[key].statement  # the sample rule
        assert "first live watch in the window" in found[key].statement
    assert found["dau_wau"].check_type == found["km_s7"].check_type == "precision"
    v, truth = twin_result.validation, found["km_truth"]
    assert truth.kind == found["new_user_definition"].kind == "method check"
    assert truth.origin == "planted" and truth.value == v.truth_inband
    assert truth.status == ("validated" if v.truth_inband >= 0.8 else "failed")
    assert found["km_s7"].origin == "planted"
    if truth.status == "failed":
        assert found["km_s7"].status == "failed"
    # gifting early is selected on by the sampling rule: never a validated finding
    assert found["cox_early_gift"].status == "failed"
    assert "sampling rule" in found["cox_early_gift"].reason
    gap = found["ret_gap_d7"]
    assert gap.headline and gap.kind == "claim" and gap.check_type == "test"
    assert gap.would_fail.startswith("the interval of the activity-adjusted gap included zero")
    assert gap.status == "failed"  # the twin plants no gap between new and existing users
    proposed = {f.key for f in found.values() if f.headline}
    assert proposed == {"ret_gap_d7", "cox_early_gift", "cox_early_watch"}
    for f in headlines(found.values(), twin=True):
        assert f.status == "validated" and f.check_type == "test" and f.kind == "claim"
        assert f"{f.value:.2f}" not in f.statement  # the landing page shows the value
    for f in found.values():
        if f.action:  # actions only from validated findings that are not planted properties
            assert f.status == "validated" and f.origin != "planted", f.key
        assert f.status == "validated" or f.reason[:1].isupper(), f.key
        assert "noise" not in f.action, f.key  # a detectable effect, not an interval's width
    plain = {f.key: f for f in folder_result.findings()}
    assert plain["km_truth"].status == plain["new_user_definition"].status == "not checkable"
    assert (
        plain["km_s7"].status == "validated"
    )  # a precise estimate; its method is checked on twins
    assert all(f.origin != "planted" for f in plain.values())


def _with_gap(res, diff, lo, hi):
    """``res`` with the day-7 adjusted gap of the chapter's split replaced (in shares)."""
    rows = res.new_users.gaps.copy()
    at = (rows["split"] == ACCOUNT_SPLIT) & (rows["n"] == 7)
    rows.loc[at, ["adj", "adj_lo", "adj_hi", "adj_se"]] = [diff, lo, hi, (hi - lo) / 3.92]
    return replace(res, new_users=replace(res.new_users, gaps=rows))


def test_gap_finding_needs_its_interval_off_zero_and_on_the_twin_a_planted_gap(
    twin_result, folder_result
):
    """On real files an interval excluding zero validates the claim (with an action when new
    users are retained less); on the twin, which plants no gap, it stays a question."""
    key = "ret_gap_d7"
    real = {f.key: f for f in _with_gap(folder_result, -0.08, -0.12, -0.04).findings()}[key]
    assert real.status == "validated" and real.origin == "method" and real.action
    assert "behind existing users of the same early activity" in real.action
    assert "80% power" in real.action
    assert "less on day 7" in real.statement and real.interval == pytest.approx((-12, -4))
    assert not headline_refusal(real, twin=False)
    more = {f.key: f for f in _with_gap(folder_result, 0.08, 0.04, 0.12).findings()}[key]
    assert more.status == "validated" and not more.action and "more on day 7" in more.statement
    zero = {f.key: f for f in _with_gap(folder_result, -0.02, -0.06, 0.02).findings()}[key]
    assert zero.status == "failed" and "includes zero" in zero.reason and not zero.action
    twin = {f.key: f for f in _with_gap(twin_result, -0.08, -0.12, -0.04).findings()}[key]
    assert twin.status == "failed" and "plants no difference" in twin.reason
    assert headline_refusal(twin, twin=True) == "its check failed"


def test_weighting_finding_checks_that_the_day0_cohort_dominates(twin_result):
    """The claim 'the weighted figure is mostly the day-0 cohort's retention' needs the day-0
    cohort to hold more than half of the users reaching day 1."""
    found = {f.key: f for f in twin_result.findings()}
    assert found["ret_weighting"].status == "validated"
    split = twin_result.cohorts.cohort_split.copy()
    pops = twin_result.cohorts.populations.copy()
    split.loc[(split["n"] == 1) & (split["population"] == DAY0), "denominator"] = 10
    pops.loc[(pops["n"] == 1) & (pops["population"] == ALL_USERS), "denominator"] = 100
    cohorts = replace(twin_result.cohorts, populations=pops, cohort_split=split)
    weighting = {f.key: f for f in replace(twin_result, cohorts=cohorts).findings()}
    assert weighting["ret_weighting"].status == "failed"
    assert "only 10.0%" in weighting["ret_weighting"].reason


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
        "KM vs planted survival as the churn rule sees it: inside the 95% band on "
        f"{v.truth_inband:.0%} of days (max gap {v.truth_maxdiff:.1%})"
    )
    assert (
        "day-0 cohort" in titles.cohorts and "new users (by account age)" in titles.retention_curve
    )


def test_tables_are_readable(twin_result):
    tabs = twin_result.tables
    pairs = twin_result.segments.report.pairwise
    assert len(tabs.pairs) == pairs["segment"].nunique() < len(pairs)  # one row per segment
    names = ("populations", "new_users", "gaps", "weekly", "stickiness", "sensitivity")
    for name in (*names, "segments", "pairs", "ph"):
        df = getattr(tabs, name)
        for col in df.columns:
            assert " " in col or col in (
                "population",
                "segment",
                "covariate",
                "clock",
                "p-value",
                "comparison",
            )
            if df[col].dtype == object:
                assert not df[col].astype(str).str.contains(r"\de[-+]\d").any(), (name, col)
    assert set(tabs.populations["population"]) == {EXISTING, NEW, ALL_USERS}
    assert tabs.new_users.iloc[0, 0].startswith("first seen on day 1 or later")
    assert tabs.new_users.iloc[:, 0].str.endswith("(this chapter)").sum() == 1
    assert (
        len(tabs.gaps) == 4
        and tabs.gaps["gap, new minus existing (points)"].str.match(r"^[+-]\d+\.\d$").all()
    )


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


def test_new_user_definition_check_uses_its_threshold(twin_result):
    for share, status in ((0.5, "failed"), (0.95, "validated")):
        nu = replace(twin_result.new_users, share_right_after=share)
        f = {f.key: f for f in replace(twin_result, new_users=nu).findings()}
        assert f["new_user_definition"].status == status
        assert f["new_user_definition"].kind == "method check"
