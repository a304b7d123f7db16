"""DuckDB, embedded: the default engine. No server, nothing to start; it reads Parquet and CSV
files in place, uses every core, and spills to disk instead of growing past its memory limit.

Settings (environment): ``KUAILIVE_DUCKDB_MEMORY`` (memory limit, default ``2GB``: with the
frames a chapter holds in pandas the largest process stays under 4 GB at full scale),
``KUAILIVE_DUCKDB_THREADS`` (default: all cores), spill folder ``<build>/duckdb-tmp``.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pandas as pd

from kuailive_analysis.engine.base import Engine, EngineError

DEFAULT_MEMORY = "2GB"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def interruptible(con, fn):
    """``fn()`` (a DuckDB call on ``con``), stoppable by Ctrl-C within a fraction of a second.

    In the main thread of a command, DuckDB would notice a signal only between its pipeline
    tasks (tens of seconds on a large GROUP BY). So ``fn`` runs in a worker thread while the
    main thread waits; a KeyboardInterrupt there calls ``con.interrupt()``, waits for the worker
    to give up, and is raised again. Elsewhere (a worker thread, a Jupyter kernel, which the
    book ends by killing it) ``fn`` runs directly."""
    if threading.current_thread() is not threading.main_thread() or _in_kernel():
        return fn()
    box: dict = {}
    done = threading.Event()

    def work():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the main thread)
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="duckdb", daemon=True).start()
    try:
        while not done.wait(0.05):  # an Event, not Thread.join: an interrupted join would
            pass  # mark the still running thread as stopped (bpo-45274)
    except KeyboardInterrupt:
        con.interrupt()
        done.wait(10)
        raise
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (a chapter run by papermill or opened in JupyterLab)."""
    import sys

    return "ipykernel" in sys.modules


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        progress: bool = False,
        temp_dir: Path | None = None,
    ) -> None:
        super().__init__()
        try:
            import duckdb
        except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
            raise EngineError("the duckdb package is missing: pip install duckdb") from exc
        from kuailive_analysis import config

        self._duckdb = duckdb
        self.con = duckdb.connect(":memory:")
        mem = memory_limit or os.environ.get("KUAILIVE_DUCKDB_MEMORY") or DEFAULT_MEMORY
        self.con.execute(f"SET memory_limit = '{mem}'")
        thr = threads or os.environ.get("KUAILIVE_DUCKDB_THREADS")
        if thr:
            self.con.execute(f"SET threads = {int(thr)}")
        tmp = Path(temp_dir or config.build_dir() / "duckdb-tmp")
        self.con.execute(f"SET temp_directory = {_quote(tmp)}")  # created only if DuckDB spills
        self.con.execute("SET preserve_insertion_order = false")
        if not _in_kernel():  # inside a Jupyter kernel DuckDB refuses any change of the setting
            self.set_progress(progress)  # without ipywidgets (and shows no bar there anyway)

    def set_progress(self, on: bool) -> None:
        """DuckDB's own progress bar (stderr) for queries longer than two seconds. Only for
        terminals (the CLI): inside a Jupyter kernel DuckDB would need ipywidgets, so there it
        is left alone (the chapters' progress is the chapter log of ``kuailive book``)."""
        if _in_kernel():
            return
        self.con.execute(f"SET enable_progress_bar = {'true' if on else 'false'}")
        if on:
            self.con.execute("SET progress_bar_time = 2000")

    def _register(self, name, paths, fmt, columns):
        files = "[" + ", ".join(_quote(p) for p in paths) + "]"
        if fmt == "parquet":
            src = f"read_parquet({files})"
        else:
            cols = ""
            if columns:
                cols = (
                    ", columns = {" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
                )
            src = f"read_csv({files}, header = true{cols})"
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM {src}')

    def _register_frame(self, name, df):
        tmp = f"_frame_{uuid.uuid4().hex[:8]}"
        self.con.register(tmp, df)
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM {tmp}')
        self.con.unregister(tmp)

    def _frame(self, sql: str) -> pd.DataFrame:
        return interruptible(self.con, lambda: self.con.execute(sql).df())

    def arrow(self, sql: str, batch_rows: int = 1 << 20):
        """A pyarrow RecordBatchReader over the result (streamed, for writers)."""
        return self.con.execute(sql).to_arrow_reader(batch_rows)

    def _write(self, sql, path, fmt):
        opts = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        interruptible(
            self.con, lambda: self.con.execute(f"COPY ({sql}) TO {_quote(path)} ({opts})")
        )

    def execute(self, sql: str) -> None:
        """Run a statement (DDL such as CREATE TABLE) on this connection."""
        interruptible(self.con, lambda: self.con.execute(sql))

    def describe(self) -> dict:
        return {"engine": self.name, "version": self._duckdb.__version__}

    def close(self) -> None:
        self.con.close()
