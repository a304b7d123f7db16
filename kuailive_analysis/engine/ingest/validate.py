"""``kuailive validate``: a raw folder read by the one reader and checked on the engine.

Unusable input raises :class:`~kuailive_analysis.data.io.DataError` (the headers of all eight
files are checked before any body is read). Otherwise :func:`validate_folder` returns a
:class:`ValidationReport`: rows and time range of every file and the key and data-quality
counts (:func:`quality_frame`), the same counts the cache build stores as ``Dataset.quality``
(from the same queries of :mod:`kuailive_analysis.engine.queries.cleaning`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kuailive_analysis import config
from kuailive_analysis.core.faults import disk_step
from kuailive_analysis.core.folders import owned_tmpdir, sweep_stale
from kuailive_analysis.data import io as IO, schema as S
from kuailive_analysis.engine.base import Engine
from kuailive_analysis.engine.ingest.stage import file_summary, stage_files
from kuailive_analysis.engine.ingest.write import drop, materialize
from kuailive_analysis.engine.queries import cleaning as QC

__all__ = ["CHECK_COLUMNS", "ValidationReport", "quality_frame", "validate_folder"]

CHECK_COLUMNS = ["check", "table", "count", "severity", "detail"]
"""Columns of the quality checks (``Dataset.quality``, :attr:`ValidationReport.checks`)."""


@dataclass
class ValidationReport:
    """Result of :func:`validate_folder`.

    ``files``: one row per file (rows, columns, first/last time in Beijing time);
    ``checks``: one row per key or quality check (check, table, count, severity, detail).
    ``ok`` is True when every file could be read; quality findings never make it False.
    """

    data_dir: Path
    files: pd.DataFrame
    checks: pd.DataFrame
    extra_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.checks["severity"] == "error").any()

    def to_text(self) -> str:
        lines = [f"KuaiLive data folder: {self.data_dir}", "", "Files (times in Beijing time):"]
        lines.append(self.files.to_string(index=False))
        lines += ["", "Checks:"]
        c = self.checks.copy()
        c["count"] = c["count"].map(lambda v: f"{v:,}")
        lines.append(c.to_string(index=False))
        for k, v in self.extra_columns.items():
            if v:
                lines.append(f"note: {k} has extra columns ignored: {', '.join(v)}")
        lines += ["", "Usable: yes" if self.ok else "Usable: NO"]
        return "\n".join(lines)


def room_quality(engine: Engine) -> pd.Series:
    """The quality counts of the raw rooms (``stage_rooms_all`` and ``raw_room`` registered),
    with ``dup_live`` = extra rows per live_id."""
    q = engine.frame(QC.RAW_ROOM_QUALITY).iloc[0].copy()
    rc = engine.frame(QC.ROOM_COUNTS).iloc[0]
    q["dup_live"] = int(rc["n_raw"]) - int(rc["n_rooms"])
    return q


def quality_frame(info: dict, room_q: pd.Series, event_q: dict[str, pd.Series]) -> pd.DataFrame:
    """The key and data-quality checks of the raw files (nothing is dropped here): duplicate
    profile keys from ``info`` (:func:`~.stage.stage_files`), the room counts of
    :func:`room_quality` and each event file's ``quality`` query (``event_q``).

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`; ``severity`` is ``ok`` when the count is 0, else ``warning``
        (data quality, handled by cleaning).
    """
    rows = [
        *[
            ("duplicate key", n, info[n]["duplicates"], f"rows sharing a {n}_id (must be unique)")
            for n in ("user", "streamer")
        ],
        (
            "duplicate live_id rows",
            "room",
            room_q["dup_live"],
            "extra rows per live_id (rooms crossing midnight appear once per p_date)",
        ),
        ("end before start", "room", room_q["end_before"], "rooms whose end precedes the start"),
        ("longer than 1 day", "room", room_q["over_day"], "room rows over 24 h"),
        (
            "end capped (still live)",
            "room",
            room_q["capped"],
            "end_timestamp at the 2025-05-27 cap = right-censored",
        ),
        (
            "orphan streamer_id",
            "room",
            room_q["orphan_streamer"],
            "streamer_id not in streamer.csv",
        ),
    ]
    for name in S.EVENT_TABLES:
        q = event_q[name]
        rows += [
            ("exact duplicate rows", name, q["dup"], "identical rows"),
            ("outside window", name, q["outside"], "timestamp outside 2025-05-05 .. 2025-05-25 Beijing"),
            ("orphan live_id", name, q["orphan_live"], "live_id not in room.csv"),
            ("streamer mismatch", name, q["mismatch"], "streamer_id differs from the room's streamer_id"),
            ("orphan user_id", name, q["orphan_user"], "user_id not in user.csv"),
            ("orphan streamer_id", name, q["orphan_streamer"], "streamer_id not in streamer.csv"),
        ]  # fmt: skip
    return pd.DataFrame(
        [
            {
                "check": c,
                "table": t,
                "count": int(k),
                "severity": "ok" if not k else "warning",
                "detail": d,
            }
            for c, t, k, d in rows
        ],  # fmt: skip
        columns=CHECK_COLUMNS,
    )


VALIDATE_SPACE_FACTOR = 0.75
"""Free space validation needs in the build folder, per byte of raw CSV (the staged copies)."""


def validate_folder(data_dir: str | os.PathLike) -> ValidationReport:
    """Check a KuaiLive folder against the schema and count its data-quality problems.

    Parameters
    ----------
    data_dir : path
        The folder of the eight raw files.

    Returns
    -------
    ValidationReport

    Raises
    ------
    DataError
        Unusable input (:func:`kuailive_analysis.data.io.read_batches`).
    """
    from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

    data_dir = Path(os.path.abspath(os.path.expanduser(os.fspath(data_dir))))
    extras, size = {}, 0
    for sch in S.SCHEMAS.values():  # fail fast on headers before reading any body
        path = IO.find_file(data_dir, sch.filename)
        extras[sch.filename] = IO.check_columns(sch, IO.read_header(path), path)
        size += path.stat().st_size * (4 if path.suffix == ".gz" else 1)
    build = config.build_dir()
    build.mkdir(parents=True, exist_ok=True)
    sweep_stale(build, stems=["validate"])
    staging = owned_tmpdir(build, "validate")
    try:
        with (
            disk_step("validating the data folder", build, int(size * VALIDATE_SPACE_FACTOR)),
            DuckDBEngine(temp_dir=staging / "duckdb-tmp") as eng,
        ):
            info, _, _ = stage_files(data_dir, eng, staging, staging)
            materialize(eng, QC.ROOMS_ALL, staging)
            room_q = room_quality(eng)
            event_q = {}
            for name in S.EVENT_TABLES:
                qs = QC.EVENT_QUERIES[name]
                materialize(eng, qs["marks"], staging)
                event_q[name] = eng.frame(qs["quality"]).iloc[0]
                drop(eng, qs["marks"].name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ValidationReport(
        data_dir=data_dir,
        files=file_summary(info),
        checks=quality_frame(info, room_q, event_q),
        extra_columns=extras,
    )
