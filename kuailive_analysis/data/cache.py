"""Parquet cache of the cleaned tables, keyed by the raw data and the cleaning parameters.

Layout: ``config.cache_root() / <cache key> / {<table>.parquet, meta.json}``. The cache key
(:func:`cache_key`) is the first 16 hex digits of SHA-256 over a JSON document of

* the data's fingerprint (:func:`kuailive_analysis.data.data_source.fingerprint`: the folder's
  absolute path and each raw file's name, size and streaming BLAKE2b content hash; computing it
  reads every raw file, so an unreadable file fails before the cache is looked at);
* the cleaning parameters (:class:`~kuailive_analysis.data.params.CleaningParams` as a dict);
* :data:`CACHE_FORMAT` (bumped when the cleaning or table layout changes).

So an edited or replaced raw file (even a same-size edit with its mtime restored), another
folder, or any other cleaning choice gives a new folder: a stale cache is never read; a bare
``touch`` keeps the key. The build writes into a temporary folder that :func:`commit` renames
when complete, so a crash mid-write leaves no half cache; ``meta.json`` is written last.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from kuailive_analysis import config

CACHE_FORMAT = 7  # 7: engine-built cache, zstd (Spark cannot read pyarrow LZ4)
"""Bump when cleaned-table layout or cleaning semantics change."""

META = "meta.json"


def cache_key(fingerprint: str, params: dict) -> str:
    """16-hex-digit key of (data fingerprint, cleaning parameters, cache format)."""
    doc = {"fingerprint": fingerprint, "params": params, "format": CACHE_FORMAT}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def cache_dir(key: str, root: str | os.PathLike | None = None) -> Path:
    return Path(root or config.cache_root()) / key


def is_complete(path: Path) -> bool:
    return (path / META).exists()


def commit(folder: Path, path: Path, meta: dict) -> Path:
    """Make the finished temporary ``folder`` (tables written by the engine, in the same parent
    as ``path``) the cache ``path``: ``meta.json`` is written last, then the folder is renamed
    atomically; if another process finished the same cache first, its copy is kept."""
    folder, path = Path(folder), Path(path)
    try:
        (folder / META).write_text(json.dumps(meta, indent=1, sort_keys=True, default=str))
        try:
            os.replace(folder, path)
        except OSError:
            if not is_complete(path):
                raise
            shutil.rmtree(folder, ignore_errors=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


def read_meta(path: Path) -> dict:
    return json.loads((Path(path) / META).read_text())


def read_table(path: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One cached table (optionally only ``columns``).

    Parquet has no seconds unit, so naive date columns (``datetime64[s]`` in memory) come back
    as ``datetime64[ms]``; they are cast back so cached and fresh tables are identical.
    """
    df = pq.read_table(Path(path) / f"{name}.parquet", columns=columns).to_pandas()
    for c in df.columns:
        if df[c].dtype == "datetime64[ms]":
            df[c] = df[c].astype("datetime64[s]")
    return df


def tables_in(path: Path) -> list[str]:
    return sorted(p.stem for p in Path(path).glob("*.parquet"))
