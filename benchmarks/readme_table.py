"""Render README's performance table from ``run_all.py`` results files, and rewrite README with it.

    .venv/bin/python benchmarks/readme_table.py benchmarks/results/bench-STAMP.json [...]
    .venv/bin/python benchmarks/readme_table.py --check      # README == rendering of its sources?
    .venv/bin/python benchmarks/readme_table.py RESULTS.json --print   # only print

The results files are copied to ``benchmarks/published/`` (tracked by git; ``results/`` is
not) and README's block between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is replaced
by the rendering, whose first line names those copies, so that the block can always be
re-rendered and checked (``--check``, used by ``tests/test_benchmarks.py``; it exits 1 when the
block differs). Other files in ``published/`` (older runs, the twin generator's results of
``bench_twin.py``) are left as they are.

The rendering: one row per stage with wall time (s), peak RSS of the largest process (MB) and,
when recorded, the peak of the summed RSS of all the stage's processes (MB), per scale (and
engine); failed stages as ``failed`` with their error below; the targets (issue 24's, taken
from the results files, listed for an engine where it ran at that scale) with ``met`` / ``not met`` / ``not measured``; the
ratio of our comparable stage (``export``) to the earlier notebook's way (``baseline``); the
machine and load; and the exact command lines that produced the results. Later files win for a
repeated (scale, engine, stage).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PUBLISHED = ROOT / "benchmarks" / "published"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SOURCES = re.compile(r"<!-- bench:sources(.*?)-->")

STAGE_TEXT = {
    "generate": "generate the twin (`kuailive sample`)",
    "validate": "validate (`kuailive validate`)",
    "book_cold": "**whole book, raw CSV -> HTML** (`kuailive book`, empty build folder)",
    "book_cached": "**whole book, cache in place** (`kuailive book` again)",
    "chapter_01": "chapter 1, cleaning (`kuailive run --chapters 1`)",
    "chapter_02": "chapter 2, EDA",
    "chapter_03": "chapter 3, retention",
    "chapter_04": "chapter 4, LTV",
    "chapter_05": "chapter 5, funnel / CTR",
    "chapter_06": "chapter 6, fidelity of the twin",
    "build": "site build (`kuailive build`)",
    "export": "`kuailive export` (raw CSV -> cleaned tables, data model, interactions)",
    "baseline": "the earlier notebook's way (read, clean, interactions, CSV export)",
    "probe": "probe: a kernel allocating memory",
}
ORDER = list(STAGE_TEXT)


def _order(stage: str) -> tuple[int, str]:
    """Stages in run order; any chapter (``chapter_NN``) among the chapters."""
    if stage.startswith("chapter_"):
        return (ORDER.index("chapter_01"), stage)
    return (ORDER.index(stage) if stage in ORDER else len(ORDER), stage)


def load(paths: list[str | Path]) -> list[dict]:
    out = []
    for p in paths:
        data = json.loads(Path(p).read_text())
        if not isinstance(data, dict) or data.get("schema") != 2:
            raise SystemExit(f"{p}: not a run_all.py results file (schema 2)")
        out.append(data)
    return out


def _merge(results: list[dict]) -> dict[tuple[float, str, str], dict]:
    rows: dict[tuple[float, str, str], dict] = {}
    for res in results:
        for r in res["rows"]:
            rows[(float(r["scale"]), r.get("engine", "default"), r["stage"])] = r
    return rows


def _mb(v) -> str:
    return f"{v:,}"


def _esc(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _measured(r: dict) -> str:
    tree = f", all {_mb(r['tree_peak_mb'])} MB" if r.get("tree_peak_mb") else ""
    return f"{r['wall_s']} s, {_mb(r['peak_mb'])} MB{tree}"


def verdict(target: dict, r: dict | None) -> tuple[str, str]:
    """(measured, verdict) of one target against its row (None: not run)."""
    if r is None:
        return "", "not measured"
    if not r["ok"]:
        return f"failed after {r['wall_s']} s", f"not met (failed: {_esc(r['error'])})"
    misses = []
    if target.get("wall_s") is not None and r["wall_s"] > target["wall_s"]:
        misses.append(f"wall > {target['wall_s']} s")
    if target.get("peak_mb") is not None and r["peak_mb"] > target["peak_mb"]:
        misses.append(f"peak > {_mb(target['peak_mb'])} MB")
    tree = r.get("tree_peak_mb")
    if target.get("tree_mb") is not None and tree is not None and tree > target["tree_mb"]:
        misses.append(f"all processes > {_mb(target['tree_mb'])} MB")
    return _measured(r), "met" if not misses else "not met (" + ", ".join(misses) + ")"


def ratio(base: dict | None, ours: dict | None, scale: float, engine: str) -> str | None:
    """One line: ours vs the earlier notebook's way on the comparable stage."""
    if base is None or ours is None:
        return None
    head = (
        f"- Scale {scale:g}, engine {engine}: ours (`{ours['stage']}`) vs the earlier "
        "notebook's way (`baseline`): "
    )
    if not ours["ok"]:
        return head + f"ours failed ({ours['error']}), no ratio."
    if not base["ok"]:
        return head + (
            f"the earlier notebook's way did not finish: it failed after {base['wall_s']} s"
            + (f" under its {base['mem_limit_gb']:g} GB cap" if base.get("mem_limit_gb") else "")
            + f" ({base['error']}); ours took {ours['wall_s']} s and "
            f"{_mb(ours['peak_mb'])} MB, so at least **{base['wall_s'] / ours['wall_s']:.1f}x "
            f"faster**."
        )
    return head + (
        f"**{base['wall_s'] / ours['wall_s']:.1f}x faster** ({ours['wall_s']} s vs "
        f"{base['wall_s']} s), **{base['peak_mb'] / ours['peak_mb']:.1f}x less peak memory** "
        f"({_mb(ours['peak_mb'])} MB vs {_mb(base['peak_mb'])} MB)."
    )


