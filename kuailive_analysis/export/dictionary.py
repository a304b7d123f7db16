"""The export's data dictionary (``DATA_DICTIONARY.md``, ``data_dictionary.csv``), generated
from the declarations: :mod:`kuailive_analysis.data.schema` for the raw columns, the
:class:`~kuailive_analysis.engine.sql.TableDoc` of each table (the data model's
:data:`~kuailive_analysis.engine.queries.model.CONTRACT`, the export queries) for the columns
cleaning and the data model add, and the metric registry for the KPIs a column carries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.queries import export as X, model as QM
from kuailive_analysis.engine.sql import TableDoc
from kuailive_analysis.export.guard import ExportError
from kuailive_analysis.export.plan import queries, register_cache

__all__ = ["ARROW_TYPES", "KPI", "data_dictionary", "describe_column", "dictionary_markdown"]

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

INSTANT = "instant (Parquet: UTC; CSV: Beijing +08:00)"

RAW_NAME = {"users": "user", "streamers": "streamer", "rooms": "room"}
RAW_NAME |= {t: k for k, t in X.EVENT_KINDS}
"""Export table -> raw file schema (data/schema.py)."""

DOCS: dict[str, tuple[TableDoc, str]] = {
    "users": (QM.USERS, "engine/queries/model.py (USERS; engine/ingest/stage.py)"),
    "streamers": (QM.STREAMERS, "engine/queries/model.py (STREAMERS; engine/ingest/stage.py)"),
    "rooms": (QM.ROOMS.table, f"engine/queries/model.py ({QM.ROOMS.name})"),
    **{
        t: (QM.CLEAN_EVENTS[k].table, f"engine/queries/model.py ({QM.CLEAN_EVENTS[k].name})")
        for k, t in X.EVENT_KINDS
    },
    "sessions": (QM.SESSIONS.table, "engine/queries/model.py (sessions)"),
    "user_day": (QM.USER_DAY.table, "engine/queries/model.py (user_day)"),
    "rfm": (X.RFM.table, "engine/queries/export.py (export_rfm)"),
    "interactions": (X.INTERACTIONS.table, "engine/queries/export.py (export_interactions)"),
}
"""Each exported table's declaration and where it is."""


def describe_column(table: str, col: str) -> tuple[str, str, str]:
    """(unit, meaning, source) of one exported column: the table's declaration, else the raw
    schema; an interaction's joined ``<prefix><column>`` as the joined table's column, its
    other event columns as the clicks', the RFM's user columns as the users'. ("", "", "") when
    nothing declares it (a test requires none)."""
    doc, source = DOCS[table]
    if col in doc.columns:
        unit, meaning = doc.columns[col]
        return (INSTANT if unit == "instant" else unit), meaning, source
    if table == "interactions":
        for jt, _, _, prefix, cols in X.JOINED:
            name = col[len(prefix) :]
            if col.startswith(prefix) and name in cols:
                unit, meaning, source = describe_column(jt, name)
                return (
                    unit,
                    f"{jt}.{name} of the event's {prefix[:-1]}: {meaning}",
                    f"joined from {jt}; {source}",
                )
        return describe_column("clicks", col)
    if table == "rfm":
        return describe_column("users", col)
    raw = S.SCHEMAS.get(RAW_NAME.get(table, ""))
    if raw is not None and col in raw.column_names:
        c = raw.column(col)
        unit = {S.EPOCH_MS: INSTANT, S.DATE: "date (YYYY-MM-DD)"}.get(c.kind, c.unit or c.kind)
        return unit, c.description, f"data/schema.py ({raw.filename}, kind {c.kind})"
    if col in ("user_id", "live_id", "streamer_id"):
        return describe_column("clicks", col)
    return "", "", ""


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


def _registry(col: str) -> str:
    key = KPI.get(col)
    if not key:
        return ""
    from kuailive_analysis.metrics import DEFINITIONS, METRICS

    if key in METRICS:
        m = METRICS[key]
        return f"metric {key}: {m.name} ({m.unit})"
    return f"definition {key}: {DEFINITIONS[key].name}"


def data_dictionary(
    cache_path: Path, rows: dict[str, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data dictionary of an export of the cache ``cache_path``.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        One row per exported table (table, kind, grain, key, joins, rows, description) and one
        per column (table, column, arrow_type, sql_type, unit, meaning, registry, source).
    """
    trows, crows = [], []
    for t, cols in column_types(cache_path).items():
        doc = DOCS[t][0]
        raw = S.SCHEMAS.get(RAW_NAME.get(t, ""))
        desc = raw.description if raw is not None else doc.grain
        trows.append(
            {
                "table": t,
                "kind": doc.kind,
                "grain": doc.grain,
                "key": doc.key,
                "joins": doc.joins,
                "rows": (rows or {}).get(t),
                "description": " ".join(desc.split()),
            }
        )
        for col, dtype in cols:
            if dtype not in ARROW_TYPES:
                raise ExportError(f"no documented Arrow type for the SQL type {dtype}")
            unit, meaning, source = describe_column(t, col)
            crows.append(
                {
                    "table": t,
                    "column": col,
                    "arrow_type": ARROW_TYPES[dtype],
                    "sql_type": dtype,
                    "unit": unit,
                    "meaning": meaning,
                    "registry": _registry(col),
                    "source": source,
                }
            )
    return pd.DataFrame(trows), pd.DataFrame(crows)


def _md_cell(x) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    return str(x).replace("|", "\\|").replace("\n", " ")


def dictionary_markdown(tables: pd.DataFrame, columns: pd.DataFrame, manifest: dict) -> str:
    """``DATA_DICTIONARY.md``: the tables of :func:`data_dictionary` with the export's
    ``manifest`` (data source, engine, format, version, time)."""
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
        "calendar day (0 = 2025-05-05) and hour of day. Generated from `data/schema.py`, the "
        "table declarations of `engine/queries/model.py` and `engine/queries/export.py` and "
        "the metric registry.",
        "",
        "## Tables",
        "",
        "| table | kind | grain | key | joins | rows |",
        "|---|---|---|---|---|---|",
    ]
    for r in tables.itertuples():
        cells = (r.table, r.kind, r.grain, r.key, r.joins, r.rows)
        lines.append("| " + " | ".join(_md_cell(x) for x in cells) + " |")
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
            cells = (c.arrow_type, c.unit, c.meaning, c.registry, c.source)
            lines.append(f"| `{c.column}` | " + " | ".join(_md_cell(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"
