"""Time every stage of the book on a twin of a given scale; wall time and peak memory per stage.

Each stage runs in its own fresh Python process (so peak memory is that stage's alone, including
any Jupyter kernel it starts), and the table is written to ``benchmarks/results/``:

    .venv/bin/python benchmarks/run_all.py --scale 1.0
    .venv/bin/python benchmarks/run_all.py --scale 0.1 0.3 1.0 2.0 --stages generate load
    .venv/bin/python benchmarks/run_all.py --scale 0.3 --baseline   # + the earlier notebook's way

Stages: generate (kuailive sample), validate, load_cold (read + validate + clean + Parquet cache
write), load_cached (everything from the cache), chapter_01 .. chapter_05 (papermill), build
(jupyter-book), and optionally baseline (cleaning + interactions table done the way the earlier
EDA notebook did it: plain pandas, string composite keys, one concatenated table) and
ours_interactions (the same result with the package), and with ``--e2e`` the whole book in one
go: book_cold (cache deleted, then every chapter and the site build: raw CSV -> HTML) and
book_cached (the same with the Parquet cache in place).

Peak memory is the peak RSS of the stage's process or of any process it waited for (the
Jupyter kernel, jupyter-book), from ``getrusage``. The table also records the 1-minute load
average before and after each stage (the machine may be shared). ``--mem-limit-gb`` caps the
address space of the baseline stage (RLIMIT_AS) so that a memory-hungry baseline fails cleanly
instead of pushing a shared machine out of memory; a stage that hits it is reported as failed.

The book totals at the end of the table are sums of stages: raw CSV -> HTML = load_cold +
chapters + build; from the cache = chapters + build (each chapter reads the cache).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STAGES = [
    "generate",
    "validate",
    "load_cold",
    "load_cached",
    "chapter_01",
    "chapter_02",
    "chapter_03",
    "chapter_04",
    "chapter_05",
    "build",
]
CHAPTERS = [s for s in STAGES if s.startswith("chapter_")]
E2E = ["book_cold", "book_cached"]


def _peak_mb() -> float:
    """Peak RSS of this process and of its waited-for children, MB (Linux ru_maxrss is KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def run_stage(stage: str, data_dir: Path) -> None:
    """Run one stage in this process (called in a subprocess by :func:`main`)."""
    if stage == "generate":
        from kuailive_analysis.twin import generate

        if data_dir.exists():
            shutil.rmtree(data_dir)
        generate(data_dir, scale=float(os.environ["BENCH_SCALE"]), seed=20250505, progress=False)
    elif stage == "validate":
        from kuailive_analysis.data.io import validate_folder

        validate_folder(data_dir)
    elif stage == "load_cold":
        from kuailive_analysis import config
        from kuailive_analysis.data.dataset import load

        shutil.rmtree(config.cache_root(), ignore_errors=True)
        ds = load(data_dir)
        _touch(ds)
    elif stage == "load_cached":
        from kuailive_analysis.data.dataset import load

        _touch(load(data_dir))
    elif stage.startswith("chapter_"):
        from kuailive_analysis.app.book import run_chapters, select_chapters

        run_chapters(data_dir, select_chapters([stage.split("_")[1]]), log=lambda *a, **k: None)
    elif stage == "build":
        from kuailive_analysis.app.book import build_site

        build_site(log=lambda *a, **k: None)
    elif stage in ("book_cold", "book_cached"):
        from kuailive_analysis import config
        from kuailive_analysis.app.book import build_site, run_chapters

        if stage == "book_cold":
            shutil.rmtree(config.cache_root(), ignore_errors=True)
        run_chapters(data_dir, log=lambda *a, **k: None)
        build_site(log=lambda *a, **k: None)
    elif stage == "baseline":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from baseline_notebook import run as baseline

        baseline(data_dir)
    elif stage == "ours_interactions":
        from kuailive_analysis.data.dataset import load

        ds = load(data_dir, cache=False)
        _touch(ds)
    else:
        raise SystemExit(f"unknown stage {stage}")


def _touch(ds) -> None:
    """Materialise every table of a Dataset (so lazy loading is timed too)."""
    for name in (
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
    ):
        len(getattr(ds, name))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0])
    ap.add_argument("--stages", nargs="+", default=STAGES)
    ap.add_argument(
        "--baseline",
        action="store_true",
        help="also time the earlier notebook's cleaning + interactions",
    )
    ap.add_argument(
        "--e2e",
        action="store_true",
        help="also time the whole book end to end (book_cold, book_cached)",
    )
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=20.0,
        help="address-space cap of the baseline stage in GB (0 = none)",
    )
    ap.add_argument("--data-root", default=str(ROOT / "data" / "bench"))
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.stage:  # child mode
        t0 = time.perf_counter()
        run_stage(args.stage, Path(args.data_dir))
        print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}))
        return

    from kuailive_analysis.data.data_source import is_twin

    RESULTS.mkdir(parents=True, exist_ok=True)
    stages = (
        list(args.stages)
        + (["baseline", "ours_interactions"] if args.baseline else [])
        + (E2E if args.e2e else [])
    )
    rows = []
    for scale in args.scale:
        data_dir = Path(args.data_root) / f"twin-scale{scale:g}"
        env = dict(
            os.environ,
            BENCH_SCALE=str(scale),
            KUAILIVE_BUILD_DIR=str(Path(args.data_root) / f"build-scale{scale:g}"),
        )
        for stage in stages:
            if stage != "generate" and not is_twin(data_dir):
                stage_list = ["generate", stage]
            else:
                stage_list = [stage]
            for st in stage_list:
                limit = args.mem_limit_gb if st == "baseline" else 0
                load0 = os.getloadavg()[0]
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, __file__, "--stage", st, "--data-dir", str(data_dir)],
                    env=env,
                    capture_output=True,
                    text=True,
                    preexec_fn=(lambda gb=limit: _limit_memory(gb)) if limit else None,
                )
                wall = time.perf_counter() - t0
                base = {
                    "scale": scale,
                    "stage": st,
                    "wall_s": round(wall, 1),
                    "load_before": round(load0, 2),
                    "load_after": round(os.getloadavg()[0], 2),
                }
                if proc.returncode != 0:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    rows.append(
                        {
                            **base,
                            "stage_s": None,
                            "peak_mb": None,
                            "ok": False,
                            "error": proc.stderr.strip().splitlines()[-1][:200]
                            if proc.stderr.strip()
                            else f"exit {proc.returncode}",
                        }
                    )
                else:
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
                    rows.append(
                        {
                            **base,
                            "stage_s": round(res["seconds"], 1),
                            "peak_mb": round(res["peak_mb"]),
                            "ok": True,
                        }
                    )
                r = rows[-1]
                print(
                    f"scale {scale:g} {st:18s} wall {r['wall_s']:8.1f} s  "
                    f"peak {r['peak_mb'] if r['peak_mb'] is not None else 'FAILED'} MB  "
                    f"load {r['load_before']:.1f}->{r['load_after']:.1f}",
                    flush=True,
                )
    _write(rows)


