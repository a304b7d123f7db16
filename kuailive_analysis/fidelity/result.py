"""The fidelity page's result: :class:`FidelityResult` (the table of facts, its summaries, the
values the appendix glues, the figure title, the findings) and :func:`analyse` (measure, then
compare)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import ChapterResult, Section, glued
from kuailive_analysis.core.constants import REAL_USERS
from kuailive_analysis.data.data_source import TRUTH_FILE, DataSource
from kuailive_analysis.fidelity.comparability import NOT_COMPARABLE_VERDICT
from kuailive_analysis.fidelity.fact import FAMILIES, VERDICTS
from kuailive_analysis.fidelity.facts import NOT_COMPUTED, NOTED_KEYS
from kuailive_analysis.fidelity.findings import fidelity_findings
from kuailive_analysis.fidelity.measuring import measure_cached
from kuailive_analysis.fidelity.params import Params
from kuailive_analysis.fidelity.verdicts import compare, format_value


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    r"""Rows with a ratio :math:`r` = this / real, furthest first by :math:`|\log r|` (a ratio
    of 0 is infinitely far)."""
    r = table["Ratio"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(r > 0, np.abs(np.log(np.where(r > 0, r, 1.0))), np.inf)
    ok = np.isfinite(r)
    out = table.loc[ok].assign(_d=dist[ok])
    return out.sort_values("_d", ascending=False, kind="stable").drop(columns="_d")


@dataclass(frozen=True, eq=False)
class Summary(Section):
    """The values the appendix glues: the data, the scope of the comparison, verdict counts,
    the three facts furthest from the real value and the twin's assumptions."""

    data_label: str = glued()
    scope_text: str = glued()
    data_kind: str = glued()
    count_scale: float = glued()
    n_facts: int = glued()
    n_judged: int = glued()
    n_families: int = glued()
    n_match: int = glued()
    n_close: int = glued()
    n_off: int = glued()
    n_na: int = glued()
    n_not_comparable: int = glued()
    not_comparable_facts: str = glued()
    n_tuned_judged: int = glued()
    n_untuned_judged: int = glued()
    n_untuned_match: int = glued()
    n_untuned_close: int = glued()
    n_untuned_off: int = glued()
    share_match: float = glued()
    share_match_or_close: float = glued()
    n_count_facts: int = glued()
    n_not_computed: int = glued()
    n_assumptions: int = glued()
    n_assumed: int = glued()
    n_evidence: int = glued()
    worst1_fact: str = glued()
    worst1_ratio: float = glued()
    worst1_real: str = glued()
    worst1_this: str = glued()
    worst2_fact: str = glued()
    worst2_ratio: float = glued()
    worst2_real: str = glued()
    worst2_this: str = glued()
    worst3_fact: str = glued()
    worst3_ratio: float = glued()
    worst3_real: str = glued()
    worst3_this: str = glued()
    off_facts: str = glued()