def render(results: list[dict], sources: list[str]) -> str:
    """The README block's content (without the start / end markers)."""
    rows = _merge(results)
    cols = sorted({(s, e) for s, e, _ in rows})
    multi_engine = len({e for _, e in cols}) > 1
    out = [f"<!-- bench:sources {' '.join(sources)} -->"] if sources else []
    if not rows:
        return "\n".join([*out, "No benchmark results yet.", ""])

    tree = any(r.get("tree_peak_mb") for r in rows.values())

    def label(s: float, e: str) -> str:
        return f"scale {s:g}" + (f", {e}" if multi_engine else "")

    out += [
        "| stage | "
        + " | ".join(
            f"{label(s, e)}: wall (s) | {label(s, e)}: peak (MB)"
            + (f" | {label(s, e)}: all processes (MB)" if tree else "")
            for s, e in cols
        )
        + " |",
        "|---|" + ("---:|" * (3 if tree else 2)) * len(cols),
    ]
    stages = sorted({k[2] for k in rows}, key=_order)
    failures = []
    for st in stages:
        cells = []
        for s, e in cols:
            r = rows.get((s, e, st))
            if r is None:
                cells += ["", ""] + ([""] if tree else [])
            elif r["ok"]:
                cells += [f"{r['wall_s']}", _mb(r["peak_mb"])]
                cells += [_mb(r["tree_peak_mb"]) if r.get("tree_peak_mb") else ""] if tree else []
            elif r.get("skipped"):
                cells += ["not run", ""] + ([""] if tree else [])
                failures.append(f"- {label(s, e)}: not run: {_esc(r['error'])}")
            else:
                cells += [f"failed after {r['wall_s']}", "failed"] + (["failed"] if tree else [])
                failures.append(f"- {label(s, e)}, `{st}` failed: {_esc(r['error'])}")
        text = STAGE_TEXT.get(st) or (f"chapter {int(st[8:])}" if st[:8] == "chapter_" else st)
        out.append(f"| {text} | " + " | ".join(cells) + " |")
    out.append("")
    out += failures + ([""] if failures else [])

    out += [
        "Targets (as recorded in the results files):",
        "",
        "| target | engine | measured | verdict |",
        "|---|---|---|---|",
    ]
    targets = {}
    for res in results:
        for t in res.get("targets", []):
            targets[(float(t["scale"]), t["stage"])] = t
    engines = sorted({e for _, e in cols})
    for (s, st), t in targets.items():
        for e in engines:
            r = rows.get((s, e, st))
            if r is None and e != engines[0] and not any(c == (s, e) for c in cols):
                continue  # an engine not run at this scale: no row of "not measured" per target
            measured, v = verdict(t, r)
            out.append(f"| {_esc(t['text'])} (scale {s:g}) | {e} | {measured} | {v} |")
    out.append("")

    lines = []
    comparable = {}
    for res in results:
        comparable.update(res.get("comparable", {}))
    for s, e in cols:
        for base_stage, ours_stage in comparable.items():
            line = ratio(rows.get((s, e, base_stage)), rows.get((s, e, ours_stage)), s, e)
            if line:
                lines.append(line)
    if lines:
        out += [*lines, ""]

    for res in results:
        loads = [r[k] for r in res["rows"] for k in ("load_before", "load_after")]
        out.append(
            f"- Run {res['stamp']}"
            + (f" (commit {res['revision']})" if res.get("revision") else "")
            + f": {res['machine']}; 1-min load average around its stages "
            f"{min(loads):.1f} to {max(loads):.1f}."
        )
    out += ["", "Produced by:", "", "```bash"]
    out += [res["command"] for res in results]
    if sources:
        out.append(".venv/bin/python benchmarks/readme_table.py " + " ".join(sources))
    out += ["```", ""]
    return "\n".join(out)


