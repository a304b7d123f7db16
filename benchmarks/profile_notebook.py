"""Profile a whole chapter notebook in one process: CPU seconds per cell and a cProfile dump.

Runs the code cells of a notebook (an executed one, so papermill's injected parameters are in
it) in order in this process, with matplotlib's Agg backend; after each cell every open figure
is rendered to PNG at the inline backend's resolution and closed, as Jupyter's inline backend
does. IPython magics (``%matplotlib inline``) are skipped. Prints CPU seconds (``process_time``:
user + system of all threads of the process) and wall seconds per cell, the ten most costly,
and the total; ``--profile FILE`` writes a cProfile dump of the whole run. Kernel start-up
and notebook saving are not included (compare with ``kuailive run`` for those).

    .venv/bin/python benchmarks/profile_notebook.py _build/executed/book/chapters/02_eda.ipynb
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import time


def run(path: str, profile: str = "") -> list[tuple[int, float, float, str]]:
    """Execute the notebook's code cells; return (cell index, cpu s, wall s, first line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = json.load(open(path))
    ns: dict = {"__name__": "__main__"}
    prof = cProfile.Profile() if profile else None
    rows = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        code = "\n".join(ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!")))
        c0, w0 = time.process_time(), time.perf_counter()
        if prof:
            prof.enable()
        exec(compile(code, f"<cell {i}>", "exec"), ns)
        for num in plt.get_fignums():
            plt.figure(num).savefig(io.BytesIO(), format="png", bbox_inches="tight")
        plt.close("all")
        if prof:
            prof.disable()
        first = next((ln for ln in src.splitlines() if ln.strip()), "")[:70]
        rows.append((i, time.process_time() - c0, time.perf_counter() - w0, first))
    if prof:
        prof.dump_stats(profile)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("--profile", default="")
    a = ap.parse_args(argv)
    c0, w0 = time.process_time(), time.perf_counter()
    import kuailive_analysis  # noqa: F401  (import cost counted in the total, not in a cell)

    rows = run(a.notebook, a.profile)
    for i, cpu, wall, first in sorted(rows, key=lambda r: -r[1])[:10]:
        print(f"cell {i:3d}  cpu {cpu:6.2f} s  wall {wall:6.2f} s  {first}")
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"total cpu {cpu:.2f} s, wall {wall:.2f} s, cells {sum(r[1] for r in rows):.2f} s cpu")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
