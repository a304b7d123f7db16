"""The one entry point of every chapter: ``load(data_dir) -> Dataset``.

``load`` resolves the folder (:func:`config.resolve_data_dir`; the default twin is generated
first when missing, by the explicit step :func:`ensure_default_twin`), describes it once as a
:class:`~kuailive_analysis.data.data_source.DataSource` (``Dataset.source``), and either reads the
Parquet cache of the cleaned tables (``config.cache_root()/<cache_key>``, see
:mod:`kuailive_analysis.data.cache`) or builds it on the event engine
(:func:`kuailive_analysis.engine.ingest.build_cache`: the raw CSVs read and checked by the one
reader, cleaned and modelled in SQL).

A :class:`Dataset` exposes the tables of the data contract as attributes: ``users``,
``streamers``, ``rooms``, ``clicks``, ``comments``, ``likes``, ``gifts``, ``negatives``,
``sessions``, ``user_day`` (pandas DataFrames, read lazily from the cache on first access), plus
``report`` (cleaning report), ``source`` (:class:`DataSource`: kind, path, scale, seed,
fingerprint, label), ``cache_key`` and ``cache_path`` (Parquet cache, None when off), ``truth`` (twin ground truth or None), and for
the book ``raw_files`` (rows / time range of the delivered files), ``quality`` (key and
data-quality checks on the raw files), ``room_sensitivity`` (what each long-room threshold
drops), ``room_durations`` (duration histogram of all deduplicated rooms), ``samples``
(first rows of each raw file) and ``params`` (cleaning parameters).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from kuailive_analysis import __version__, config
from kuailive_analysis.core.faults import disk_step
from kuailive_analysis.core.folders import foreign_entries, owned_tmpdir, sweep_stale
from kuailive_analysis.data import cache as C, io as IO, schema as S
from kuailive_analysis.data.data_source import (
    TRUTH_FILE,
    TRUTH_USERS_FILE,
    DataSource,
    describe,
    is_twin,
    read_truth_params,
    twin_entries,
)
from kuailive_analysis.data.params import CleaningParams
from kuailive_analysis.engine.queries.model import EVENT_ATTRS

TABLES = (
    "users",
    "streamers",
    "rooms",
    "clicks",
    "comments",
    "likes",
    "gifts",
    "negatives",
    "sessions",
    "user_day",
)
"""The contract's tables, in a stable order."""

EXTRA_TABLES = ("report", "raw_files", "quality", "room_sensitivity", "room_durations")
"""Small book tables stored alongside."""


class Dataset:
    """Clean KuaiLive tables; contract tables load lazily from the cache on first access."""

    def __init__(
        self,
        *,
        tables: dict[str, pd.DataFrame] | None = None,
        cache_path: Path | None = None,
        source: DataSource,
        params: dict,
        samples: dict | None = None,
        truth: dict | None = None,
        cache_key: str | None = None,
        engine: str | None = None,
    ):
        from kuailive_analysis.engine import engine_name

        self._tables = dict(tables or {})
        self.engine_name = engine_name(engine)
        self._engine = None
        self._cache_path = Path(cache_path) if cache_path else None
        self.source = source
        self.cache_key = cache_key
        self.params = params
        self.samples = samples or {}
        self.truth = truth

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Table ``name``; with ``columns`` only those (read from the cache without holding
        the full table when it is not loaded yet)."""
        if name in self._tables:
            df = self._tables[name]
            return df[columns] if columns is not None else df
        if self._cache_path is None:
            raise KeyError(f"dataset has no table {name!r}")
        df = C.read_table(self._cache_path, name, columns)
        if columns is None:
            self._tables[name] = df
        return df

    def __repr__(self) -> str:
        return f"Dataset({self.source.label}, fingerprint {self.source.fingerprint})"

    @property
    def engine(self):
        """The event engine (:mod:`kuailive_analysis.engine`, ``self.engine_name``) with one view
        per contract table over the Parquet cache (or over the in-memory frames without a
        cache); created on first use."""
        if self._engine is None:
            from kuailive_analysis.engine import get_engine

            eng = get_engine(self.engine_name)
            for name in TABLES:
                if self._cache_path is not None and (self._cache_path / f"{name}.parquet").exists():
                    eng.register(name, self._cache_path / f"{name}.parquet")
                elif name in self._tables:
                    eng.register_frame(name, self._tables[name])
            self._engine = eng
        return self._engine

    def query(self, query, **params) -> pd.DataFrame:
        """Run one definition of :mod:`kuailive_analysis.engine.queries` (a Query or its name)
        on this dataset's engine; returns the (aggregated) pandas frame."""
        if isinstance(query, str):
            from kuailive_analysis.engine.queries import ALL

            query = ALL[query]
        return self.engine.frame(query, **params)

    @property
    def cache_path(self) -> Path | None:
        """Folder of the Parquet cache this dataset reads from (None without a cache)."""
        return self._cache_path

    # contract attributes -------------------------------------------------------------------
    users = property(lambda self: self.table("users"), doc="one row per user_id")
    streamers = property(lambda self: self.table("streamers"), doc="one row per streamer_id")
    rooms = property(lambda self: self.table("rooms"), doc="one row per live_id (clean)")
    clicks = property(lambda self: self.table("clicks"), doc="clean clicks")
    comments = property(lambda self: self.table("comments"), doc="clean comments")
    likes = property(lambda self: self.table("likes"), doc="clean likes")
    gifts = property(lambda self: self.table("gifts"), doc="clean gifts")
    negatives = property(lambda self: self.table("negatives"), doc="clean unclicked exposures")
    sessions = property(lambda self: self.table("sessions"), doc="one row per (user, live)")
    user_day = property(lambda self: self.table("user_day"), doc="one row per (user, day)")
    report = property(lambda self: self.table("report"), doc="cleaning report")
    raw_files = property(lambda self: self.table("raw_files"), doc="delivered files summary")
    quality = property(lambda self: self.table("quality"), doc="raw data-quality checks")
    room_sensitivity = property(
        lambda self: self.table("room_sensitivity"), doc="rows dropped per max_room_days threshold"
    )
    room_durations = property(
        lambda self: self.table("room_durations"),
        doc="histogram of deduplicated room durations (all rooms)",
    )

    def raw_sample(self, name: str) -> pd.DataFrame:
        """The first rows of raw file ``name`` (e.g. ``'click'``) exactly as read (epoch ms)."""
        s = self.samples[name]
        return pd.DataFrame(s["data"], columns=s["columns"])

    def events(self) -> dict[str, pd.DataFrame]:
        """The five event tables by raw name (click, comment, like, gift, negative)."""
        return {n: self.table(a) for n, a in EVENT_ATTRS.items()}


