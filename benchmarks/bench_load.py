"""Benchmark of the data layer: cold load (read CSV + validate + clean + model + Parquet write)
and warm load (everything from the Parquet cache), wall time and peak RSS of each.

Each phase runs in its own Python process, so its peak resident memory (``ru_maxrss``) is its
own. The cache goes to a fresh folder (``--cache-root``, default a temporary folder) so the cold
run is really cold.

Usage::

    .venv/bin/python benchmarks/bench_load.py --scale 1          # generates the twin if needed
    .venv/bin/python benchmarks/bench_load.py --data-dir DIR     # any KuaiLive folder

Targets (issue 4, on a 2-core / 24 GiB machine): cold < 120 s and < 6 GB peak; warm < 15 s.
Results are printed and written to ``benchmarks/results/bench_load-<scale>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
from kuailive_analysis import dataset
ds = dataset.load(sys.argv[1])
rows = {a: len(getattr(ds, a)) for a in dataset.TABLES}
dt = time.perf_counter() - t0
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": round(dt, 2), "peak_rss_mb": round(rss_mb), "rows": rows,
                  "cache": str(ds.cache_path) if ds.cache_path else None}))
"""


def run_phase(data_dir: Path, cache_root: Path) -> dict:
    env = dict(os.environ, KUAILIVE_BUILD_DIR=str(cache_root), PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_seconds_incl_startup"] = round(time.perf_counter() - t0, 2)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=20250505)
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--cache-root", type=Path, default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from kuailive_analysis import config

    data_dir = args.data_dir or config.twin_dir(args.scale, args.seed)
    gen_seconds = None
    if not (data_dir / "click.csv").exists() and not (data_dir / "click.csv.gz").exists():
        from kuailive_analysis.twin import generate

        t0 = time.perf_counter()
        generate(data_dir, scale=args.scale, seed=args.seed, progress=False)
        gen_seconds = round(time.perf_counter() - t0, 1)
    size_mb = sum(p.stat().st_size for p in data_dir.glob("*.csv*")) / 2**20
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        cache_root = args.cache_root or Path(tmp)
        cold = run_phase(data_dir, cache_root)
        warm = run_phase(data_dir, cache_root)
        cache_mb = sum(p.stat().st_size for p in Path(cold["cache"]).glob("*")) / 2**20
    result = {
        "data_dir": str(data_dir),
        "scale": args.scale,
        "csv_mb": round(size_mb),
        "twin_generation_seconds": gen_seconds,
        "cold": cold,
        "warm": warm,
        "cache_mb": round(cache_mb),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench_load-{args.scale:g}.json").write_text(json.dumps(result, indent=1))
    print(f"data: {data_dir} ({size_mb:,.0f} MB of CSV)")
    print(
        f"cold load (read+validate+clean+model+parquet): {cold['seconds']:.1f} s, "
        f"peak RSS {cold['peak_rss_mb']:,} MB"
    )
    print(
        f"warm load (all tables from cache):              {warm['seconds']:.1f} s, "
        f"peak RSS {warm['peak_rss_mb']:,} MB"
    )
    print(f"cache size {cache_mb:,.0f} MB; rows: {cold['rows']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
