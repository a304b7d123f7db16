"""Render the executed chapters to ``<build>/html`` with jupyter-book, offline.

:func:`build_site` refuses chapters from different data sources or package versions
(:func:`~kuailive_analysis.app.edition.check_edition`), stages ``_config.yml``, ``_toc.yml``,
``book/`` and the executed chapters in a temporary folder, writes the glossary generated from
the metric registry as ``book/glossary.md`` and the landing page's data banner and findings
(from ``findings.json``) into the staged ``intro.md`` (the source tree is never written), and
runs ``jupyter-book build`` with warnings as errors (``execute_notebooks: off``). The site is
built beside the old one and swapped in at the end (a failing build keeps the previous site),
with ``run.json``; a ``<build>/html`` this tool did not build is never replaced.

The site works offline: staging copies MathJax 3 (from the ``django-static-mathjax`` wheel) into
the site's ``_static/mathjax`` and drops the ``sphinx_thebe`` extension; the landing page gets
the build facts through myst substitutions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

from kuailive_analysis import config
from kuailive_analysis.app.chapters import BookError, all_chapters
from kuailive_analysis.app.edition import (
    build_lock,
    check_edition,
    edition,
    executed_dir,
    read_findings,
    write_findings,
    write_json,
)
from kuailive_analysis.chapter import findings as F
from kuailive_analysis.core.faults import NO_SPACE_WORDS, DiskFull, disk_step
from kuailive_analysis.core.folders import owned_tmpdir
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.metrics import glossary_markdown
from kuailive_analysis.report import findings as RF

GLOSSARY = "glossary.md"  # generated into the staged book/ folder; listed in _toc.yml
BANNER_MARKER = "<!-- generated: data banner -->"
FINDINGS_MARKER = "<!-- generated: findings -->"


def site_space(executed: Path) -> int:
    """Free bytes the site build needs: the staged copy of the executed chapters, the doctrees
    and the HTML with its images (each about the size of the executed chapters) plus MathJax
    and the theme (about 30 MB)."""
    size = sum(f.stat().st_size for f in Path(executed).rglob("*") if f.is_file())
    return 3 * size + 30 * 2**20


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
        write_json(executed / "run.json", manifest)
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
    write_json(new / "run.json", manifest)
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
