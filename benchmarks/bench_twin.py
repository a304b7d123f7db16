"""Benchmark of the synthetic twin generator: wall time and peak RSS of ``twin.generate``.

The generation runs in its own Python process, so its peak resident memory (``ru_maxrss``) is
its own. Output goes to ``--out`` (default: a temporary folder, deleted afterwards unless
``--keep``).

Usage::

    .venv/bin/python benchmarks/bench_twin.py --scale 1            # the real size
    .venv/bin/python benchmarks/bench_twin.py --scale 0.1 --stats  # also the fidelity table

Targets (issue 3, on a 2-core / 24 GiB machine): scale 1 under 3 minutes and under 6 GB peak.
Results are printed and written to ``benchmarks/results/bench_twin-<scale>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from kuailive_analysis.twin import TRUTH_FILE, generate
out = generate(sys.argv[1], scale=float(sys.argv[2]), seed=int(sys.argv[3]), progress=False)
dt = time.perf_counter() - t0
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
truth = json.load(open(out / TRUTH_FILE))
print(json.dumps({"seconds": round(dt, 2), "peak_rss_mb": round(rss_mb),
                  "rows": truth["counts"]}))
"""


def results_dir() -> Path:
    path = ROOT / "benchmarks" / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=20250505)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: temporary)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument(
        "--stats",
        action="store_true",
        help="also compute the fidelity table (every fact vs the real files); written to benchmarks/results/fidelity-<scale>.csv",
    )
    args = ap.parse_args(argv)

    tmp = None
    out = args.out
    if out is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench_twin-"))
        out = tmp / f"twin-scale{args.scale:g}-seed{args.seed}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(args.scale), str(args.seed)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall_seconds_incl_startup"] = round(time.perf_counter() - t0, 2)
    res["bytes"] = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    res["total_mb"] = round(sum(res["bytes"].values()) / 1e6, 1)
    res.update(
        scale=args.scale,
        seed=args.seed,
        python=platform.python_version(),
        cpus=os.cpu_count(),
        machine=platform.machine(),
        targets={"seconds": 180, "peak_rss_mb": 6000},
    )
    res["meets_targets"] = res["seconds"] < 180 and res["peak_rss_mb"] < 6000
    if args.stats:
        sys.path.insert(0, str(ROOT))
        from kuailive_analysis import fidelity

        t1 = time.perf_counter()
        fid = fidelity.analyse(out)
        res["fidelity_seconds"] = round(time.perf_counter() - t1, 1)
        table = fid.table
        res["fidelity_verdicts"] = table["Verdict"].value_counts().to_dict()
        res["fidelity_off"] = table.loc[table["Verdict"] == "off", "Fact"].tolist()
        table.to_csv(results_dir() / f"fidelity-{args.scale:g}.csv", index=False)
        print(table.to_string(index=False))
    print(json.dumps(res, indent=2))
    (results_dir() / f"bench_twin-{args.scale:g}.json").write_text(json.dumps(res, indent=2) + "\n")
    if tmp is not None and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
