"""Findings: the record, the gate (a failed check is never a headline), JSON round trip, the
book's collector (glued ``findings_json`` -> ``findings.json``), the landing page rendered from
the records, and the appendix's notebook (its findings: ``tests/fidelity/test_findings.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from kuailive_analysis.app import book, chapters as chs, edition as ed, site
from kuailive_analysis.chapter import findings as F
from kuailive_analysis.core.format import format_interval, format_value
from kuailive_analysis.report import FINDINGS_KEY, findings as RF

ROOT = Path(__file__).resolve().parents[1]

TWIN = {
    "kind": "twin",
    "path": "/data/twin-scale0.1-seed20250505",
    "scale": 0.1,
    "seed": 20250505,
    "fingerprint": "0123456789abcdef",
    "label": "synthetic twin (scale 0.1, seed 20250505)",
    "engine": None,
}
FOLDER = {
    **TWIN,
    "kind": "folder",
    "path": "/data/KuaiLive",
    "scale": None,
    "seed": None,
    "label": "KuaiLive files in /data/KuaiLive",
}


def _good(**kw) -> F.Finding:
    base = dict(
        chapter="retention",
        key="day1_new_users",
        statement="Users first seen after day 0 come back the next day 62.9% of the time.",
        check="95% Wilson interval excludes the day-0 cohort's rate",
        status="validated",
        value=np.float64(0.629),
        unit="share",
        interval=(0.601, 0.655),
        level=0.95,
        evidence={"n": np.int64(1234), "day0_rate": 0.903},
        origin="method",
        headline=True,
        action="Target week-1 onboarding at users first seen after day 0.",
        subject="users",
        would_fail="the interval included the day-0 cohort's rate",
    )
    base.update(kw)
    return F.Finding(**base)


def _failed(**kw) -> F.Finding:
    base = dict(
        chapter="ltv",
        key="clv_total",
        statement="The cohort will give 760,065 coins over the next 30 days.",
        check="the model beats a past-rate forecast on the 7-day holdout",
        status="failed",
        value=760065.0,
        unit="coins",
        evidence={"model_mae": 93.5, "naive_mae": 70.2},
        headline=True,
        reason="Per-user MAE 93.5 against 70.2 for the naive past-rate forecast.",
        subject="money",
        question="How much will the cohort give over the next 30 days?",
    )
    base.update(kw)
    return F.Finding(**base)


def _unchecked() -> F.Finding:
    return F.Finding(
        chapter="fidelity",
        key="planted_relationships",
        statement="Whether the planted relationships hold on the real platform.",
        check="the same chapters run on the real files",
        status="not checkable",
        origin="planted",
        reason="On the twin these patterns are recovered, not discovered.",
    )


# --- the record and the gate -----------------------------------------------------------------
def test_record_validation():
    with pytest.raises(ValueError, match="status"):
        _good(status="ok")
    with pytest.raises(ValueError, match="origin"):
        _good(origin="guess")
    with pytest.raises(ValueError, match="needs a reason"):
        _failed(reason="")
    with pytest.raises(ValueError, match="not ordered"):
        _good(interval=(0.7, 0.6))
    with pytest.raises(ValueError, match="identifier"):
        _good(key="day 1")


def test_gate_keeps_failed_and_uncheckable_claims_out_of_headlines():
    good, bad, unchecked = _good(), _failed(), _unchecked()
    assert F.headlines([good, bad, unchecked]) == [good]
    assert F.not_established([good, bad, unchecked]) == [bad, unchecked]
    assert F.headlines([_good(headline=False)]) == []  # validated but not flagged


@pytest.mark.parametrize(
    ("change", "twin", "why"),
    [
        ({"check_type": "precision", "check": "interval at most +-5 points wide"}, False,
         "precision"),
        ({"check_type": "qa", "kind": "edition check"}, False, "edition check"),
        ({"check_type": "calibration"}, False, "calibration"),
        ({"kind": "method check"}, False, "method check"),
        ({"subject": ""}, False, "does not say what it is about"),
        ({"would_fail": ""}, False, "which result would have failed"),
        ({"tuned": True}, True, "tuned"),
        ({"status": "failed", "reason": "r"}, False, "failed"),
    ],
)  # fmt: skip
def test_the_headline_policy_refuses_what_could_not_have_been_wrong(change, twin, why):
    """A headline is a validated claim about users, streamers, money or the product whose check
    is a test that could have failed, with the failing result named; on the twin, never a value
    the generator was tuned to. Each case below must be refused, with a reason that says why."""
    f = _good(**change)
    reason = F.headline_refusal(f, twin=twin)
    assert why in reason
    assert F.headlines([f], twin=twin) == []
    assert F.headline_refusal(_good(), twin=twin) == ""
    assert F.headlines([_good(tuned=True)], twin=False) == [_good(tuned=True)]  # real data


def test_record_rejects_unknown_kinds_subjects_and_check_types():
    for field, value in (("kind", "claimish"), ("subject", "weather"), ("check_type", "vibes")):
        with pytest.raises(ValueError, match=field):
            _good(**{field: value})


def test_finding_helper_applies_the_shared_rules():
    ok = F.finding("03_retention", "k", "S.", check="c", passed=True, action="do", reason="r")
    assert ok.status == "validated" and ok.action == "do" and ok.reason == ""
    planted = F.finding("03_retention", "k", "S.", check="c", passed=True, action="do",
                        origin="planted")  # fmt: skip
    assert planted.action == ""  # a planted pattern supports no product decision
    bad = F.finding("03_retention", "k", "S.", check="c", passed=False, action="do", reason="r",
                    question="Q?")  # fmt: skip
    assert bad.status == "failed" and bad.action == "" and bad.question == "Q?"
    assert F.finding("03_retention", "k", "S.", check="c", passed=None, reason="r").status == (
        "not checkable"
    )
    with pytest.raises(ValueError, match="needs a reason"):
        F.finding("03_retention", "k", "S.", check="c", passed=False)


def test_chapter_key_findings_show_failed_claims_only_as_questions():
    md = RF.findings_markdown([_good(), _failed(), _unchecked()], twin=True)
    results, _, cannot = md.partition("**What this data cannot tell us (yet)**")
    assert _good().statement in results and "760,065" not in results
    assert "(method output)" in results  # origin labelled on the twin
    assert "would have failed if the interval included" in results
    assert "**62.9%** (95% interval 60.1% to 65.5%)" in results  # the number, once
    assert _failed().question in cannot and _failed().reason in cannot and "failed" in cannot
    assert _failed().statement not in md  # a failed claim is never stated as a claim
    assert "Does this hold: Whether the planted" in cannot  # no question given: one is asked
    only_bad = RF.findings_markdown([_failed()], twin=False)
    assert only_bad.startswith("- No claim of this chapter passed its check")
    assert RF.actions_markdown([_good(), _failed(action="x")]) == f"- {_good().action}"
    check = _good(kind="edition check", check_type="qa", key="rows")
    boxed = RF.findings_markdown([check], twin=True)
    assert "**Checks of the method and of this edition**" in boxed and "**passed**" in boxed
    assert "makes no claim about users" in boxed  # a chapter of checks only says so


# --- JSON -------------------------------------------------------------------------------------
def test_json_round_trip_with_numpy_and_missing_values():
    records = [_good(), _failed(value=float("nan")), _unchecked()]
    text = F.to_json(records)
    back = [F.from_dict(d) for d in json.loads(text)]
    assert back[0] == _good(value=0.629, evidence={"n": 1234, "day0_rate": 0.903})
    assert back[1] == _failed(value=None)  # NaN is not JSON: stored as null
    assert back[2] == _unchecked()
    assert all(set(d) == set(F.FIELDS) for d in json.loads(text))
    assert F.from_dict({**_good().to_dict(), "notebook": "03_retention"}) == back[0]


def _interval(f) -> str:
    return format_interval(f.interval, f.level, f.unit)


def test_value_formatting():
    assert format_value(0.629, "share") == "62.9%"
    assert format_value(0.0123, "share") == "1.23%"
    assert format_value(0.0042, "share") == "0.42%"
    assert format_value(760065.0, "coins") == "760,065 coins"
    assert format_value(np.float64(4.83), "days") == "4.83 days"
    assert format_value(None, "share") == "n/a"
    assert _interval(_good()) == "95% interval 60.1% to 65.5%"
    assert _interval(_failed()) == ""
    auc = _good(value=0.0855, unit="AUC", interval=(0.0774, 0.0946))
    assert _interval(auc) == "95% interval 0.0774 to 0.0946 AUC"
    assert _interval(_good(level=None)) == "interval 60.1% to 65.5%"


# --- the collector ----------------------------------------------------------------------------
def _glue_output(name: str, text: str) -> nbformat.NotebookNode:
    """A display_data output exactly as myst_nb.glue(name, text, display=False) stores it."""
    prefix = "application/papermill.record/"
    return nbformat.v4.new_output(
        "display_data",
        data={prefix + "text/plain": repr(text)},
        metadata={"scrapbook": {"name": name, "mime_prefix": prefix}},
    )


def _executed(path: Path, findings: list[F.Finding] | None, *, glue_twice=False) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show_findings(res.findings(), ds.source)")
    cell.outputs = [_glue_output("other_key", "'x'")]
    if findings is not None:
        if glue_twice:  # an earlier glue of the key in the same notebook: the last one wins
            cell.outputs.append(_glue_output(FINDINGS_KEY, F.to_json([_unchecked()])))
        cell.outputs.append(_glue_output(FINDINGS_KEY, F.to_json(findings)))
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": "- x"}))
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def executed(tmp_path, monkeypatch):
    """A build folder with hand-made executed chapters: retention and LTV with findings, the
    cleaning chapter without (yet), plus a notebook that is not a chapter of the book."""
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    folder = ed.executed_dir() / "book" / "chapters"
    _executed(folder / "01_cleaning.ipynb", None)
    _executed(folder / "03_retention.ipynb", [_good()], glue_twice=True)
    _executed(folder / "04_ltv.ipynb", [_failed()])
    _executed(folder / "99_scratch.ipynb", [_good(key="not_in_the_book")])
    manifest = {
        "data": TWIN,
        "parameters": {"churn_days": 7},
        "executed_at": "2026-11-30 02:00 UTC",
    }
    (ed.executed_dir() / "run.json").write_text(json.dumps(manifest))
    return ed.executed_dir()


def test_collector_reads_the_glued_findings_of_each_executed_chapter(executed):
    folder = executed / "book" / "chapters"
    assert ed.notebook_findings(folder / "01_cleaning.ipynb") == []
    assert ed.notebook_findings(folder / "03_retention.ipynb") == [
        F.from_dict(json.loads(F.to_json([_good()]))[0])
    ]
    records = ed.collect_findings()
    assert [(name, f.key) for name, f in records] == [
        ("03_retention", "day1_new_users"),
        ("04_ltv", "clv_total"),
    ]


def test_collector_rejects_a_malformed_glue(executed):
    bad = executed / "book" / "chapters" / "05_funnel_ctr.ipynb"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [_glue_output(FINDINGS_KEY, "not json")]
    nb.cells = [cell]
    nbformat.write(nb, bad)
    with pytest.raises(chs.BookError, match="05_funnel_ctr.*not a list of findings"):
        ed.collect_findings()


def test_findings_json_schema(executed):
    path = ed.write_findings()
    assert path == executed / "findings.json"
    doc = json.loads(path.read_text())
    assert set(doc) == {"schema", "data", "executed_at", "parameters", "findings"}
    assert doc["schema"] == ed.FINDINGS_SCHEMA
    assert doc["data"] == TWIN and doc["executed_at"] == "2026-11-30 02:00 UTC"
    assert doc["parameters"] == {"churn_days": 7}
    assert [r["notebook"] for r in doc["findings"]] == ["03_retention", "04_ltv"]
    for r in doc["findings"]:
        assert set(r) == {*F.FIELDS, "notebook"}
        assert r["status"] in F.STATUSES and r["origin"] in F.ORIGINS
        assert r["interval"] is None or len(r["interval"]) == 2
        assert isinstance(r["evidence"], dict) and isinstance(r["headline"], bool)
    doc2, records = ed.read_findings()
    assert doc2 == doc and [f for _, f in records] == [F.from_dict(r) for r in doc["findings"]]


def test_readme_documents_every_field_of_findings_json():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Findings and `findings.json`", 1)[1].split("\n## ", 1)[0]
    for name in (*F.FIELDS, "notebook", "schema", "data", "executed_at", "parameters"):
        assert f"`{name}`" in section, f"README does not document findings.json field {name!r}"
    for value in (*F.STATUSES, *F.ORIGINS):
        assert value in section


def test_run_writes_findings_json(executed, monkeypatch):
    """``run_chapters`` ends by collecting the findings of every executed chapter (also those
    executed by an earlier run) into findings.json, and says how many passed the gate."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("data_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params]
    src = executed.parent / "99_empty.ipynb"
    nbformat.write(nb, src)
    monkeypatch.setattr(book, "describe_data", lambda d: dict(FOLDER, path=str(d)))
    lines = []
    book.run_chapters(
        ROOT / "tests" / "data", [chs.Chapter("99_empty", src)], log=lambda m, **k: lines.append(m)
    )
    doc = json.loads((executed / "findings.json").read_text())
    assert doc["data"]["kind"] == "folder"
    assert [r["key"] for r in doc["findings"]] == ["day1_new_users", "clv_total"]
    assert "Findings: 2 recorded, 1 headline(s), 1 not established" in lines[-1]


