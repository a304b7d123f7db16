"""Fault corpus of issue 21 ("Nothing lost, every fault named").

One test (or one parametrized family) per case of the issue, each reproducing the fault and
asserting the fixed behaviour. Like ``test_cli_errors.py``, the cases run the real ``kuailive``
command in a subprocess (``python -m kuailive_analysis.app.cli``) and look at what a user sees:
the exit status, one line on stderr, no traceback, and what is left on disk.

1. Export guard: ``--out`` may not be, contain or lie inside the data folder or the build
   folder; ``--overwrite`` replaces only an earlier export holding nothing else.
2. Ctrl-C / SIGTERM while chapters run: exit 130 within 5 s, "interrupted" once, no chapter
   started after it, no kernel left, the earlier site and chapters intact.
3. Ctrl-C inside a DuckDB query (the cache build, a CSV export) and during ``sample``.
4. A corrupt, non-gzip or truncated ``.gz`` is named ("corrupt gzip").
5. A full disk (a small tmpfs as root; a fault injected at the write otherwise) names the folder
   and the space the step needs, exit 1.
6. papermill run directly checks the chapter's parameters in its first code cell, with the CLI's
   message.
7. A 60,000-character line gives a short message; temporary folders of live processes survive a
   sweep; Spark names the column of a bad value without Java's log; ``make lab`` as root.

The module uses the suite's small twin (scale 0.02, seed 7); the slow tests (chapters executed,
the site built, Spark) share one build folder holding a copy of the suite's executed book.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import nbformat
import psutil
import pytest

KUAILIVE = [sys.executable, "-m", "kuailive_analysis.app.cli"]
ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "book" / "chapters"
SCALE, SEED = 0.02, 7
INTERRUPT_EXIT_WITHIN_S = 5.0  # the bound, from the signal to the process's exit


# --- helpers --------------------------------------------------------------------------------
def _env(build: Path, **extra: str) -> dict:
    env = {**os.environ, "KUAILIVE_BUILD_DIR": str(build), "PYTHONUNBUFFERED": "1"}
    env.pop("KUAILIVE_ENGINE", None)
    env.pop("KUAILIVE_DEBUG", None)
    env.update(extra)
    return env


def _run(args, build: Path, cwd: Path | None = None, timeout: float = 300, **env):
    return subprocess.run(
        KUAILIVE + [str(a) for a in args],
        cwd=cwd or build.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(build, **env),
    )


def _one_line_error(proc, code: int, *words: str) -> str:
    """The single stderr line of a failed command, checked: exit ``code``, no traceback, the
    ``kuailive CMD: error:`` prefix, every one of ``words``."""
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "Exception ignored" not in proc.stderr, proc.stderr[-3000:]
    assert len(err.splitlines()) == 1, err[-3000:]
    assert re.match(r"kuailive \w+: error: ", err), err
    for w in words:
        assert w in err, (w, err)
    return err


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (relative path -> sha256 for files, "dir" for folders)."""
    folder = Path(folder)
    return {
        str(p.relative_to(folder)): "dir" if p.is_dir() else _sha256(p)
        for p in sorted(folder.rglob("*"))
    }


def _tmp_of(folder: Path, pid: int) -> list[Path]:
    """Temporary folders or files of process ``pid`` anywhere under ``folder``."""
    if not Path(folder).exists():
        return []
    return [p for p in Path(folder).rglob("*") if f".tmp-{pid}-" in p.name]


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kernels(pid: int) -> list[psutil.Process]:
    """The Jupyter kernels process ``pid`` started (its ``ipykernel`` descendants)."""
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ipykernel" in " ".join(child.cmdline()):
                out.append(child)
    return out


