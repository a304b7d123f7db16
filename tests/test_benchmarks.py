"""The benchmark machinery: README's performance table rendering and run_all.py's stage processes.

No benchmark is timed here; the renderer runs on a fixture results file, README's block is
checked against the rendering of the files it names, and run_all.py's child mode runs on a
tiny stage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import readme_table  # noqa: E402
import run_all  # noqa: E402


def _row(scale, stage, wall, peak, error=None, engine="duckdb"):
    return {
        "scale": scale,
        "stage": stage,
        "engine": engine,
        "command": f"kuailive {stage}",
        "wall_s": wall,
        "stage_s": wall,
        "peak_mb": None if error else peak,
        "ok": error is None,
        "error": error,
        "load_before": 0.5,
        "load_after": 1.5,
    }


def fixture(baseline_error: str | None = "MemoryError: Unable to allocate 2.1 GiB") -> dict:
    return {
        "schema": 2,
        "stamp": "20260101-000000",
        "command": ".venv/bin/python benchmarks/run_all.py --scale 1 5 --engine duckdb",
        "engine": "duckdb",
        "machine": "2 CPUs, 24 GB RAM",
        "targets": run_all.TARGETS,
        "comparable": run_all.COMPARABLE,
        "rows": [
            _row(1.0, "book_cold", 100.0, 3000),
            _row(1.0, "book_cached", 70.5, 2500),
            _row(1.0, "export", 50.0, 2000),
            {**_row(1.0, "baseline", 200.0, 16000, error=baseline_error), "mem_limit_gb": 20.0},
            _row(5.0, "book_cold", 600.0, 9000),
            _row(5.0, "book_cached", 0.4, None, error="exit 1: Error: disk full | retry"),
        ],
    }


def _lines(text: str, start: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(start)]


def test_render_rows_per_stage_and_scale():
    text = readme_table.render([fixture()], ["x.json"])
    assert text.splitlines()[0] == "<!-- bench:sources x.json -->"
    assert "| stage | scale 1: wall (s) | scale 1: peak (MB) | scale 5: wall (s) |" in text
    (cold,) = _lines(text, "| **whole book, raw CSV -> HTML**")
    assert cold.endswith("| 100.0 | 3,000 | 600.0 | 9,000 |")
    (cached,) = _lines(text, "| **whole book, cache in place**")
    assert cached.endswith("| 70.5 | 2,500 | failed after 0.4 | failed |")
    (base,) = _lines(text, "| the earlier notebook's way")
    assert base.endswith("| failed after 200.0 | failed |  |  |")
    # failed stages are listed with their error (table pipes escaped)
    assert "- scale 5, `book_cached` failed: exit 1: Error: disk full \\| retry" in text
    assert "- scale 1, `baseline` failed: MemoryError: Unable to allocate 2.1 GiB" in text
    # the command lines that produced the results
    assert fixture()["command"] in text
    assert ".venv/bin/python benchmarks/readme_table.py x.json" in text


def test_render_targets_verdicts():
    res = fixture()
    res["rows"][1] = {**res["rows"][1], "tree_peak_mb": 7000}  # cached: all processes 7 GB
    text = readme_table.render([res], [])
    rows = {
        ln.split(" | ")[0]: ln for ln in _lines(text, "| whole book") + _lines(text, "| scale-5")
    }
    rows.update({ln.split(" | ")[0]: ln for ln in _lines(text, "| kuailive export")})
    cold = rows[
        "| whole book, raw CSV -> HTML: <= 120 s, largest process <= 4 GB, all <= 6 GB (scale 1)"
    ]
    assert cold.endswith("| duckdb | 100.0 s, 3,000 MB | met |")
    cached = rows[
        "| whole book from the cache: <= 60 s, largest process <= 4 GB, all <= 6 GB (scale 1)"
    ]
    assert cached.endswith(
        "| 70.5 s, 2,500 MB, all 7,000 MB | not met (wall > 60 s, all processes > 6,144 MB) |"
    )
    s5 = rows["| scale-5 twin, raw CSV -> HTML: completes, largest process <= 4 GB (scale 5)"]
    assert s5.endswith("| 600.0 s, 9,000 MB | not met (peak > 4,096 MB) |")
    exp = [v for k, v in rows.items() if k.startswith("| kuailive export")][0]
    assert exp.endswith("| 50.0 s, 2,000 MB | met |")
    assert (
        "| default twin, whole book from the cache: <= 30 s (scale 0.1) | duckdb |  | not measured |"
        in text
    )


def test_render_target_not_measured():
    res = fixture()
    res["rows"] = [r for r in res["rows"] if r["scale"] == 1.0]
    text = readme_table.render([res], [])
    (s5,) = [ln for ln in _lines(text, "| scale-5 twin, raw CSV") if "duckdb" in ln]
    assert s5.endswith("|  | not measured |")


def test_render_ratio():
    ok = readme_table.render([fixture(baseline_error=None)], [])
    (line,) = _lines(ok, "- Scale 1, engine duckdb: ours (`export`)")
    assert "**4.0x faster** (50.0 s vs 200.0 s)" in line
    assert "**8.0x less peak memory** (2,000 MB vs 16,000 MB)" in line
    failed = readme_table.render([fixture()], [])
    (line,) = _lines(failed, "- Scale 1, engine duckdb: ours (`export`)")
    assert "did not finish: it failed after 200.0 s under its 20 GB cap (MemoryError" in line
    assert "at least **4.0x faster**" in line


def test_later_file_wins_and_engines_get_columns():
    a, b = fixture(), fixture()
    b["rows"] = [_row(1.0, "book_cold", 90.0, 2000)]
    text = readme_table.render([a, b], [])
    (cold,) = _lines(text, "| **whole book, raw CSV -> HTML**")
    assert "| 90.0 | 2,000 |" in cold
    c = fixture()
    c["rows"] = [_row(1.0, "book_cold", 150.0, 5000, engine="spark")]
    text = readme_table.render([a, c], [])
    assert "scale 1, spark: wall (s)" in text and "scale 1, duckdb: wall (s)" in text


def test_check_detects_a_hand_edit(tmp_path):
    res = tmp_path / "bench-x.json"
    res.write_text(json.dumps(fixture()))
    readme = tmp_path / "README.md"
    blk = readme_table.block(readme_table.load([res]), [str(res)])
    readme.write_text(f"# x\n\n## Performance\n\nprose\n\n{blk}\n\n## Next\n")
    assert readme_table.main(["--check", "--readme", str(readme)]) == 0
    readme.write_text(readme.read_text().replace("| 100.0 | 3,000 |", "| 99.0 | 3,000 |"))
    assert readme_table.main(["--check", "--readme", str(readme)]) == 1


def test_readme_block_equals_rendering_of_its_sources():
    blk, sources = readme_table.current(readme_table.README)
    for s in sources:
        assert (ROOT / s).is_file(), f"README's performance block names {s}, which is missing"
    assert readme_table.main(["--check"]) == 0


def _child(stage: str, spec: dict) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run_all.py"),
            "--stage",
            stage,
            "--spec",
            json.dumps(spec),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_child_mode_counts_a_descendant_and_reports_failures(tmp_path):
    res = _child("probe", {"probe_mb": 200, "probe_where": "process", "log": None})
    assert res["ok"] and res["error"] is None
    assert res["peak_mb"] >= 200  # the grandchild's allocation is the stage's peak
    log = tmp_path / "fail.log"
    cmd = [sys.executable, "-c", "import sys; print('working'); sys.exit('Error: boom.')"]
    res = _child("validate", {"cmd": cmd, "log": str(log)})
    assert not res["ok"]
    assert res["error"] == "exit 1: Error: boom."
    assert "working" in log.read_text()


def test_parse_args_scales_and_engine():
    args = run_all.parse_args(["--scale", "1", "5", "--engine", "spark", "--chapters"])
    assert args.scale == [1.0, 5.0] and args.engine == "spark" and args.chapters
    assert args.stages == run_all.DEFAULT_STAGES
    with pytest.raises(SystemExit):
        run_all.parse_args(["--engine", "pandas"])


def test_skipped_scale_is_shown_as_not_run():
    res = fixture()
    row = _row(5.0, "generate", 0.0, None, error="no twin at /x/twin-5 and --no-generate")
    res["rows"] = [*res["rows"][:4], {**row, "skipped": True}]
    text = readme_table.render([res], [])
    (gen,) = _lines(text, "| generate the twin")
    assert gen.endswith("|  |  | not run |  |")
    assert "- scale 5: not run: no twin at /x/twin-5 and --no-generate" in text
    (s5,) = _lines(text, "| scale-5 twin, raw CSV")
    assert s5.endswith("| not measured |")


def test_run_all_parent_mode_writes_results(tmp_path):
    """A whole (tiny) run: the probe stage only, in a plain process; JSON and .md written."""
    stem = tmp_path / "bench-t"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--data-root", str(tmp_path)]
    cmd += ["--scale", "0.01", "--stages", "probe", "--probe-where", "process", "--probe-mb", "50"]
    proc = subprocess.run(
        [*cmd, "--out", str(stem)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads((tmp_path / "bench-t.json").read_text())
    assert res["schema"] == 2 and res["engine"] == "duckdb" and res["targets"]
    assert res["command"].startswith(".venv/bin/python benchmarks/run_all.py --data-root")
    (row,) = res["rows"]
    assert row["stage"] == "probe" and row["ok"] and row["peak_mb"] >= 50
    assert row["scale"] == 0.01 and row["wall_s"] > 0
    assert not (tmp_path / "twin-0.01").exists()  # the probe needs no twin
    md = (tmp_path / "bench-t.md").read_text()
    assert md == readme_table.render([res], [])
    assert "benchmarks/readme_table.py" in proc.stdout


def test_all_processes_column_when_recorded():
    res = fixture()
    res["rows"][0]["tree_peak_mb"] = 5200
    text = readme_table.render([res], [])
    assert "| scale 1: peak (MB) | scale 1: all processes (MB) | scale 5: wall (s) |" in text
    (cold,) = _lines(text, "| **whole book, raw CSV -> HTML**")
    assert cold.endswith("| 100.0 | 3,000 | 5,200 | 600.0 | 9,000 |  |")
    (base,) = _lines(text, "| the earlier notebook's way")
    assert base.endswith("| failed after 200.0 | failed | failed |  |  |  |")
