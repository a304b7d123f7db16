"""CONTRIBUTING.md's "Add a metric" walk-through, done once: in a copy of the repository, the
edits the text gives are applied exactly as written; they touch the files the text names and no
others (at most three package files, the notebook and one test file), the new metric is glued,
its finding and figure title exist, its figure draws, and the new test passes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"<!-- (edit|notebook|new) (.+?) -->\n(`{3,4})\w*\n(.*?)\n\3\n", re.S)


def walkthrough(text: str) -> tuple[list[str], list[tuple[str, list[str], str]]]:
    """The files the walk-through names, and its edits: (kind, marker fields, code)."""
    section = text.split("## Add a metric", 1)[1].split("\n## ", 1)[0]
    files = re.search(r"^Files: (.+?)\.$", section, re.S | re.M).group(1)
    named = re.findall(r"`([^`]+)`", files)
    edits = [(kind, [f.strip() for f in spec.split(" | ")], code) for kind, spec, _, code
             in MARKER.findall(section)]  # fmt: skip
    return named, edits


def _insert_after(source: str, pattern: str, code: str, skip_docstring: bool) -> str:
    lines = source.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if re.match(pattern, line.rstrip("\n")))
    at += 1
    if skip_docstring and lines[at].strip().startswith('"""'):
        if lines[at].strip().count('"""') < 2:  # a docstring over several lines
            at += 1
            while not lines[at].rstrip().endswith('"""'):
                at += 1
        at += 1
    return "".join(lines[:at]) + code + "\n" + "".join(lines[at:])


def apply(repo: Path, edits) -> None:
    """Apply the walk-through's edits to the copy ``repo``, exactly as the text gives them."""
    for kind, fields, code in edits:
        path = repo / fields[0]
        if kind == "new":
            path.write_text(code + "\n", encoding="utf-8")
        elif kind == "edit":
            text = path.read_text(encoding="utf-8")
            if fields[1] == "at-end":
                text = text.rstrip("\n") + "\n" + code + "\n"
            else:
                pattern = fields[1].removeprefix("after ")
                text = _insert_after(text, pattern, code, "skip-docstring" in fields)
            path.write_text(text, encoding="utf-8")
        else:  # a notebook cell, or an import in its first code cell
            nb = nbformat.read(path, as_version=4)
            if fields[1].startswith("import after "):
                first = next(c for c in nb.cells if c.cell_type == "code"
                             and "parameters" not in c.metadata.get("tags", []))  # fmt: skip
                line = fields[1].removeprefix("import after ")
                assert line in first.source, line
                first.source = first.source.replace(line, f"{line}\n{code}", 1)
            else:
                anchor = fields[1].removeprefix("after-cell ")
                at = next(i for i, c in enumerate(nb.cells) if anchor in c.source)
                new = (nbformat.v4.new_markdown_cell if fields[2] == "markdown"
                       else nbformat.v4.new_code_cell)(code)  # fmt: skip
                nb.cells.insert(at + 1, new)
            nbformat.write(nb, path)


def _copy_repo(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _digests(repo: Path) -> dict[str, bytes]:
    return {str(p.relative_to(repo)): p.read_bytes() for p in repo.rglob("*") if p.is_file()}


def test_the_walkthrough_is_machine_readable():
    named, edits = walkthrough((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    assert len(named) == 5 and len(edits) >= 8
    assert {f[0] for _, f, _ in edits} == set(named)


@pytest.mark.slow
def test_add_a_metric_touches_only_the_files_it_names(tmp_path, small_twin):
    named, edits = walkthrough((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    repo = _copy_repo(tmp_path / "repo")
    before = _digests(repo)
    apply(repo, edits)
    after = _digests(repo)
    changed = sorted(f for f in after if before.get(f) != after[f])
    assert changed == sorted(named)
    package = [f for f in changed if f.startswith("kuailive_analysis/")]
    assert len(package) <= 3 and len([f for f in changed if f.startswith("tests/")]) == 1

    env = {**os.environ, "PYTHONPATH": str(repo), "KUAILIVE_BUILD_DIR": str(tmp_path / "build")}
    script = f"""
import json
from kuailive_analysis import retention
from kuailive_analysis.dataset import load
from kuailive_analysis.plots.common import plot_bars
res = retention.analyse(load({str(small_twin)!r}))
keys = {{f.key for f in res.findings()}}
fig = plot_bars(res.cohorts.day2, "cohort", "rate_on", xlabel="cohort", ylabel="share",
                percent=True, title=res.titles.day2)
print(json.dumps({{"value": res.numbers()["ret_on_2"], "finding": "ret_d2_all" in keys,
                  "title": res.titles.day2, "bars": len(fig.axes[0].patches),
                  "module": retention.__file__}}))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=repo, env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["module"].startswith(str(repo)), "the copy's package must be the one imported"
    value, spec = out["value"]
    assert spec == ".1%" and 0 <= value <= 1
    assert out["finding"] and out["title"].startswith("Day-2 retention") and out["bars"] > 0
    nb = nbformat.read(repo / "book/chapters/03_retention.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "{glue:text}`ret_on_2`" in text and 'g("fig_day2"' in text
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/retention/test_day2.py"], cwd=repo, env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-2000:]
    lint = subprocess.run([str(Path(sys.executable).with_name("ruff")), "check", *changed],
                          cwd=repo, capture_output=True, text=True)  # fmt: skip
    assert lint.returncode == 0, lint.stdout
