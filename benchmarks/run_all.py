"""Benchmark of issue 16: the whole book, the export and the earlier notebook's way, in one run.

Every stage runs in its own fresh process and records its wall time and the peak resident memory
of the LARGEST process of the stage (the stage process or any of its descendants: the
``kuailive`` CLI, each chapter's Jupyter kernel, jupyter-book). Results go to
``benchmarks/results/bench-<stamp>.json`` (everything the README table needs: the command line,
machine, targets, and per stage scale, engine, wall, peak, ok/error) and ``.md``; each stage's
output is kept in ``benchmarks/results/logs/bench-<stamp>/``. ``benchmarks/readme_table.py``
turns the JSON into README's performance table.

    .venv/bin/python benchmarks/run_all.py --data-root /work/bench --scale 1 5
    .venv/bin/python benchmarks/run_all.py --data-root /tmp/b --scale 0.05 --chapters
    .venv/bin/python benchmarks/run_all.py --scale 1 --engine spark --stages book_cold export

Stages, in this order, for each ``--scale`` S on the twin ``<data-root>/twin-S`` (generated with
``kuailive sample`` first, as stage ``generate``, when it does not exist, unless
``--no-generate``; an existing twin is only read):

* ``book_cold``: ``kuailive book --data-dir TWIN`` with an empty build folder (raw CSV -> HTML,
  through the CLI as a user runs it);
* ``book_cached``: the same again with the build folder (and its cache) in place;
* with ``--chapters``: ``chapter_01``, ``chapter_02``, ... (one per chapter of the book:
  ``kuailive run --chapters N``, cache in place) and ``build`` (``kuailive build``);
* ``export``: ``kuailive export --data-dir TWIN --out TMP --format F`` into a temporary folder
  with its own empty build folder (so it reads the raw CSV like the baseline; both deleted
  after). ``--export-format`` defaults to csv, the format the earlier notebook exported, so the
  ratio compares like with like;
* ``baseline``: the earlier notebook's way (``benchmarks/baseline_notebook.py``: read, clean,
  string keys, one interactions table, merges, CSV export into a temporary folder, deleted
  after), only at the scales of ``--baseline-scales`` (default 1), under the address-space cap
  ``--mem-limit-gb`` (RLIMIT_AS) so that it fails cleanly instead of pushing a shared machine
  out of memory. Its comparable stage of ours is ``export``; the ratio is reported.

``--engine duckdb|spark`` (default duckdb, the CLI's default) is passed to ``kuailive
book/run/export --engine`` and recorded with every stage.

How peak memory is measured: the stage process (``run_all.py --stage ...``) starts the command
and waits for it; at the end it reports ``max(ru_maxrss(RUSAGE_SELF),
ru_maxrss(RUSAGE_CHILDREN))``. On Linux ``RUSAGE_CHILDREN``'s ``ru_maxrss`` is the largest RSS of
any descendant that was waited for, recursively (a child's own waited-for children are folded
into it when it is reaped), so the Jupyter kernels papermill starts and waits for at shutdown,
and jupyter-book, are counted. It is the largest single process, not the sum of concurrent
ones; that sum, sampled every 0.25 s from ``/proc`` over the stage's process tree (chapters
may run in parallel kernels; at least the largest process), is recorded as ``tree_peak_mb``. ``--stages probe`` checks this: it runs a notebook with papermill in a grandchild
process whose kernel allocates ``--probe-mb`` MB (default 1024), and the stage's peak must
exceed that (a kernel allocating 1024 MB gave a stage peak of 1,085 MB, one allocating 1 MB
gave 100 MB: the kernel, a great-grandchild of the stage process, is counted). A descendant
that is not waited for (daemonised, reparented to init) would not be counted.

Load averages (1 min) before and after each stage, and one line on the machine, are recorded:
the benchmark machine may be shared. MB are MiB (``ru_maxrss`` KiB / 1024); GB in targets are
GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CHAPTERS = [
    f"chapter_{p.name[:2]}" for p in sorted((ROOT / "book" / "chapters").glob("[0-9][0-9]_*.ipynb"))
]
"""One stage per chapter of the book (``book/chapters/NN_*.ipynb``)."""
DEFAULT_STAGES = ["book_cold", "book_cached", "export", "baseline"]
ALL_STAGES = [
    "generate",
    "validate",
    "book_cold",
    "book_cached",
    *CHAPTERS,
    "build",
    "export",
    "baseline",
    "probe",
]
ENGINE_STAGES = {"book_cold", "book_cached", *CHAPTERS, "export"}
COMPARABLE = {"baseline": "export"}
"""The stage of ours that does what the earlier notebook's way does (read the raw CSV, clean,
build the interactions table with user / streamer / room attributes, write the tables out)."""

GIB = 1024  # MB (MiB) per GB (GiB)
TARGETS = [
    {
        "scale": 0.1,
        "stage": "book_cold",
        "wall_s": 45,
        "text": "default twin, whole book, raw CSV -> HTML: <= 45 s",
    },
    {
        "scale": 0.1,
        "stage": "book_cached",
        "wall_s": 30,
        "text": "default twin, whole book from the cache: <= 30 s",
    },
    {
        "scale": 1.0,
        "stage": "book_cold",
        "wall_s": 120,
        "peak_mb": 4 * GIB,
        "tree_mb": 6 * GIB,
        "text": "whole book, raw CSV -> HTML: <= 120 s, largest process <= 4 GB, all <= 6 GB",
    },
    {
        "scale": 1.0,
        "stage": "book_cached",
        "wall_s": 60,
        "peak_mb": 4 * GIB,
        "tree_mb": 6 * GIB,
        "text": "whole book from the cache: <= 60 s, largest process <= 4 GB, all <= 6 GB",
    },
    {
        "scale": 2.0,
        "stage": "book_cold",
        "wall_s": None,
        "peak_mb": 4 * GIB,
        "text": "scale-2 twin, raw CSV -> HTML: completes, largest process <= 4 GB",
    },
    {
        "scale": 5.0,
        "stage": "book_cold",
        "wall_s": None,
        "peak_mb": 4 * GIB,
        "text": "scale-5 twin, raw CSV -> HTML: completes, largest process <= 4 GB",
    },
    {
        "scale": 5.0,
        "stage": "generate",
        "wall_s": None,
        "peak_mb": 6 * GIB,
        "text": "scale-5 twin generated (kuailive sample): largest process <= 6 GB",
    },
    {
        "scale": 1.0,
        "stage": "export",
        "wall_s": 684,
        "peak_mb": round(18.9 * GIB),
        "text": "kuailive export: well under the earlier notebook's 684 s and 18.9 GB",
    },
]
"""Targets of issue 24 (a target whose stage was not run is reported as not measured; a
target may hold for one engine and be only measured for another: the table says which)."""


# --------------------------------------------------------------------------- child mode


def _peak_mb() -> float:
    """Largest RSS of this process and of every waited-for descendant, MB (ru_maxrss is KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    return lines[-1] if len(lines[-1]) <= 300 else lines[-1][:297] + "..."


def _run_command(cmd: list[str], log: Path | None) -> str | None:
    """Run a command, output to ``log``; None when it succeeded, else its last output line."""
    if log is None:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
    else:
        with open(log, "w") as fh:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
        out = log.read_text(errors="replace")
    if proc.returncode == 0:
        return None
    return f"exit {proc.returncode}: {_last_line(out)}"


def _probe(mb: int, where: str) -> list[str]:
    """Command allocating ``mb`` MB in a grandchild: a papermill kernel or a plain process."""
    alloc = f"import numpy as np; a = np.ones({mb} * 131072); print(a.sum())"
    if where == "process":
        return [sys.executable, "-c", alloc]
    import nbformat

    tmp = Path(tempfile.mkdtemp(prefix="bench-probe-"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(alloc)])
    nbformat.write(nb, tmp / "probe.ipynb")
    return [
        sys.executable,
        "-m",
        "papermill",
        "-k",
        "python3",
        "--no-progress-bar",
        str(tmp / "probe.ipynb"),
        str(tmp / "out.ipynb"),
    ]


class TreeSampler:
    """Samples the summed RSS of this process and all its descendants every ``interval`` s.

    Chapters may run in parallel kernels, so besides the largest process (exact, from
    ``getrusage``) the stage records the largest sum over its process tree (sampled from
    ``/proc``, so a spike shorter than the interval can be missed).
    """

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        self.interval, self.peak_kb = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, self.sample())
            except OSError:
                pass
            self._stop.wait(self.interval)

    def sample(self) -> int:
        """Summed RSS (KiB) of this process and its descendants now."""
        parent: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = Path(f"/proc/{d}/stat").read_text()
                except OSError:
                    continue
                parent[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, todo = set(), [os.getpid()]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            todo += [c for c, p in parent.items() if p == pid and c not in tree]
        total = 0
        for pid in tree:
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_kb
            except (OSError, IndexError, ValueError):
                pass
        return total


def child(stage: str, spec: dict) -> dict:
    """Run one stage in this process (``run_all.py --stage``); return seconds, peak, ok/error."""
    t0 = time.perf_counter()
    error = None
    log = Path(spec["log"]) if spec.get("log") else None
    sampler = TreeSampler()
    try:
        with sampler:
            if stage == "probe":
                error = _run_command(_probe(int(spec["probe_mb"]), spec["probe_where"]), log)
            else:
                error = _run_command(spec["cmd"], log)
    except BaseException as exc:  # noqa: BLE001 - MemoryError under the cap is a result
        error = f"{type(exc).__name__}: {exc}"[:300]
    return {
        "seconds": time.perf_counter() - t0,
        "peak_mb": _peak_mb(),
        # the sum is at least the largest process (sampling may miss a short spike)
        "tree_peak_mb": max(sampler.peak_kb / 1024, _peak_mb()),
        "ok": error is None,
        "error": error,
    }


# --------------------------------------------------------------------------- parent mode


def kuailive_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("kuailive")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kuailive_analysis.app.cli"]


def twin_dir(root: Path, scale: float) -> Path:
    """``<root>/twin-S``; an existing ``<root>/twin-scaleS`` (older runs) is used too."""
    old = root / f"twin-scale{scale:g}"
    return old if (old / "truth.json").is_file() else root / f"twin-{scale:g}"


def _engine(args: argparse.Namespace) -> list[str]:
    return ["--engine", args.engine]


def stage_plan(stage: str, scale: float, args, data_dir: Path, build: Path) -> dict:
    """What the parent does for a stage: the command, env, set-up and clean-up."""
    k = kuailive_cmd()
    d = ["--data-dir", str(data_dir)]
    plan: dict = {"env": {"KUAILIVE_BUILD_DIR": str(build)}, "cleanup": [], "reset": []}
    if stage == "generate":
        plan["cmd"] = [*k, "sample", "--scale", f"{scale:g}", "--out", str(data_dir), "--quiet"]
    elif stage == "validate":
        plan["cmd"] = [*k, "validate", *d]
    elif stage in ("book_cold", "book_cached"):
        plan["cmd"] = [*k, "book", *d, *_engine(args)]
        if stage == "book_cold":
            plan["reset"] = [build]
    elif stage in CHAPTERS:
        plan["cmd"] = [*k, "run", *d, "--chapters", stage[-2:], *_engine(args)]
    elif stage == "build":
        plan["cmd"] = [*k, "build"]
    elif stage == "export":
        tmp = Path(tempfile.mkdtemp(prefix="bench-export-", dir=args.data_root))
        out = tmp / "out"
        plan["env"] = {"KUAILIVE_BUILD_DIR": str(tmp / "build")}
        plan["cmd"] = [*k, "export", *d, "--out", str(out), "--format", args.export_format]
        plan["cmd"] += _engine(args)
        plan["cleanup"] = [tmp]
    elif stage == "baseline":
        tmp = Path(tempfile.mkdtemp(prefix="bench-baseline-", dir=args.data_root))
        script = ROOT / "benchmarks" / "baseline_notebook.py"
        plan["cmd"] = [sys.executable, str(script), str(data_dir), "--out", str(tmp / "out")]
        plan["cleanup"] = [tmp]
        plan["mem_limit_gb"] = args.mem_limit_gb
    elif stage == "probe":
        plan["cmd"] = ["probe", f"{args.probe_mb} MB in a {args.probe_where}"]
        plan["probe_mb"], plan["probe_where"] = args.probe_mb, args.probe_where
    else:
        raise SystemExit(f"unknown stage {stage}")
    return plan


def _limit_memory(gb: float) -> None:
    """Cap the address space (runs in the stage process before exec; descendants inherit it)."""
    cap = int(gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_one(stage: str, scale: float, args, data_dir: Path, build: Path, logs: Path) -> dict:
    plan = stage_plan(stage, scale, args, data_dir, build)
    for p in plan["reset"]:
        shutil.rmtree(p, ignore_errors=True)
    spec = {
        "data_dir": str(data_dir),
        "cmd": plan["cmd"],
        "log": str(logs / f"scale{scale:g}-{stage}.log"),
        "probe_mb": plan.get("probe_mb"),
        "probe_where": plan.get("probe_where"),
    }
    limit = plan.get("mem_limit_gb") or 0
    env = dict(os.environ, **plan["env"])
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--spec", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=(lambda gb=limit: _limit_memory(gb)) if limit else None,
    )
    wall = time.perf_counter() - t0
    for p in plan["cleanup"]:
        shutil.rmtree(p, ignore_errors=True)
    row = {
        "scale": scale,
        "stage": stage,
        "engine": args.engine,
        "command": shlex.join(_display(plan["cmd"])),
        "wall_s": round(wall, 1),
        "load_before": round(load0, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    if limit:
        row["mem_limit_gb"] = limit
    try:
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        res = {
            "seconds": None,
            "peak_mb": None,
            "ok": False,
            "error": f"stage process exit {proc.returncode}: {_last_line(proc.stderr)}",
        }
    tree = res.get("tree_peak_mb")
    row.update(
        stage_s=None if res["seconds"] is None else round(res["seconds"], 1),
        peak_mb=None if res["peak_mb"] is None else round(res["peak_mb"]),
        tree_peak_mb=round(tree) if tree else None,
        ok=bool(res["ok"]),
        error=res["error"],
    )
    return row


def _no_twin(scale: float, args, data_dir: Path) -> dict:
    """The row of a scale skipped for want of a twin (``--no-generate``)."""
    return {
        "scale": scale,
        "stage": "generate",
        "engine": args.engine,
        "command": "",
        "wall_s": 0.0,
        "load_before": round(os.getloadavg()[0], 2),
        "load_after": round(os.getloadavg()[0], 2),
        "stage_s": None,
        "peak_mb": None,
        "ok": False,
        "skipped": True,
        "error": f"no twin at {data_dir} and --no-generate: the scale's stages were not run",
    }


def _display(cmd: list[str]) -> list[str]:
    """A command as a user types it: paths inside the checkout relative, the venv as .venv/bin."""
    out = []
    for a in cmd:
        p = Path(a)
        if p.is_absolute() and p.is_relative_to(ROOT):
            a = str(p.relative_to(ROOT))
        out.append(a)
    return out


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


def _revision() -> str:
    """The checkout's commit, ``+changes`` when tracked files differ from it (others may edit)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+changes" if dirty else "")


def _is_twin(path: Path) -> bool:
    return (path / "truth.json").is_file()


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0], help="twin scales")
    ap.add_argument(
        "--stages",
        nargs="+",
        choices=ALL_STAGES,
        default=DEFAULT_STAGES,
        help=f"stages to run, in the fixed order (default: {' '.join(DEFAULT_STAGES)})",
    )
    ap.add_argument(
        "--chapters",
        action="store_true",
        help="also each chapter (kuailive run --chapters N, cache in place) and the build",
    )
    ap.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="passed to kuailive book / run / export --engine (default duckdb)",
    )
    ap.add_argument("--export-format", choices=["csv", "parquet"], default="csv")
    ap.add_argument(
        "--baseline-scales",
        type=float,
        nargs="+",
        default=[1.0],
        help="scales at which the baseline runs (default 1)",
    )
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=20.0,
        help="address-space cap of the baseline stage in GB (0 = none)",
    )
    ap.add_argument(
        "--data-root",
        default=str(ROOT / "data" / "bench"),
        help="folder of the twins (twin-S) and the build folders (runall-build-S)",
    )
    ap.add_argument(
        "--no-generate",
        action="store_true",
        help="never generate a missing twin: that scale is skipped (recorded as such)",
    )
    ap.add_argument("--keep-build", action="store_true", help="keep the build folders")
    ap.add_argument("--probe-mb", type=int, default=1024, help="MB the probe stage allocates")
    ap.add_argument("--probe-where", choices=["kernel", "process"], default="kernel")
    ap.add_argument("--out", help="results file stem (default benchmarks/results/bench-<stamp>)")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.stage:  # child mode: one stage, result as JSON on the last line of stdout
        print(json.dumps(child(args.stage, json.loads(args.spec))), flush=True)
        return 0

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from readme_table import render

    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem = Path(args.out) if args.out else RESULTS / f"bench-{stamp}"
    json_path, md_path = Path(f"{stem}.json"), Path(f"{stem}.md")
    stem.parent.mkdir(parents=True, exist_ok=True)
    logs = stem.parent / "logs" / stem.name
    logs.mkdir(parents=True, exist_ok=True)
    root = Path(args.data_root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    args.data_root = str(root)
    wanted = set(args.stages) | (set(CHAPTERS) | {"build"} if args.chapters else set())
    argv_shown = [".venv/bin/python", "benchmarks/run_all.py", *(argv or sys.argv[1:])]
    result = {
        "schema": 2,
        "stamp": stamp,
        "command": shlex.join(argv_shown),
        "engine": args.engine,
        "revision": _revision(),
        "machine": "",
        "targets": TARGETS,
        "comparable": COMPARABLE,
        "rows": [],
    }

    def save() -> None:
        result["machine"] = _machine()
        json_path.write_text(json.dumps(result, indent=2) + "\n")
        md_path.write_text(render([result], sources=[]))

    for scale in args.scale:
        data_dir = twin_dir(root, scale)
        build = root / f"runall-build-{scale:g}"
        stages = [s for s in ALL_STAGES if s in wanted]
        if scale not in args.baseline_scales and "baseline" in stages:
            stages.remove("baseline")
        if "generate" not in stages and not _is_twin(data_dir) and stages != ["probe"]:
            if args.no_generate:
                print(f"scale {scale:g}: no twin at {data_dir} (--no-generate), skipped")
                result["rows"].append(_no_twin(scale, args, data_dir))
                save()
                continue
            stages.insert(0, "generate")
        for stage in stages:
            r = run_one(stage, scale, args, data_dir, build, logs)
            result["rows"].append(r)
            save()
            peak = f"{r['peak_mb']:,} MB" if r["peak_mb"] is not None else "?"
            status = "ok" if r["ok"] else f"FAILED ({r['error']})"
            print(
                f"scale {scale:g} {stage:12s} wall {r['wall_s']:8.1f} s  peak {peak:>10s}  "
                f"load {r['load_before']:.1f}->{r['load_after']:.1f}  {status}",
                flush=True,
            )
            if stage == "generate" and not r["ok"]:
                print(f"scale {scale:g}: no twin, its other stages are skipped", flush=True)
                break
        if not args.keep_build:
            shutil.rmtree(build, ignore_errors=True)
    save()
    print(md_path.read_text())
    print(f"results: {json_path}")
    shown = json_path.resolve()
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    print(f"README table: .venv/bin/python benchmarks/readme_table.py {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
