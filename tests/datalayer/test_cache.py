"""Parquet cache: keyed by the data fingerprint and parameters; atomic, lossless round trip."""

from __future__ import annotations

import builtins
import gzip
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from _tiny import write_tiny

from kuailive_analysis.core.folders import owned_tmpdir
from kuailive_analysis.data import cache as C
from kuailive_analysis.data.data_source import fingerprint
from kuailive_analysis.engine.ingest.write import write_frame


def write(path, tables: dict, meta: dict):
    """What a build does: tables into a temporary folder beside ``path``, then commit."""
    folder = owned_tmpdir(path.parent, f".{path.name}")
    for name, df in tables.items():
        write_frame(df, folder / f"{name}.parquet")
    return C.commit(folder, path, meta)


def key(d, params):
    return C.cache_key(fingerprint(d), params)


def test_cache_key_changes_with_file_and_params(tmp_path):
    d = write_tiny(tmp_path / "d")
    k1 = key(d, {"max_room_days": 1.0})
    assert k1 == key(d, {"max_room_days": 1.0})  # deterministic
    assert k1 != key(d, {"max_room_days": 2.0})
    assert k1 != fingerprint(d)  # the data's identity and the cache key are different values
    with open(d / "like.csv", "a") as fh:
        fh.write("\n")  # other bytes: other key
    assert key(d, {"max_room_days": 1.0}) != k1
    assert len(k1) == 16 and int(k1, 16) >= 0


def test_cache_key_sees_gzip_swap(tmp_path):
    d = write_tiny(tmp_path / "d")
    k1 = key(d, {})
    data = (d / "like.csv").read_bytes()
    (d / "like.csv").unlink()
    with gzip.open(d / "like.csv.gz", "wb") as fh:
        fh.write(data)
    assert key(d, {}) != k1  # same rows, other file: a new key


def test_write_read_roundtrip(tmp_path):
    df = pd.DataFrame(
        {
            "id": np.array([1, 2, 3], np.int32),
            "date": pd.to_datetime(["2025-05-01", None, "2020-01-01"]).astype("datetime64[s]"),
            "ts": pd.Series(pd.to_datetime([0, 1, 2], unit="ms", utc=True))
            .dt.tz_convert("Asia/Shanghai")
            .astype("datetime64[ms, Asia/Shanghai]"),
            "band": pd.Categorical(
                ["0-10", "10-100", "0-10"], categories=["0-10", "10-100"], ordered=True
            ),
            "flag": [True, False, True],
        }
    )
    path = write(tmp_path / "k", {"t": df}, {"a": 1})
    assert C.is_complete(path) and C.read_meta(path) == {"a": 1}
    back = C.read_table(path, "t")
    pd.testing.assert_frame_equal(back, df)
    assert C.read_table(path, "t", columns=["id"]).columns.tolist() == ["id"]
    assert C.tables_in(path) == ["t"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_incomplete_cache_not_used(tmp_path):
    p = tmp_path / "half"
    p.mkdir()
    (p / "users.parquet").write_bytes(b"")
    assert not C.is_complete(p)


def test_second_writer_keeps_first_copy(tmp_path):
    df = pd.DataFrame({"a": np.arange(3, dtype=np.int32)})
    write(tmp_path / "k", {"t": df}, {"writer": 1})
    write(tmp_path / "k", {"t": df.iloc[:1]}, {"writer": 2})
    assert C.read_meta(tmp_path / "k") == {"writer": 1}
    assert len(C.read_table(tmp_path / "k", "t")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k"]


# ---------------------------------------------------------------------------------------------
# Content-keyed (issue 17, item 5)
# ---------------------------------------------------------------------------------------------
def test_same_size_edit_with_mtime_restored_changes_the_key(tmp_path):
    d = write_tiny(tmp_path / "d")
    k1 = key(d, {})
    p = d / "click.csv"
    st = p.stat()
    text = p.read_text()
    edited = text.replace(",5000\n", ",5001\n", 1)  # same size, other watch time
    assert len(edited) == len(text) and edited != text
    p.write_text(edited)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # touch -r: the timestamp restored
    assert p.stat().st_size == st.st_size and p.stat().st_mtime_ns == st.st_mtime_ns
    assert key(d, {}) != k1
    p.write_text(text)
    assert key(d, {}) == k1  # same content again: same key


def test_touch_alone_keeps_the_key(tmp_path):
    d = write_tiny(tmp_path / "d")
    k1 = key(d, {})
    st = (d / "like.csv").stat()
    os.utime(d / "like.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert key(d, {}) == k1  # content-keyed: a newer timestamp alone is the same data


def test_copied_folder_gets_its_own_key(tmp_path):
    a = write_tiny(tmp_path / "a")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    assert key(a, {}) != key(b, {})  # the folder's identity is part of the key
    assert key(tmp_path / "x" / ".." / "a", {}) == key(a, {})  # same folder, other spelling


def _deny(monkeypatch, name):
    real = builtins.open

    def fake_open(file, *args, **kwargs):
        if os.fspath(file).endswith(name):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)


def test_unreadable_file_fails_before_the_cache(tmp_path, monkeypatch):
    from kuailive_analysis import dataset
    from kuailive_analysis.data.io import DataError

    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    d = write_tiny(tmp_path / "d")
    ds = dataset.load(d)
    assert C.is_complete(ds.cache_path)  # a cache exists for exactly this data
    _deny(monkeypatch, "gift.csv")
    with pytest.raises(DataError) as ei:
        dataset.load(d)
    msg = str(ei.value)
    assert "gift.csv" in msg and "cannot be read" in msg and "Permission denied" in msg
    assert ei.value.file == "gift.csv"


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_unreadable_copy_does_not_run_from_the_cache(tmp_path, monkeypatch):
    from kuailive_analysis import dataset
    from kuailive_analysis.data.io import DataError

    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    a = write_tiny(tmp_path / "a")
    dataset.load(a)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    (b / "gift.csv").chmod(0)
    try:
        with pytest.raises(DataError, match="gift.csv"):
            dataset.load(b)
    finally:
        (b / "gift.csv").chmod(0o644)
