"""Execute the chapters with papermill and render the executed notebooks with jupyter-book.

The flow never touches the source notebooks in ``book/chapters/``:

1. :func:`run_chapters` executes each chosen chapter with papermill (kernel ``python3``) into a
   temporary folder beside ``<build>/executed``, injecting ``data_dir`` and any parameters the
   chapter declares in its ``parameters`` cell, and records in each notebook's
   ``metadata.kuailive`` the data source (:meth:`DataSource.to_dict`, with its fingerprint), the
   parameters, the engine and the package version. Only when every chosen chapter succeeded do
   they replace ``<build>/executed/book/chapters/<name>.ipynb`` (a failure names the chapter and
   keeps the last good notebooks). ``<build>/executed/run.json`` is then rewritten from the
   chapters' own records (:func:`edition`: per chapter fingerprint, parameters, version, time).
2. :func:`build_site` refuses chapters from different data sources or package versions
   (:func:`check_edition`, naming the chapters to rerun), then stages ``_config.yml``,
   ``_toc.yml``, ``book/`` and the executed chapters in a temporary folder, writes the glossary page generated from the metric registry
   (:func:`kuailive_analysis.metrics.glossary_markdown`) as ``book/glossary.md`` there (never
   into the source tree), and runs ``jupyter-book build`` with warnings as errors
   (``execute_notebooks: off``). The site is built in a temporary folder and renamed to
   ``<build>/html`` at the end (a failing build keeps the previous site), with ``run.json``.

Runs and builds hold the build folder's lock (:func:`build_lock`, ``fcntl.flock`` on
``<build>/.kuailive.lock``): a second process says it is waiting, so two concurrent runs or
builds never corrupt or delete each other's output.

Findings: each chapter glues its :class:`~kuailive_analysis.chapter.findings.Finding` records as JSON
under :data:`kuailive_analysis.report.FINDINGS_KEY`. After the chapters run (and again before
the site is built) :func:`write_findings` collects them from every executed chapter into
``<build>/executed/findings.json`` (schema in the README), and staging renders the landing page
from them: the staged ``book/intro.md`` gets the data banner at :data:`BANNER_MARKER` and the
headline findings and "What this data cannot tell us (yet)" at :data:`FINDINGS_MARKER`
(:func:`kuailive_analysis.report.findings.landing_markdown`); the source ``intro.md`` is never written.

The site works offline: staging copies MathJax 3 (from the ``django-static-mathjax`` wheel:
``tex-chtml.js``, its CHTML woff-v2 fonts and the TeX extensions it may autoload) into the
site's ``_static/mathjax`` and points Sphinx's ``mathjax_path`` at it, and it drops the
``sphinx_thebe`` extension (whose configuration names a CDN URL; the book has no live-code
button). The landing page gets the build facts through myst substitutions.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from kuailive_analysis import __version__, config
from kuailive_analysis.chapter import findings as F
from kuailive_analysis.core.constants import package_versions
from kuailive_analysis.core.faults import NO_SPACE_WORDS, DiskFull, disk_step
from kuailive_analysis.core.folders import owned_tmpdir, sweep_stale
from kuailive_analysis.data.data_source import DataSource, describe
from kuailive_analysis.metrics import glossary_markdown
from kuailive_analysis.report import findings as RF

EXECUTED = "executed"
GLOSSARY = "glossary.md"  # generated into the staged book/ folder; listed in _toc.yml
FINDINGS_FILE = "findings.json"  # <build>/executed/findings.json
FINDINGS_SCHEMA = 1
BANNER_MARKER = "<!-- generated: data banner -->"
FINDINGS_MARKER = "<!-- generated: findings -->"
GLUE_MIME = "application/papermill.record/text/plain"


class BookError(RuntimeError):
    """A chapter failed or the site could not be built; the message says which and why."""


@dataclass(frozen=True)
class Chapter:
    name: str  # e.g. "03_retention"
    path: Path  # source notebook

    @property
    def number(self) -> str:
        return self.name.split("_", 1)[0]


def chapters_dir() -> Path:
    return config.project_root() / "book" / "chapters"


def all_chapters() -> list[Chapter]:
    """Chapter notebooks in book order (by file name)."""
    return [Chapter(p.stem, p) for p in sorted(chapters_dir().glob("[0-9][0-9]_*.ipynb"))]


def select_chapters(selectors: list[str] | None) -> list[Chapter]:
    """Pick chapters by number (``3`` / ``03``), name (``retention``) or stem (``03_retention``)."""
    chapters = all_chapters()
    if not selectors:
        return chapters
    chosen: list[Chapter] = []
    for sel in selectors:
        s = sel.strip().removesuffix(".ipynb")
        hits = [
            c
            for c in chapters
            if s == c.name
            or s == c.name.split("_", 1)[1]
            or (s.isdigit() and int(s) == int(c.number))
        ]
        if not hits:
            names = ", ".join(c.name for c in chapters)
            raise BookError(f"No chapter matches {sel!r}. Chapters are: {names}.")
        chosen.extend(h for h in hits if h not in chosen)
    return sorted(chosen, key=lambda c: c.name)


def parse_value(text: str):
    """Turn a command-line parameter value into a Python value the way papermill's ``-p`` does:
    YAML scalars and lists (``7`` -> int, ``0.5`` -> float, ``true`` -> bool, ``null`` -> None,
    ``[3, 5, 7]`` -> list); anything else stays a string."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, (int, float, bool, list, type(None), str)):
        return value
    return text


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


