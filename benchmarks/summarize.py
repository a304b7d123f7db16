"""Merge benchmark runs (``benchmarks/results/bench-*.json`` from ``run_all.py``) into one table.

    .venv/bin/python benchmarks/summarize.py RUN.json [RUN.json ...] [--before OLD.json] \
        [--out benchmarks/results/summary.md]

Rows are (scale, stage); a later file wins for a repeated (scale, stage). ``--before`` adds the
wall time and peak memory of an earlier run (e.g. before the performance work) beside each row.
Below the table: the book totals per scale (raw CSV -> HTML = load_cold + chapters + build; from
the Parquet cache = chapters + build; and the end-to-end stages if measured), the baseline
ratio where both baseline and ours_interactions succeeded, and the targets of issue 9.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [f"chapter_0{i}" for i in range(1, 6)]
ORDER = [
    "generate",
    "validate",
    "load_cold",
    "load_cached",
    *CHAPTERS,
    "build",
    "baseline",
    "ours_interactions",
    "book_cold",
    "book_cached",
]


def _rows(paths: list[str]) -> dict[tuple[float, str], dict]:
    out: dict[tuple[float, str], dict] = {}
    for p in paths:
        for r in json.loads(Path(p).read_text()):
            out[(float(r["scale"]), r["stage"])] = r
    return out


def _cell(r: dict | None, key: str) -> str:
    if r is None:
        return ""
    if not r["ok"]:
        return "failed" if key == "peak_mb" else f"{r['wall_s']} (failed)"
    return f"{r[key]:,}" if key == "peak_mb" else f"{r[key]}"


def render(after: dict, before: dict | None = None) -> str:
    scales = sorted({s for s, _ in after})
    head = "| scale | stage | wall (s) | peak RSS (MB) |"
    rule = "|---:|---|---:|---:|"
    if before:
        head += " before: wall (s) | before: peak (MB) |"
        rule += "---:|---:|"
    lines = [head, rule]
    for s in scales:
        for st in ORDER:
            r = after.get((s, st))
            if r is None:
                continue
            line = f"| {s:g} | {st} | {_cell(r, 'wall_s')} | {_cell(r, 'peak_mb')} |"
            if before:
                b = before.get((s, st))
                line += f" {_cell(b, 'wall_s')} | {_cell(b, 'peak_mb')} |"
            lines.append(line)
    lines.append("")
    for s in scales:
        ok = {st: r for (sc, st), r in after.items() if sc == s and r["ok"]}
        if all(c in ok for c in CHAPTERS) and "build" in ok:
            warm = sum(ok[c]["wall_s"] for c in CHAPTERS) + ok["build"]["wall_s"]
            peak = max(ok[c]["peak_mb"] for c in [*CHAPTERS, "build"])
            if "load_cold" in ok:
                cold = warm + ok["load_cold"]["wall_s"]
                lines.append(
                    f"- Scale {s:g}, whole book raw CSV -> HTML (load_cold + chapters + "
                    f"build): **{cold:.0f} s ({cold / 60:.1f} min)**, peak "
                    f"{max(peak, ok['load_cold']['peak_mb']):,} MB."
                )
            lines.append(
                f"- Scale {s:g}, whole book from the Parquet cache (chapters + build): "
                f"**{warm:.0f} s ({warm / 60:.1f} min)**, peak {peak:,} MB."
            )
        for e in ("book_cold", "book_cached"):
            if e in ok:
                lines.append(
                    f"- Scale {s:g}, `{e}` measured as one stage (every chapter "
                    f"in its own kernel, then the site build): **{ok[e]['wall_s']:.0f} s ({ok[e]['wall_s'] / 60:.1f} "
                    f"min)**, peak {ok[e]['peak_mb']:,} MB."
                )
        if "baseline" in ok and "ours_interactions" in ok:
            b, o = ok["baseline"], ok["ours_interactions"]
            lines.append(
                f"- Scale {s:g}, cleaning + interactions, ours vs the earlier notebook: "
                f"**{b['stage_s'] / o['stage_s']:.1f}x faster** ({o['stage_s']} s vs "
                f"{b['stage_s']} s), **{b['peak_mb'] / o['peak_mb']:.1f}x less peak "
                f"memory** ({o['peak_mb']:,} MB vs {b['peak_mb']:,} MB)."
            )
        elif (
            (s, "baseline") in after
            and not after[(s, "baseline")]["ok"]
            and "ours_interactions" in ok
        ):
            b, o = after[(s, "baseline")], ok["ours_interactions"]
            lines.append(
                f"- Scale {s:g}, the earlier notebook's cleaning + interactions did not "
                f"finish: it ran out of its address-space cap after {b['wall_s']} s "
                f"({b.get('error', '')}); ours took {o['stage_s']} s and "
                f"{o['peak_mb']:,} MB."
            )
    peaks = [r["peak_mb"] for r in after.values() if r["ok"] and r["scale"] == 1.0]
    if peaks:
        lines.append(f"- Largest peak of any single process at scale 1: {max(peaks):,} MB.")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--before")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "summary.md"))
    args = ap.parse_args()
    text = render(_rows(args.runs), _rows([args.before]) if args.before else None)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
