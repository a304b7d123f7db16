"""``kuailive export``: the cleaned tables, the data model and the interactions fact table,
streamed by the event engine (DuckDB or Spark) to Parquet or CSV, with a data dictionary and a
manifest.

Layout of ``OUT`` (``<table>.parquet`` / ``<table>.csv``: one file on DuckDB, a folder of part
files on Spark):

* the cleaned tables ``users``, ``streamers``, ``rooms``, ``clicks``, ``comments``, ``likes``,
  ``gifts``, ``negatives`` (every row and column of the Parquet cache; registration-like dates
  as ``DATE``);
* the data model: ``sessions``, ``user_day`` and ``rfm`` (one row per user; query
  ``export_rfm`` of :mod:`kuailive_analysis.engine.queries.export`);
* ``interactions``: one row per event of the five event tables with ``event_index`` and the
  user, streamer and room attributes (query ``export_interactions``);
* ``DATA_DICTIONARY.md`` and ``data_dictionary.csv``: every table and column with its Arrow
  type (as written to Parquet), unit, meaning and where the meaning comes from
  (:mod:`kuailive_analysis.data.schema` for raw columns, the docstrings of
  :mod:`kuailive_analysis.data.features` / :mod:`kuailive_analysis.data.clean` for derived
  ones, the query docs for the export's own columns, the metric registry where a column
  carries a KPI or a defined concept);
* ``manifest.json``: data source (``DataSource.to_dict()``, with its fingerprint), engine,
  format, row count of every table, package version, time of the export.

Types: the Arrow type of every column is fixed by the SQL (explicit casts) and read from
DuckDB's ``DESCRIBE`` of the same statement; instants (``TIMESTAMP WITH TIME ZONE``) are
written as ``timestamp[us, tz=UTC]`` by both engines (display them in Asia/Shanghai). In CSV
they are ISO strings with the Beijing offset (``2025-05-05T00:00:10.182+08:00``); every CSV has
a header row and no index.

Nothing of a whole table passes through pandas: every table is one ``COPY``/``write`` of the
engine. The export is written into ``OUT.tmp-*`` next to ``OUT`` and renamed at the end, so a
failure leaves no half export. ``OUT`` may not be, contain or lie inside the data folder or the
build folder; a non-empty ``OUT`` is replaced only with ``overwrite=True`` and only when it is
an earlier export (its ``manifest.json`` lists everything in it): this tool never deletes what
it did not write.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from kuailive_analysis import __version__
from kuailive_analysis.core.folders import foreign_entries, overlap, owned_tmpdir, sweep_stale
from kuailive_analysis.data import clean as CL, features as F, schema as S
from kuailive_analysis.data.io import DataError
from kuailive_analysis.engine import sql as Q
from kuailive_analysis.engine.base import FORMATS, Engine, EngineError
from kuailive_analysis.engine.queries import export as X

CLEAN_TABLES = ("users", "streamers", "rooms", "clicks", "comments", "likes", "gifts", "negatives")
MODEL_TABLES = ("sessions", "user_day", "rfm")
TABLES = (*CLEAN_TABLES, *MODEL_TABLES, "interactions")
"""Every exported table, in the order written."""

EVENT_TABLES = tuple(t for _, t in X.EVENT_KINDS)
RAW_NAME = {
    "users": "user",
    "streamers": "streamer",
    "rooms": "room",
    **{t: k for k, t in X.EVENT_KINDS},
}
"""Export table -> raw file schema (data/schema.py)."""

BEIJING = "Asia/Shanghai"
DICTIONARY_MD = "DATA_DICTIONARY.md"
DICTIONARY_CSV = "data_dictionary.csv"
MANIFEST = "manifest.json"

ARROW_TYPES = {
    "BOOLEAN": "bool",
    "TINYINT": "int8",
    "SMALLINT": "int16",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "DATE": "date32[day]",
    "TIMESTAMP WITH TIME ZONE": "timestamp[us, tz=UTC]",
    "TIMESTAMP": "timestamp[us]",
}
"""DuckDB type of a result column -> the Arrow type both engines write to Parquet."""

KPI = {
    "n_clicks": "n_clicks",
    "n_negatives": "n_negatives",
    "n_exposures": "n_exposures",
    "gift_price": "revenue",
    "gift_value": "revenue",
    "watch_live_time": "watch_time",
    "watch_ms": "watch_time",
    "watch_hours": "watch_time",
    "active": "active_day",
    "active_days": "active_day",
    "day": "calendar_day",
    "first_gift_day": "gifting_day",
    "gift_days": "gifting_day",
    "frequency": "rfm",
    "recency": "rfm",
    "T": "rfm",
    "monetary_value": "rfm",
    "event_index": "session",
    "event": "engagement",
}
"""Column name -> key of the metric registry (a Metric or a Definition) it carries."""


class ExportError(DataError):
    """An export that cannot be done as asked (the message says why); exit status 2."""


# ---------------------------------------------------------------------------------------------
# Views over the cache
# ---------------------------------------------------------------------------------------------
def register_cache(engine: Engine, cache_path: Path) -> None:
    """Views over the cache's Parquet files on ``engine``: every table of the data contract
    and, for ``export_interactions``, each event table again as ``<table>_rows`` with a
    0-based ``_row`` (position in the cache file: the file-order tie-breaker)."""
    cache_path = Path(cache_path)
    for name in (*CLEAN_TABLES, "sessions", "user_day"):
        path = cache_path / f"{name}.parquet"
        if not path.exists():
            raise ExportError(
                f"the Parquet cache {cache_path} has no {name}.parquet; delete "
                "the folder and load the data again"
            )
        engine.register(name, path)
        if name not in EVENT_TABLES:
            continue
        rows = f"{name}{X.ROWS_SUFFIX}"
        if engine.name == "duckdb":
            p = "'" + str(path).replace("'", "''") + "'"
            engine.execute(
                f'CREATE OR REPLACE VIEW "{rows}" AS SELECT * EXCLUDE '
                f"(file_row_number), file_row_number AS _row FROM read_parquet({p}, "
                "file_row_number = true)"
            )
        else:  # Spark: the row's index in its Parquet file
            (
                engine.spark.read.parquet(str(path))
                .selectExpr("*", "_metadata.row_index AS _row")
                .createOrReplaceTempView(rows)
            )
        engine.tables[rows] = (path,)


def _cast(arrow_type) -> str:
    """SQL cast of a cache column for the export ('' = keep): naive timestamps are dates."""
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is None:
        return "DATE"
    return ""


def queries(cache_path: Path) -> dict[str, tuple[Q.Query, dict]]:
    """Export table -> (query, parameters), in :data:`TABLES` order."""
    out = {}
    for name in (*CLEAN_TABLES, "sessions", "user_day"):
        schema = pq.read_schema(Path(cache_path) / f"{name}.parquet")
        out[name] = (X.table_query(name, {f.name: _cast(f.type) for f in schema}), {})
    out["rfm"] = (X.RFM, {})
    out["interactions"] = (X.INTERACTIONS, {})
    return {t: out[t] for t in TABLES}


def cache_rows(cache_path: Path) -> dict[str, int]:
    """Row count of every exported table, from the cache's Parquet metadata."""
    rows = {
        n: pq.read_metadata(Path(cache_path) / f"{n}.parquet").num_rows
        for n in (*CLEAN_TABLES, "sessions", "user_day")
    }
    rows["rfm"] = rows["users"]
    rows["interactions"] = sum(rows[t] for t in EVENT_TABLES)
    return {t: rows[t] for t in TABLES}


