"""Twin caveats that matter for reading the book's numbers, declared once.

Most of the book's numbers on the twin inherit the twin's distance to the real files. A few
published facts drive the relationships the chapters report (watch time drives gifting in the
generator, negatives make the CTR, loyalty and streamer popularity shape the feed's baselines,
returns make retention). :data:`CAVEATS` names them, each with the facts it rests on, what a
departure means for reading the book and the open question it leaves. On the twin each becomes
an edition check (:func:`caveat_findings`, ``kind="edition check"``, ``check_type=
"calibration"``): it fails when one of its comparable facts is *off*, and the reason states
this data's number, the real one and what the gap means. The landing page lists the failed
ones as "Reading the numbers on the twin". A real folder has no twin caveats (its agreement
with the published facts is the appendix's copy check).

The texts are templates filled from the fact table (:func:`fill`): ``{this[key]}`` and
``{real[key]}`` are the fact's value on this data and on the real files, as the appendix shows
them; ``{implied_session_watch}`` is the session watch the published totals imply
(:func:`~kuailive_analysis.fidelity.comparability.implied_session_watch_s`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.fidelity.comparability import (
    NOT_COMPARABLE_VERDICT,
    implied_session_watch_s,
)
from kuailive_analysis.fidelity.facts import FACT_BY_KEY
from kuailive_analysis.fidelity.verdicts import format_value


@dataclass(frozen=True)
class Caveat:
    """One twin caveat: the ``statement`` it checks (the twin is like the real files in this
    respect), the fact keys it rests on, what a departure ``means`` for reading the book (a
    template, see the module docstring) and the open ``question`` it leaves."""

    key: str
    statement: str
    facts: tuple[str, ...]
    means: str
    question: str


CAVEATS: tuple[Caveat, ...] = (
    Caveat(
        "twin_session_watch",
        "The twin's click sessions last as long as the real files' sessions.",
        ("session_watch_mean", "session_watch_p90", "session_watch_p50"),
        "For comparison, the twin's watch per click has median {this[watch_p50]} and p99 "
        "{this[watch_p99]} (real {real[watch_p50]} and {real[watch_p99]}) and its watch per "
        "user a mean of {this[user_watch_mean]} (real {real[user_watch_mean]}); the published "
        "totals imply {implied_session_watch} per session, not {real[session_watch_mean]}, so "
        "the published session figures were probably computed in another way than stated "
        "(the appendix's note on them). In the generator gifts grow with the watch time of "
        "each click, not of the session. Read per-session watch times on the twin, and "
        "anything keyed on session length, as the twin's own, not KuaiLive's.",
        "How long do click sessions last on the real files, and how was the published "
        "session mean computed?",
    ),
    Caveat(
        "twin_gifting",
        "The twin gifts at the real files' rates.",
        (
            "gifts_per_click",
            "gift_session_share",
            "gpc_utc_p1",
            "gpc_utc_p2",
            "gpc_utc_p3",
            "gift_click_watch_p50",
            "gifted_streamer_share",
        ),
        "Revenue, gifts per click and the lifetime values of chapters 2 and 4 rest on these "
        "rates: where one is off, the twin's money numbers are off by about the same factor.",
        "How often do real users gift per click and per session over the window?",
    ),
    Caveat(
        "twin_ctr",
        "The twin's exposures and clicks make the real files' CTR over the same hours.",
        ("ctr", "neg_per_click", "first_negative_h"),
        "The twin logs unclicked exposures from the first hour of the window. If the real "
        "negative.csv is sorted by time, the real files have no negatives before its first row "
        "({real[first_negative_h]}): the published CTR ({real[ctr]}, the twin's target, here "
        "{this[ctr]}) then counts the clicks of those hours without their exposures, the CTR "
        "of the fully logged hours is lower, and daily CTRs or CTR training sets that include "
        "the first two days (chapter 5) differ on the real files.",
        "Does the real negative.csv cover the first two days of the window, and what is the "
        "CTR of the hours it does cover?",
    ),
    Caveat(
        "twin_loyalty",
        "The twin's users are as loyal to their top streamer as real users.",
        ("loyal_watch_top_p50", "loyal_watch_top_p90", "loyal_gift_top_p50"),
        "Chapter 2's loyalty figures and the within-user baselines of chapter 5 rest on the "
        "twin's planted favourite streamers: where these are off, the twin's users are more or "
        "less loyal than real users.",
        "How much of a real user's watch time goes to their top streamer?",
    ),
    Caveat(
        "twin_streamer_attention",
        "The twin spreads attention over streamers as the real files do.",
        (
            "streamer_watch_p50",
            "streamer_watch_mean",
            "streamer_lt5",
            "streamer_gt40",
            "daily_gini_clicks",
        ),
        "Chapter 2's long tail of streamers (medians per streamer, the cold-start share) "
        "describes the twin's planted popularity: where these are off, the typical streamer "
        "gets more or less attention on the twin than on the real files.",
        "How much attention does the typical real streamer get in three weeks?",
    ),
    Caveat(
        "twin_returns",
        "The twin's users come back as often as real users.",
        (
            "next_day_active",
            "next_utc_day_w1",
            "next_utc_day_w2",
            "next_utc_day_w3",
            "next_utc_day_gift",
            "next_utc_day_nogift",
            "active_all_weeks",
        ),
        "Retention numbers (chapter 3) rest on these returns: where one is off, the twin's "
        "users come back more or less often than real users.",
        "How often do real users come back the next day, after gifting and otherwise?",
    ),
)
"""The twin caveats, in the order the landing page lists them."""


def fill(template: str, table: pd.DataFrame) -> str:
    """``template`` with ``{this[key]}``, ``{real[key]}`` and ``{implied_session_watch}``
    filled from the fact ``table`` (:func:`~kuailive_analysis.fidelity.compare`)."""
    t = table.set_index("Key")
    this = {k: format_value(v, u) for k, v, u in zip(t.index, t["This data"], t["Unit"])}
    real = {
        k: p or format_value(v, u)
        for k, p, v, u in zip(t.index, t["Published as"], t["Real value"], t["Unit"])
    }
    implied = format_value(implied_session_watch_s(FACT_BY_KEY), "seconds")
    return template.format(this=this, real=real, implied_session_watch=implied)


def _gap(row) -> str:
    """One fact's gap as text: this data's value, the real one and their ratio."""
    this = format_value(row["This data"], row["Unit"])
    real = row["Published as"] or format_value(row["Real value"], row["Unit"])
    return f"{row['Fact']}: {this} on the twin against {real} on the real files"


def caveat_findings(table: pd.DataFrame, caveats=CAVEATS) -> list[Finding]:
    """The twin caveats as edition checks of the appendix.

    Each is validated when none of its comparable facts is *off* (match or close; *not
    comparable* and *n/a* facts are left out), failed when one is, and not checkable when
    none of them could be judged. The reason of a failed caveat states every off fact's two
    numbers and what the gap means (:attr:`Caveat.means`)."""
    t = table.set_index("Key", drop=False)
    out = []
    for c in caveats:
        rows = t.loc[list(c.facts)]
        judged = rows[~rows["Verdict"].isin(["n/a", NOT_COMPARABLE_VERDICT])]
        off = judged[judged["Verdict"] == "off"]
        names = "; ".join(FACT_BY_KEY[k].fact for k in c.facts)
        if judged.empty:
            reason = "None of its facts can be computed on this data."
        else:
            gaps = "; ".join(_gap(r) for _, r in off.iterrows())
            reason = f"Not on this twin: {gaps}. {fill(c.means, table)}"
        out.append(
            finding(
                ChapterId.FIDELITY,
                c.key,
                c.statement,
                check=f"none of its {len(c.facts)} facts is off, each judged within its "
                f"tolerance of the published value: {names}",
                passed=None if judged.empty else off.empty,
                value=float(len(off)),
                unit="facts off",
                evidence={
                    **{f"{k}_this": float(t.loc[k, "This data"]) for k in c.facts},
                    **{f"{k}_real": float(t.loc[k, "Real value"]) for k in c.facts},
                    **{f"{k}_verdict": str(t.loc[k, "Verdict"]) for k in c.facts},
                },
                origin="data",
                reason=reason,
                kind="edition check",
                check_type="calibration",
                question=c.question,
            )
        )
    return out
