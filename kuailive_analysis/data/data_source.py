"""Which data is this: one :class:`DataSource` record per data folder, created once at load.

Everything that names the data (chapter text, figure footnotes, provenance tables, the landing
page, ``run.json``) reads it from this record instead of building its own string:

* ``kind``: ``"twin"`` when the folder holds :data:`TRUTH_FILE` (the synthetic twin's planted
  ground truth, written last by the generator; :func:`is_twin` is the one test for it), else
  ``"folder"``.
* ``path``: the folder, absolute.
* ``scale``, ``seed``: the twin's, from :data:`TRUTH_FILE` (None for a plain folder).
* ``fingerprint``: identity of the raw data (:func:`fingerprint`): 16 hex digits of SHA-256 over
  the folder (its absolute path) and each of the eight KuaiLive files' name, size and streaming
  BLAKE2b content hash (:func:`kuailive_analysis.data.io.file_digest`). It does not depend on
  modification times (a same-size edit with the mtime restored changes it, a bare ``touch``
  does not) nor on any analysis choice; a copy of the folder elsewhere is another source (its
  label names another path). Computing it reads every raw file, so an unreadable file is a
  :class:`io.DataError` before any cache is consulted. (The Parquet cache is keyed by
  :func:`kuailive_analysis.data.cache.cache_key`, which adds the cleaning parameters to it.)
* ``label``: the one human label, ``synthetic twin (scale 0.1, seed 20250505)`` or
  ``KuaiLive files in /path/to/folder``.
* ``engine``: what computed the tables, when known (None otherwise).

This module is light: it imports :mod:`config` only (:mod:`io` and :mod:`schema`, which bring
pandas, when a fingerprint is computed), so the CLI and the twin can use its constants.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kuailive_analysis.config import format_scale

TRUTH_FILE = "truth.json"
"""The twin's ground truth (generator version, scale, seed, parameters); marks a twin folder."""

TRUTH_USERS_FILE = "truth_users.csv"
"""The twin's per-user planted quantities."""

KINDS = ("twin", "folder")


def is_twin(data_dir: str | os.PathLike) -> bool:
    """True when ``data_dir`` is a (complete) synthetic twin: it holds :data:`TRUTH_FILE`,
    which the generator writes after every data file."""
    return (Path(data_dir) / TRUTH_FILE).is_file()


def twin_entries() -> frozenset[str]:
    """Every name the twin generator writes into a twin folder: the eight KuaiLive files (as
    ``.csv``, or ``.csv.gz`` if a user compressed them), :data:`TRUTH_FILE` and
    :data:`TRUTH_USERS_FILE`. A folder holding anything else was not (only) written by this
    tool and is never deleted or replaced by it."""
    from kuailive_analysis.data import schema as S

    names = {s.filename for s in S.SCHEMAS.values()}
    return frozenset(names | {f"{n}.gz" for n in names} | {TRUTH_FILE, TRUTH_USERS_FILE})


def read_truth_params(data_dir: str | os.PathLike) -> dict | None:
    """The parsed :data:`TRUTH_FILE` of a twin folder, or None for a plain folder."""
    p = Path(data_dir) / TRUTH_FILE
    return json.loads(p.read_text()) if p.is_file() else None


def fingerprint(data_dir: str | os.PathLike) -> str:
    """16-hex-digit identity of the raw data in ``data_dir``: SHA-256 over the folder's absolute
    path and the name, size and BLAKE2b content hash of each of the eight KuaiLive files
    (``.csv`` or ``.csv.gz``). Reads every file (streaming, 1 MiB chunks). Raises
    :class:`io.DataError` when the folder or a file is missing, both ``X.csv`` and ``X.csv.gz``
    exist, or a file cannot be read (e.g. permissions)."""
    from kuailive_analysis.data import schema as S
    from kuailive_analysis.data.io import file_signature, find_file

    folder = Path(data_dir).expanduser().resolve()
    files = [file_signature(find_file(folder, s.filename)) for s in S.SCHEMAS.values()]
    doc = json.dumps({"folder": str(folder), "files": files}, sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def make_label(kind: str, path: str, scale: float | None, seed: int | None) -> str:
    """The human label of a data source (see the module docstring)."""
    if kind == "twin":
        scale_text = format_scale(scale) if scale is not None else "?"
        return f"synthetic twin (scale {scale_text}, seed {seed})"
    return f"KuaiLive files in {path}"


@dataclass(frozen=True)
class DataSource:
    """What data a run used; see the module docstring for each field."""

    kind: str
    path: str
    scale: float | None
    seed: int | None
    fingerprint: str
    label: str
    engine: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"DataSource kind must be one of {KINDS}, not {self.kind!r}")

    @property
    def is_twin(self) -> bool:
        return self.kind == "twin"

    @property
    def name(self) -> str:
        """The folder's name (last path component)."""
        return Path(self.path).name

    @property
    def kind_text(self) -> str:
        """``synthetic twin`` or ``data folder``."""
        return "synthetic twin" if self.is_twin else "data folder"

    def to_dict(self) -> dict:
        """Plain JSON-serialisable dict (``run.json``, cache metadata)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DataSource:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def describe(data_dir: str | os.PathLike, *, truth_params: dict | None = None,
             engine: str | None = None) -> DataSource:
    """The :class:`DataSource` of ``data_dir`` (read-only; never writes anything).

    ``truth_params``: the already parsed :data:`TRUTH_FILE` (to avoid reading it twice); by
    default it is read when present."""
    path = Path(data_dir).expanduser().resolve()
    if truth_params is None:
        truth_params = read_truth_params(path)
    kind = "twin" if truth_params is not None else "folder"
    tp = truth_params or {}
    scale, seed = tp.get("scale"), tp.get("seed")
    return DataSource(kind=kind, path=str(path), scale=scale, seed=seed,
                      fingerprint=fingerprint(path), label=make_label(kind, str(path), scale, seed),
                      engine=engine)