# ---------------------------------------------------------------------------------------------
# Data dictionary
# ---------------------------------------------------------------------------------------------
def column_types(cache_path: Path) -> dict[str, list[tuple[str, str]]]:
    """Export table -> [(column, DuckDB type)] of its statement (DESCRIBE, nothing runs)."""
    from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

    with DuckDBEngine(memory_limit="256MB", threads=1) as eng:
        register_cache(eng, cache_path)
        out = {}
        for name, (query, params) in queries(cache_path).items():
            sql = eng.render(query, **params)
            out[name] = [(r[0], r[1]) for r in eng.con.execute(f"DESCRIBE {sql}").fetchall()]
    return out


def arrow_type(duck_type: str) -> str:
    if duck_type not in ARROW_TYPES:
        raise ExportError(f"no documented Arrow type for the SQL type {duck_type}")
    return ARROW_TYPES[duck_type]


def _doc_bullets(doc: str) -> dict[str, tuple[str, str]]:
    """``* ``name`` [unit]: meaning`` lines of a query doc -> {name: (unit, meaning)}."""
    out = {}
    for m in re.finditer(r"^\* ``(\w+)`` \[([^\]]*)\]: (.+)$", doc, flags=re.M):
        out[m.group(1)] = (m.group(2), m.group(3).strip())
    return out


