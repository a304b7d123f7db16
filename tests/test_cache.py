"""Parquet cache: keyed by the data fingerprint and parameters; atomic, lossless round trip."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pandas as pd
from _tiny import write_tiny

from kuailive_analysis.data import cache as C
from kuailive_analysis.data.data_source import fingerprint


def key(d, params):
    return C.cache_key(fingerprint(d), params)


def test_cache_key_changes_with_file_and_params(tmp_path):
    d = write_tiny(tmp_path / "d")
    k1 = key(d, {"max_room_days": 1.0})
    assert k1 == key(d, {"max_room_days": 1.0})  # deterministic
    assert k1 != key(d, {"max_room_days": 2.0})
    assert k1 != fingerprint(d)  # the data's identity and the cache key are different values
    st = (d / "like.csv").stat()
    os.utime(d / "like.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
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
            "ts": pd.Series(pd.to_datetime([0, 1, 2], unit="ms", utc=True))
            .dt.tz_convert("Asia/Shanghai")
            .astype("datetime64[ms, Asia/Shanghai]"),
            "band": pd.Categorical(
                ["0-10", "10-100", "0-10"], categories=["0-10", "10-100"], ordered=True
            ),
            "flag": [True, False, True],
        }
    )
    path = C.write(tmp_path / "k", {"t": df}, {"a": 1})
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
    C.write(tmp_path / "k", {"t": df}, {"writer": 1})
    C.write(tmp_path / "k", {"t": df.iloc[:1]}, {"writer": 2})
    assert C.read_meta(tmp_path / "k") == {"writer": 1}
    assert len(C.read_table(tmp_path / "k", "t")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k"]
