"""Apache Spark through PySpark: the same SQL (transpiled from DuckDB's dialect by SQLGlot),
for data beyond one machine.

Where it runs (environment, or the constructor's arguments):

* nothing set: local mode, ``local[*]`` (every core of this machine), driver memory
  ``KUAILIVE_SPARK_DRIVER_MEMORY`` (default ``2g``);
* ``KUAILIVE_SPARK_MASTER=spark://host:7077`` (or ``yarn``, ``k8s://...``): a cluster; the
  data folder must then be on storage every executor can read (``hdfs://``, ``s3a://`` with
  the Hadoop connector on the cluster, or a shared mount), and ``kuailive export`` writes its
  Parquet there too;
* ``KUAILIVE_SPARK_REMOTE=sc://host:15002``: a Spark Connect server (``pip install
  'kuailive-analysis[spark]'`` brings the client's gRPC dependencies).

PySpark is an optional extra (``pip install 'kuailive-analysis[spark]'``); it needs Java 17 or
newer (Debian: ``apt-get install openjdk-17-jre-headless``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import pandas as pd

from kuailive_analysis.engine.base import Engine, EngineError

SPARK_DIALECT = "spark"

DEBUG_ENV = "KUAILIVE_DEBUG"
"""Set (by ``kuailive --debug``) to keep Java's log on the terminal; otherwise the JVM that
local mode starts writes its output to :func:`java_log_path` and Spark's log level is OFF, so
an error is the one line the command prints, not 60 lines of Java stack trace."""


def java_log_path() -> Path:
    """Where the local JVM's own output goes: ``<build>/logs/spark-<pid>.log``."""
    from kuailive_analysis import config

    return config.build_dir() / "logs" / f"spark-{os.getpid()}.log"


@contextlib.contextmanager
def _java_output(path: Path | None):
    """Start the JVM (inside the block) with its stdout and stderr sent to ``path`` (None:
    inherit the terminal). The JVM inherits the file descriptors at its start and keeps them;
    Python's own stderr is restored after the block."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


def _spark_type(duck: str) -> str:
    return {
        "BIGINT": "BIGINT",
        "INTEGER": "INT",
        "VARCHAR": "STRING",
        "DOUBLE": "DOUBLE",
        "BOOLEAN": "BOOLEAN",
        "SMALLINT": "SMALLINT",
        "TINYINT": "TINYINT",
    }.get(duck.upper(), duck)


class SparkEngine(Engine):
    name = "spark"
    dialect = SPARK_DIALECT

    def __init__(
        self,
        *,
        master: str | None = None,
        remote: str | None = None,
        driver_memory: str | None = None,
        progress: bool = False,
    ) -> None:
        super().__init__()
        try:
            import pyspark
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise EngineError(
                "--engine spark needs PySpark: pip install 'kuailive-analysis[spark]' "
                "(and Java 17+, e.g. apt-get install openjdk-17-jre-headless)"
            ) from exc
        self._version = pyspark.__version__
        remote = remote or os.environ.get("KUAILIVE_SPARK_REMOTE")
        master = master or os.environ.get("KUAILIVE_SPARK_MASTER") or "local[*]"
        if not remote and not shutil.which("java") and not os.environ.get("JAVA_HOME"):
            raise EngineError(
                "--engine spark needs Java 17+ (no java on PATH and no JAVA_HOME); "
                "Debian: apt-get install openjdk-17-jre-headless"
            )
        b = SparkSession.builder.appName("kuailive")
        if remote:
            b = b.remote(remote)
            self.where = remote
        else:
            mem = driver_memory or os.environ.get("KUAILIVE_SPARK_DRIVER_MEMORY") or "2g"
            b = (
                b.master(master)
                .config("spark.driver.memory", mem)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "true" if progress else "false")
                .config(
                    "spark.sql.shuffle.partitions",
                    os.environ.get("KUAILIVE_SPARK_SHUFFLE_PARTITIONS", "8"),
                )
            )
            self.where = master
        b = (
            b.config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        )
        debug = bool(os.environ.get(DEBUG_ENV))
        try:
            with _java_output(None if debug or remote else java_log_path()):
                self.spark = b.getOrCreate()
        except Exception as exc:  # Java missing or too old, cluster unreachable ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(f"could not start Spark ({self.where}): {first[:300]}") from exc
        if not remote:
            self.spark.sparkContext.setLogLevel("WARN" if debug else "OFF")

    def _register(self, name, paths, fmt, columns):
        files = [str(p) for p in paths]
        if fmt == "parquet":
            df = self.spark.read.parquet(*files)
        else:
            reader = self.spark.read.option("header", "true")
            if columns:
                reader = reader.schema(
                    ", ".join(f"`{k}` {_spark_type(v)}" for k, v in columns.items())
                )
            df = reader.csv(files)
        df.createOrReplaceTempView(name)

    def _register_frame(self, name, df):
        self.spark.createDataFrame(df).createOrReplaceTempView(name)

    def _frame(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def _write(self, sql, path, fmt):
        w = self.spark.sql(sql).write.mode("overwrite")
        if fmt == "parquet":
            w.parquet(str(path))
        else:
            w.option("header", "true").csv(str(path))

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def describe(self) -> dict:
        return {"engine": self.name, "version": self._version, "master": self.where}

    def close(self) -> None:
        pass  # the session is shared by the process; stop() only at exit