def _dead_pid() -> int:
    """The id of a process that has ended (a child that ran and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not _alive_pid(child.pid)
    return child.pid


def _alive_pid(pid: int) -> bool:
    try:
        return _alive(psutil.Process(pid))
    except psutil.Error:
        return False


class _Lines(threading.Thread):
    """Reads a text stream line by line in the background; :meth:`wait_for` a line."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.lines, self.done = stream, [], False
        self.cond = threading.Condition()
        self.start()

    def run(self):
        for line in self.stream:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        with self.cond:
            while not any(text in line for line in self.lines):
                left = end - time.monotonic()
                if self.done or left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def text(self) -> str:
        with self.cond:
            return "\n".join(self.lines)


class _Command:
    """A ``kuailive`` command running in the background, its stdout and stderr read by
    threads, to be interrupted by a real signal."""

    def __init__(self, args, build: Path, cwd: Path | None = None, **env):
        self.proc = subprocess.Popen(
            KUAILIVE + [str(a) for a in args],
            cwd=cwd or build.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(build, **env),
        )
        self.pid = self.proc.pid
        self.out, self.err = _Lines(self.proc.stdout), _Lines(self.proc.stderr)

    def signal(self, sig: int, timeout: float = 120) -> float:
        """Send ``sig``, wait for the exit; the seconds from the signal to the exit."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:  # pragma: no cover (a hung command fails the test)
                self.proc.kill()
                self.proc.wait()
        elapsed = time.monotonic() - t0
        self.out.join(30)
        self.err.join(30)
        return elapsed

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def describe(self) -> str:
        return f"stdout:\n{self.out.text()}\nstderr:\n{self.err.text()}"


def _assert_interrupted(cmd: _Command) -> None:
    """Exit 130, "interrupted" once on stderr and nothing of an error or a traceback."""
    err = cmd.err.text()
    assert cmd.proc.returncode == 130, (cmd.proc.returncode, cmd.describe())
    assert [line for line in err.splitlines() if line.strip() == "interrupted"] == [
        "interrupted"
    ], err
    for word in ("Traceback", "RuntimeError", "Query interrupted", "error:", "Exception"):
        assert word not in err, (word, err)


def _wait_until(predicate, timeout: float, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twin(small_twin) -> Path:
    """The suite's small twin (scale 0.02, seed 7: ``SCALE``, ``SEED``), generated once per
    test session; tests that damage data work on a copy."""
    assert small_twin.name == f"twin-scale{SCALE}-seed{SEED}"
    return small_twin


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    """The module's build folder (cache, executed chapters, site), shared by the tests that
    need a cache or a built book."""
    return tmp_path_factory.mktemp("faults-build") / "build"


@pytest.fixture(scope="module")
def first_export(twin, build, tmp_path_factory) -> Path:
    """An export (Parquet) of the twin; also builds the cache in the module's build folder."""
    out = tmp_path_factory.mktemp("faults-export") / "first"
    proc = _run(["export", "--data-dir", twin, "--out", out, "--quiet"], build)
    assert proc.returncode == 0, proc.stderr
    assert (out / "manifest.json").is_file()
    return out


@pytest.fixture(scope="module")
def book(built_site, build, first_export) -> Path:
    """The suite's edition of the twin (``built_site``: every chapter executed, the site built,
    as ``kuailive book`` does) copied into the module's build folder, beside the cache that
    ``first_export`` built there; returns the build folder. (The book used to be built a second
    time here, by ``kuailive book`` in a subprocess: the same chapters on the same twin.)"""
    edition = built_site.parent.parent
    for name in ("executed", "html"):
        shutil.copytree(edition / name, build / name)
    assert (build / "html" / "index.html").is_file()
    return build


def _copy_twin(twin: Path, dest: Path) -> Path:
    shutil.copytree(twin, dest)
    return dest


