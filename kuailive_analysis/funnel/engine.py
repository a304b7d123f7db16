"""The funnel's event-level tables from the event engine (the SQL of
:mod:`kuailive_analysis.engine.queries.funnel`), as compact pandas frames.

:func:`engine_tables` materialises the exposure table once (the engine writes the query result,
sorted, to a Parquet file in the build folder, registered as the view ``funnel_exposures``),
reads that file into pandas with pyarrow (no second copy in the engine) with the dtypes of the
pandas reference (:func:`~.tables.build`,
:func:`~.segments.add_segments`, :func:`~.positions.add_positions`), takes the click table from
it, and reads the engagements (with their attribution) and the session table (written and read
the same way) as one query each.
The KPI tables are then computed from per-(level, user) statistics the engine aggregates over
the same view (:class:`~.stats.EngineStats`), never by pandas over the event rows.

A dataset without an engine (a namespace of pandas tables, as the tests build by hand) gets an
in-memory DuckDB engine over its frames, so the SQL is the one definition in both cases.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.core.folders import owned_tmpdir, sweep_stale
from kuailive_analysis.engine.queries import funnel as FQ
from kuailive_analysis.funnel.common import (
    ENGAGEMENT_KINDS,
    EVENT_COLS,
    MISSING,
    STATUSES,
    check_events,
)
from kuailive_analysis.funnel.stats import EngineStats

DTYPES = {
    "user_id": np.int32, "live_id": np.int32, "streamer_id": np.int32, "ts_ms": np.int64,
    "day": np.int8, "hour": np.int8, "watch_ms": np.int32, "n_comments": np.int32,
    "n_likes": np.int32, "n_gifts": np.int32, "gift_value": np.int64,
    "streamer_decile": np.int8, "user_decile": np.int8, "screen_size": np.int32,
    "exposure_index": np.int32, "screen_size_cap": np.int32, "exposure_index_cap": np.int32,
    "first_ms": np.int64, "n_clicks": np.int32, "n_negatives": np.int32,
    "n_exposures": np.int32, "value": np.int64, "click_ms": np.int64, "lag_ms": np.int64,
}  # fmt: skip
"""Compact dtypes of the integer columns (booleans stay bool)."""

_INPUTS = {
    "clicks": (*EVENT_COLS, "watch_live_time"),
    "negatives": EVENT_COLS,
    "comments": EVENT_COLS,
    "likes": EVENT_COLS,
    "gifts": (*EVENT_COLS, "gift_price"),
    "rooms": ("live_id", *FQ.ROOM_LABELS),
    "users": ("user_id", *FQ.USER_LABELS),
}
_CHECK = {
    "clicks": ("click", ("watch_live_time",)),
    "negatives": ("negative", ()),
    "comments": ("comment", ()),
    "likes": ("like", ()),
    "gifts": ("gift", ("gift_price",)),
}


@dataclass
class EngineTables:
    """What :func:`engine_tables` returns; call :meth:`close` when done (drops the
    materialised exposure table)."""

    engagements: pd.DataFrame
    clicks: pd.DataFrame
    exposures: pd.DataFrame
    sessions: pd.DataFrame
    unmatched: pd.DataFrame
    stats: EngineStats
    engine: object
    folder: Path
    owned: bool

    def close(self) -> None:
        eng = self.engine
        if hasattr(eng, "execute"):
            eng.execute("DROP VIEW IF EXISTS funnel_exposures")
        eng.tables.pop("funnel_exposures", None)
        if self.owned:
            eng.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _frame_engine(ds):
    """An in-memory DuckDB engine over the pandas tables of ``ds`` (only the columns read)."""
    from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

    eng = DuckDBEngine()
    for name, cols in _INPUTS.items():
        df = getattr(ds, name)
        if name in _CHECK:
            check_events(df, *_CHECK[name])
        eng.register_frame(name, df[list(cols)])
    return eng


def _read(path: Path, columns=None) -> pd.DataFrame:
    """A Parquet file (or a folder of part files, as Spark writes) the engine wrote, into
    pandas in file order; the Arrow buffers are released column by column as they convert."""
    import pyarrow.parquet as pq

    cols = None if columns is None else list(columns)
    return pq.read_table(path, columns=cols).to_pandas(self_destruct=True, split_blocks=True)


def _engine(ds):
    eng = getattr(ds, "engine", None)
    if eng is not None and all(eng.has(t) for t in _INPUTS):
        return eng, False
    return _frame_engine(ds), True


def _compact(df: pd.DataFrame, **dtypes) -> pd.DataFrame:
    dtypes = {**DTYPES, **dtypes}
    for c in df.columns:
        if c in dtypes and df[c].dtype != dtypes[c]:
            df[c] = df[c].to_numpy(dtypes[c])
        elif df[c].dtype == object or str(df[c].dtype) == "boolean":
            df[c] = df[c].astype(bool)
    return df


def _categories(ds, col: str, labels: list[str], codes: np.ndarray):
    """SQL codes of ``col`` (into ``labels``) -> the pandas reference's Categorical and the
    number of ``(missing)`` rows. Rooms' columns: the sorted labels present; users' columns:
    the users table's categories (or its sorted distinct values) + ``(missing)`` if used.
    Also returns the map of SQL codes to the Categorical's codes."""
    labels = np.asarray(labels, dtype=object)
    counts = np.bincount(codes, minlength=len(labels))
    used = counts > 0
    n_missing = int(counts[labels == MISSING].sum())
    ordered = False
    if col in FQ.ROOM_LABELS:
        cats = sorted(set(labels[used]))
    else:
        src = ds.users[col]
        if isinstance(src.dtype, pd.CategoricalDtype):
            cats = list(src.cat.categories.astype(str))
            ordered = bool(src.cat.ordered)
        else:
            cats = sorted(src.dropna().astype(str).unique())
        if n_missing:
            cats = cats + [MISSING]
    where = {c: i for i, c in enumerate(cats)}
    remap = np.array([where.get(lab, -1) for lab in labels], dtype=np.int64)
    small = remap.astype(np.int8 if len(cats) < 127 else np.int32)  # no int64 copy per row
    cat = pd.Categorical.from_codes(small[codes], categories=cats, ordered=ordered)
    return cat, n_missing, remap