def _provenance(data: dict, params: dict, executed_at: str) -> dict:
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


def _write_json(path: Path, doc: dict) -> None:
    """Write JSON atomically (temporary file beside it, then rename)."""
    tmp = owned_tmpdir(path.parent, path.name, create=False)
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _hide_injected_parameters(path: Path) -> None:
    """Tag papermill's injected-parameters cell ``remove-cell`` so the book does not show it."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def run_chapters(
    data_dir: Path, chapters: list[Chapter] | None = None, params: dict | None = None, log=print
) -> list[Path]:
    """Execute chapters with papermill into ``<build>/executed``; return the executed paths.

    ``params`` are passed to every chapter that declares them in its ``parameters`` cell; a
    parameter that no chosen chapter declares is an error (a typo would otherwise be ignored).
    Raises :class:`BookError` naming the chapter and the failing cell's error.
    """
    chapters = chapters or all_chapters()
    # typed parameters (app/params.py): every value checked before any chapter runs
    from kuailive_analysis.app.params import ParamError, check_run, merged

    try:
        typed = check_run({c.name: c.path for c in chapters}, dict(params or {}))
    except ParamError as err:
        raise BookError(str(err)) from None
    params = merged(typed)
    declared = typed  # {chapter: its declared parameters, typed}
    data_dir = Path(data_dir).resolve()
    with build_lock(log=log) as build:
        data = describe_data(data_dir)
        out_dir = executed_dir() / "book" / "chapters"
        _announce_replacement(out_dir, chapters, data, log)
        if len(chapters) > 1 and jobs() > 1:
            from kuailive_analysis.dataset import ensure_cache

            t0 = time.perf_counter()
            log("Preparing the Parquet cache of the cleaned tables ...", flush=True)
            ensure_cache(data_dir, progress=sys.stderr.isatty())  # bars on a terminal only
            log(f"Cache ready in {time.perf_counter() - t0:.1f} s", flush=True)
        work = owned_tmpdir(build, EXECUTED)
        try:
            outputs = _execute(chapters, declared, params, data_dir, data, work, log)
            out_dir.mkdir(parents=True, exist_ok=True)
            for ch in chapters:  # only now, all chapters having succeeded, replace the old ones
                os.replace(work / f"{ch.name}.ipynb", out_dir / f"{ch.name}.ipynb")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with disk_step("recording the run", build, CHAPTER_SPACE):
            manifest = edition(current=data)
            _write_json(executed_dir() / "run.json", manifest)
            path = write_findings(manifest)
    records = [f for _, f in read_findings(path)[1]]
    log(
        f"Findings: {len(records)} recorded, {len(F.headlines(records))} headline(s), "
        f"{len(F.not_established(records))} not established -> {path}",
        flush=True,
    )
    return [out_dir / o.name for o in outputs]


def _announce_replacement(out_dir: Path, chapters: list[Chapter], data: dict, log) -> None:
    """Say when this run puts chapters on another data source than the executed edition."""
    others = {}
    for c in all_chapters():
        path = out_dir / f"{c.name}.ipynb"
        if c not in chapters and path.exists():
            prov = chapter_provenance(path) or {}
            if prov.get("fingerprint") != data["fingerprint"]:
                others[c.name] = (prov.get("data") or {}).get("label", "unknown data")
    if others:
        log(
            f"Note: {', '.join(others)} ran on other data ({'; '.join(set(others.values()))}); "
            f"`kuailive build` will refuse to mix them with this run on {data['label']} until "
            "they are rerun.",
            flush=True,
        )


JOBS_ENV = "KUAILIVE_JOBS"
"""Chapters executed at the same time (default: 2, or 1 on a one-core machine). Each chapter
is its own kernel process, so the largest process is one chapter's, whatever the number."""

