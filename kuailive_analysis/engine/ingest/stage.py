"""Staging the raw files for the engine: each big file (rooms and the five event logs) read by
the one reader (:func:`kuailive_analysis.data.io.read_batches`) into a staging Parquet file with
a 0-based ``_row`` in file order, which the cleaning SQL reads as ``raw_<name>``; the two small
profile files as pandas tables (:func:`profile_table`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kuailive_analysis.core.calendar import format_ms
from kuailive_analysis.data import io as IO, schema as S
from kuailive_analysis.data.accounting import Step
from kuailive_analysis.data.checks import INT_KINDS, stage_type
from kuailive_analysis.engine.ingest.write import is_spark, write_frame

__all__ = ["PROFILE_COLUMNS", "file_summary", "profile_table", "stage_csv", "stage_files"]

PROFILE_COLUMNS = {
    "user": {
        "reg_date": "reg_timestamp",
        "first_watch_date": "first_watch_live_timestamp",
        "tenure_days": "reg_timestamp",
        "watch_age_days": "first_watch_live_timestamp",
    },
    "streamer": {
        "reg_date": "reg_timestamp",
        "first_live_date": "first_live_timestamp",
        "tenure_days": "reg_timestamp",
        "live_age_days": "first_live_timestamp",
    },
}
"""Columns added to each profile table -> the date column they come from: ``*_date`` is the
date itself, ``*_days`` the whole days from it to the window start (float32, NaN without a
date; documented in :data:`kuailive_analysis.engine.queries.model.USERS` / ``STREAMERS``)."""

WINDOW_START = pd.Timestamp("2025-05-05")
"""The first day of the window (Beijing, :data:`~kuailive_analysis.core.calendar.WINDOW_START_MS`)
as a date."""


def profile_table(raw: pd.DataFrame, name: str) -> tuple[pd.DataFrame, Step]:
    """Clean profile table of ``name`` (``"user"`` or ``"streamer"``) from its raw frame
    (:func:`kuailive_analysis.data.io.read_table`): rule 0 keeps the first row per id (sorted by
    id), then the columns of :data:`PROFILE_COLUMNS` are added.

    .. math::

        \\text{tenure\\_days} = (\\text{2025-05-05} - \\text{reg\\_date}) / 1\\,\\text{day}

    Returns
    -------
    (pandas.DataFrame, Step)
        The table and the ``duplicate_keys`` step of the cleaning report.
    """
    key = f"{name}_id"
    dup = raw[key].duplicated().to_numpy()
    out = raw.loc[~dup].reset_index(drop=True) if dup.any() else raw.copy()
    if not out[key].is_monotonic_increasing:
        out = out.sort_values(key, kind="stable").reset_index(drop=True)
    for col, source in PROFILE_COLUMNS[name].items():
        if col.endswith("_days"):
            days = (WINDOW_START - pd.to_datetime(out[source])) / pd.Timedelta(days=1)
            out[col] = days.astype("float32")
        else:
            out[col] = out[source]
    return out, Step("duplicate_keys", name, len(raw), int(dup.sum()))


def stage_csv(data_dir, name: str, dest: Path, compression: str = "lz4") -> dict:
    """Read raw file ``name`` with the one reader into the Parquet file ``dest``: the schema's
    columns (integers in their narrow types, text as strings) plus ``_row``, the 0-based line
    of the row among the file's data rows.

    Returns
    -------
    dict
        ``rows``, ``t_min`` / ``t_max`` (epoch ms over the file's timestamp columns) and
        ``sample`` (the first three rows as read, ``DataFrame.to_dict(orient="split")``).
    """
    sch = S.SCHEMAS[name]
    fields = [(c.name, stage_type(c) if c.kind in INT_KINDS else pa.string()) for c in sch.columns]
    schema = pa.schema([*fields, ("_row", pa.int64())])
    ts_cols = [c.name for c in sch.columns if c.kind == S.EPOCH_MS]
    rows, t_min, t_max, sample = 0, None, None, None
    with pq.ParquetWriter(dest, schema, compression=compression) as w:
        for batch in IO.read_batches(data_dir, name):
            n = batch.num_rows
            if sample is None:
                sample = IO.to_frame(sch, batch.slice(0, 3)).to_dict(orient="split")
            for c in ts_cols:
                mm = pc.min_max(batch.column(c))
                lo, hi = mm["min"].as_py(), mm["max"].as_py()
                t_min = lo if t_min is None else min(t_min, lo)
                t_max = hi if t_max is None else max(t_max, hi)
            cols = [batch.column(f.name).cast(f.type) for f in list(schema)[:-1]]
            cols.append(pa.array(np.arange(rows, rows + n, dtype=np.int64)))
            w.write_batch(pa.RecordBatch.from_arrays(cols, schema=schema))
            rows += n
    return {"rows": rows, "t_min": t_min, "t_max": t_max, "sample": sample}


def file_summary(info: dict[str, dict]) -> pd.DataFrame:
    """Rows, columns and time range (Beijing time) of each raw file, from the ``info`` of
    :func:`stage_csv` (``columns``: the columns read, default the schema's)."""
    out = []
    for name, sch in S.SCHEMAS.items():
        i = info[name]
        first = last = ""
        if i.get("t_min") is not None:
            first, last = format_ms(int(i["t_min"])), format_ms(int(i["t_max"]))
        out.append(
            {
                "file": sch.filename,
                "rows": i["rows"],
                "columns": i.get("columns", len(sch.columns)),
                "first time": first,
                "last time": last,
            }
        )
    return pd.DataFrame(out)


def stage_files(data_dir, engine, staging: Path, profiles: Path, done=None) -> tuple:
    """Read every raw file of ``data_dir`` once and make it available to ``engine``: the clean
    profile tables as ``users`` / ``streamers`` (Parquet files in ``profiles``), room.csv and
    the event logs as ``raw_<name>`` (staging Parquet in ``staging``, see :func:`stage_csv`).
    ``done(stage)`` is called after each file.

    Returns
    -------
    (dict, dict, list of Step)
        ``info`` by raw name (``rows``, ``columns``, ``t_min``, ``t_max``; ``duplicates`` for
        the profiles), the three-row ``samples`` by raw name, and the rule-0 steps.
    """
    info: dict[str, dict] = {}
    samples: dict[str, dict] = {}
    steps = []
    for name, attr in (("user", "users"), ("streamer", "streamers")):
        raw = IO.read_table(data_dir, name)
        samples[name] = raw.head(3).to_dict(orient="split")
        table, step = profile_table(raw, name)
        info[name] = {"rows": len(raw), "columns": raw.shape[1], "duplicates": step.rows_dropped}
        steps.append(step)
        write_frame(table, profiles / f"{attr}.parquet")
        engine.register(attr, profiles / f"{attr}.parquet")
    if done:
        done("users and streamers")
    for name in ("room", *S.EVENT_TABLES):
        dest = staging / f"raw_{name}.parquet"
        info[name] = stage_csv(data_dir, name, dest, "zstd" if is_spark(engine) else "lz4")
        samples[name] = info[name].pop("sample")
        engine.register(f"raw_{name}", dest)
        if done:
            done(f"{name}.csv")
    return info, {n: samples[n] for n in S.SCHEMAS}, steps