def _limit_memory(gb: float) -> None:
    """Cap the child's address space (runs in the child before exec)."""
    cap = int(gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _machine() -> str:
    """One line on the machine and its load (the benchmark box may be shared)."""
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        k, v = line.split(":", 1)
        mem[k] = int(v.split()[0]) / 1024**2
    la = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, {mem.get('MemTotal', 0):.0f} GB RAM "
        f"({mem.get('MemAvailable', 0):.0f} GB available at the end); load average "
        f"{la[0]:.1f} / {la[1]:.1f} / {la[2]:.1f} (1 / 5 / 15 min) at the end; "
        f"Python {sys.version.split()[0]}"
    )


def _write(rows: list[dict]) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(rows, indent=2))
    lines = [
        "| scale | stage | wall (s) | peak RSS (MB) | load avg before -> after |",
        "|---:|---|---:|---:|---|",
    ]
    for r in rows:
        peak = r["peak_mb"] if r["ok"] else "failed"
        lines.append(
            f"| {r['scale']:g} | {r['stage']} | {r['wall_s']} | {peak} | "
            f"{r.get('load_before', '')} -> {r.get('load_after', '')} |"
        )
    by = {(r["scale"], r["stage"]): r for r in rows if r["ok"]}
    for scale in sorted({r["scale"] for r in rows}):
        chap = [by.get((scale, c)) for c in CHAPTERS]
        build = by.get((scale, "build"))
        cold = by.get((scale, "load_cold"))
        if all(chap) and build:
            warm = sum(c["wall_s"] for c in chap) + build["wall_s"]
            peak = max([c["peak_mb"] for c in chap] + [build["peak_mb"]])
            lines.append("")
            if cold:
                lines.append(
                    f"Scale {scale:g}: whole book, raw CSV -> HTML (load_cold + chapters "
                    f"+ build): {cold['wall_s'] + warm:.0f} s "
                    f"({(cold['wall_s'] + warm) / 60:.1f} min), peak "
                    f"{max(peak, cold['peak_mb'])} MB."
                )
            lines.append(
                f"Scale {scale:g}: whole book from the Parquet cache (chapters + "
                f"build): {warm:.0f} s ({warm / 60:.1f} min), peak {peak} MB."
            )
        for e in E2E:
            r = by.get((scale, e))
            if r:
                lines.append(
                    f"Scale {scale:g}: {e} measured end to end: {r['wall_s']:.0f} s "
                    f"({r['wall_s'] / 60:.1f} min), peak {r['peak_mb']} MB."
                )
        b, o = by.get((scale, "baseline")), by.get((scale, "ours_interactions"))
        if b and o:
            lines.append("")
            lines.append(
                f"Scale {scale:g}: ours vs the earlier notebook on cleaning + "
                f"interactions: {b['stage_s'] / o['stage_s']:.1f}x faster "
                f"({o['stage_s']} s vs {b['stage_s']} s), "
                f"{b['peak_mb'] / o['peak_mb']:.1f}x less peak memory "
                f"({o['peak_mb']} MB vs {b['peak_mb']} MB)."
            )
    lines.append("")
    lines.append(f"Machine: {_machine()}.")
    text = "\n".join(lines) + "\n"
    (RESULTS / f"bench-{stamp}.md").write_text(text)
    (RESULTS / "latest.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