def _pieces(text: str) -> list[str]:
    """Bullets and sentences (split at '. ' and '; ') of a docstring, whitespace collapsed."""
    out = []
    for bullet in re.split(r"\n\s*(?:\* |- |\d+\. )", text or ""):
        flat = " ".join(bullet.split())
        out += [p.strip() for p in re.split(r"(?<=[.;])\s+(?=[A-Z`*(])", flat) if p.strip()]
    return out


def _docs_for(table: str) -> list[str]:
    """Docstring pieces that may define a column of ``table``, most specific first."""
    fmod = F.__doc__ or ""
    bullets = re.split(r"\n\* ", fmod)
    own = {"sessions": "**session**", "user_day": "**user-day panel**"}.get(table)
    first = [b for b in bullets if own and own in b]
    funcs = {
        "users": F.user_features,
        "streamers": F.streamer_features,
        "rooms": F.room_table,
        "sessions": F.build_sessions,
        "user_day": F.build_user_day,
    }
    fdoc = funcs[table].__doc__ if table in funcs else F.add_time_columns.__doc__
    extra = [CL.__doc__ or ""]
    if table == "rooms":
        extra.append(CL.censor_room_ends.__doc__ or "")
    return [p for d in (*first, fmod, fdoc or "", *extra) for p in _pieces(d)]


def _unit_by_name(col: str) -> str:
    if col in ("ts_ms", "first_ms", "last_ms", "start_ms", "end_ms"):
        return "epoch ms (UTC epoch)"
    if col.endswith("_ms"):
        return "ms"
    if col.endswith("_min"):
        return "minutes"
    if col.endswith("_days"):
        return "days"
    if col.startswith("n_"):
        return "count"
    if col.startswith("flag_") or col in ("active", "end_censored"):
        return "boolean"
    if col == "day":
        return "day index 0..20 (Beijing)"
    if col == "hour":
        return "hour of day 0..23 (Beijing)"
    if col == "gift_value":
        return "platform coins"
    return ""


def _registry(col: str) -> str:
    key = KPI.get(col)
    if not key:
        return ""
    from kuailive_analysis.metrics import DEFINITIONS, METRICS

    if key in METRICS:
        m = METRICS[key]
        return f"metric {key}: {m.name} ({m.unit})"
    d = DEFINITIONS[key]
    return f"definition {key}: {d.name}"


def describe_column(table: str, col: str) -> tuple[str, str, str]:
    """(unit, meaning, source) of one exported column, from the sources named in the module
    docstring; ("", "", "") when no source defines it (a test requires none of those)."""
    if table == "interactions":
        own = _doc_bullets(X.INTERACTIONS.doc)
        if col in own:
            return (*own[col], "engine/queries/export.py (export_interactions)")
        for jt, _, _, prefix, cols in X.JOINED:
            if col.startswith(prefix) and col[len(prefix) :] in cols:
                unit, meaning, source = describe_column(jt, col[len(prefix) :])
                return (
                    unit,
                    f"{jt}.{col[len(prefix) :]} of the event's {prefix[:-1]}: {meaning}",
                    f"joined from {jt}; {source}",
                )
        return describe_column("clicks", col)
    if table == "rfm":
        own = _doc_bullets(X.RFM.doc)
        if col in own:
            return (*own[col], "engine/queries/export.py (export_rfm)")
        return describe_column("users", col)
    raw = S.SCHEMAS.get(RAW_NAME.get(table, ""))
    if raw is not None and col in raw.column_names:
        c = raw.column(col)
        unit = {
            S.EPOCH_MS: "instant (Parquet: UTC; CSV: Beijing +08:00)",
            S.DATE: "date (YYYY-MM-DD)",
        }.get(c.kind, c.unit or c.kind)
        return unit, c.description, f"data/schema.py ({raw.filename}, kind {c.kind})"
    if col in ("user_id", "live_id", "streamer_id"):
        return describe_column("clicks", col)
    base = "timestamp" if col == "ts_ms" else col[:-3] + "_timestamp"
    if col.endswith("_ms") and raw is not None and base in raw.column_names:
        return (
            "epoch ms (UTC epoch)",
            f"{raw.column(base).description} ({base}), as epoch milliseconds",
            f"data/schema.py ({raw.filename}); data/features.py",
        )
    m = re.fullmatch(r"n_(\w+)", col)
    if m and m.group(1) in EVENT_TABLES:
        ev = S.SCHEMAS[RAW_NAME[m.group(1)]]
        return (
            "count",
            f"number of {m.group(1)} ({ev.filename}: {ev.description})",
            f"data/schema.py ({ev.filename}); data/features.py",
        )
    pieces = _docs_for(table)
    for pattern in (f"``{col}``", f"``{col} "):  # the column itself, then a formula of it
        for piece in pieces:
            if pattern in piece:
                return (
                    _unit_by_name(col),
                    piece.rstrip("."),
                    "data/features.py / data/clean.py docstrings",
                )
    return "", "", ""


