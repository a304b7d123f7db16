"""DataSource: one record of which data a run used; one twin test; no import cycle; resolving a
path never writes data."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from _tiny import write_tiny

from kuailive_analysis import config, dataset
from kuailive_analysis.data import data_source as D
from kuailive_analysis.data.io import DataError


def make_twin_folder(path: Path, scale=0.5, seed=3) -> Path:
    d = write_tiny(path)
    (d / D.TRUTH_FILE).write_text(json.dumps({"scale": scale, "seed": seed}))
    return d


def test_plain_folder_source(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    src = D.describe(d)
    assert not D.is_twin(d) and src.kind == "folder" and not src.is_twin
    assert src.path == str(d.resolve()) and src.scale is None and src.seed is None
    assert src.label == f"KuaiLive files in {d.resolve()}"
    assert src.kind_text == "data folder" and src.name == "tiny"
    assert len(src.fingerprint) == 16 and int(src.fingerprint, 16) >= 0


def test_twin_source(tmp_path):
    d = make_twin_folder(tmp_path / "twin", scale=0.1, seed=20250505)
    src = D.describe(d)
    assert D.is_twin(d) and src.kind == "twin" and src.is_twin
    assert (src.scale, src.seed) == (0.1, 20250505)
    assert src.label == "synthetic twin (scale 0.1, seed 20250505)"
    assert src.kind_text == "synthetic twin"


def test_twin_constants_are_the_twin_modules():
    twin = pytest.importorskip("kuailive_analysis.twin")
    assert twin.TRUTH_FILE == D.TRUTH_FILE and twin.TRUTH_USERS_FILE == D.TRUTH_USERS_FILE


def test_fingerprint_stable_across_loads_and_different_for_other_data(tmp_path):
    a = write_tiny(tmp_path / "a")
    first = dataset.load(a).source
    again = dataset.load(a).source  # from the cache
    assert again == first and D.describe(a, engine="duckdb") == first
    # the fingerprint names the data, not the analysis: other cleaning, same fingerprint
    assert dataset.load(a, max_room_days=None).source.fingerprint == first.fingerprint
    b = write_tiny(tmp_path / "b")
    with open(b / "like.csv", "a") as fh:
        fh.write("\n")  # other bytes: other data
    assert D.fingerprint(b) != first.fingerprint
    # a twin marker does not change the data's identity, only kind and label
    assert D.describe(make_twin_folder(tmp_path / "c")).fingerprint == D.fingerprint(tmp_path / "c")


def test_to_dict_round_trip_and_frozen(tmp_path):
    src = D.describe(make_twin_folder(tmp_path / "twin"))
    d = src.to_dict()
    assert set(d) == {"kind", "path", "scale", "seed", "fingerprint", "label", "engine"}
    assert D.DataSource.from_dict(json.loads(json.dumps(d))) == src
    with pytest.raises(FrozenInstanceError):
        src.label = "other"
    with pytest.raises(ValueError, match="kind"):
        D.DataSource("csv", "/x", None, None, "0" * 16, "x")


def test_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        D.describe(tmp_path / "missing")


def test_provenance_rows_from_the_record(tmp_path):
    from kuailive_analysis.report import data_rows

    src = D.describe(make_twin_folder(tmp_path / "twin", scale=0.5, seed=3))
    rows = dict(data_rows(src))
    assert rows["kind"] == "synthetic twin" and rows["twin seed"] == "3"
    assert rows["fingerprint"] == src.fingerprint


# ---------------------------------------------------------------------------------------------
# Resolving never writes; generating the default twin is an explicit step
# ---------------------------------------------------------------------------------------------
def test_resolve_default_twin_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.delenv("KUAILIVE_DATA_DIR", raising=False)
    path = config.resolve_data_dir(None)
    assert path == config.twin_dir() and config.is_default_twin(path)
    assert config.resolve_data_dir("") == path
    assert not (tmp_path / "data").exists()  # nothing generated, not even the folder


def test_ensure_default_twin_uses_a_complete_twin(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_DATA_ROOT", str(tmp_path / "data"))
    path = config.twin_dir()
    make_twin_folder(path, scale=config.DEFAULT_SCALE, seed=config.DEFAULT_SEED)
    msgs = []
    assert dataset.ensure_default_twin(log=msgs.append) == path
    assert msgs == [f"Using the synthetic twin in {path}"]


def test_ensure_default_twin_generates_when_incomplete(tmp_path, monkeypatch):
    """A folder without the truth file (e.g. an interrupted generation) is generated again."""
    twin = pytest.importorskip("kuailive_analysis.twin")
    monkeypatch.setenv("KUAILIVE_DATA_ROOT", str(tmp_path / "data"))
    calls = []

    def fake_generate(path, scale, seed, progress):
        calls.append((Path(path), scale, seed))
        make_twin_folder(Path(path), scale=scale, seed=seed)
        return Path(path)

    monkeypatch.setattr(twin, "generate", fake_generate)
    write_tiny(config.twin_dir(0.01, 5))  # data files but no truth file
    with pytest.warns(UserWarning, match="no truth.json"):  # the partial folder is named
        assert dataset.ensure_default_twin(0.01, 5) == config.twin_dir(0.01, 5)
    assert calls == [(config.twin_dir(0.01, 5), 0.01, 5)]
    dataset.ensure_default_twin(0.01, 5)
    assert len(calls) == 1  # complete now: not generated again


def test_load_none_generates_the_default_twin_explicitly(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.delenv("KUAILIVE_DATA_DIR", raising=False)
    calls = []
    monkeypatch.setattr(
        dataset,
        "ensure_default_twin",
        lambda: calls.append(1) or make_twin_folder(config.twin_dir()),
    )
    ds = dataset.load(None, cache=False)
    assert calls == [1] and ds.source.is_twin and ds.source.path == str(config.twin_dir())


# ---------------------------------------------------------------------------------------------
# Light imports (the layers and circles: tests/test_layers.py)
# ---------------------------------------------------------------------------------------------
PACKAGE = Path(D.__file__).parent.parent  # kuailive_analysis/


def _package_modules() -> dict[str, Path]:
    mods = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = list(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def _imports(path: Path, mods, *, top_level_only: bool) -> set[str]:
    """Package modules imported by the file at ``path`` (module level only, or anywhere)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for n in nodes:
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            out |= {
                f"{n.module}.{a.name}" if f"{n.module}.{a.name}" in mods else n.module
                for a in n.names
            }
    return {m for m in out if m in mods and m != "kuailive_analysis"}