# --- the landing page -------------------------------------------------------------------------
INTRO = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
NUMBER = re.compile(r"\d[\d,.]*%?")


def _page(data=TWIN, records=None) -> str:
    if records is None:
        records = [("03_retention", _good()), ("04_ltv", _failed()), ("06_fidelity", _unchecked())]
    return site.landing_page(INTRO, {"data": data}, records)


def _section(page: str, title: str) -> str:
    return page.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_source_intro_has_markers_and_no_hand_written_headline_numbers():
    assert INTRO.count(site.BANNER_MARKER) == 1 and INTRO.count(site.FINDINGS_MARKER) == 1
    assert "{glue" not in INTRO, "headline numbers come from the findings records"
    for name in ("01_cleaning", "02_eda", "03_retention", "04_ltv", "05_funnel_ctr", "06_fidelity"):
        assert f"<chapters/{name}>`" in INTRO, f"no link to {name}"
    assert "{{ data_source }}" in INTRO and "{{ versions }}" in INTRO  # provenance kept


def test_landing_page_opens_with_the_data_before_any_number():
    page = _page()
    body = page.split("\n", 1)[1].lstrip()  # after the title
    assert body.startswith(":::{admonition} Synthetic data")
    banner = body.split("\n:::", 1)[0]
    first = banner.split("\n", 2)[2]
    assert first.startswith("**This edition ran on synthetic data**")
    assert "recovered planted property" in banner
    before = body[: body.index("synthetic twin (scale 0.1")]
    assert not NUMBER.search(before), "a number before the page says which data"
    real = _page(FOLDER)
    assert "This edition ran on KuaiLive files in /data/KuaiLive" in real
    assert "synthetic" not in real.split("\n:::", 1)[0]
    assert "not recorded" in site.landing_page(INTRO, {}, [])