# --- 1. export guard ------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["data folder", "its parent", "a child of it", "build folder"])
def test_export_guard_never_touches_data_or_build_folder(twin, tmp_path, where):
    """``export --out OUT --overwrite`` with OUT the data folder X, X's parent, X/sub or a
    folder inside the build folder: exit 2, one line naming both folders, nothing deleted
    (issue 21, case 1: the eight CSV files and truth.json were replaced by the export)."""
    data = _copy_twin(twin, tmp_path / "data" / "X").resolve()
    build = (tmp_path / "build").resolve()
    build.mkdir()
    (build / "keep.txt").write_text("the build folder's own file")
    out = {
        "data folder": data,
        "its parent": data.parent,
        "a child of it": data / "sub",
        "build folder": build / "exports",
    }[where]
    protected = build if where == "build folder" else data
    before_data, before_build = _snapshot(data), _snapshot(build)

    proc = _run(["export", "--data-dir", data, "--out", out, "--overwrite", "--quiet"], build)

    _one_line_error(proc, 2, str(out), str(protected))
    assert _snapshot(data) == before_data  # every file byte-for-byte, nothing added
    assert _snapshot(build) == before_build
    assert sorted(p.name for p in data.parent.iterdir()) == ["X"]
    assert not list(out.parent.glob(f"{out.name}.tmp-*"))


def test_export_overwrite_refuses_a_folder_it_did_not_write(twin, build, tmp_path):
    """A non-empty folder without an export manifest is refused even with --overwrite."""
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_bytes(b"two years of work")
    before = _snapshot(out)
    proc = _run(["export", "--data-dir", twin, "--out", out, "--overwrite", "--quiet"], build)
    _one_line_error(proc, 2, str(out), "manifest.json")
    assert _snapshot(out) == before


def test_export_overwrite_refuses_an_export_holding_a_user_file(
    first_export, twin, build, tmp_path
):
    """An earlier export plus a file the user put there: refused, both survive."""
    out = tmp_path / "export"
    shutil.copytree(first_export, out)
    (out / "notes.txt").write_text("my notes about the export")
    before = _snapshot(out)
    proc = _run(["export", "--data-dir", twin, "--out", out, "--overwrite", "--quiet"], build)
    _one_line_error(proc, 2, str(out), "notes.txt")
    assert _snapshot(out) == before