def test_config_imports_nothing_from_the_package():
    """Not even inside a function: the twin imports config, so config never imports the twin."""
    mods = _package_modules()
    assert _imports(mods["kuailive_analysis.config"], mods, top_level_only=False) == set()
    light = _imports(mods["kuailive_analysis.data.data_source"], mods, top_level_only=False)
    assert light <= {
        "kuailive_analysis.config",
        "kuailive_analysis.data.io",
        "kuailive_analysis.data.schema",
    }


def _fresh(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent))
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )


def test_config_alone_in_a_fresh_interpreter():
    code = (
        "import sys\n"
        "import kuailive_analysis.config as c\n"
        "c.resolve_data_dir(None)\n"
        "bad = [m for m in sys.modules if m.startswith('kuailive_analysis.twin')]\n"
        "assert not bad, bad\n"
    )
    proc = _fresh(code)
    assert proc.returncode == 0, proc.stderr


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Each module imported first, with no other package module loaded: a cycle shows up as
    an ImportError on a partly initialised module, whatever order the test session used."""
    code = (
        "import importlib, sys\n"
        "failed = {}\n"
        "for mod in sys.argv[1:]:\n"
        "    for m in [m for m in sys.modules if m.startswith('kuailive_analysis')]:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(mod)\n"
        "    except Exception as exc:\n"
        "        failed[mod] = repr(exc)\n"
        "print(failed)\n"
        "sys.exit(1 if failed else 0)\n"
    )
    proc = _fresh(code, *_package_modules())
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------
# Paths and the content fingerprint (issue 17, items 4 and 5)
# ---------------------------------------------------------------------------------------------
def test_resolve_data_dir_expands_home_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert config.resolve_data_dir("~/kl") == tmp_path / "kl"
    assert config.resolve_data_dir("kl") == tmp_path / "kl"
    assert config.resolve_data_dir("./x/../kl") == tmp_path / "kl"
    monkeypatch.setenv("KUAILIVE_DATA_DIR", "~/env-kl")
    assert config.resolve_data_dir(None) == tmp_path / "env-kl"
    assert config.resolve_data_dir(None).is_absolute()


def test_load_reads_a_tilde_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    write_tiny(tmp_path / "tiny")
    ds = dataset.load("~/tiny")
    assert ds.source.path == str((tmp_path / "tiny").resolve()) and len(ds.clicks) == 7
    monkeypatch.chdir(tmp_path)
    assert dataset.load("tiny").source == ds.source


def test_fingerprint_is_content_keyed(tmp_path):
    d = write_tiny(tmp_path / "d")
    f1 = D.fingerprint(d)
    p = d / "gift.csv"
    st = p.stat()
    text = p.read_text()
    p.write_text(text.replace(",10\n", ",11\n", 1))  # same size
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime restored (touch -r)
    assert D.fingerprint(d) != f1
    p.write_text(text)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert D.fingerprint(d) == f1  # same bytes, newer mtime: same data


def test_fingerprint_names_both_csv_and_gz(tmp_path):
    d = write_tiny(tmp_path / "d")
    (d / "negative.csv.gz").write_bytes(b"")
    with pytest.raises(DataError, match="negative.csv and negative.csv.gz"):
        D.describe(d)


def test_fingerprint_of_an_unreadable_file_is_a_data_error(tmp_path, monkeypatch):
    from kuailive_analysis.data import io as IO

    d = write_tiny(tmp_path / "d")

    def deny(path):
        raise IO.read_error(path, PermissionError(13, "Permission denied"))

    monkeypatch.setattr(IO, "file_digest", deny)
    with pytest.raises(DataError, match="cannot be read.*Permission denied"):
        D.fingerprint(d)


def test_digest_of_a_settled_file_is_remembered_and_an_edit_is_seen(tmp_path, monkeypatch):
    """A file whose inode changed long enough ago (``DIGEST_SETTLED_S``) is hashed once: the
    next digest is read from the memo without reading the file. A same-size edit with the
    modification time restored still gives the new content's digest (the change time moved);
    a file younger than that is hashed every time and nothing is remembered."""
    import time

    from kuailive_analysis.data import io

    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    p = tmp_path / "gift.csv"
    p.write_text("a,b\n1,10\n")
    young = io.file_digest(p)
    assert not (tmp_path / "build" / "cache" / "digests").exists()  # too young to remember
    later = time.time() + 2 * io.DIGEST_SETTLED_S
    monkeypatch.setattr(io.time, "time", lambda: later)  # the file has settled
    assert io.file_digest(p) == young
    assert len(list((tmp_path / "build" / "cache" / "digests").iterdir())) == 1
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: reads.append(a) or real_open(*a, **k))
    assert io.file_digest(p) == young and not reads  # from the memo
    monkeypatch.setattr("builtins.open", real_open)
    time.sleep(0.05)  # past the coarse tick of the file system's clock
    st = p.stat()
    p.write_text("a,b\n1,11\n")  # same size
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime restored (touch -r)
    assert io.file_digest(p) != young