def summary(table: pd.DataFrame, assumptions: pd.DataFrame, source, scale: float) -> Summary:
    """The :class:`Summary` of a fact table (:func:`compare`) on ``source``.

    ``share_match`` is :math:`n_\\text{match} / n_\\text{judged}` (judged: every verdict but
    ``n/a`` and ``not comparable``); the worst facts are the first comparable ones of
    :func:`ranked`. The ``untuned`` counts are over the judged facts the twin was not tuned to
    (:mod:`~kuailive_analysis.fidelity.targets`): on the twin, agreement with them is the real
    test of the generator."""
    v = table["Verdict"].value_counts()
    match, close = int(v.get("match", 0)), int(v.get("close", 0))
    nc = int(v.get(NOT_COMPARABLE_VERDICT, 0))
    judged = int(len(table) - v.get("n/a", 0) - nc)
    is_judged = ~table["Verdict"].isin(["n/a", NOT_COMPARABLE_VERDICT])
    untuned = table.loc[is_judged & ~table["Tuned"].astype(bool), "Verdict"].value_counts()
    if source.is_twin:
        scope = (
            f"a synthetic twin ({TRUTH_FILE} present), so its counts are divided by its "
            f"scale, n_users / 23,772 = {scale:.4f}, before they are compared"
        )
    else:
        scope = (
            f"a folder without {TRUTH_FILE}, taken to be a copy of the real files, so its "
            "counts are compared as they are and must equal the published ones"
        )
    status = assumptions["Status"] if len(assumptions) else pd.Series(dtype=object)
    worst = {}
    for i, (_, row) in enumerate(ranked(table.loc[is_judged]).head(3).iterrows(), start=1):
        worst[f"worst{i}_fact"] = f"{row['Fact']} ({row['Family']})"
        worst[f"worst{i}_ratio"] = float(row["Ratio"])
        worst[f"worst{i}_real"] = row["Published as"] or format_value(
            row["Real value"], row["Unit"]
        )
        worst[f"worst{i}_this"] = format_value(row["This data"], row["Unit"])
    for i in range(len(worst) // 4 + 1, 4):
        worst.update({f"worst{i}_fact": "none", f"worst{i}_ratio": float("nan")})
        worst.update({f"worst{i}_real": "\u2013", f"worst{i}_this": "\u2013"})
    off = table.loc[table["Verdict"] == "off", "Fact"].tolist()
    nc_facts = table.loc[table["Verdict"] == NOT_COMPARABLE_VERDICT, "Fact"].tolist()
    return Summary(
        data_label=source.label,
        scope_text=scope,
        data_kind="synthetic twin" if source.is_twin else "data folder",
        count_scale=float(scale),
        n_facts=len(table),
        n_judged=judged,
        n_families=int(table["Family"].nunique()),
        n_match=match,
        n_close=close,
        n_off=int(v.get("off", 0)),
        n_na=int(v.get("n/a", 0)),
        n_not_comparable=nc,
        not_comparable_facts=", ".join(nc_facts) if nc_facts else "none",
        n_tuned_judged=int((is_judged & table["Tuned"].astype(bool)).sum()),
        n_untuned_judged=int(untuned.sum()),
        n_untuned_match=int(untuned.get("match", 0)),
        n_untuned_close=int(untuned.get("close", 0)),
        n_untuned_off=int(untuned.get("off", 0)),
        share_match=match / judged if judged else float("nan"),
        share_match_or_close=(match + close) / judged if judged else float("nan"),
        n_count_facts=int((table["Unit"] == "count").sum()),
        n_not_computed=len(NOT_COMPUTED),
        n_assumptions=len(assumptions),
        n_assumed=int((status == "assumption").sum()),
        n_evidence=int((status == "evidence").sum()),
        off_facts=", ".join(off) if off else "none",
        **worst,
    )


@dataclass(frozen=True)
class Titles:
    """The appendix's figure titles (what each figure shows)."""

    ratio: str
    """The ratio of every fact to the real value (:func:`~kuailive_analysis.plots.fidelity.
    plot_ratios`)."""


@dataclass(frozen=True, eq=False)
class FidelityResult(ChapterResult):
    """The fidelity page: ``table`` (one row per fact, :func:`compare`), ``assumptions`` (what
    the twin plants, :func:`~kuailive_analysis.twin.assumptions.assumptions_table`), ``scale``
    (counts were divided by it), the raw ``stats``, the glued ``summary`` and the ``titles``."""

    params: Params
    source: DataSource
    table: pd.DataFrame = field(repr=False)
    assumptions: pd.DataFrame = field(repr=False)
    scale: float
    summary: Summary
    titles: Titles
    stats: dict = field(default_factory=dict, repr=False)

    @property
    def is_twin(self) -> bool:
        return self.source.is_twin

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
        """The ``n`` facts furthest from the real value by ratio (:func:`ranked`)."""
        return ranked(self.table).head(n)

    def display_table(self) -> pd.DataFrame:
        """The table as text for the book, indexed by (Family, Fact), families in order."""
        t = self.table
        out = pd.DataFrame(
            {
                "Family": t["Family"],
                "Fact": t["Fact"],
                "Real value": [
                    p or format_value(v, u)
                    for p, v, u in zip(t["Published as"], t["Real value"], t["Unit"])
                ],
                "This data": [format_value(v, u) for v, u in zip(t["This data"], t["Unit"])],
                "Ratio": [
                    "\u2013" if not math.isfinite(r) else f"{r:.2f}" if r < 100 else f"{r:,.0f}"
                    for r in t["Ratio"]
                ],
                "Verdict": t["Verdict"],
                "How computed": t["How computed"],
            }
        )
        out["_o"] = out["Family"].map({f: i for i, f in enumerate(FAMILIES)})
        out = out.sort_values("_o", kind="stable").drop(columns="_o")
        return out.set_index(["Family", "Fact"])

    def findings(self) -> list:
        """The appendix's findings, every one an edition check
        (:func:`~kuailive_analysis.fidelity.findings.fidelity_findings`), computed from the
        table as :attr:`summary` is."""
        return fidelity_findings(
            self, summary(self.table, self.assumptions, self.source, self.scale)
        )

    def comparability_table(self) -> pd.DataFrame:
        """The published figures that are not compared, or compared on a reading of their
        source, with why (:mod:`~kuailive_analysis.fidelity.comparability`)."""
        t = self.table
        keep = t["Key"].isin(list(NOTED_KEYS))
        out = t.loc[keep, ["Fact", "Published as", "Real value", "Unit", "Verdict", "Basis"]]
        return pd.DataFrame(
            {
                "Fact": out["Fact"],
                "Published": [
                    p or format_value(v, u)
                    for p, v, u in zip(out["Published as"], out["Real value"], out["Unit"])
                ],
                "Verdict": out["Verdict"],
                "Why": out["Basis"],
            }
        ).reset_index(drop=True)


def ratio_title(s: Summary, twin: bool) -> str:
    """The title of the ratio figure: what it compares and how many facts agree."""
    who = "The twin" if twin else "This data"
    return (
        f"{who} against the real files, fact by fact: {s.n_match} of {s.n_judged} comparable "
        f"facts match, {s.n_off} are off"
    )


def analyse(ds, params: Params | None = None, **overrides) -> FidelityResult:
    """Measure every fact on the delivered files of a dataset and compare it with the real files.

    Parameters
    ----------
    ds : Dataset
        :class:`~kuailive_analysis.dataset.Dataset`; its ``source.path`` holds the files.
    params : Params, optional
        The appendix's :class:`Params` (only the data folder); ``overrides`` change fields.

    Returns
    -------
    FidelityResult
        The fact table (counts divided by the twin's scale :math:`n_\\text{users} / 23{,}772`
        on a twin, see :mod:`kuailive_analysis.fidelity`), its summary and findings.
    """
    from kuailive_analysis.twin.assumptions import assumptions_table

    params = Params.resolve(params, overrides)
    source = ds.source
    stats = measure_cached(source.path, source.fingerprint)
    scale = stats["n_user"] / REAL_USERS if source.is_twin else 1.0
    table = compare(stats, scale=scale, real_folder=not source.is_twin)
    assumptions = assumptions_table()
    s = summary(table, assumptions, source, scale)
    return FidelityResult(
        params=params,
        source=source,
        table=table,
        assumptions=assumptions,
        scale=scale,
        summary=s,
        titles=Titles(ratio=ratio_title(s, source.is_twin)),
        stats=stats,
    )
