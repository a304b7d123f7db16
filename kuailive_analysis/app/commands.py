"""The ``kuailive`` subcommands (``sample``, ``validate``, ``run``, ``build``, ``book``,
``export``) and their argument parser; :mod:`kuailive_analysis.app.cli` runs them with one-line
errors and clean interrupts."""

from __future__ import annotations

import argparse
import os
import time
from argparse import SUPPRESS
from pathlib import Path

from kuailive_analysis import __version__, config
from kuailive_analysis.data.data_source import TRUTH_FILE, TRUTH_USERS_FILE


def _data_dir(args) -> Path:
    if args.data_dir:
        path = Path(args.data_dir)
        if not path.is_dir():
            from kuailive_analysis.data.io import DataError

            raise DataError(
                f"Data folder {path} does not exist or is not a folder. Pass the "
                "folder that holds the KuaiLive CSV files (user.csv, room.csv, "
                "click.csv, ...)."
            )
        return path
    # the explicit step that writes the default twin (resolving a path never does)
    from kuailive_analysis.dataset import ensure_default_twin

    return ensure_default_twin(
        args.scale, args.seed, progress=True, log=lambda msg: print(msg, flush=True)
    )


TWIN_BYTES_PER_SCALE = 1.6 * 2**30
"""Bytes a twin of scale 1 takes on disk (1.5 GB of CSV, measured) with a margin: the free
space ``kuailive sample`` needs is this times the scale."""


def cmd_sample(args) -> int:
    from kuailive_analysis.core.faults import disk_step
    from kuailive_analysis.twin import generate

    t0 = time.perf_counter()
    needed = int(TWIN_BYTES_PER_SCALE * args.scale)
    with disk_step("writing the twin", Path(args.out).absolute().parent, needed):
        out = generate(Path(args.out), scale=args.scale, seed=args.seed, progress=not args.quiet)
    print(
        f"Synthetic KuaiLive twin (scale {args.scale:g}, seed {args.seed}) written to {out} "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return 0


def cmd_validate(args) -> int:
    from kuailive_analysis.engine.ingest import validate_folder

    report = validate_folder(Path(args.data_dir))
    print(report.to_text())
    return 0 if report.ok else 1


def _params(pairs, chapters) -> dict:
    """``-p`` values typed and checked (app/params.py) for the chosen chapters, before any work."""
    from kuailive_analysis.app.chapters import BookError
    from kuailive_analysis.app.params import ParamError, parse_cli

    try:
        return parse_cli(pairs, [c.name for c in chapters])
    except ParamError as err:
        raise BookError(str(err)) from None


def cmd_run(args) -> int:
    from kuailive_analysis.app.book import run_chapters
    from kuailive_analysis.app.chapters import select_chapters

    chapters = select_chapters(args.chapters)
    params = _params(args.param, chapters)
    data_dir = _data_dir(args)
    _use_engine(args)
    run_chapters(data_dir, chapters, params)
    print(f"Executed notebooks are in {config.build_dir() / 'executed'}")
    return 0


def cmd_build(args) -> int:
    from kuailive_analysis.app.site import build_site

    build_site()
    return 0


def cmd_book(args) -> int:
    from kuailive_analysis.app.book import run_chapters
    from kuailive_analysis.app.chapters import select_chapters
    from kuailive_analysis.app.edition import build_lock
    from kuailive_analysis.app.site import build_site

    t0 = time.perf_counter()
    params = _params(args.param, select_chapters(None))
    data_dir = _data_dir(args)
    _use_engine(args)
    with build_lock():  # one lock for run and build: no other run slips in between
        run_chapters(data_dir, select_chapters(None), params)
        index = build_site()
    print(f"Book built in {time.perf_counter() - t0:.0f} s. Open {index}")
    return 0


def cmd_export(args) -> int:
    from kuailive_analysis.core.faults import disk_step
    from kuailive_analysis.dataset import load
    from kuailive_analysis.export import cache_only, check_args, export, export_space

    # before any work: --out may not touch the data folder (resolved without generating it)
    check_args(
        args.format, args.engine, args.out, args.overwrite, config.resolve_data_dir(args.data_dir)
    )
    ds = cache_only(load(_data_dir(args), progress=not args.quiet))  # frames freed
    t0 = time.perf_counter()
    with disk_step("writing the export", Path(args.out).absolute().parent, export_space(ds)):
        res = export(
            ds,
            args.out,
            fmt=args.format,
            engine=args.engine,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
    print(
        f"Exported {len(res.rows)} tables ({sum(res.rows.values()):,} rows, {args.format}) "
        f"and the data dictionary to {res.out} in {time.perf_counter() - t0:.1f} s"
    )
    return 0


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the KuaiLive CSV files (real or generated); "
        "default: the synthetic twin, generated on first use",
    )
    p.add_argument(
        "--scale",
        type=float,
        default=config.DEFAULT_SCALE,
        help=f"scale of the default twin when --data-dir is not given "
        f"(default {config.DEFAULT_SCALE:g}; 1.0 = real size)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=config.DEFAULT_SEED,
        help=f"seed of the default twin (default {config.DEFAULT_SEED})",
    )


def _add_engine_arg(p: argparse.ArgumentParser) -> None:
    from kuailive_analysis.engine import ENGINES

    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="event engine: duckdb (embedded, the default) or spark (PySpark: local mode, or "
        "the cluster named by $KUAILIVE_SPARK_MASTER / $KUAILIVE_SPARK_REMOTE); "
        "default $KUAILIVE_ENGINE or duckdb",
    )