HEAVIEST_FIRST = ("05_funnel_ctr", "02_eda", "06_fidelity", "03_retention", "04_ltv")
"""Execution order when chapters run in parallel (longest first keeps both workers busy); the
book order of the outputs is unchanged."""


def jobs() -> int:
    """Number of chapters to execute at once (``$KUAILIVE_JOBS``, default min(2, cores))."""
    raw = os.environ.get(JOBS_ENV)
    if raw:
        try:
            n = int(raw)
        except ValueError:
            raise BookError(f"{JOBS_ENV} must be a whole number >= 1, got {raw!r}") from None
        if n < 1:
            raise BookError(f"{JOBS_ENV} must be a whole number >= 1, got {raw!r}")
        return n
    return max(1, min(2, os.cpu_count() or 1))


CHAPTER_SPACE = 50 * 2**20
"""Free bytes a chapter needs in the build folder: its executed notebook (figures embedded,
1-2 MB on the twin) and its kernel's temporary engine files; a generous estimate."""


def site_space(executed: Path) -> int:
    """Free bytes the site build needs: the staged copy of the executed chapters, the doctrees
    and the HTML with its images (each about the size of the executed chapters) plus MathJax
    and the theme (about 30 MB)."""
    size = sum(f.stat().st_size for f in Path(executed).rglob("*") if f.is_file())
    return 3 * size + 30 * 2**20


def stop_kernels(since: float, timeout: float = 3.0) -> int:
    """End the Jupyter kernels this process started at or after ``since`` (epoch seconds):
    SIGTERM, then SIGKILL after ``timeout`` seconds. Returns how many were running. Used when a
    run is interrupted, so a chapter stops within seconds instead of running to its end."""
    try:
        import psutil  # installed with ipykernel
    except ImportError:  # pragma: no cover (ipykernel depends on it)
        return 0
    kernels = []
    try:
        for child in psutil.Process().children(recursive=True):
            try:
                cmd = " ".join(child.cmdline())
                if "ipykernel" in cmd and child.create_time() >= since:
                    kernels.append(child)
            except psutil.Error:
                continue
        for k in kernels:
            k.terminate()
        _, alive = psutil.wait_procs(kernels, timeout=timeout)
        for k in alive:
            k.kill()
    except psutil.Error:
        pass
    return len(kernels)


