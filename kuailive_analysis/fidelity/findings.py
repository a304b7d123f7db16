"""The appendix's findings: every one is an edition check, none is a claim about users.

* ``matches_published`` (both kinds of data): how many of the comparable published facts this
  data reproduces, validated when fewer than :data:`OFF_SHARE_MAX` of them are off. On the
  twin it checks the generator (``check_type="calibration"``; most of the facts are values it
  was tuned to, so the statement gives the facts it was *not* tuned to separately); on a real
  folder it checks the user's copy and its reading (``check_type="qa"``).
* On the twin: ``planted_relationships`` (whether what the twin plants holds on the real
  platform: not checkable on synthetic data) and the twin caveats
  (:func:`~kuailive_analysis.fidelity.caveats.caveat_findings`).
* On a real folder: ``copy_reproduces_counts`` (every published exact count reproduced).

Why none is a headline: agreement with published numbers says how far to trust the data, not
how users behave (the headline policy of :mod:`kuailive_analysis.chapter.findings`).
"""

from __future__ import annotations

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.fidelity.caveats import caveat_findings

OFF_SHARE_MAX = 0.10
"""The data is close enough to the real files when fewer than this share of the judged
(comparable) facts are *off* (the check of ``matches_published``)."""


def fidelity_findings(res, summary) -> list[Finding]:
    """The appendix's findings (see the module docstring) from a
    :class:`~kuailive_analysis.fidelity.FidelityResult` and its ``summary``."""
    s, twin, table = summary, res.is_twin, res.table
    judged, off = s.n_judged, s.n_off
    off_share = off / judged if judged else float("nan")
    ok = judged > 0 and off_share < OFF_SHARE_MAX
    if judged == 0:
        reason = "No published fact could be judged on this data."
    else:
        off_facts = "; ".join(table.loc[table["Verdict"] == "off", "Fact"])
        reason = (
            f"{off} of {judged} comparable facts ({off_share:.1%}) are off (each computed the "
            f"way its source computed it, with a tolerance per fact): {off_facts}. Numbers the "
            "chapters derive from them inherit the gap."
        )
    who = "The twin" if twin else "This data"
    untuned = (
        f" Of the {s.n_untuned_judged} it was not tuned to, {s.n_untuned_match} match and "
        f"{s.n_untuned_close} are close."
        if twin
        else ""
    )
    out = [
        finding(
            ChapterId.FIDELITY,
            "matches_published",
            f"{who} matches {s.n_match} of the {judged} comparable published facts about the "
            f"real KuaiLive files; {s.n_close} more are close and {off} are off "
            f"({s.n_not_comparable} published figures are not comparable with any computation "
            f"of these files).{untuned}",
            check=f"fewer than {OFF_SHARE_MAX:.0%} of the {judged} comparable facts are off",
            passed=ok,
            value=s.share_match,
            unit="share",
            evidence={
                "n_facts": s.n_facts,
                "n_judged": judged,
                "n_match": s.n_match,
                "n_close": s.n_close,
                "n_off": off,
                "n_not_comparable": s.n_not_comparable,
                "n_untuned_judged": s.n_untuned_judged,
                "n_untuned_match": s.n_untuned_match,
                "off_share": off_share,
                "off_share_max": OFF_SHARE_MAX,
            },
            origin="data",
            reason=reason,
            kind="edition check",
            check_type="calibration" if twin else "qa",
            question=(
                "Which of the book's numbers inherit the twin's gaps to the real files?"
                if twin
                else "Is this folder the published KuaiLive release, read completely?"
            ),
        )
    ]
    if twin:
        out.append(
            finding(
                ChapterId.FIDELITY,
                "planted_relationships",
                f"The {s.n_assumptions} relationships the twin plants ({s.n_assumed} of them "
                "without evidence about the real files) hold on the real platform.",
                check="the same chapters run on the real files",
                passed=None,
                evidence={
                    "n_assumptions": s.n_assumptions,
                    "n_evidence": s.n_evidence,
                    "n_assumed": s.n_assumed,
                },
                origin="planted",
                reason=(
                    "On the twin a chapter that finds one of these patterns recovers what the "
                    "generator planted: that shows the method works, not how KuaiLive users "
                    "behave."
                ),
                kind="edition check",
                check_type="calibration",
                question=f"Do the {s.n_assumptions} relationships the twin plants hold on the "
                "real platform?",
            )
        )
        return out + caveat_findings(table)
    counts = table.loc[table["Unit"] == "count"]
    bad = counts.loc[counts["Verdict"] != "match", "Fact"].tolist()
    n = len(counts)
    out.append(
        finding(
            ChapterId.FIDELITY,
            "copy_reproduces_counts",
            f"Your copy reproduces the {n} published counts (file rows, sessions, gift "
            "pairs, clicks per UTC week): it is complete.",
            check="every count fact matches its published value (within 0.05%)",
            passed=n > 0 and not bad,
            value=float((n - len(bad)) / n) if n else None,
            unit="share",
            evidence={"n_count_facts": n, "n_count_off": len(bad)},
            origin="data",
            reason=(
                f"{len(bad)} of {n} counts differ from the published ones "
                f"({'; '.join(bad) or 'none computed'}): a truncated or partial file, or "
                "another release of the dataset."
            ),
            kind="edition check",
            check_type="qa",
            question="Is this copy complete, and is it the published release?",
        )
    )
    return out