def _use_engine(args) -> None:
    """Make ``--engine`` the engine of this process and of the chapter kernels it starts
    (they inherit ``$KUAILIVE_ENGINE``); each chapter records it in its provenance."""
    from kuailive_analysis.engine import engine_name

    if getattr(args, "engine", None):
        os.environ["KUAILIVE_ENGINE"] = engine_name(args.engine)


def _add_param_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="chapter parameter, e.g. -p churn_days 7 (repeatable; values are "
        "parsed as YAML like papermill's -p)",
    )


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kuailive",
        description="Build and rerun the KuaiLive analysis book: generate the synthetic twin, "
        "validate a data folder, execute chapters with papermill, render with "
        "jupyter-book.",
    )
    ap.add_argument("--version", action="version", version=f"kuailive {__version__}")
    ap.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "sample",
        help="write a synthetic KuaiLive dataset (the twin) to a folder",
        description=f"Write the eight KuaiLive CSV files plus {TRUTH_FILE} / "
        f"{TRUTH_USERS_FILE} (the planted ground truth) to --out. The "
        "same scale and seed give byte-identical files.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--scale",
        type=float,
        default=config.DEFAULT_SCALE,
        help=f"1.0 = real size (23,772 users, 4.9M clicks); default {config.DEFAULT_SCALE:g}",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=config.DEFAULT_SEED,
        help=f"random seed (default {config.DEFAULT_SEED})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser(
        "validate",
        help="check a data folder against the schema and report",
        description="Check every KuaiLive file in --data-dir against the schema "
        "and print rows per file, time range (Beijing time), key "
        "checks and data-quality counts. Exit 0 when usable.",
    )
    p.add_argument("--data-dir", required=True, metavar="DIR", help="folder with the CSV files")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "run",
        help="execute chapters with papermill into the build folder",
        description="Execute the chapter notebooks with papermill (kernel "
        "python3) into _build/executed, passing data_dir and any "
        "-p parameters. Source notebooks are never modified.",
    )
    _add_data_args(p)
    p.add_argument(
        "--chapters",
        nargs="+",
        metavar="CH",
        help="chapters to run, by number (3), name (retention) or file stem "
        "(03_retention); default: all",
    )
    _add_param_arg(p)
    _add_engine_arg(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "build",
        help="render the executed chapters to HTML with jupyter-book",
        description="Render the notebooks executed by `kuailive run` "
        "(in _build/executed) with jupyter-book into _build/html. "
        "Nothing is executed again (execute_notebooks: off) and "
        "any Sphinx warning, such as a glue key the text uses "
        "but no chapter computed, fails the build.",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "book",
        help="all of it: data (twin if needed), run every chapter, build",
        description="Generate the default twin if needed (or use --data-dir), "
        "execute every chapter and build the site into _build/html.",
    )
    _add_data_args(p)
    _add_param_arg(p)
    _add_engine_arg(p)
    p.set_defaults(func=cmd_book)
    p = sub.add_parser(
        "export",
        help="write the cleaned tables, the data model, the interactions table and a data "
        "dictionary to a folder (Parquet or CSV)",
        description="Stream the cleaned tables, sessions, user_day, rfm and interactions "
        "with the event engine to --out, plus DATA_DICTIONARY.md, data_dictionary.csv and "
        "manifest.json. Written into OUT.tmp-* and renamed when complete.",
    )
    _add_data_args(p)
    p.add_argument("--out", required=True, metavar="OUT", help="output folder")
    p.add_argument("--format", default="parquet", help="parquet (default) or csv")
    p.add_argument(
        "--engine", default=None, help="duckdb or spark (default $KUAILIVE_ENGINE or duckdb)"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier export in --out (recognised by its manifest.json); a folder "
        "this tool did not write is never replaced",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_export)
    for p in sub.choices.values():  # --debug also after the command (keeps the top-level value)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=SUPPRESS)
    return ap