def test_export_overwrite_replaces_an_earlier_export(first_export, twin, build, tmp_path):
    """An earlier export alone is replaced with --overwrite: exit 0, a new manifest, nothing of
    the old export left, no temporary folder beside it."""
    out = tmp_path / "export"
    shutil.copytree(first_export, out)
    old = json.loads((out / "manifest.json").read_text())
    assert old["format"] == "parquet"
    proc = _run(
        ["export", "--data-dir", twin, "--out", out, "--overwrite", "--format", "csv", "--quiet"],
        build,
    )
    assert proc.returncode == 0, proc.stderr
    new = json.loads((out / "manifest.json").read_text())
    assert new["format"] == "csv" and new["created_utc"] >= old["created_utc"]
    listed = set(new["files"].values()) | set(new["dictionary"]) | {"manifest.json"}
    assert {p.name for p in out.iterdir()} == listed
    assert not list(out.glob("*.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


@pytest.mark.parametrize("content", ["an earlier export", "a user's file"])
def test_export_without_overwrite_refuses_a_non_empty_folder(
    first_export, twin, build, tmp_path, content
):
    out = tmp_path / "out"
    if content == "an earlier export":
        shutil.copytree(first_export, out)
    else:
        out.mkdir()
        (out / "data.csv").write_text("a,b\n1,2\n")
    before = _snapshot(out)
    proc = _run(["export", "--data-dir", twin, "--out", out, "--quiet"], build)
    _one_line_error(proc, 2, str(out), "--overwrite")
    assert _snapshot(out) == before


# --- 2. Ctrl-C and SIGTERM while chapters run -----------------------------------------------
def _site_state(build: Path) -> dict[str, str]:
    """sha256 of the published site's index.html and of every file of the executed edition."""
    state = {"html/index.html": _sha256(build / "html" / "index.html")}
    state.update({f"executed/{k}": v for k, v in _snapshot(build / "executed").items()})
    return state


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_while_chapters_run(book, twin, sig):
    """A real signal to ``kuailive run --chapters 5 2 3`` while chapter 5 executes (chapter 3
    waits for a free worker): exit 130 within 5 s of the signal, "interrupted" once on stderr,
    no chapter started after the signal, no kernel of the run left, the earlier site and
    executed chapters byte-identical (issue 21, case 2: exit only ~53 s later, after the
    chapter had finished, with chapters printing "executing" after "interrupted")."""
    build = book
    before = _site_state(build)
    cmd = _Command(["run", "--data-dir", twin, "--chapters", "5", "2", "3"], build)
    try:
        assert cmd.out.wait_for("05_funnel_ctr: executing", 300), cmd.describe()
        time.sleep(3)  # chapter 5 is well into its work (it runs for about a minute)
        assert cmd.proc.poll() is None, cmd.describe()
        started = [line for line in cmd.out.lines if "executing" in line]
        kernels = _kernels(cmd.pid)
        assert kernels, "no Jupyter kernel found for the running chapters"
        elapsed = cmd.signal(sig)
    finally:
        cmd.kill()

    _assert_interrupted(cmd)
    assert elapsed < INTERRUPT_EXIT_WITHIN_S, f"exit {elapsed:.1f} s after the signal"
    assert [line for line in cmd.out.lines if "executing" in line] == started
    assert not any("03_retention" in line for line in cmd.out.lines)  # never started
    assert not any(": done" in line for line in cmd.out.lines)
    assert not [k.pid for k in kernels if _alive(k)], "a kernel of the run is still alive"
    assert _site_state(build) == before
    assert not _tmp_of(build, cmd.pid)


# --- 3. Ctrl-C inside a DuckDB query ----------------------------------------------------------
@pytest.mark.parametrize("delay", [0.05, 0.25])
def test_interrupt_during_cache_build(twin, tmp_path, delay):
    """SIGINT while ``kuailive run`` builds the Parquet cache on a fresh build folder, inside
    its DuckDB queries (sessions.parquet is written, the user-day query runs next, the longest
    single query of the build): "interrupted" and exit 130, not ``RuntimeError: Query
    interrupted`` with exit 1 (issue 21, case 3; reproduced at 0.3 and 0.6 s before the fix), no
    chapter started after the signal, no temporary folder left in the build folder."""
    build = tmp_path / "build"
    cmd = _Command(["run", "--data-dir", twin, "--chapters", "1", "2"], build)
    try:
        began = _wait_until(lambda: bool(list(build.glob("cache/.*.tmp-*/sessions.parquet"))), 120)
        assert began, cmd.describe()
        time.sleep(delay)
        started = [line for line in cmd.out.lines if "executing" in line]
        cmd.signal(signal.SIGINT)
    finally:
        cmd.kill()
    _assert_interrupted(cmd)
    # the premise: the signal came inside the cache build (the small twin's build takes about
    # 2 s after its sessions are written; these delays were 0.3 and 0.6 s before it got faster)
    assert not any("Cache ready" in line for line in cmd.out.lines), cmd.describe()
    assert [line for line in cmd.out.lines if "executing" in line] == started, cmd.describe()
    assert not [p for p in build.rglob("*") if ".tmp-" in p.name]  # the only process here
    cache = build / "cache"
    # cache folders are named by their 16-hex-digit key (the digests and fidelity stores
    # beside them are not caches)
    keys = [p for p in cache.iterdir() if p.is_dir() and re.fullmatch(r"[0-9a-f]{16}", p.name)]
    assert all((p / "meta.json").is_file() for p in keys), "a partial cache was left in use"


@pytest.mark.parametrize("delay", [0.3, 0.7])
def test_interrupt_during_csv_export(first_export, twin, build, tmp_path, delay):
    """SIGINT while ``kuailive export --format csv`` runs its DuckDB COPY queries: exit 130,
    "interrupted", no ``RuntimeError: Query interrupted``; neither OUT nor the process's
    ``OUT.tmp-<pid>-*`` folder is left."""
    out = tmp_path / "OUT"
    cmd = _Command(
        ["export", "--data-dir", twin, "--out", out, "--format", "csv", "--quiet"], build
    )
    try:
        began = _wait_until(lambda: bool(list(tmp_path.glob("OUT.tmp-*"))), 120)
        assert began, cmd.describe()
        time.sleep(delay)
        cmd.signal(signal.SIGINT)
    finally:
        cmd.kill()
    _assert_interrupted(cmd)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())


def test_sample_sigterm_exits_130_and_leaves_nothing(tmp_path):
    """SIGTERM during ``kuailive sample`` (the SIGINT case is in test_cli_errors): exit 130,
    "interrupted", neither the twin folder nor its ``.partial-<pid>`` folder left."""
    cmd = _Command(
        ["sample", "--scale", "0.05", "--out", "X", "--quiet"], tmp_path / "b", cwd=tmp_path
    )
    try:
        began = _wait_until(lambda: bool(list(tmp_path.glob("X.partial-*"))), 120)
        assert began, cmd.describe()
        time.sleep(0.5)
        cmd.signal(signal.SIGTERM)
    finally:
        cmd.kill()
    _assert_interrupted(cmd)
    assert cmd.err.text().strip() == "interrupted"
    assert not (tmp_path / "X").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "b"] == []


