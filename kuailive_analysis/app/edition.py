"""Editions: one lock per build folder, each executed chapter's provenance, the edition record
(``run.json``) rebuilt from them, and the findings collected from the chapters
(``findings.json``).

Runs and builds hold the build folder's lock (:func:`build_lock`, ``fcntl.flock`` on
``<build>/.kuailive.lock``): a second process says it is waiting, so two concurrent runs or
builds never corrupt or delete each other's output. Each executed chapter records in its
``metadata.kuailive`` the data source (with its fingerprint), the parameters, the engine and
the package version; :func:`edition` rebuilds ``run.json`` from those records and
:func:`check_edition` refuses to mix data sources or versions in one site. Each chapter glues
its :class:`~kuailive_analysis.chapter.findings.Finding` records as JSON under
:data:`kuailive_analysis.report.FINDINGS_KEY`; :func:`write_findings` collects them into
``<build>/executed/findings.json`` (schema in the README).
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from kuailive_analysis import __version__, config
from kuailive_analysis.app.chapters import BookError, all_chapters
from kuailive_analysis.chapter import findings as F
from kuailive_analysis.core.constants import package_versions
from kuailive_analysis.core.folders import owned_tmpdir, sweep_stale
from kuailive_analysis.data.data_source import describe

EXECUTED = "executed"
FINDINGS_FILE = "findings.json"  # <build>/executed/findings.json
FINDINGS_SCHEMA = 1
GLUE_MIME = "application/papermill.record/text/plain"


def describe_data(data_dir: Path) -> dict:
    """The data source of a folder for ``run.json``: :meth:`DataSource.to_dict` of
    :func:`kuailive_analysis.data.data_source.describe` (the same record ``load`` gives chapters)."""
    from kuailive_analysis.engine import engine_name

    return describe(data_dir, engine=engine_name()).to_dict()


def executed_dir() -> Path:
    return config.build_dir() / EXECUTED


# --- editions: one lock per build folder, provenance per executed chapter -------------------
LOCK_FILE = ".kuailive.lock"  # in the build folder; fcntl.flock serialises runs and builds
LOCK_TIMEOUT_ENV = "KUAILIVE_LOCK_TIMEOUT"  # seconds to wait for the lock (default 3600)
PROVENANCE_KEY = "kuailive"  # executed notebook metadata: what the chapter ran with
_held_locks: dict[str, int] = {}  # build folder -> nesting depth held by this process


@contextlib.contextmanager
def build_lock(log=print, timeout: float | None = None):
    """Hold the build folder's lock (``fcntl.flock`` on ``<build>/.kuailive.lock``) so that two
    ``kuailive run``/``build`` processes never write the same folder at once. A second process
    says it waits, and gives up with :class:`BookError` after ``timeout`` seconds (default
    ``$KUAILIVE_LOCK_TIMEOUT`` or 3600). Re-entrant within one process. On entry (first level)
    leftovers of killed runs (``*.tmp-<pid>-*`` folders whose process no longer runs) are
    removed; another live process's temporary folder (an export, a kernel's) is left alone."""
    folder = config.build_dir()
    key = str(folder.resolve())
    if _held_locks.get(key):
        _held_locks[key] += 1
        try:
            yield folder
        finally:
            _held_locks[key] -= 1
        return
    if timeout is None:
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or 3600)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 (closed below)
    except OSError as err:
        raise BookError(f"Cannot use the build folder {folder}: {err.strerror}.") from None
    try:
        deadline = time.monotonic() + timeout
        said = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BookError(
                        f"another kuailive run/build is still using {folder} after waiting "
                        f"{timeout:g} s; try again when it has finished."
                    ) from None
                if not said:
                    log(f"another kuailive run/build is using {folder}; waiting", flush=True)
                    said = True
                time.sleep(0.2)
        sweep_stale(folder)  # work of killed runs; never another live process's
        _held_locks[key] = 1
        try:
            yield folder
        finally:
            _held_locks.pop(key, None)
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def provenance_record(data: dict, params: dict, executed_at: str) -> dict:
    """The record stored as ``metadata.kuailive`` of an executed chapter (``engine``: the event
    engine the chapter's kernel used, from ``$KUAILIVE_ENGINE``, default duckdb)."""
    from kuailive_analysis.engine import engine_name

    return {
        "data": data,
        "fingerprint": data.get("fingerprint"),
        "parameters": params,
        "engine": engine_name(),
        "version": __version__,
        "versions": package_versions(),
        "executed_at": executed_at,
        "timestamp": time.time(),  # orders chapters executed within the same second
    }


def chapter_provenance(path: Path) -> dict | None:
    """``metadata.kuailive`` of an executed chapter (None when it has none: an older run)."""
    import nbformat

    return nbformat.read(path, as_version=4).metadata.get(PROVENANCE_KEY)


def edition(executed: Path | None = None, current: dict | None = None) -> dict:
    """The ``run.json`` document of the executed chapters: per chapter its fingerprint,
    parameters, package version and time (from its own metadata), plus the edition's data
    source, parameters, time and versions (from the most recently executed chapter; ``current``,
    the data source of the run just done, when no chapter of the book has a record)."""
    folder = (executed or executed_dir()) / "book" / "chapters"
    chapters: dict[str, dict] = {}
    latest: dict = {}
    for c in all_chapters():
        path = folder / f"{c.name}.ipynb"
        if not path.exists():
            continue
        prov = chapter_provenance(path) or {}
        chapters[c.name] = {
            "fingerprint": prov.get("fingerprint"),
            "data": (prov.get("data") or {}).get("label"),
            "parameters": prov.get("parameters", {}),
            "engine": prov.get("engine"),
            "version": prov.get("version"),
            "executed_at": prov.get("executed_at"),
        }
        if prov and prov.get("timestamp", 0) >= latest.get("timestamp", 0):
            latest = prov
    params: dict = {}
    for rec in chapters.values():
        params.update(rec["parameters"])
    return {
        "data": latest.get("data") or current or {},
        "parameters": params,
        "executed_at": latest.get("executed_at")
        or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "versions": latest.get("versions") or package_versions(),
        "chapters": chapters,
    }


def check_edition(doc: dict) -> None:
    """Refuse an edition whose chapters ran on different data sources or package versions, or
    without a run record; the one-line :class:`BookError` names the chapters to rerun."""
    chapters = doc["chapters"]
    unknown = [n for n, r in chapters.items() if not r["fingerprint"] or not r["version"]]
    if unknown:
        raise BookError(
            f"Chapters {', '.join(unknown)} have no run record (executed by an older version); "
            f"rerun them: kuailive run --chapters {' '.join(unknown)}"
        )
    stale = [n for n, r in chapters.items() if r["version"] != __version__]
    if stale:
        raise BookError(
            f"Chapters {', '.join(stale)} were executed with another kuailive_analysis version "
            f"(installed: {__version__}); rerun them: kuailive run --chapters {' '.join(stale)}"
        )
    groups: dict[str, list[str]] = {}
    for name, rec in chapters.items():
        groups.setdefault(rec["fingerprint"], []).append(name)
    if len(groups) > 1:
        current = doc["data"].get("fingerprint")  # the most recent run's data source
        rerun = [n for fp, names in groups.items() if fp != current for n in names]
        label = doc["data"].get("label", current)
        parts = "; ".join(
            f"{', '.join(names)} on {chapters[names[0]]['data']} (fingerprint {fp})"
            for fp, names in groups.items()
        )
        raise BookError(
            f"The executed chapters mix data sources ({parts}); one site shows one data source: "
            f"rerun {', '.join(rerun)} on {label} (kuailive run --chapters {' '.join(rerun)} "
            f"with the same data) or rerun every chapter."
        )


def write_json(path: Path, doc: dict) -> None:
    """Write JSON atomically (temporary file beside it, then rename)."""
    tmp = owned_tmpdir(path.parent, path.name, create=False)
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    os.replace(tmp, path)


# --- findings -------------------------------------------------------------------------------
def notebook_findings(path: Path) -> list[F.Finding]:
    """The findings an executed notebook glued under ``report.FINDINGS_KEY`` (the last glue of
    the key wins); an empty list when the chapter glued none (yet)."""
    import nbformat

    from kuailive_analysis.report import FINDINGS_KEY

    nb = nbformat.read(path, as_version=4)
    text = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook", {})
            if out.get("output_type") == "display_data" and meta.get("name") == FINDINGS_KEY:
                text = out.get("data", {}).get(GLUE_MIME)
    if text is None:
        return []
    try:
        records = json.loads(ast.literal_eval(text))  # text/plain holds the repr of the JSON
        return [F.from_dict(d) for d in records]
    except (ValueError, SyntaxError, TypeError) as err:
        raise BookError(
            f"{path.name}: the glued {FINDINGS_KEY} is not a list of findings: {err}"
        ) from None


def collect_findings(executed: Path | None = None) -> list[tuple[str, F.Finding]]:
    """``(chapter name, finding)`` for every executed chapter of the book, in book order."""
    folder = (executed or executed_dir()) / "book" / "chapters"
    out = []
    for c in all_chapters():
        path = folder / f"{c.name}.ipynb"
        if path.exists():
            out += [(c.name, f) for f in notebook_findings(path)]
    return out


def findings_document(records: list[tuple[str, F.Finding]], manifest: dict) -> dict:
    """The ``findings.json`` document (see the README): the data source and run time of the
    edition, and one record per finding (every field of ``Finding`` plus its ``notebook``)."""
    return {
        "schema": FINDINGS_SCHEMA,
        "data": manifest.get("data", {}),
        "executed_at": manifest.get("executed_at"),
        "parameters": manifest.get("parameters", {}),
        "findings": [{**f.to_dict(), "notebook": name} for name, f in records],
    }


def write_findings(manifest: dict | None = None) -> Path:
    """Collect every executed chapter's findings into ``<build>/executed/findings.json``."""
    executed = executed_dir()
    if manifest is None:
        manifest_path = executed / "run.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    doc = findings_document(collect_findings(executed), manifest)
    path = executed / FINDINGS_FILE
    path.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
    return path


def read_findings(path: Path | None = None) -> tuple[dict, list[tuple[str, F.Finding]]]:
    """``findings.json`` back as (document, ``(chapter name, Finding)`` pairs)."""
    doc = json.loads((path or executed_dir() / FINDINGS_FILE).read_text(encoding="utf-8"))
    return doc, [(d["notebook"], F.from_dict(d)) for d in doc["findings"]]
