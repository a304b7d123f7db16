"""CPU seconds of each chapter's ``analyse`` on one data folder (issue 24: the default edition).

Each chapter runs in its own fresh Python process (so one chapter's warm caches do not help the
next): the process loads the dataset (cache in place: run ``kuailive run`` or ``load`` once
first, or pass ``--warm`` to build it here), then times ``analyse(ds)`` with the chapter's
default parameters. The machine may be shared, so CPU time of the process (``process_time``:
user + system of all its threads, seconds) is the number to compare; wall seconds are recorded
too. ``--repeat N`` runs each chapter N times (fresh process each time) and reports each run.
``--profile DIR`` also writes a cProfile dump ``DIR/<chapter>-<i>.pstats`` per run.

    .venv/bin/python benchmarks/bench_chapters.py --data-dir DIR --chapters 1 2 3 4 6 --repeat 2
    .venv/bin/python benchmarks/bench_chapters.py --data-dir DIR --chapters 2 --profile /tmp/p

Results are printed as one JSON line per run and, with ``--out FILE``, written as a JSON list.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODULES = {
    "1": "cleaning",
    "2": "eda",
    "3": "retention",
    "4": "ltv",
    "5": "funnel",
    "6": "fidelity",
}
"""Chapter number -> the analysis package whose ``analyse`` it calls."""

CHILD = r"""
import cProfile, importlib, json, os, sys, time
from kuailive_analysis.dataset import load
mod = importlib.import_module("kuailive_analysis." + sys.argv[2])
ds = load(sys.argv[1])
prof = cProfile.Profile() if sys.argv[3] else None
c0, w0 = time.process_time(), time.perf_counter()
if prof:
    prof.enable()
mod.analyse(ds)
if prof:
    prof.disable()
    prof.dump_stats(sys.argv[3])
print(json.dumps({"chapter": sys.argv[2], "cpu_s": round(time.process_time() - c0, 2),
                  "wall_s": round(time.perf_counter() - w0, 2),
                  "load1": round(os.getloadavg()[0], 1)}))
"""


def run_one(data_dir: str, module: str, profile: str) -> dict:
    """Run one chapter's ``analyse`` in a fresh process; return its timing record."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, data_dir, module, profile],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if out.returncode:
        return {"chapter": module, "error": out.stderr[-2000:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--chapters", nargs="+", default=["1", "2", "3", "4", "6"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", default="", help="folder for cProfile dumps")
    ap.add_argument("--warm", action="store_true", help="build the cache first")
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    if a.warm:
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from kuailive_analysis.dataset import load; load({a.data_dir!r})",
            ],
            check=True,
        )
    if a.profile:
        Path(a.profile).mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(a.repeat):
        for ch in a.chapters:
            module = MODULES[ch]
            prof = str(Path(a.profile) / f"{module}-{i}.pstats") if a.profile else ""
            rec = run_one(a.data_dir, module, prof)
            rec["run"] = i
            print(json.dumps(rec), flush=True)
            rows.append(rec)
    if a.out:
        Path(a.out).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