# --- 4. a corrupt .gz -------------------------------------------------------------------------
def _damage_gzip(raw: bytes, kind: str) -> bytes:
    z = gzip.compress(raw, mtime=0)
    middle = len(z) // 2
    if kind == "bytes overwritten":  # zlib.error, the "Error -3 while decompressing"
        rng = random.Random(0)
        damaged = bytearray(z)
        damaged[middle : middle + 4096] = bytes(rng.randrange(256) for _ in range(4096))
        with pytest.raises(zlib.error):
            gzip.decompress(bytes(damaged))
        return bytes(damaged)
    if kind == "bytes flipped":  # still inflates, the CRC check fails
        damaged = bytearray(z)
        for i in range(middle, middle + 16):
            damaged[i] ^= 0xFF
        with pytest.raises(gzip.BadGzipFile):
            gzip.decompress(bytes(damaged))
        return bytes(damaged)
    if kind == "not gzip":  # plain text renamed to .gz
        return raw
    if kind == "truncated":  # cut in half
        return z[:middle]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["bytes overwritten", "bytes flipped", "not gzip", "truncated"])
def test_corrupt_gzip_is_named(twin, tmp_path, kind):
    """``click.csv.gz`` damaged: ``validate`` and ``export`` both exit 2 with one line naming
    the file and saying "corrupt gzip" (issue 21, case 4: ``error: Error -3 while decompressing
    data: invalid distance too far back``, exit 1, no file named)."""
    data = _copy_twin(twin, tmp_path / "data")
    raw = (data / "click.csv").read_bytes()
    (data / "click.csv").unlink()
    (data / "click.csv.gz").write_bytes(_damage_gzip(raw, kind))
    build = tmp_path / "build"

    proc = _run(["validate", "--data-dir", data], build)
    _one_line_error(proc, 2, "click.csv.gz", "corrupt gzip")

    out = tmp_path / "out"
    proc = _run(["export", "--data-dir", data, "--out", out, "--quiet"], build)
    _one_line_error(proc, 2, "click.csv.gz", "corrupt gzip")
    assert not out.exists()
    assert not [p for p in build.rglob("*") if ".tmp-" in p.name]


