"""Bad command-line input, environment errors and interrupts (issue 17, item 6).

Every case runs the real ``kuailive`` command in a subprocess: a bad input gives one line on
stderr and exit 2 (environment errors 1), never a traceback; ``--debug`` shows it; Ctrl-C
(a real SIGINT) prints ``interrupted`` and exits 130 without leaving a half-written twin.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kuailive_analysis import __version__, config
from kuailive_analysis.data.data_source import TRUTH_FILE
from kuailive_analysis.dataset import ensure_default_twin
from kuailive_analysis.twin import TwinError, generate

KUAILIVE = [sys.executable, "-m", "kuailive_analysis.app.cli"]


def _run(args, cwd, env=None, timeout=120):
    return subprocess.run(
        KUAILIVE + [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def _assert_one_line_error(proc, code: int, *words: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("kuailive "), err
    assert err.endswith(".") and not err.endswith(".."), err
    for w in words:
        assert w in err, (w, err)
    return err


@pytest.mark.parametrize(
    "args, words",
    [
        (["sample", "--scale", "0", "--out", "x"], ["scale", "not 0"]),
        (["sample", "--scale", "-1", "--out", "x"], ["scale", "not -1"]),
        (["sample", "--scale", "10", "--out", "x"], ["scale", "not 10"]),
        (["sample", "--scale", "nan", "--out", "x"], ["scale"]),
        (["sample", "--seed", "-3", "--out", "x"], ["seed", "-3"]),
        (["run", "--scale", "0"], ["scale"]),
        (["book", "--scale", "-1"], ["scale"]),
        (["run", "--chapters", "nope", "--data-dir", "."], ["nope", "Chapters are"]),
        (["run", "--data-dir", "no_such_folder"], ["no_such_folder"]),
        (["validate", "--data-dir", "no_such_folder"], ["no_such_folder"]),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args, words):
    proc = _run(args, tmp_path, env={"KUAILIVE_BUILD_DIR": str(tmp_path / "_build")})
    _assert_one_line_error(proc, 2, *words)
    assert not (tmp_path / "x").exists()


def test_sample_out_is_an_existing_file(tmp_path):
    (tmp_path / "f").write_text("keep me")
    proc = _run(["sample", "--out", "f", "--scale", "0.005"], tmp_path)
    _assert_one_line_error(proc, 2, "is a file")
    assert (tmp_path / "f").read_text() == "keep me"


def test_sample_out_below_a_file_is_an_environment_error(tmp_path):
    (tmp_path / "f").write_text("keep me")
    proc = _run(["sample", "--out", "f/x", "--scale", "0.005"], tmp_path)
    _assert_one_line_error(proc, 1, "f")
    assert (tmp_path / "f").read_text() == "keep me"
    assert not list(tmp_path.glob("*.partial-*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_sample_into_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        proc = _run(["sample", "--out", "ro/x", "--scale", "0.005"], tmp_path)
    finally:
        ro.chmod(0o755)
    _assert_one_line_error(proc, 1, "ermission")


def test_debug_shows_the_traceback(tmp_path):
    proc = _run(["sample", "--scale", "0", "--out", "x", "--debug"], tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "TwinError" in proc.stderr
    proc = _run(["--debug", "sample", "--scale", "0", "--out", "x"], tmp_path)
    assert "Traceback" in proc.stderr


def test_version(tmp_path):
    proc = _run(["--version"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"kuailive {__version__}"


# --- partial twin folders -------------------------------------------------------------------
def _partial(folder: Path) -> Path:
    """What an interrupted generation by an older version left: some files, no truth.json."""
    folder.mkdir(parents=True)
    for name in ("user.csv", "streamer.csv", "room.csv", "click.csv", "negative.csv"):
        (folder / name).write_text("user_id\n1\n")
    return folder


def test_sample_refuses_a_partial_folder(tmp_path):
    _partial(tmp_path / "x")
    proc = _run(["sample", "--out", "x", "--scale", "0.005"], tmp_path)
    err = _assert_one_line_error(proc, 2, "no truth.json", "interrupted generation", "delete it")
    assert "click.csv" in err
    assert not (tmp_path / "x" / TRUTH_FILE).exists()  # nothing touched
    assert len(list((tmp_path / "x").iterdir())) == 5


def test_generate_replaces_a_twin_and_uses_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    a = generate(tmp_path / "empty", scale=0.005, seed=1, progress=False)
    assert (a / TRUTH_FILE).is_file()
    before = (a / "click.csv").read_bytes()
    generate(a, scale=0.005, seed=2, progress=False)  # a complete twin is replaced
    assert (a / "click.csv").read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no .partial / .old left
    with pytest.raises(TwinError, match="is a file"):
        generate(a / "click.csv", scale=0.005, progress=False)


def test_default_twin_partial_folder_is_named_and_regenerated(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_DATA_ROOT", str(tmp_path))
    path = _partial(config.twin_dir(0.005, 7))
    logged: list[str] = []
    out = ensure_default_twin(0.005, 7, log=logged.append)
    assert out == path and (path / TRUTH_FILE).is_file() and (path / "comment.csv").is_file()
    assert any("no truth.json" in m and "generating the twin again" in m for m in logged)
    logged.clear()
    ensure_default_twin(0.005, 7, log=logged.append)  # complete now: used as is
    assert logged == [f"Using the synthetic twin in {path}"]


def test_default_twin_partial_folder_warns_without_log(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_DATA_ROOT", str(tmp_path))
    path = _partial(config.twin_dir(0.005, 8))
    with pytest.warns(UserWarning, match="no truth.json"):
        ensure_default_twin(0.005, 8)
    assert (path / TRUTH_FILE).is_file()


# --- a real Ctrl-C --------------------------------------------------------------------------
def _interrupt(args, cwd, delay: float, env=None):
    proc = subprocess.Popen(
        KUAILIVE + args,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


@pytest.mark.parametrize("delay", [0.2, 1.5])
def test_interrupted_sample_exits_130_and_leaves_nothing(tmp_path, delay):
    code, out, err = _interrupt(["sample", "--scale", "0.05", "--out", "X"], tmp_path, delay)
    if code == 0:  # a very fast machine finished first: then the twin is complete
        assert (tmp_path / "X" / TRUTH_FILE).is_file()
        return
    assert code == 130, err
    assert err.strip() == "interrupted"
    assert not (tmp_path / "X").exists()
    assert list(tmp_path.iterdir()) == []  # no X.partial-<pid> either


def test_sample_never_replaces_a_twin_that_holds_the_users_files(tmp_path):
    """A folder holding a twin plus a file the generator does not write is refused (exit 2,
    naming the file), and both the twin and the file are left as they were (issue 21)."""
    out = generate(tmp_path / "twin", scale=0.005, seed=1, progress=False)
    (out / "my_notes.txt").write_text("mine")
    before = sorted(p.name for p in out.iterdir())
    proc = _run(["sample", "--out", out, "--scale", "0.005", "--seed", "2"], cwd=tmp_path)
    _assert_one_line_error(proc, 2, "my_notes.txt", "never deleted")
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "my_notes.txt").read_text() == "mine"
