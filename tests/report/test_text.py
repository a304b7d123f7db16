"""A chapter read in JupyterLab shows its numbers: glue roles filled by report.text."""

from __future__ import annotations

import re

import pytest

from kuailive_analysis.report.text import chapter_markdown, fill_glue_roles

PROSE = """## 3.2 Cohorts

Day-1 retention is {glue:text}`ret1_old` ({glue:text}`ret1_old_ci`) of
{glue:text}`n_old:,d` users; the share is {glue:text}`share:.1%`, see {numref}`tab-x` and
{doc}`the glossary <glossary>`. Missing: {glue:text}`nan_value:.2f`.

```{glue:figure} fig_cohorts
:name: fig-ret-cohorts

Day-N retention by cohort.
```
"""

NUMBERS = {
    "ret1_old": (0.8123, ".1%"),
    "ret1_old_ci": "79.0% to 83.1%",
    "n_old": 12345,
    "share": 0.25,
    "nan_value": float("nan"),
}


def test_fill_glue_roles_formats_like_the_site():
    text = fill_glue_roles(PROSE, NUMBERS)
    assert "Day-1 retention is 81.2% (79.0% to 83.1%) of\n12,345 users" in text
    assert "the share is 25.0%" in text
    assert "see the table below and\nthe glossary." in text
    assert "*(Shown by the cell below: Day-N retention by cohort.)*" in text
    assert "Missing: nan" in text or "Missing: n/a" in text
    assert "{glue" not in text and "{numref" not in text and "```" not in text


def test_a_key_the_result_does_not_compute_is_named():
    assert "[absent: not computed]" in fill_glue_roles("x {glue:text}`absent` y", {})


@pytest.mark.parametrize("chapter", ["01_cleaning", "03_retention", "05_funnel_ctr"])
def test_every_role_of_a_chapter_is_replaced(chapter):
    """Every glue and cross-reference role of the real chapter text is replaced (values are
    dummies here; the executed-chapter test below uses the real ones)."""
    md = chapter_markdown(chapter)
    keys = {m.split(":")[0] for m in re.findall(r"\{glue:text\}`([^`]+)`", md)}
    assert keys, "the chapter glues numbers"
    filled = fill_glue_roles(md, {k: 1 for k in keys})
    assert "{glue" not in filled and "{numref}" not in filled and "{doc}" not in filled


@pytest.mark.slow
def test_jupyterlab_run_all_shows_the_numbers_not_placeholders(small_twin, tmp_path):
    """Execute chapter 3 as JupyterLab's "Run all" does (nbclient, no papermill, no injected
    parameters): the cell that shows the text (tagged remove-cell for the site) holds the
    prose with the chapter's glued numbers and no glue placeholder."""
    import nbformat
    from nbclient import NotebookClient

    from kuailive_analysis.app.chapters import chapters_dir

    nb = nbformat.read(chapters_dir() / "03_retention.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace("data_dir = None", f"data_dir = {str(small_twin)!r}")
    NotebookClient(
        nb, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    cells = [c for c in nb.cells if c.cell_type == "code" and "show_text(" in c.source]
    assert len(cells) == 1 and "remove-cell" in cells[0].metadata.get("tags", [])
    shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cells[0].outputs)
    assert "This chapter's text with its numbers" in shown
    assert "{glue" not in shown and re.search(r"\d+\.\d%", shown)
    findings = "".join(
        o.get("data", {}).get("text/markdown", "")
        for c in nb.cells
        if c.cell_type == "code" and "show_findings(" in c.source
        for o in c.outputs
    )
    assert "{glue" not in findings and findings.strip()