def block(results: list[dict], sources: list[str]) -> str:
    return f"{START}\n{render(results, sources)}{END}"


def current(readme: Path) -> tuple[str, list[str]]:
    """README's block (with markers) and the sources it names."""
    text = readme.read_text()
    i, j = text.find(START), text.find(END)
    if i < 0 or j < i:
        raise SystemExit(f"{readme}: no {START} ... {END} block")
    blk = text[i : j + len(END)]
    m = SOURCES.search(blk)
    return blk, (m.group(1).split() if m else [])


def publish(paths: list[str]) -> list[str]:
    """Copy results files into ``benchmarks/published/``; their paths relative to the checkout.
    Nothing there is deleted: the folder also holds other benchmarks' results (the twin's), and
    an older results file is evidence a later note may cite."""
    PUBLISHED.mkdir(parents=True, exist_ok=True)
    names = []
    for p in paths:
        src = Path(p).resolve()
        dst = PUBLISHED / src.name
        if src != dst:
            shutil.copyfile(src, dst)
        names.append(str(dst.relative_to(ROOT)))
    return names


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("results", nargs="*", help="run_all.py results files (bench-*.json)")
    ap.add_argument("--readme", type=Path, default=README)
    ap.add_argument("--check", action="store_true", help="exit 1 if README's block differs")
    ap.add_argument("--print", action="store_true", help="print the rendering, change nothing")
    args = ap.parse_args(argv)

    old, named = current(args.readme)
    if args.print:
        print(render(load(args.results or [ROOT / n for n in named]), args.results or named))
        return 0
    if args.check:
        sources = [str(Path(p)) for p in args.results] or named
        new = block(load([ROOT / s for s in sources]), sources)
        if new != old:
            print(
                f"{args.readme}: the performance block differs from the rendering of {sources}; "
                f"run .venv/bin/python benchmarks/readme_table.py {' '.join(sources)}",
                file=sys.stderr,
            )
            return 1
        print(f"{args.readme}: performance block up to date")
        return 0
    if not args.results:
        ap.error("give the results files (or --check)")
    sources = publish(args.results)
    new = block(load([ROOT / s for s in sources]), sources)
    text = args.readme.read_text()
    args.readme.write_text(text.replace(old, new))
    print(f"{args.readme}: performance block rewritten from {' '.join(sources)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
