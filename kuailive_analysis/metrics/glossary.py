"""The glossary page of the book and the registry as a table, rendered from the declarations
(:mod:`kuailive_analysis.metrics.defs`) and the registry's compute functions."""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.metrics.defs import CHAPTERS, DEFINITIONS, KINDS, METRICS, UNITS
from kuailive_analysis.metrics.registry import is_computable

__all__ = ["glossary_markdown", "registry_table"]


# ---------------------------------------------------------------------------------------------
def _doc_link(stem: str) -> str:
    return f"{{doc}}`{CHAPTERS[stem]} <chapters/{stem}>`"


def _para(text: str) -> str:
    return text.replace("\n", " ").strip()


def glossary_markdown() -> str:
    """The glossary page (MyST markdown): the concepts, then one section per kind of metric,
    each metric with its name, definition, formula, unit, numerator, denominator, population
    and the chapters that report it. Rendered into the book by :mod:`kuailive_analysis.app.book`.
    """
    lines = [
        "(glossary)=",
        "# Glossary: every KPI and definition",
        "",
        "This page is generated from the metric registry of the package "
        "(`kuailive_analysis.metrics`), the one place where each concept and KPI of the "
        "book is defined. The chapters compute the KPIs marked *computed by the registry* "
        "through it, so a KPI name has one value everywhere in the book. Ratios of events "
        "(*per click*) count every event of the cleaned tables; *attributed* quantities count "
        "only the comments, likes and gifts credited to a click.",
        "",
        "## Concepts",
        "",
    ]
    for d in sorted(DEFINITIONS.values(), key=lambda d: d.name.lower()):
        lines += [f"{d.name}", f": {_para(d.text)}", ""]
    for kind, title in KINDS.items():
        ms = [m for m in METRICS.values() if m.kind == kind]
        if not ms:
            continue
        lines += [f"## {title}", ""]
        for m in ms:
            chapters = ", ".join(_doc_link(c) for c in m.chapter)
            how = (
                "computed by the registry"
                if is_computable(m.key)
                else f"computed by `{m.computed_by}`"
            )
            rows = [("Formula", f"${m.formula}$"), ("Unit", UNITS[m.unit])]
            if m.numerator:
                rows.append(("Numerator", m.numerator))
            if m.denominator:
                rows.append(("Denominator", m.denominator))
            rows += [("Population", m.population)]
            if m.params:
                rows.append(("Parameters", ", ".join(f"`{p}`" for p in m.params)))
            rows += [("Reported in", chapters), ("Key", f"`{m.key}` ({how})")]
            lines += [
                f"(metric-{m.key.replace('_', '-')})=",
                f"### {m.name}",
                "",
                _para(m.definition),
                "",
                "| | |",
                "|---|---|",
            ]
            lines += [f"| {k} | {v} |" for k, v in rows]
            lines += [""]
    return "\n".join(lines).rstrip() + "\n"


def registry_table() -> pd.DataFrame:
    """Every metric as one row (key, name, unit, numerator, denominator, population,
    chapters, computed by)."""
    return pd.DataFrame(
        [
            {
                "key": m.key,
                "name": m.name,
                "unit": m.unit,
                "numerator": m.numerator,
                "denominator": m.denominator,
                "population": m.population,
                "chapters": ", ".join(m.chapter),
                "computed_by": "registry" if is_computable(m.key) else m.computed_by,
            }
            for m in METRICS.values()
        ]
    )
