"""The funnel's event-level tables from the dataset's engine (the SQL of
:mod:`kuailive_analysis.engine.queries.funnel`), as compact pandas frames.

:func:`engine_tables` materialises the exposure table once (the engine writes the query result
in two passes, rows then a sort, to a Parquet file in the build folder, registered as the view
``funnel_exposures``), reads the columns chapter 5 uses row by row into pandas with pyarrow in
compact dtypes with the segment columns as categoricals, reads the click rows alone, and the
engagements (with their attribution) as one query. Sessions reach pandas only as their counts
(one row). The KPI tables are computed from per-(level, user) statistics the engine aggregates
over the same view (:class:`~.stats.EngineStats`), never by pandas over the event rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.core.folders import owned_tmpdir, sweep_stale
from kuailive_analysis.engine.queries import funnel as FQ
from kuailive_analysis.funnel.common import ENGAGEMENT_KINDS, STATUSES
from kuailive_analysis.funnel.stats import EngineStats

__all__ = ["EngineTables", "engine_tables"]

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


@dataclass
class EngineTables:
    """What :func:`engine_tables` returns; call :meth:`close` when done (drops the
    materialised exposure table)."""

    engagements: pd.DataFrame
    clicks: pd.DataFrame
    exposures: pd.DataFrame
    session_counts: pd.Series
    """Sessions with each flag (:data:`~kuailive_analysis.engine.queries.funnel.SESSION_COUNTS`)."""
    unmatched: pd.DataFrame
    stats: EngineStats
    engine: object
    folder: Path

    def close(self) -> None:
        self.engine.execute("DROP VIEW IF EXISTS funnel_exposures")
        self.engine.tables.pop("funnel_exposures", None)
        shutil.rmtree(self.folder, ignore_errors=True)


EXPOSURE_READ = ("user_id", "live_id", "streamer_id", "ts_ms", "day", "hour", "clicked",
                 "gifted", "screen_size", "exposure_index", *FQ.LABELS)  # fmt: skip
"""The columns of ``funnel_exposures`` read into pandas (the predictive models' inputs and the
position summary); the other columns stay in the engine's table (about half the memory of all
of them: 0.65 of 1.33 GB at full scale)."""


def _read(path: Path, columns=None, clicked_only: bool = False) -> pd.DataFrame:
    """A Parquet file (or a folder of part files, as Spark writes) the engine wrote, into
    pandas in file order; the Arrow buffers are released column by column as they convert.
    ``clicked_only``: only the rows whose ``clicked`` is true."""
    import pyarrow.parquet as pq

    cols = None if columns is None else list(columns)
    filters = [("clicked", "=", True)] if clicked_only else None
    table = pq.read_table(path, columns=cols, filters=filters)
    return table.to_pandas(self_destruct=True, split_blocks=True)


def _write_exposures(eng, folder: Path, params: dict) -> Path:
    """The rows of :data:`~kuailive_analysis.engine.queries.funnel.EXPOSURES` written in two
    passes (``FQ.EXPOSURES_STAGED`` then ``FQ.EXPOSURES_SORTED``), so that each pass fits in
    the engine's memory at any scale; the staged file is deleted."""
    staged = eng.write(FQ.EXPOSURES_STAGED, folder / "exposures-staged.parquet", **params)
    eng.register("funnel_exposures_staged", staged)
    try:
        return eng.write(FQ.EXPOSURES_SORTED, folder / "exposures.parquet")
    finally:
        eng.execute("DROP VIEW IF EXISTS funnel_exposures_staged")
        eng.tables.pop("funnel_exposures_staged", None)
        if staged.is_dir():  # Spark writes a folder of part files
            shutil.rmtree(staged, ignore_errors=True)
        else:
            staged.unlink(missing_ok=True)


def _schema_dtypes(path: Path) -> dict:
    """The pandas dtype of every column of the Parquet file (or folder) ``path``, as
    :func:`_compact` makes them, read from its schema alone."""
    import pyarrow.dataset as pads

    empty = _compact(pads.dataset(str(path), format="parquet").schema.empty_table().to_pandas())
    return dict(empty.dtypes)


