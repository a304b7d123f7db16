"""The fidelity page's result: :class:`FidelityResult` (the table, its summaries and the
numbers the appendix glues) and :func:`analyse` (measure, then compare)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.chapter.findings import Finding
from kuailive_analysis.core.constants import REAL_USERS
from kuailive_analysis.data.data_source import TRUTH_FILE, DataSource
from kuailive_analysis.fidelity.fact import FAMILIES, VERDICTS
from kuailive_analysis.fidelity.facts import NOT_COMPUTED
from kuailive_analysis.fidelity.measuring import measure_cached
from kuailive_analysis.fidelity.params import Params
from kuailive_analysis.fidelity.verdicts import compare, format_value

OFF_SHARE_MAX = 0.10
"""The data is close enough to the real files when fewer than this share of the judged facts
are *off* (the check of the appendix's agreement finding)."""


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a ratio, from the furthest (|log ratio|) to the nearest."""
    r = table["Ratio"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(r > 0, np.abs(np.log(np.where(r > 0, r, 1.0))), np.inf)
    ok = np.isfinite(r)
    out = table.loc[ok].assign(_d=dist[ok])
    return out.sort_values("_d", ascending=False, kind="stable").drop(columns="_d")


@dataclass(frozen=True)
class FidelityResult:
    """The fidelity page: ``table`` (one row per fact, see :func:`compare`), ``assumptions``
    (what the twin plants, :func:`~kuailive_analysis.twin.assumptions.assumptions_table`),
    ``source`` (the :class:`~kuailive_analysis.data.data_source.DataSource`; usable by
    ``report.show_provenance``), ``scale`` (counts were divided by it) and the raw ``stats``."""

    table: pd.DataFrame
    assumptions: pd.DataFrame
    source: DataSource
    scale: float
    stats: dict = field(default_factory=dict, repr=False)

    @property
    def is_twin(self) -> bool:
        return self.source.is_twin

    @property
    def label(self) -> str:
        """The data source in words (:attr:`DataSource.label`)."""
        return self.source.label

    def verdict_counts(self) -> pd.DataFrame:
        """Facts per family and verdict (families in book order, a total row last)."""
        t = pd.crosstab(self.table["Family"], self.table["Verdict"])
        t = t.reindex(
            index=[f for f in FAMILIES if f in t.index], columns=list(VERDICTS), fill_value=0
        )
        t.loc["all facts"] = t.sum()
        t.columns.name = None
        t.index.name = "Family"
        return t.loc[:, (t != 0).any(axis=0) | (t.columns != "n/a")]

    def worst(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` facts furthest from the real value by ratio (|log ratio|)."""
        return _ranked(self.table).head(n)

    def display_table(self) -> pd.DataFrame:
        """The table as text for the book, indexed by (Family, Fact), families in order."""
        t = self.table
        real = [
            p or format_value(v, u)
            for p, v, u in zip(t["Published as"], t["Real value"], t["Unit"])
        ]
        this = [format_value(v, u) for v, u in zip(t["This data"], t["Unit"])]
        ratio = [
            "\u2013" if not math.isfinite(r) else f"{r:.2f}" if r < 100 else f"{r:,.0f}"
            for r in t["Ratio"]
        ]
        out = pd.DataFrame(
            {
                "Family": t["Family"],
                "Fact": t["Fact"],
                "Real value": real,
                "This data": this,
                "Ratio": ratio,
                "Verdict": t["Verdict"],
                "How computed": t["How computed"],
            }
        )
        out["_o"] = out["Family"].map({f: i for i, f in enumerate(FAMILIES)})
        out = out.sort_values("_o", kind="stable").drop(columns="_o")
        return out.set_index(["Family", "Fact"])

    def numbers(self) -> dict:
        """Values for the appendix's text (glue keys)."""
        t = self.table
        v = t["Verdict"].value_counts()
        n = len(t)
        judged = int(n - v.get("n/a", 0))
        if self.is_twin:
            scope = (
                f"a synthetic twin ({TRUTH_FILE} present), so its counts are divided by its "
                f"scale, n_users / 23,772 = {self.scale:.4f}, before they are compared"
            )
        else:
            scope = (
                f"a folder without {TRUTH_FILE}, taken to be a copy of the real files, so its "
                "counts are compared as they are and must equal the published ones"
            )
        out = {
            "data_label": self.label,
            "scope_text": scope,
            "data_kind": "synthetic twin" if self.is_twin else "data folder",
            "count_scale": float(self.scale),
            "n_facts": n,
            "n_judged": judged,
            "n_families": int(t["Family"].nunique()),
            "n_match": int(v.get("match", 0)),
            "n_close": int(v.get("close", 0)),
            "n_off": int(v.get("off", 0)),
            "n_na": int(v.get("n/a", 0)),
            "share_match": float(v.get("match", 0) / judged) if judged else float("nan"),
            "share_match_or_close": (
                float((v.get("match", 0) + v.get("close", 0)) / judged) if judged else float("nan")
            ),
            "n_count_facts": int((t["Unit"] == "count").sum()),
            "n_not_computed": len(NOT_COMPUTED),
            "n_assumptions": len(self.assumptions),
            "n_assumed": int((self.assumptions["Status"] == "assumption").sum())
            if len(self.assumptions)
            else 0,
            "n_evidence": int((self.assumptions["Status"] == "evidence").sum())
            if len(self.assumptions)
            else 0,
        }
        worst = self.worst(3)
        for i in range(3):
            if i < len(worst):
                row = worst.iloc[i]
                out[f"worst{i + 1}_fact"] = f"{row['Fact']} ({row['Family']})"
                out[f"worst{i + 1}_ratio"] = float(row["Ratio"])
                out[f"worst{i + 1}_real"] = row["Published as"] or format_value(
                    row["Real value"], row["Unit"]
                )
                out[f"worst{i + 1}_this"] = format_value(row["This data"], row["Unit"])
            else:
                out[f"worst{i + 1}_fact"] = "none"
                out[f"worst{i + 1}_ratio"] = float("nan")
                out[f"worst{i + 1}_real"] = out[f"worst{i + 1}_this"] = "\u2013"
        off = t.loc[t["Verdict"] == "off", "Fact"].tolist()
        out["off_facts"] = ", ".join(off) if off else "none"
        return out

    def findings(self) -> list[Finding]:
        """The appendix's findings (see :mod:`kuailive_analysis.findings`).

        Both kinds of data: *agreement* (``matches_published``), the share of the judged facts
        that match, validated when fewer than :data:`OFF_SHARE_MAX` of them are off. On a real
        folder: *complete copy* (``copy_reproduces_counts``), validated when every count fact
        matches the published count. On the twin: what it plants (``planted_relationships``),
        not checkable on synthetic data."""
        n = self.numbers()
        judged, off = n["n_judged"], n["n_off"]
        off_share = off / judged if judged else float("nan")
        evidence = {
            "n_facts": n["n_facts"],
            "n_judged": judged,
            "n_match": n["n_match"],
            "n_close": n["n_close"],
            "n_off": off,
            "off_share": off_share,
            "off_share_max": OFF_SHARE_MAX,
        }
        subject = "The twin" if self.is_twin else "This data"
        check = f"fewer than {OFF_SHARE_MAX:.0%} of the {judged} judged facts are off"
        ok = judged > 0 and off_share < OFF_SHARE_MAX
        if judged == 0:
            reason = "No published fact could be judged on this data."
        else:
            off_facts = "; ".join(self.table.loc[self.table["Verdict"] == "off", "Fact"])
            reason = (
                f"{off} of {judged} facts ({off_share:.1%}) are off (each computed the way its "
                f"source computed it, with a tolerance per fact): {off_facts}. Numbers the "
                "chapters derive from them inherit the gap."
            )
        out = [
            Finding(
                chapter="fidelity",
                key="matches_published",
                statement=(
                    f"{subject} matches {n['n_match']} of the {judged} published facts about "
                    f"the real KuaiLive files; {n['n_close']} more are close and {off} are off."
                ),
                check=check,
                status="validated" if ok else "failed",
                value=n["share_match"],
                unit="share",
                evidence=evidence,
                origin="data",
                headline=True,
                reason="" if ok else reason,
                action=(
                    (
                        "Treat the twin's numbers as a rehearsal of the analysis: base decisions "
                        "on the same chapters run on the real files (`kuailive book --data-dir "
                        f"DIR`); the {off} off facts show where the twin is not yet like them."
                    )
                    if self.is_twin
                    else "The data agrees with the published facts: its chapters can inform decisions."
                )
                if ok
                else "",
            )
        ]
        t = self.table
        counts = t.loc[t["Unit"] == "count"]
        if self.is_twin:
            out.append(
                Finding(
                    chapter="fidelity",
                    key="planted_relationships",
                    statement=(
                        f"Whether the {n['n_assumptions']} relationships the twin plants "
                        f"({n['n_assumed']} of them without evidence about the real files) "
                        "hold on the real platform."
                    ),
                    check="the same chapters run on the real files",
                    status="not checkable",
                    evidence={
                        "n_assumptions": n["n_assumptions"],
                        "n_evidence": n["n_evidence"],
                        "n_assumed": n["n_assumed"],
                    },
                    origin="planted",
                    reason=(
                        "On the twin a chapter that finds one of these patterns recovers what "
                        "the generator planted: that shows the method works, not how KuaiLive "
                        "users behave."
                    ),
                )
            )
        else:
            bad = counts.loc[counts["Verdict"] != "match", "Fact"].tolist()
            n_counts = len(counts)
            ok = n_counts > 0 and not bad
            out.append(
                Finding(
                    chapter="fidelity",
                    key="copy_reproduces_counts",
                    statement=(
                        f"Your copy reproduces the {n_counts} published counts (file rows, "
                        "sessions, gift pairs, clicks per UTC week): it is complete."
                    ),
                    check="every count fact matches its published value (within 0.05%)",
                    status="validated" if ok else "failed",
                    value=float((n_counts - len(bad)) / n_counts) if n_counts else None,
                    unit="share",
                    evidence={"n_count_facts": n_counts, "n_count_off": len(bad)},
                    origin="data",
                    headline=True,
                    reason=""
                    if ok
                    else (
                        f"{len(bad)} of {n_counts} counts differ from the published ones "
                        f"({'; '.join(bad) or 'none computed'}): a truncated or partial file, or "
                        "another release of the dataset."
                    ),
                )
            )
        return out


def analyse(ds, params: Params | None = None, **overrides) -> FidelityResult:
    """Measure every fact on the raw files of dataset ``ds`` (its ``source.path``) and compare
    it with the real files (see the module docstring for scaling and verdicts). ``params``:
    the appendix's :class:`Params` (only the data folder)."""
    from kuailive_analysis.twin.assumptions import assumptions_table

    Params.resolve(params, overrides)
    source = ds.source
    stats = measure_cached(Path(source.path), source.fingerprint)
    scale = stats["n_user"] / REAL_USERS if source.is_twin else 1.0
    table = compare(stats, scale=scale, real_folder=not source.is_twin)
    return FidelityResult(
        table=table, assumptions=assumptions_table(), source=source, scale=scale, stats=stats
    )