def data_dictionary(
    cache_path: Path, rows: dict[str, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tables, columns): one row per exported table (grain, key, joins, rows, definition)
    and one per column (table, column, arrow_type, unit, meaning, registry, source)."""
    types = column_types(cache_path)
    model = F.data_model().set_index("table")
    extra = {
        "rfm": (
            "derived",
            "one row per user (users)",
            "user_id",
            "user_id -> users",
            X.RFM.doc.split("\n\n")[0],
        ),
        "interactions": (
            "fact",
            "one row per click, comment, like, gift or unclicked exposure",
            "(user_id, live_id, event_index)",
            "user_id -> users; live_id -> rooms; streamer_id -> streamers",
            X.INTERACTIONS.doc.split("\n\n")[0],
        ),
    }
    trows, crows = [], []
    for t in TABLES:
        if t in model.index:
            r = model.loc[t]
            raw = S.SCHEMAS.get(RAW_NAME.get(t, ""))
            desc = raw.description if raw is not None else ""
            kind, grain, key, joins = r["kind"], r["grain"], r["key"], r["joins"]
        else:
            kind, grain, key, joins, desc = extra[t]
        trows.append(
            {
                "table": t,
                "kind": kind,
                "grain": grain,
                "key": key,
                "joins": joins,
                "rows": (rows or {}).get(t),
                "description": " ".join(desc.split()),
            }
        )
        for col, dtype in types[t]:
            unit, meaning, source = describe_column(t, col)
            crows.append(
                {
                    "table": t,
                    "column": col,
                    "arrow_type": arrow_type(dtype),
                    "sql_type": dtype,
                    "unit": unit,
                    "meaning": meaning,
                    "registry": _registry(col),
                    "source": source,
                }
            )
    return pd.DataFrame(trows), pd.DataFrame(crows)


def _md_cell(x) -> str:
    return (
        ""
        if x is None or (isinstance(x, float) and pd.isna(x))
        else str(x).replace("|", "\\|").replace("\n", " ")
    )


def dictionary_markdown(tables: pd.DataFrame, columns: pd.DataFrame, manifest: dict) -> str:
    src = manifest["source"]
    lines = [
        "# KuaiLive export: data dictionary",
        "",
        f"Data: {src.get('label')} (fingerprint `{src.get('fingerprint')}`); engine "
        f"{manifest['engine']['engine']}; format {manifest['format']}; kuailive-analysis "
        f"{manifest['version']}; exported {manifest['created_utc']}.",
        "",
        "Times: instants are `timestamp[us, tz=UTC]` in Parquet (show them in "
        "Asia/Shanghai) and ISO strings with `+08:00` in CSV; `day` and `hour` are Beijing "
        "calendar day (0 = 2025-05-05) and hour of day. Generated from "
        "`data/schema.py`, the docstrings of `data/features.py` and `data/clean.py`, the "
        "SQL of `engine/queries/export.py` and the metric registry.",
        "",
        "## Tables",
        "",
        "| table | kind | grain | key | joins | rows |",
        "|---|---|---|---|---|---|",
    ]
    for r in tables.itertuples():
        lines.append(
            f"| {r.table} | {r.kind} | {_md_cell(r.grain)} | {_md_cell(r.key)} | "
            f"{_md_cell(r.joins)} | {_md_cell(r.rows)} |"
        )
    for t in tables.itertuples():
        lines += [
            "",
            f"## {t.table}",
            "",
            _md_cell(t.description),
            "",
            "| column | Arrow type | unit | meaning | registry | source |",
            "|---|---|---|---|---|---|",
        ]
        for c in columns[columns["table"] == t.table].itertuples():
            lines.append(
                f"| `{c.column}` | {c.arrow_type} | {_md_cell(c.unit)} | "
                f"{_md_cell(c.meaning)} | {_md_cell(c.registry)} | "
                f"{_md_cell(c.source)} |"
            )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _csv_sql(engine: Engine, sql: str, columns: list[tuple[str, str]]) -> str:
    """``sql`` (already in the engine's dialect) with instants as ISO strings, +08:00."""
    parts = []
    for col, dtype in columns:
        if dtype == "TIMESTAMP WITH TIME ZONE":
            if engine.name == "spark":
                expr = (
                    f"concat(date_format(from_utc_timestamp(`{col}`, '{BEIJING}'), "
                    f"\"yyyy-MM-dd'T'HH:mm:ss.SSS\"), '+08:00')"
                )
            else:
                expr = (
                    f"strftime(\"{col}\" AT TIME ZONE '{BEIJING}', '%Y-%m-%dT%H:%M:%S.%g')"
                    " || '+08:00'"
                )
            parts.append(f"{expr} AS {_ident(engine, col)}")
        else:
            parts.append(_ident(engine, col))
    return f"SELECT {', '.join(parts)} FROM ({sql}) AS q"


def _ident(engine: Engine, col: str) -> str:
    return f"`{col}`" if engine.name == "spark" else f'"{col}"'


def written_rows(path: Path) -> int:
    """Rows of an exported Parquet file or folder of part files (from the metadata)."""
    path = Path(path)
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*.parquet") if not p.name.startswith(("_", ".")))
    )
    return sum(pq.read_metadata(p).num_rows for p in files)


@dataclass
class ExportResult:
    out: Path
    rows: dict[str, int]
    manifest: dict


def export_entries(out: Path) -> set[str] | None:
    """The names an earlier ``kuailive export`` wrote into ``out`` (its tables, dictionary and
    ``manifest.json``, as listed in the manifest), or None when ``out`` holds no readable export
    manifest (then this tool did not write it)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        names = {str(f) for f in dict(manifest["files"]).values()}
        names |= {str(f) for f in manifest.get("dictionary", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return names | {MANIFEST}


def _check_out(out: Path, overwrite: bool, inputs: dict | None = None) -> None:
    """Refuse an ``out`` that would lose data: one that is, contains or lies inside an input or
    the build folder (``inputs``: label -> folder), a file, or a non-empty folder unless it is an
    earlier export (recognised by its manifest, holding nothing else) and ``overwrite`` is set.
    Never delete what this tool did not write."""
    where = overlap(out, inputs or {})
    if where:
        raise ExportError(
            f"--out {out} {where}; an export must go to a folder of its own, outside the data "
            "and build folders (nothing was written)"
        )
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} is a file, not a folder")
    if not (out.is_dir() and any(out.iterdir())):
        return
    if not overwrite:
        raise ExportError(
            f"--out {out} is not empty; pass --overwrite to replace an earlier export"
        )
    ours = export_entries(out)
    if ours is None:
        raise ExportError(
            f"--out {out} is not empty and holds no {MANIFEST} of an earlier kuailive export, so "
            "this tool did not write it; it is never replaced, not even with --overwrite: choose "
            "a new or empty folder"
        )
    foreign = foreign_entries(out, ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise ExportError(
            f"--out {out} holds an earlier export plus {len(foreign)} entr"
            f"{'y' if len(foreign) == 1 else 'ies'} it did not write ({shown}); they are never "
            "deleted, not even with --overwrite: move them or choose another folder"
        )


def export_space(ds) -> int:
    """Free bytes an export of ``ds`` needs beside ``--out``: about twice the Parquet cache
    (the tables once more plus the interactions table, which repeats every event with its
    attributes; CSV is larger still, so this is a lower estimate for ``--format csv``)."""
    path = Path(ds.cache_path) if ds.cache_path else None
    if path is None or not path.is_dir():
        return 0
    return 2 * sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def protected_folders(data_dir: str | os.PathLike | None) -> dict[str, Path | None]:
    """The folders an export may not touch: the data folder it reads and the build folder
    (executed chapters, caches and the site), by label."""
    from kuailive_analysis import config

    return {"data folder": Path(data_dir) if data_dir else None, "build folder": config.build_dir()}


def cache_only(ds):
    """``ds`` without the tables it holds in memory (as after building the cache): the export
    reads only the cache files, so the caller can let the frames go before it starts."""
    from kuailive_analysis.dataset import Dataset

    return Dataset(
        cache_path=ds.cache_path,
        source=ds.source,
        params=ds.params,
        samples=ds.samples,
        truth=ds.truth,
        cache_key=ds.cache_key,
    )


def check_args(
    fmt: str,
    engine: str | None,
    out: str | os.PathLike,
    overwrite: bool,
    data_dir: str | os.PathLike | None = None,
) -> str:
    """Format, engine name and output folder checked before any work (``data_dir``: the data
    folder read, which ``out`` may not overlap); the engine's name."""
    from kuailive_analysis.engine import engine_name

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        name = engine_name(engine)
    except ValueError as err:
        raise ExportError(str(err)) from None
    _check_out(Path(out), overwrite, protected_folders(data_dir))
    return name


def export(
    ds,
    out: str | os.PathLike,
    *,
    fmt: str = "parquet",
    engine: str | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> ExportResult:
    """Write the export of dataset ``ds`` (see the module docstring) to folder ``out``."""
    from kuailive_analysis.engine import get_engine

    data_dir = getattr(ds.source, "path", None) if ds.source is not None else None
    name = check_args(fmt, engine, out, overwrite, data_dir)
    out = Path(out)
    cache_path = ds.cache_path
    if cache_path is None or not Path(cache_path).is_dir():
        raise ExportError(
            "the dataset has no Parquet cache to export from; load it with cache=True"
        )
    expected = cache_rows(cache_path)
    plan = queries(cache_path)
    tables, columns = data_dictionary(cache_path, expected)
    col_types = {
        t: list(zip(g["column"], g["sql_type"], strict=True))
        for t, g in columns.groupby("table", sort=False)
    }

    sweep_stale(out.parent, stems=[out.name])  # exports of killed processes, never a live one
    tmp = owned_tmpdir(out.parent, out.name)
    try:
        try:
            eng = get_engine(name)
        except EngineError as err:
            raise ExportError(str(err)) from None
        with eng:
            if name == "spark":  # instants as TIMESTAMP_MICROS (UTC), like DuckDB writes them
                eng.spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            register_cache(eng, cache_path)
            rows = _write_tables(eng, plan, col_types, expected, tmp, fmt, progress)
            engine_info = eng.describe()
        manifest = {
            "source": ds.source.to_dict(),
            "cache_key": ds.cache_key,
            "engine": engine_info,
            "format": fmt,
            "rows": rows,
            "version": __version__,
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": {t: f"{t}.{fmt}" for t in TABLES},
            "layout": "one file per table"
            if name == "duckdb"
            else "one folder of part files per table",
            "dictionary": [DICTIONARY_MD, DICTIONARY_CSV],
        }
        tables["rows"] = [rows[t] for t in tables["table"]]
        columns.to_csv(tmp / DICTIONARY_CSV, index=False)
        (tmp / DICTIONARY_MD).write_text(dictionary_markdown(tables, columns, manifest))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
        _swap(tmp, out, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out=out, rows=rows, manifest=manifest)


STAGED = ("interactions",)
"""Tables DuckDB first builds as a temporary table (spilled to its temp folder beyond its
memory limit) and then copies to the file: for the window + joins of ``interactions`` this is
about twice as fast at full scale as one streaming ``COPY`` (measured: 131 s against 240 s)."""


def _write_tables(eng, plan, col_types, expected, tmp, fmt, progress) -> dict[str, int]:
    from tqdm.auto import tqdm

    rows = {}
    for t, (query, params) in plan.items():
        path = tmp / f"{t}.{fmt}"
        with tqdm(
            total=expected[t],
            desc=f"export {t}",
            unit="row",
            unit_scale=True,
            disable=not progress,
            leave=True,
        ) as bar:
            eng._check_inputs(query)
            sql = eng.render(query, **params)
            staged = eng.name == "duckdb" and t in STAGED
            if staged:
                eng.execute(f'CREATE OR REPLACE TEMP TABLE "_export_{t}" AS {sql}')
                sql = f'SELECT * FROM "_export_{t}"'
            try:
                if fmt == "csv":
                    sql = _csv_sql(eng, sql, col_types[t])
                eng._write(sql, path, fmt)
            finally:
                if staged:
                    eng.execute(f'DROP TABLE IF EXISTS "_export_{t}"')
            if fmt == "parquet":
                rows[t] = written_rows(path)
                if rows[t] != expected[t]:
                    raise EngineError(f"{t}: wrote {rows[t]:,} rows, expected {expected[t]:,}")
            else:
                rows[t] = expected[t]
            bar.update(rows[t])
    return rows


def _swap(tmp: Path, out: Path, overwrite: bool) -> None:
    """Put the finished ``tmp`` in place of ``out`` (an empty or, with ``overwrite``, an old
    export is removed only after the new one is complete)."""
    old = None
    if out.exists():
        _check_out(out, overwrite)  # nothing appeared meanwhile
        old = owned_tmpdir(out.parent, out.name, create=False)
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