def _execute(chapters, declared, params, data_dir: Path, data: dict, work: Path, log) -> list:
    """Execute the chapters into ``work``; record each one's provenance in its metadata.

    ``declared`` maps each chapter's name to the parameters it declares; each gets those of
    ``params`` (besides ``data_dir``). Up to :func:`jobs` chapters run at once (each in its
    own kernel), heaviest first. A failure raises :class:`BookError` naming the chapter (its
    notebook is kept in ``<build>/failed``) once the running chapters have ended; chapters not
    yet started are not started; nothing in ``executed/`` has been touched."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    n = len(chapters)
    order = sorted(
        range(n),
        key=lambda i: (
            HEAVIEST_FIRST.index(chapters[i].name)
            if chapters[i].name in HEAVIEST_FIRST
            else len(HEAVIEST_FIRST)
        ),
    )
    workers = min(jobs(), n) or 1
    if workers == 1:
        order = list(range(n))
    stop = threading.Event()
    failures: list[BookError] = []

    def run(i):
        if stop.is_set():
            return None
        try:
            with disk_step(f"executing chapter {chapters[i].name}", work, CHAPTER_SPACE):
                return _execute_one(
                    chapters[i], i + 1, n, declared, params, data_dir, data, work, log
                )
        except BookError as err:
            stop.set()
            failures.append(err)
            return None
        except Exception:
            if stop.is_set():  # the kernel was ended by an interrupt: nothing to report
                return None
            raise

    started = time.time() - 1  # kernels started from here on are this run's (10 ms steps)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chapter")
    try:
        futures = [pool.submit(run, i) for i in order]
        for f in as_completed(futures):
            f.result()  # re-raises anything that is not a BookError (a bug): no silent loss
    except BaseException:  # Ctrl-C, SIGTERM or a bug: start nothing more, end the kernels now
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        stop_kernels(started)
        raise
    pool.shutdown()
    if failures:
        raise failures[0]
    return [work / f"{ch.name}.ipynb" for ch in chapters]


def _execute_one(ch, i, n, declared, params, data_dir: Path, data: dict, work: Path, log):
    import nbformat
    import papermill as pm

    chapter_params = {"data_dir": str(data_dir)}
    chapter_params.update({k: v for k, v in params.items() if k in declared[ch.name]})
    out = work / f"{ch.name}.ipynb"
    log(f"[{i}/{n}] {ch.name}: executing ...", flush=True)
    t0 = time.perf_counter()
    executed_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    try:
        pm.execute_notebook(
            str(ch.path),
            str(out),
            parameters=chapter_params,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(ch.path.parent),
            log_output=False,
        )
    except pm.PapermillExecutionError as err:
        if any(w in f"{err.evalue}".lower() for w in NO_SPACE_WORDS):
            raise DiskFull(f"executing chapter {ch.name}", work, CHAPTER_SPACE) from None
        failed = config.build_dir() / "failed"
        failed.mkdir(exist_ok=True)
        os.replace(out, failed / out.name)
        raise BookError(
            f"Chapter {ch.name} failed in cell {err.exec_count} with {err.ename}: "
            f"{err.evalue}. No executed chapter was replaced (the last good ones are kept); "
            f"the notebook with the traceback is {failed / out.name}."
        ) from None
    _hide_injected_parameters(out)
    nb = nbformat.read(out, as_version=4)
    run_params = {k: v for k, v in chapter_params.items() if k != "data_dir"}
    nb.metadata[PROVENANCE_KEY] = _provenance(data, run_params, executed_at)
    nbformat.write(nb, out)
    log(f"[{i}/{n}] {ch.name}: done in {time.perf_counter() - t0:.1f} s", flush=True)
    return out


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


def landing_page(intro: str, doc: dict, records: list[tuple[str, F.Finding]]) -> str:
    """``intro.md`` with the data banner and the findings rendered from the records at their
    markers (each marker must appear exactly once)."""
    for marker in (BANNER_MARKER, FINDINGS_MARKER):
        if intro.count(marker) != 1:
            raise BookError(f"book/intro.md must contain the line {marker!r} exactly once.")
    data = doc.get("data") or None
    twin = data is not None and data.get("kind") == "twin"
    pages = [(f"chapters/{name}", f) for name, f in records]
    return intro.replace(BANNER_MARKER, RF.banner_markdown(data)).replace(
        FINDINGS_MARKER, RF.landing_markdown(pages, twin=twin)
    )


def _data_sentence(info: dict) -> str:
    """The landing page's data line, from the ``run.json`` data source."""
    try:
        src = DataSource.from_dict(info)
    except (TypeError, ValueError):  # no or an older run.json: no full data source recorded
        return "unknown data (run `kuailive run` again to record it)"
    if src.is_twin:
        return (
            f"the embedded {src.label}, a generated stand-in with the real files' format "
            f"and calibrated statistics (fingerprint `{src.fingerprint}`)"
        )
    return f"{src.label} (fingerprint `{src.fingerprint}`)"


