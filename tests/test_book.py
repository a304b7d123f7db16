"""Every chapter executes headlessly on a small twin, and the site builds with warnings as errors.

These are the tests that make a broken chapter fail CI: a cell that raises, a Python warning
printed by a chapter, a glue key the text references but the code never computed (a Sphinx
warning), or a page that does not render.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from _tiny import write_tiny

from kuailive_analysis import config, dataset
from kuailive_analysis.app import book, chapters as chs, edition as ed, params as P, site
from kuailive_analysis.core.params import parse_value

CHAPTERS = chs.all_chapters()


def test_chapters_in_book_order():
    assert [c.number for c in CHAPTERS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_source_notebook_is_clean_and_parameterised(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    with_outputs = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count)
    ]
    assert not with_outputs, f"{chapter.name}: cells {with_outputs} are committed with outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{chapter.name}: needs exactly one cell tagged 'parameters'"
    assert "data_dir" in P.notebook_parameters(chapter.path)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_chapter_executes_without_errors_or_warnings(executed_book, chapter):
    assert executed_book[chapter.name] is None, executed_book[chapter.name]
    out = config.build_dir() / "executed" / "book" / "chapters" / f"{chapter.name}.ipynb"
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "remove-cell" in injected[0].metadata["tags"]
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error", f"{chapter.name} cell {i} raised"
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                assert "Warning" not in o.get("text", ""), (
                    f"{chapter.name} cell {i} printed a warning:\n{o['text'][:500]}"
                )


@pytest.mark.slow
def test_site_builds_with_one_page_per_chapter(built_site):
    index = built_site
    assert index.exists()
    html = index.parent
    for ch in CHAPTERS:
        page = html / "book" / "chapters" / f"{ch.name}.html"
        assert page.exists(), f"no page for {ch.name}"
        text = page.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, f"{ch.name} shows a traceback"
    intro = (html / "book" / "intro.html").read_text(encoding="utf-8")
    assert "synthetic twin" in intro and "seed 7" in intro, "landing page must say what data"
    assert "{{" not in intro, "unresolved substitution on the landing page"


def test_failing_chapter_raises_book_error(tmp_path, small_twin):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("data_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "99_boom.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(chs.BookError, match=r"99_boom.*ZeroDivisionError"):
        book.run_chapters(small_twin, [chs.Chapter("99_boom", path)], log=lambda *a, **k: None)


def test_unknown_parameter_is_rejected(small_twin):
    with pytest.raises(chs.BookError, match="churn_dayz"):
        book.run_chapters(small_twin, CHAPTERS[:1], {"churn_dayz": 7}, log=lambda *a, **k: None)


def test_build_without_run_explains(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "empty"))
    with pytest.raises(chs.BookError, match="kuailive run"):
        site.build_site(log=lambda *a, **k: None)


@pytest.mark.parametrize(
    "text,value",
    [
        ("7", 7),
        ("0.5", 0.5),
        ("true", True),
        ("null", None),
        ("[3, 5, 7]", [3, 5, 7]),
        ("gender", "gender"),
        ("/data/kuailive", "/data/kuailive"),
    ],
)
def test_parse_value_like_papermill(text, value):
    assert parse_value(text) == value


def test_select_chapters_by_number_name_and_stem():
    assert [c.name for c in chs.select_chapters(["3"])] == ["03_retention"]
    assert [c.name for c in chs.select_chapters(["ltv", "01_cleaning"])] == [
        "01_cleaning",
        "04_ltv",
    ]
    with pytest.raises(chs.BookError, match="No chapter matches"):
        chs.select_chapters(["churn"])


def test_describe_data_reads_twin_truth(small_twin):
    info = ed.describe_data(small_twin)
    assert info["kind"] == "twin" and info["seed"] == 7
    assert info["label"] == "synthetic twin (scale 0.02, seed 7)"
    assert info == dataset.load(small_twin).source.to_dict()  # the record chapters get


def test_describe_data_fingerprints_a_real_folder(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    a = ed.describe_data(d)
    with open(d / "user.csv", "a") as fh:
        fh.write("\n")  # other bytes, other data
    b = ed.describe_data(d)
    assert a["kind"] == "folder" and a["fingerprint"] != b["fingerprint"]
    json.dumps(a)  # serialisable into run.json


def test_landing_page_sentence_uses_the_label(tmp_path):
    info = ed.describe_data(write_tiny(tmp_path / "tiny"))
    assert site._data_sentence(info).startswith(f"KuaiLive files in {tmp_path / 'tiny'}")
    assert info["fingerprint"] in site._data_sentence(info)
    assert site._data_sentence({}).startswith("unknown data")
