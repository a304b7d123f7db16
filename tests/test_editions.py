"""An edition is one data source; runs and builds are atomic and safe to run concurrently.

Each executed chapter records what it ran with (``metadata.kuailive``); the build refuses to mix
data sources or package versions; a failing chapter or build keeps the last good output; the
build folder's lock serialises two real ``kuailive build`` processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from kuailive_analysis import __version__, config
from kuailive_analysis.app import book, chapters as chs, edition as ed, site
from kuailive_analysis.core.folders import TMP_MARK

QUIET = {"log": lambda *a, **k: None}


def _chapter(build: Path, name: str) -> Path:
    return build / ed.EXECUTED / "book" / "chapters" / f"{name}.ipynb"


@pytest.fixture
def copied_build(executed_book, tmp_path, monkeypatch) -> Path:
    """A private build folder holding a copy of the session's executed chapters."""
    failed = sorted(k for k, v in executed_book.items() if v)
    if failed:
        pytest.fail(f"chapters failed: {failed}")
    build = tmp_path / "build"
    build.mkdir()
    shutil.copytree(config.build_dir() / ed.EXECUTED, build / ed.EXECUTED)
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(build))
    return build


def _set_provenance(path: Path, **changes) -> None:
    nb = nbformat.read(path, as_version=4)
    prov = nb.metadata[ed.PROVENANCE_KEY]
    for key, value in changes.items():
        if value is None:
            prov.pop(key, None)
        else:
            prov[key] = value
    if "fingerprint" in changes:
        prov["data"] = {**prov["data"], "fingerprint": changes["fingerprint"], "label": "other"}
        prov["timestamp"] = 0  # an older run
    nbformat.write(nb, path)


@pytest.mark.slow
def test_executed_chapters_record_their_run(executed_book, small_twin):
    data = ed.describe_data(small_twin)
    for ch in chs.all_chapters():
        prov = ed.chapter_provenance(_chapter(config.build_dir(), ch.name))
        assert prov["data"] == data and prov["fingerprint"] == data["fingerprint"]
        assert prov["version"] == __version__ and prov["engine"] == "duckdb"
        assert isinstance(prov["parameters"], dict) and "data_dir" not in prov["parameters"]
        assert prov["executed_at"].endswith("UTC")


@pytest.mark.slow
def test_run_json_describes_the_site(built_site, small_twin):
    doc = json.loads((built_site.parent / "run.json").read_text())
    fp = ed.describe_data(small_twin)["fingerprint"]
    assert doc["data"]["fingerprint"] == fp
    assert list(doc["chapters"]) == [c.name for c in chs.all_chapters()]
    for rec in doc["chapters"].values():
        assert rec["fingerprint"] == fp and rec["version"] == __version__
        assert rec["executed_at"] and isinstance(rec["parameters"], dict)


@pytest.mark.slow
def test_mixing_two_data_sources_is_refused(copied_build):
    for name in ("02_eda", "05_funnel_ctr"):
        _set_provenance(_chapter(copied_build, name), fingerprint="0123456789abcdef")
    with pytest.raises(chs.BookError) as err:
        site.build_site(**QUIET)
    msg = str(err.value)
    assert "\n" not in msg and "mix data sources" in msg
    assert "rerun 02_eda, 05_funnel_ctr on synthetic twin" in msg
    assert "0123456789abcdef" in msg
    assert not (copied_build / "html").exists()


@pytest.mark.slow
def test_stale_version_or_missing_record_is_refused(copied_build):
    _set_provenance(_chapter(copied_build, "04_ltv"), version="0.0.1")
    with pytest.raises(chs.BookError, match=r"^Chapters 04_ltv were executed with another"):
        site.build_site(**QUIET)
    _set_provenance(_chapter(copied_build, "04_ltv"), version=__version__)
    nb = nbformat.read(_chapter(copied_build, "03_retention"), as_version=4)
    del nb.metadata[ed.PROVENANCE_KEY]
    nbformat.write(nb, _chapter(copied_build, "03_retention"))
    with pytest.raises(chs.BookError, match=r"03_retention have no run record"):
        site.build_site(**QUIET)


def _boom(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("data_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    path = tmp_path / "boom.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_failing_rerun_keeps_the_last_good_chapter(copied_build, small_twin, tmp_path):
    good = _chapter(copied_build, "03_retention")
    before = good.read_bytes()
    broken = chs.Chapter("03_retention", _boom(tmp_path))
    with pytest.raises(chs.BookError) as err:
        book.run_chapters(small_twin, [broken], **QUIET)
    msg = str(err.value)
    assert msg.startswith("Chapter 03_retention failed") and "RuntimeError: boom" in msg
    assert "No executed chapter was replaced" in msg
    assert good.read_bytes() == before
    assert (copied_build / "failed" / "03_retention.ipynb").exists()
    assert not list(copied_build.glob(f"*{TMP_MARK}*")), "temporary folder left behind"


@pytest.mark.slow
def test_failing_build_keeps_the_previous_site(built_site, copied_build, monkeypatch):
    shutil.copytree(built_site.parent, copied_build / "html")
    before = (copied_build / "html" / "index.html").read_bytes()

    def failing_run(cmd, **kw):
        return subprocess.CompletedProcess(cmd, 1, stdout="", stderr="Sphinx exploded")

    monkeypatch.setattr(site.subprocess, "run", failing_run)
    with pytest.raises(chs.BookError, match="previous site is kept"):
        site.build_site(**QUIET)
    assert (copied_build / "html" / "index.html").read_bytes() == before
    assert not list(copied_build.glob(f"*{TMP_MARK}*"))


def _kuailive(build: Path, *args, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kuailive_analysis.app.cli", *args],
        env={**os.environ, "KUAILIVE_BUILD_DIR": str(build), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_lock_times_out_with_a_clear_message(tmp_path, monkeypatch):
    build = tmp_path / "build"
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(build))
    with ed.build_lock(**QUIET):
        with ed.build_lock(**QUIET):  # re-entrant in one process
            pass
        proc = _kuailive(build, "build", KUAILIVE_LOCK_TIMEOUT="0.5")
        out, errs = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert f"another kuailive run/build is using {build}; waiting" in out
    assert "still using" in errs and "Traceback" not in errs


@pytest.mark.slow
def test_two_concurrent_builds_both_succeed(copied_build):
    first = _kuailive(copied_build, "build")
    time.sleep(1.0)
    second = _kuailive(copied_build, "build")
    results = [p.communicate(timeout=600) for p in (first, second)]
    for p, (out, errs) in zip((first, second), results, strict=True):
        assert p.returncode == 0, errs[-2000:]
        assert "Site written" in out
    assert (copied_build / "html" / "index.html").exists()
    assert (copied_build / "html" / "run.json").exists()
    assert not list(copied_build.glob(f"*{TMP_MARK}*"))