def engine_click_table(
    ds, *, qualified_watch_s: float, attribution_window_s: float | None
) -> pd.DataFrame:
    """Only the click table (``funnel_clicks``) of ``ds``, from its engine, in the dtypes of
    :func:`~.tables.click_table` (for callers that need no exposures, such as the metric
    registry's ``funnel_clicks``)."""
    eng, owned = _engine(ds)
    try:
        ct = eng.frame(FQ.CLICKS, **FQ.query_params(qualified_watch_s, attribution_window_s))
    finally:
        if owned:
            eng.close()
    return _compact(ct.drop(columns="tie"))


FLAG_COLUMNS = ("user_id", "live_id", "n_clicks", "n_comments", "n_likes", "n_gifts",
                "clicked", "qualified", "interacted", "gifted", "engaged_without_click",
                "s_exposure", "s_click", "s_qualified", "s_interaction", "s_gift")  # fmt: skip
"""Columns of ``funnel_session_flags``."""

SESSION_COLUMNS = ("user_id", "live_id", "n_clicks", "n_comments", "n_likes", "n_gifts",
                   "clicked", "qualified", "interacted", "gifted", "engaged_without_click",
                   "s_exposure", "s_click", "s_qualified", "s_interaction", "s_gift")  # fmt: skip
"""The session columns chapter 5 reads (session KPIs, the session funnel, the registry's
session metrics): what :func:`~kuailive_analysis.funnel.analyse` keeps of the 16.6M-row
session table at full scale (half its memory)."""


def engine_tables(
    ds,
    *,
    qualified_watch_s: float,
    attribution_window_s: float | None,
    session_columns=None,
) -> EngineTables:
    """The funnel's event-level tables of ``ds`` from its engine (see the module docstring);
    ``session_columns``: the session table's columns to read (None: all, as
    :func:`~.units.session_table`)."""
    from kuailive_analysis import config

    params = FQ.query_params(qualified_watch_s, attribution_window_s)
    eng, owned = _engine(ds)
    root = config.build_dir() / "funnel-tmp"
    sweep_stale(root)  # left by killed kernels; another live kernel's folder is kept
    folder = owned_tmpdir(root, "exposures")
    try:
        # the engine's heavy work first, while pandas holds nothing large
        path = eng.write(FQ.EXPOSURES, folder / "exposures.parquet", **params)
        eng.register("funnel_exposures", path)
        # the slim session table from the data model's sessions when the engine has them
        slim = (
            session_columns is not None
            and set(session_columns) <= set(FLAG_COLUMNS)
            and eng.has("sessions")
        )
        spath = eng.write(
            FQ.SESSION_FLAGS if slim else FQ.SESSIONS,
            folder / "sessions.parquet",
            qualified_ms=params["qualified_ms"],
        )
        eng_df = _compact(eng.frame(FQ.ENGAGEMENTS, window_ms=params["window_ms"]))
        levels = eng.frame(FQ.LEVELS)
        eng_df["kind"] = pd.Categorical.from_codes(
            eng_df["kind"].to_numpy(np.int8), ENGAGEMENT_KINDS
        )
        eng_df["status"] = pd.Categorical.from_codes(eng_df["status"].to_numpy(np.int8), STATUSES)
        cols = ["user_id", "live_id", "streamer_id", "ts_ms", "kind", "value", "click_ms"]
        eng_df = eng_df[[*cols, "lag_ms", "status"]]
        sessions = _compact(_read(spath, session_columns), watch_ms=np.int64)
        if spath.is_dir():  # Spark writes a folder of part files
            shutil.rmtree(spath, ignore_errors=True)
        else:
            spath.unlink()
        ex = _compact(_read(path))
        sql_codes, missing = {}, []
        for col in FQ.LABELS:
            lv = levels[levels["segment"] == col].sort_values("code")
            codes = ex[col].to_numpy()  # SMALLINT codes
            cat, n_missing, remap = _categories(ds, col, list(lv["label"]), codes)
            ex[col] = cat
            sql_codes[col] = remap
            missing.append((col, n_missing))
        # column by column: a .loc on the whole frame would consolidate its per-column blocks
        # (a copy of the 17.6M-row table at full scale)
        mask = ex["clicked"].to_numpy()
        clicks = pd.DataFrame({c: ex[c].to_numpy()[mask] for c in FQ.CLICK_COLUMNS})
    except BaseException:
        if owned:
            eng.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    un = pd.DataFrame(missing, columns=["column", "n_missing"]).set_index("column")
    un["share"] = un["n_missing"] / max(len(ex), 1)
    return EngineTables(
        engagements=eng_df,
        clicks=clicks,
        exposures=ex,
        sessions=sessions,
        unmatched=un,
        stats=EngineStats(eng, ex, sql_codes),
        engine=eng,
        folder=folder,
        owned=owned,
    )
