"""Execute the chapters with papermill into ``<build>/executed``; never touch the sources.

:func:`run_chapters` executes each chosen chapter with papermill (kernel ``python3``) into a
temporary folder beside ``<build>/executed``, injecting ``data_dir`` and the parameters the
chapter declares (checked first: :mod:`kuailive_analysis.app.params`), and records each
notebook's provenance (:mod:`kuailive_analysis.app.edition`). Chapters run two at a time on two
or more cores, heaviest first, after one shared build of the Parquet cache. Only when every
chosen chapter succeeded do they replace the executed ones (a failure names the chapter and
keeps the last good notebooks; its notebook goes to ``<build>/failed``). Ctrl-C or SIGTERM
ends the running kernels at once and starts no chapter after it.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from kuailive_analysis import config
from kuailive_analysis.app.chapters import BookError, Chapter, all_chapters
from kuailive_analysis.app.edition import (
    EXECUTED,
    PROVENANCE_KEY,
    build_lock,
    chapter_provenance,
    describe_data,
    edition,
    executed_dir,
    provenance_record,
    read_findings,
    write_findings,
    write_json,
)
from kuailive_analysis.chapter import findings as F
from kuailive_analysis.core.faults import NO_SPACE_WORDS, DiskFull, disk_step
from kuailive_analysis.core.folders import owned_tmpdir


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
            write_json(executed_dir() / "run.json", manifest)
            path = write_findings(manifest)
    records = [f for _, f in read_findings(path)[1]]
    twin = data.get("kind") == "twin"
    log(
        f"Findings: {len(records)} recorded, {len(F.headlines(records, twin=twin))} headline(s), "
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
    nb.metadata[PROVENANCE_KEY] = provenance_record(data, run_params, executed_at)
    nbformat.write(nb, out)
    log(f"[{i}/{n}] {ch.name}: done in {time.perf_counter() - t0:.1f} s", flush=True)
    return out