# ---------------------------------------------------------------------------------------------
def ensure_default_twin(
    scale: float = config.DEFAULT_SCALE,
    seed: int = config.DEFAULT_SEED,
    *,
    progress: bool = False,
    log=None,
) -> Path:
    """The twin folder for (scale, seed) under ``config.data_root()``, generated first when it
    is not a complete twin (:func:`data_source.is_twin`). The one place that writes a default
    twin: ``load`` calls it for the default twin's folder, ``kuailive run`` / ``kuailive book``
    when no ``--data-dir`` is given. ``log``: called with a message (e.g. ``print``)."""
    path = config.twin_dir(scale, seed)
    if is_twin(path):
        if log:
            log(f"Using the synthetic twin in {path}")
        return path
    from kuailive_analysis.twin import generate, partial_files  # local: the generator imports much

    leftover = partial_files(path)
    if leftover:  # e.g. an interrupted generation by an older version: say so, start again
        foreign = foreign_entries(path, twin_entries())
        if foreign:  # never delete what this tool did not write
            shown = ", ".join(foreign[:4]) + (", ..." if len(foreign) > 4 else "")
            raise IO.DataError(
                f"The twin folder {path} holds files the twin generator does not write "
                f"({shown}) and no {TRUTH_FILE}; it is left as it is. Move those files, or set "
                "$KUAILIVE_DATA_ROOT to another folder for generated twins."
            )
        msg = (
            f"The twin folder {path} holds twin files but no {TRUTH_FILE} (an interrupted "
            "generation?); removing it and generating the twin again."
        )
        if log:
            log(msg)
        else:
            warnings.warn(msg, stacklevel=2)
        shutil.rmtree(path)
    if log:
        log(
            f"Generating the synthetic twin (scale {config.format_scale(scale)}, seed {seed}) "
            f"in {path} ..."
        )
    t0 = time.perf_counter()
    generate(path, scale=scale, seed=seed, progress=progress)
    if log:
        log(f"Twin written in {time.perf_counter() - t0:.1f} s")
    return path


def _truth(data_dir: Path) -> dict | None:
    params = read_truth_params(data_dir)
    if params is None:
        return None
    users = None
    tu = data_dir / TRUTH_USERS_FILE
    if tu.exists():
        users = pd.read_csv(tu, engine="pyarrow")
    return {"params": params, "users": users}