MATHJAX_FILES = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")
MATHJAX_STATIC = "mathjax"  # folder under the site's _static
# Staged static folder for bundled assets. Not "_static": jupyter-book adds every .js file under a
# source "_static" folder to every page, which would load all of MathJax's extensions everywhere.
OFFLINE_STATIC = "_offline"


def mathjax_source() -> Path:
    """The MathJax 3 ``es5`` folder shipped by the ``django-static-mathjax`` package."""
    try:
        import mathjax  # django-static-mathjax
    except ImportError:
        raise BookError(
            "The package django-static-mathjax is not installed, so MathJax cannot be bundled "
            "for offline pages. Install the pinned environment (pip install -e .)."
        ) from None
    root = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (root / "tex-chtml.js").exists():
        raise BookError(f"No tex-chtml.js in {root}: the django-static-mathjax install is broken.")
    return root


def _bundle_mathjax(stage: Path) -> str:
    """Copy the MathJax files the pages need into ``<stage>/_offline/mathjax`` (published as
    ``_static/mathjax``); return the ``mathjax_path`` (relative to ``_static``) for Sphinx."""
    src = mathjax_source()
    dest = stage / OFFLINE_STATIC / MATHJAX_STATIC
    for rel in MATHJAX_FILES:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if (src / rel).is_dir():
            shutil.copytree(src / rel, target)
        else:
            shutil.copy2(src / rel, target)
    return f"{MATHJAX_STATIC}/tex-chtml.js"


def _offline_sphinx_config(sphinx_cfg: dict, stage: Path) -> None:
    """Make every page render without the network: local MathJax, no thebe."""
    from jupyter_book.config import get_default_sphinx_config

    sphinx_cfg["mathjax_path"] = _bundle_mathjax(stage)
    sphinx_cfg["html_static_path"] = [*sphinx_cfg.get("html_static_path", []), OFFLINE_STATIC]
    sphinx_cfg["extensions"] = [
        e for e in get_default_sphinx_config()["extensions"] if e != "sphinx_thebe"
    ]