def _release_arrow_memory() -> None:
    """Hand the Arrow memory pool's freed buffers back to the system (the pool keeps them for
    reuse otherwise: several hundred MB after reading the exposure table at full scale)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _compact(df: pd.DataFrame, **dtypes) -> pd.DataFrame:
    dtypes = {**DTYPES, **dtypes}
    for c in df.columns:
        if c in dtypes and df[c].dtype != dtypes[c]:
            df[c] = df[c].to_numpy(dtypes[c])
        elif df[c].dtype == object or str(df[c].dtype) == "boolean":
            df[c] = df[c].astype(bool)
    return df


def _categories(ds, col: str, labels: list[str], codes: np.ndarray):
    """SQL codes of ``col`` (into ``labels``) -> a Categorical and the number of ``(missing)``
    rows. Rooms' columns: the sorted labels present; users' columns:
    the users table's categories (or its sorted distinct values) + ``(missing)`` if used.
    Also returns the map of SQL codes to the Categorical's codes."""
    labels = np.asarray(labels, dtype=object)
    counts = np.bincount(codes, minlength=len(labels))
    used = counts > 0
    n_missing = int(counts[labels == FQ.MISSING].sum())
    ordered = False
    if col in FQ.ROOM_LABELS:
        cats = sorted(set(labels[used]))
    else:
        src = ds.table("users", [col])[col]
        if isinstance(src.dtype, pd.CategoricalDtype):
            cats = list(src.cat.categories.astype(str))
            ordered = bool(src.cat.ordered)
        else:
            cats = sorted(src.dropna().astype(str).unique())
        if n_missing:
            cats = cats + [FQ.MISSING]
    where = {c: i for i, c in enumerate(cats)}
    remap = np.array([where.get(lab, -1) for lab in labels], dtype=np.int64)
    small = remap.astype(np.int8 if len(cats) < 127 else np.int32)  # no int64 copy per row
    cat = pd.Categorical.from_codes(small[codes], categories=cats, ordered=ordered)
    return cat, n_missing, remap


def engine_tables(
    ds, *, qualified_watch_s: float, attribution_window_s: float | None
) -> EngineTables:
    """The funnel's event-level tables of the :class:`~kuailive_analysis.dataset.Dataset`
    ``ds`` from its engine (see the module docstring); call :meth:`EngineTables.close` when done.

    Parameters
    ----------
    ds : Dataset
        The cleaned tables (clicks, negatives, comments, likes, gifts, rooms, users; the
        sessions of the data model when present).
    qualified_watch_s, attribution_window_s : float, float or None
        The SQL parameters (:func:`~kuailive_analysis.engine.queries.funnel.query_params`).

    Returns
    -------
    EngineTables
    """
    from kuailive_analysis import config

    params = FQ.query_params(qualified_watch_s, attribution_window_s)
    eng = ds.engine
    root = config.build_dir() / "funnel-tmp"
    sweep_stale(root)  # left by killed kernels; another live kernel's folder is kept
    folder = owned_tmpdir(root, "exposures")
    try:
        # the engine's heavy work first, while pandas holds nothing large
        path = _write_exposures(eng, folder, params)
        eng.register("funnel_exposures", path)
        # the session counts, from the data model's sessions when the engine has them
        counts = eng.frame(
            FQ.SESSION_COUNTS if eng.has("sessions") else FQ.SESSION_COUNTS_EVENTS,
            qualified_ms=params["qualified_ms"],
        )
        session_counts = counts.iloc[0].astype(np.int64)
        eng_df = _compact(eng.frame(FQ.ENGAGEMENTS, window_ms=params["window_ms"]))
        levels = eng.frame(FQ.LEVELS)
        eng_df["kind"] = pd.Categorical.from_codes(
            eng_df["kind"].to_numpy(np.int8), ENGAGEMENT_KINDS
        )
        eng_df["status"] = pd.Categorical.from_codes(eng_df["status"].to_numpy(np.int8), STATUSES)
        cols = ["user_id", "live_id", "streamer_id", "ts_ms", "kind", "value", "click_ms"]
        eng_df = eng_df[[*cols, "lag_ms", "status"]]
        # pandas holds only the columns chapter 5 reads row by row (the predictive models, the
        # position summary); every other statistic is aggregated by the engine over the view
        dtypes = _schema_dtypes(path)
        ex = _compact(_read(path, EXPOSURE_READ))
        sql_codes, missing = {}, []
        for col in FQ.LABELS:
            lv = levels[levels["segment"] == col].sort_values("code")
            codes = ex[col].to_numpy()  # SMALLINT codes
            cat, n_missing, remap = _categories(ds, col, list(lv["label"]), codes)
            ex[col] = cat
            sql_codes[col] = remap
            missing.append((col, n_missing))
            dtypes[col] = cat.dtype
        # the clicks are the file's first rows (clicks first): read them alone
        clicks = _compact(_read(path, FQ.CLICK_COLUMNS, clicked_only=True))
        _release_arrow_memory()
    except BaseException:
        eng.tables.pop("funnel_exposures", None)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    un = pd.DataFrame(missing, columns=["column", "n_missing"]).set_index("column")
    un["share"] = un["n_missing"] / max(len(ex), 1)
    return EngineTables(
        engagements=eng_df,
        clicks=clicks,
        exposures=ex,
        session_counts=session_counts,
        unmatched=un,
        stats=EngineStats(eng, dtypes, sql_codes),
        engine=eng,
        folder=folder,
    )