def test_landing_page_headlines_decisions_questions_and_checks():
    check = _good(kind="edition check", check_type="qa", key="rows", statement="Rows add up.")
    caveat = _failed(
        kind="edition check", check_type="calibration", key="watch", statement="Watch time.",
        reason="98 s on the twin vs 514 s real.",
    )  # fmt: skip
    method = _failed(kind="method check", key="fit", statement="The model fits.",
                     reason="Chi-square p = 0.001.")  # fmt: skip
    page = _page(records=[("03_retention", _good()), ("04_ltv", _failed()),
                          ("06_fidelity", _unchecked()), ("01_cleaning", check),
                          ("06_fidelity", caveat), ("04_ltv", method)])  # fmt: skip
    top = _section(page, "Headlines")
    assert "| Finding | Value | Interval | What would have failed it | Chapter |" in top
    row = next(line for line in top.splitlines() if _good().statement in line)
    assert "62.9%" in row and "60.1% to 65.5%" in row and _good().would_fail in row
    assert "{doc}`chapters/03_retention`" in row and "(method output)" in row
    assert "760,065" not in top and _failed().statement not in page
    decisions = _section(page, "Decisions they support")
    assert _good().action in decisions
    cannot = _section(page, "What this data cannot tell us (yet)")
    assert _failed().question in cannot and _failed().reason in cannot
    assert "{doc}`chapters/04_ltv`" in cannot and "cannot be made" in cannot
    assert "Rows add up." not in cannot and "Rows add up." not in top
    checks = _section(page, "Edition checks")
    assert "**passed**: Rows add up." in checks and "**failed**: Watch time." in checks
    assert "Reading the numbers on the twin" in checks and "514 s real" in checks
    # a failed method check is listed among the checks, not as a way the twin departs
    assert "**failed**: The model fits." in checks
    assert "Chi-square p = 0.001." not in checks.split("Reading the numbers on the twin")[1]
    assert site.BANNER_MARKER not in page and site.FINDINGS_MARKER not in page


def test_landing_page_without_findings_or_without_a_passing_headline():
    assert "No chapter recorded findings" in _section(_page(records=[]), "Headlines")
    only_bad = _page(records=[("04_ltv", _failed())])
    assert "No claim passed the headline policy" in _section(only_bad, "Headlines")
    all_good = _page(records=[("03_retention", _good())])
    assert "Every claim of this edition passed" in all_good
    assert "(method output)" not in _page(FOLDER, [("03_retention", _good())])


def test_landing_page_needs_its_markers():
    with pytest.raises(chs.BookError, match="exactly once"):
        site.landing_page("# Title\n", {"data": TWIN}, [])


# --- the appendix -----------------------------------------------------------------------------
def test_appendix_notebook_renders_its_findings_and_stays_thin():
    nb = nbformat.read(ROOT / "book" / "chapters" / "06_fidelity.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for call in ("show_banner(res.source)", "show_findings(", "show_actions("):
        assert call in code
    assert "Finding(" not in code and "def " not in code
    first_code = [c for c in nb.cells if c.cell_type == "code"][2]  # after parameters, imports
    assert "show_banner" in first_code.source