def load(
    data_dir: str | os.PathLike | None = None,
    *,
    cache: bool = True,
    max_room_days: float | None = 1.0,
    progress: bool = False,
    engine: str | None = None,
    **cleaning_params,
) -> Dataset:
    """Load a KuaiLive folder (real or twin) as a clean :class:`Dataset`.

    ``data_dir``: folder, else ``$KUAILIVE_DATA_DIR``, else the default twin (generated on
    first use by :func:`ensure_default_twin`, so a chapter run in JupyterLab or papermill on a
    fresh clone works). ``cache``: read/write the Parquet cache. ``max_room_days`` and
    ``**cleaning_params`` are :class:`~kuailive_analysis.data.params.CleaningParams` fields. ``progress`` shows tqdm bars
    on stderr (off by default so chapters print nothing). Raises :class:`io.DataError` for
    unusable input.
    """
    params = CleaningParams.from_values(max_room_days=max_room_days, **cleaning_params)
    data_dir = config.resolve_data_dir(data_dir)
    if config.is_default_twin(data_dir):
        ensure_default_twin()
    truth = _truth(Path(data_dir))
    from kuailive_analysis.engine import engine_name

    engine = engine_name(engine)
    source = describe(data_dir, truth_params=(truth or {}).get("params"), engine=engine)
    key = C.cache_key(source.fingerprint, params.to_dict())
    path = C.cache_dir(key)
    if cache and C.is_complete(path):
        meta = C.read_meta(path)
        return Dataset(
            cache_path=path,
            source=source,
            cache_key=key,
            params=params.to_dict(),
            samples=meta.get("samples"),
            truth=truth,
            engine=engine,
        )
    t0 = time.perf_counter()
    if cache:
        built = _engine_build(data_dir, params, path, engine, progress)
        meta = {
            "cache_key": key,
            "fingerprint": source.fingerprint,
            "params": params.to_dict(),
            "data_dir": str(data_dir),
            "version": __version__,
            "cache_format": C.CACHE_FORMAT,
            "samples": built["samples"],
            "engine": built.get("engine"),
            "build_seconds": round(time.perf_counter() - t0, 2),
        }
        cache_path, tables = C.commit(built["folder"], path, meta), None
    else:  # no cache: the same engine build into a temporary folder, read back into memory
        with tempfile.TemporaryDirectory(prefix="kuailive-") as tmp:  # nothing in the build dir
            built = _engine_build(data_dir, params, Path(tmp) / "tables", engine, progress)
            folder = built["folder"]
            cache_path = None
            tables = {n: C.read_table(folder, n) for n in C.tables_in(folder)}
    return Dataset(
        tables=tables,
        cache_path=cache_path,
        source=source,
        cache_key=key,
        params=params.to_dict(),
        samples=built["samples"],
        truth=truth,
        engine=engine,
    )


CACHE_SPACE_FACTOR = 1.5
"""Free space the cache build needs, per byte of raw CSV: the cache itself (Parquet, zstd)
takes about 0.75 bytes per raw byte (measured on the twin: 107 MB for 144 MB of CSV) and the
engine's staging files about as much again while it runs. A ``.csv.gz`` byte counts 4 raw
bytes."""


def cache_space(data_dir) -> int:
    """Bytes of free space :func:`_engine_build` needs for ``data_dir`` (an estimate, see
    :data:`CACHE_SPACE_FACTOR`)."""
    total = 0
    for sch in S.SCHEMAS.values():
        try:
            f = IO.find_file(data_dir, sch.filename)
            total += f.stat().st_size * (4 if f.suffix == ".gz" else 1)
        except (IO.DataError, OSError):
            continue
    return int(total * CACHE_SPACE_FACTOR)


def _engine_build(data_dir, params, path: Path, engine: str, progress: bool) -> dict:
    """Read, validate and clean the raw files and derive the data model on ``engine``
    (:func:`kuailive_analysis.engine.ingest.build_cache`) into a temporary folder beside
    ``path``; returns the build's record plus ``folder`` (the temporary folder)."""
    from kuailive_analysis.engine import get_engine
    from kuailive_analysis.engine.ingest import build_cache

    sweep_stale(path.parent)  # caches of killed processes, never another live one's
    folder = owned_tmpdir(path.parent, f".{path.name}")
    eng = get_engine(engine)
    try:
        with disk_step("building the Parquet cache", path.parent, cache_space(data_dir)):
            built = build_cache(data_dir, params, folder, engine=eng, progress=progress)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        eng.close()
    return {**built, "folder": folder}


def ensure_cache(
    data_dir: str | os.PathLike | None = None, *, progress: bool = False
) -> Path | None:
    """Build the Parquet cache of ``data_dir`` with the default cleaning parameters when it is
    missing (what the first chapter would do), and return its folder. ``kuailive book`` calls it
    once before executing chapters in parallel, so that they all read one cache instead of each
    building it."""
    return load(data_dir, progress=progress).cache_path