def _stage(src_root: Path, manifest: dict, stage: Path | None = None) -> Path:
    """Copy config, toc, prose and executed chapters into ``stage`` (default ``<build>/src``);
    add substitutions."""
    stage = stage or config.build_dir() / "src"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "book" / "chapters").mkdir(parents=True)
    cfg = yaml.safe_load((src_root / "_config.yml").read_text())
    versions = manifest.get("versions", {})
    subs = {
        "data_source": _data_sentence(manifest.get("data", {})),
        "built_at": manifest.get("executed_at", "unknown time"),
        "site_built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "parameters": (
            ", ".join(f"`{k}={v}`" for k, v in manifest.get("parameters", {}).items())
            or "chapter defaults"
        ),
    }
    sphinx_cfg = cfg.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_cfg["myst_substitutions"] = subs
    _offline_sphinx_config(sphinx_cfg, stage)
    (stage / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    shutil.copy2(src_root / "_toc.yml", stage / "_toc.yml")
    for item in (src_root / "book").iterdir():
        if item.name == "chapters":
            continue
        if item.is_dir():
            shutil.copytree(item, stage / "book" / item.name)
        else:
            shutil.copy2(item, stage / "book" / item.name)
    (stage / "book" / GLOSSARY).write_text(glossary_markdown(), encoding="utf-8")
    return stage


def build_site(log=print) -> Path:
    """Render the executed chapters to ``<build>/html``; warnings are errors. Returns index.html.

    Holds the build folder's lock; refuses an edition that mixes data sources or package
    versions (:func:`check_edition`); builds beside the old site and swaps it in at the end, so
    a failing build leaves the previous site. ``run.json`` (rewritten from the chapters' own
    records) is published with the site as ``<build>/html/run.json``."""
    src_root = config.project_root()
    with build_lock(log=log) as build:
        executed = executed_dir()
        if not (executed / "run.json").exists():
            raise BookError(f"No executed chapters in {executed}: run `kuailive run` first.")
        missing = [
            c.name
            for c in all_chapters()
            if not (executed / "book" / "chapters" / f"{c.name}.ipynb").exists()
        ]
        if missing:
            raise BookError(
                f"Chapters not executed yet: {', '.join(missing)}. Run `kuailive run` "
                f"(or `kuailive book`) first; executed notebooks are read from {executed}."
            )
        _site_folder(build)  # before any work: never replace what this tool did not build
        manifest = edition(executed)
        check_edition(manifest)
        _write_json(executed / "run.json", manifest)
        work = owned_tmpdir(build, "site")
        try:
            with disk_step("building the site", build, site_space(executed)):
                return _build_into(src_root, executed, manifest, work, build, log)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _site_folder(build: Path) -> Path:
    """``<build>/html``, checked to be replaceable: missing, empty, or a site this tool built
    (it holds ``run.json``). Anything else is never replaced (:class:`BookError`)."""
    html = build / "html"
    if html.is_dir() and not (html / "run.json").is_file() and any(html.iterdir()):
        raise BookError(
            f"{html} exists but holds no run.json, so this tool did not build it; it is never "
            "replaced. Move it away or set $KUAILIVE_BUILD_DIR to another build folder."
        )
    if html.exists() and not html.is_dir():
        raise BookError(f"{html} is a file, not a site folder; it is never replaced. Move it away.")
    return html


def _build_into(src_root, executed, manifest, work: Path, build: Path, log) -> Path:
    stage = _stage(src_root, manifest, work / "src")
    doc, records = read_findings(write_findings(manifest))
    intro = stage / "book" / "intro.md"
    intro.write_text(landing_page(intro.read_text(encoding="utf-8"), doc, records), "utf-8")
    for c in all_chapters():
        shutil.copy2(
            executed / "book" / "chapters" / f"{c.name}.ipynb",
            stage / "book" / "chapters" / f"{c.name}.ipynb",
        )
    out = work / "jb"
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [
        str(jb) if jb.exists() else "jupyter-book",
        "build",
        str(stage),
        "--path-output",
        str(out),
        "-W",
        "--keep-going",
        "--all",
        "-q",
    ]
    log("Building the site with jupyter-book (warnings are errors) ...", flush=True)
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        text = proc.stdout + "\n" + proc.stderr
        if any(w in text.lower() for w in NO_SPACE_WORDS):
            raise DiskFull("building the site (jupyter-book)", build, site_space(executed))
        tail = "\n".join(text.strip().splitlines()[-40:])
        raise BookError(
            f"jupyter-book build failed (exit {proc.returncode}); the previous site is kept:\n"
            f"{tail}"
        )
    new = out / "_build" / "html"
    _write_json(new / "run.json", manifest)
    html = _site_folder(build)
    if html.exists():  # swap: old site aside, new site in, old site removed
        old = work / "old-html"
        os.rename(html, old)
        os.rename(new, html)
    else:
        os.rename(new, html)
    index = html / "index.html"
    log(f"Site written: {index}", flush=True)
    return index