# --- 5. a full disk -------------------------------------------------------------------------
@contextlib.contextmanager
def _tmpfs(path: Path, size: str):
    """A tmpfs of ``size`` mounted on ``path`` (skips the test when not root or when the
    mount fails, e.g. in a container without the capability); unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected fault covers this case")
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _leave_free(folder: Path, nbytes: int) -> None:
    """Fill the file system of ``folder`` with a ballast file until ``nbytes`` are free."""
    ballast = folder / "ballast"
    size = shutil.disk_usage(folder).free - nbytes
    assert size > 0
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)


def test_full_disk_during_cache_build_tmpfs(twin, tmp_path):
    """``kuailive book`` with the build folder on a 10 MB tmpfs (the cache of the scale-0.02
    twin takes about 19 MB): exit 1, one line naming the folder and the space the step needs,
    no traceback, no "Exception ignored" (issue 21, case 5: ``[errno 28] No space left on
    device`` without the path, plus an "Exception ignored ... ConnectionException" traceback)."""
    with _tmpfs(tmp_path / "disk", "10m") as disk:
        proc = _run(["book", "--data-dir", twin], disk, cwd=tmp_path)
        err = _one_line_error(proc, 1, str(disk), "needs about", "No space left")
        assert "errno" not in err.lower()
        assert not any(".tmp-" in p.name for p in disk.rglob("*")), list(disk.rglob("*"))


@pytest.mark.slow
def test_full_disk_during_site_build_tmpfs(book, tmp_path):
    """``kuailive build`` of an executed edition into a build folder (with a previous site)
    on a tmpfs with 10 MB free, where the site needs about 25 MB: exit 1, one line naming the
    folder and the space needed, the previous site kept byte-for-byte (issue 21, case 5: exit 2
    with a 42-line jupyter-book traceback)."""
    with _tmpfs(tmp_path / "disk", "96m") as disk:
        build = disk / "build"
        build.mkdir()
        for name in ("executed", "html"):
            shutil.copytree(book / name, build / name)
        before = _snapshot(build / "html")
        _leave_free(disk, 10 * 2**20)
        proc = _run(["build"], build, cwd=tmp_path)
        _one_line_error(proc, 1, str(build), "needs about", "No space left")
        assert _snapshot(build / "html") == before
        assert not any(".tmp-" in p.name for p in build.iterdir())


class _FullDiskWriter:
    """Stands in for ``pyarrow.parquet.ParquetWriter``: the first batch written fails the way
    pyarrow reports a full disk."""

    def __init__(self, *args, **kwargs):
        self.args = args

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write_batch(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    write_table = write = write_batch

    def close(self):
        pass


def test_full_disk_injected_at_the_write(twin, tmp_path, monkeypatch, capsys):
    """Without root (and always): ENOSPC raised by the Parquet writer of the cache build, the
    command called in-process: exit 1 and one line naming the build folder and "needs about"."""
    import pyarrow.parquet as pq

    from kuailive_analysis.app import cli

    build = tmp_path / "build"
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(build))
    monkeypatch.setattr(pq, "ParquetWriter", _FullDiskWriter)
    out = tmp_path / "out"
    code = cli.main(["export", "--data-dir", str(twin), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 1, captured
    assert len(err.splitlines()) == 1, err
    assert err.startswith("kuailive export: error: No space left"), err
    assert str(build) in err and "needs about" in err, err
    assert "Traceback" not in captured.err and "OSError" not in err
    assert not out.exists()
    assert not [p for p in build.rglob("*") if ".tmp-" in p.name]


# --- 6. papermill run directly checks the parameters -----------------------------------------
def _cli_param_error(twin: Path, tmp_path: Path, name: str, value: str) -> str:
    proc = _run(
        ["run", "--data-dir", twin, "--chapters", "3", "-p", name, value], tmp_path / "build"
    )
    err = _one_line_error(proc, 2, name)
    return err.removeprefix("kuailive run: error: ")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, value", [("no_such_param", "1"), ("churn_days", "2.5")], ids=["unknown", "badly typed"]
)
def test_papermill_direct_run_checks_parameters(twin, tmp_path, name, value):
    """``papermill 03_retention.ipynb out.ipynb -k python3 -p NAME VALUE`` fails (exit 0 with
    only papermill's warning before, issue 21, case 6), with the CLI's message word for word,
    raised in the first code cell after the injected parameters; no later cell runs."""
    expected = _cli_param_error(twin, tmp_path, name, value)
    out_nb = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "papermill", str(CHAPTERS / "03_retention.ipynb"), str(out_nb)]
        + ["-k", "python3", "-p", name, value, "-p", "data_dir", str(twin)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(tmp_path / "build"),
    )
    assert proc.returncode != 0, proc.stderr[-3000:]
    assert expected in proc.stdout + proc.stderr, (expected, proc.stderr[-3000:])

    nb = nbformat.read(out_nb, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    injected = next(
        i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", [])
    )
    failing = [i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.outputs)]
    assert failing == [injected + 1], failing
    error = next(o for o in code[injected + 1].outputs if o.output_type == "error")
    assert error.ename == "ParamError"
    assert error.evalue == expected
    assert all(c.execution_count is None for c in code[injected + 2 :])


@pytest.mark.parametrize("chapter", sorted(p.stem for p in CHAPTERS.glob("[0-9][0-9]_*.ipynb")))
def test_every_chapter_checks_parameters_in_its_first_code_cell(chapter):
    """Every chapter's first code cell after its parameters cell checks its parameters with its
    own ``Params.from_namespace(globals())`` (where papermill's injected cell lands in front of
    it), and that check gives an unknown injected parameter the CLI's message, while the
    chapter's defaults pass."""
    from kuailive_analysis.app.params import PARAMS, ParamError, parse_cli

    cls = PARAMS[chapter]

    nb = nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    assert ".Params.from_namespace(globals())" in code[first + 1].source

    defaults: dict = {}
    exec(code[first].source, defaults)  # noqa: S102 (the chapter's own parameters cell)
    defaults["In"] = ["", code[first].source]
    assert isinstance(cls.from_namespace(defaults), cls)

    injected = "# Parameters\nno_such_param = 1\n"
    namespace = {**defaults, "no_such_param": 1, "In": ["", code[first].source, injected]}
    with pytest.raises(ParamError) as raised:
        cls.from_namespace(namespace)
    with pytest.raises(ParamError) as cli:
        parse_cli([("no_such_param", "1")], [chapter])
    assert str(raised.value) == str(cli.value)
    assert "no_such_param" in str(raised.value)


# --- 7. smaller -----------------------------------------------------------------------------
LONG = 60_000


@pytest.mark.parametrize(
    "file, text, commands",
    [
        ("click.csv", "x" * LONG, ["validate", "export"]),
        ("click.csv", ",".join(f"column_{i}" for i in range(LONG))[:LONG], ["validate"]),
        ("user.csv", "7" * LONG, ["validate", "export"]),
        ("streamer.csv", "x" * 100_000, ["validate"]),  # longer than a header may be
    ],
    ids=["click-letters", "click-commas", "user-digits", "streamer-100k"],
)
def test_one_long_line_gives_a_short_message(twin, tmp_path, file, text, commands):
    """A file that is one long line without a newline: ``validate`` (and ``export``, whose
    cache build reads the file on its own path) exit 2 with one line under 1,000 characters
    naming the file (issue 21, case 7: a 55 KB message). user.csv and streamer.csv have the
    widest schemas, so the longest messages."""
    data = _copy_twin(twin, tmp_path / "data")
    (data / file).write_text(text)
    build = tmp_path / "build"
    for command in commands:
        args = [command, "--data-dir", data]
        if command == "export":
            args += ["--out", tmp_path / "out", "--quiet"]
        proc = _run(args, build)
        err = _one_line_error(proc, 2, file)
        assert len(err) < 1000, (len(err), err)
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["build", "run"])
def test_sweep_keeps_temporary_folders_of_live_processes(twin, tmp_path, command):
    """A ``*.tmp-<pid>-<hex>`` folder in the build folder whose process runs (here a ``sleep``
    child of the test) survives the lock's sweep of ``kuailive build``/``run``; one whose
    process has ended is removed (issue 21, case 7: a build deleted another process's export
    in progress)."""
    build = tmp_path / "build"
    build.mkdir()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        dead = _dead_pid()
        live_dir = build / f"export.tmp-{sleeper.pid}-0123abcd"
        dead_dir = build / f"executed.tmp-{dead}-89abcdef"
        dead_file = build / f"run.json.tmp-{dead}-fedcba98"
        for d in (live_dir, dead_dir):
            d.mkdir()
            (d / "part.parquet").write_bytes(b"work in progress")
        dead_file.write_text("{}")
        empty = tmp_path / "empty"
        empty.mkdir()
        args = ["build"] if command == "build" else ["run", "--data-dir", empty, "--chapters", "1"]
        proc = _run(args, build)
        assert proc.returncode == 2, proc.stderr  # no chapters / no data: fails after the sweep
        assert (live_dir / "part.parquet").read_bytes() == b"work in progress"
        assert not dead_dir.exists()
        assert not dead_file.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def _with_bad_value(twin: Path, dest: Path, column: str, value: str, line: int = 500) -> Path:
    data = _copy_twin(twin, dest)
    path = data / "click.csv"
    lines = path.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    fields = lines[line].rstrip("\n").split(",")
    fields[header.index(column)] = value
    lines[line] = ",".join(fields) + "\n"
    path.write_text("".join(lines))
    return data


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (CI installs it)")
def test_spark_bad_value_names_the_column(twin, tmp_path):
    """``12x4`` in click.csv's ``live_id`` read by Spark: one line naming the file, the column
    and the value, fewer than 5 lines of stderr, no Java stack trace; Java's own log goes to
    ``<build>/logs`` (issue 21, case 7: the file named after 60 lines of Java log, no column)."""
    data = _with_bad_value(twin, tmp_path / "bad", "live_id", "12x4")
    build = tmp_path / "build"
    proc = _run(["run", "--data-dir", data, "--chapters", "1", "2"], build, KUAILIVE_ENGINE="spark")
    assert len(proc.stderr.strip().splitlines()) < 5, proc.stderr[-3000:]
    _one_line_error(proc, 2, "click.csv", "live_id", "12x4")
    for word in ("at org.apache", "Py4J", "WARN", "java.lang"):
        assert word not in proc.stderr, (word, proc.stderr)
    assert list((build / "logs").glob("spark-*.log"))


def _lab_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if re.search(r"jupyter\S* lab\b", line)]
    assert len(lines) == 1, stdout
    return lines[0]


def _make_n_lab(path: str | None = None) -> str:
    """The ``jupyter lab`` line of ``make -n lab`` in the project (``path``: $PATH to use)."""
    env = dict(os.environ, PATH=path) if path else None
    out = subprocess.run(
        ["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if re.search(r"jupyter\S* lab\b", line)]
    assert len(lines) == 1, out.stdout
    return lines[0]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("uid", ["0", "1000"])
def test_make_lab_allow_root_only_for_root(tmp_path, uid):
    """``make lab`` passes ``--allow-root`` exactly when ``id -u`` says 0 (a stand-in ``id``
    first on PATH answers for root and for a user)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "id").write_text(f'#!/bin/sh\nif [ "$1" = "-u" ]; then echo {uid}; fi\n')
    (fake / "id").chmod(0o755)
    line = _make_n_lab(f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert ("--allow-root" in line) == (uid == "0"), line


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.skipif(os.geteuid() != 0, reason="the real `id -u` case needs root")
def test_make_lab_as_root_allows_root():
    """Run as root, ``make -n lab`` shows ``jupyter lab ... --allow-root`` (issue 21, case 7:
    Jupyter refused to start as root, as these machines and many containers run)."""
    assert "--allow-root" in _make_n_lab()
