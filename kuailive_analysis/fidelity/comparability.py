"""Which published comparisons are valid, declared once for the whole book.

A published number about the real files can be compared with this data only when this data's
value is computed **the way its source computed it**: the same definition, over the same
population (users, all streamers, the streamers active on a day, ...) and in the same unit.
Every fact of :data:`~kuailive_analysis.fidelity.FACTS` is such a comparison (its ``how`` is
the source's definition) unless it is listed in :data:`NOT_COMPARABLE` with the reason. A fact
that is not comparable keeps its value in the tables, but its verdict is ``"not comparable"``,
never ``match``, ``close`` or ``off`` (:func:`~kuailive_analysis.fidelity.judge`), and it is
left out of every count of judged facts. Chapter 2's calibration table and the fidelity
appendix both read their verdicts from :func:`~kuailive_analysis.fidelity.compare`, so the two
chapters cannot disagree about a comparison.

:data:`READINGS` records, for comparisons that are valid but rest on a reading of an imprecise
source, which reading the book uses; :func:`notes` adds what other published facts say about a
number (for the session watch time they contradict it).
"""

from __future__ import annotations

from collections.abc import Mapping

NOT_COMPARABLE_VERDICT = "not comparable"
"""The verdict of a comparison that is not computed the way its source computed it."""

SAME_WAY = "computed as its source computed it: same definition, population and unit"
"""Why a comparison is valid, for the facts without a note (the definition is the fact's
``how``)."""

_DAILY = (
    "The published {real} is the source's daily-averaged Gini ({daily:.3f}, given as such in "
    "the same list of measurements) rounded: a Gini per full UTC day across the streamers "
    "active that day, averaged over the days. The Gini of the 21 days pooled across {pooled} "
    "is another statistic, so it is not compared with the published value; the "
    "daily-averaged fact is."
)

NOT_COMPARABLE: dict[str, str] = {
    "gini_streamer_clicks": _DAILY.format(
        real="0.56", daily=0.563, pooled="every streamer (including those never clicked)"
    ),
    "gini_gifted_streamer_revenue": _DAILY.format(
        real="0.93", daily=0.926, pooled="the streamers gifted at least once in the window"
    ),
}
"""Facts whose published value this data's computation does not reproduce the way the source
computed it: fact key -> why not. Both are the rounded daily-averaged Ginis of the same source
(0.563 and 0.926, facts ``daily_gini_clicks`` and ``daily_gini_revenue``), which the fact sheet
also lists, rounded, as "across streamers"; chapter 2's Gini over the whole window is the pooled
statistic."""

READINGS: dict[str, str] = {
    "top1_streamer_revenue": "The source gives no day split for the top-1% shares; they are "
    "read over the whole window, across all streamers.",
    "top1_streamer_clicks": "The source gives no day split for the top-1% shares; they are "
    "read over the whole window, across all streamers.",
    "top10_streamer_share": "On a twin the top 10 of 452,621 streamers become the same top "
    "fraction of its streamers (the top 10 at full size).",
}
"""Valid comparisons that rest on a reading of an imprecise source: fact key -> the reading."""


def implied_session_watch_s(facts: Mapping) -> float:
    r"""Mean watch per click session (seconds) that other published facts imply: the total
    watch time of the real files, :math:`\bar w_\text{user} \cdot n_\text{users}` (the same
    total as :math:`\bar w_\text{streamer} \cdot n_\text{streamers}`), over the published
    number of sessions. ``facts``: fact key -> :class:`~kuailive_analysis.fidelity.Fact`."""
    total_s = facts["user_watch_mean"].real * 3600.0 * facts["n_user"].real
    return total_s / facts["n_sessions"].real


def notes(facts: Mapping) -> dict[str, str]:
    r"""Per fact key, what the book says about the comparison beyond the definition:
    :data:`NOT_COMPARABLE` reasons, :data:`READINGS`, and for the session watch times the
    contradiction between the published figures (computed from ``facts``).

    The session figures: the mean :math:`\bar s` implied by the totals
    (:func:`implied_session_watch_s`) bounds the share of sessions of at least :math:`x` by
    Markov's inequality, :math:`P(S \ge x) \le \bar s / x`; when that bound is below 10% at
    the published p90, no data with the published totals can have that p90 either."""
    w_user, w_str = facts["user_watch_mean"], facts["streamer_watch_mean"]
    implied = implied_session_watch_s(facts)
    p90 = facts["session_watch_p90"].real
    session = (
        f"Valid as defined, but the published figures disagree: the mean watch per user "
        f"({w_user.real:g} h over {facts['n_user'].real:,.0f} users) and per streamer "
        f"({w_str.real:,.0f} s over {facts['n_streamer'].real:,.0f}) both put the real files' "
        f"total watch at about {w_user.real * facts['n_user'].real / 1e3:,.0f} thousand hours, "
        f"which over {facts['n_sessions'].real:,.0f} sessions is {implied:.1f} s per session, "
        f"not {facts['session_watch_mean'].real:,.0f} s"
    )
    if implied / p90 < 0.10:
        session += (
            f"; with that mean at most {implied / p90:.1%} of sessions can last "
            f"{p90:,.0f} s (Markov's inequality), so the published p90 cannot hold either"
        )
    session += (
        ". The session figures were probably computed in another way than the one stated; "
        "no data can match them and the totals at once."
    )
    out = dict(NOT_COMPARABLE)
    out.update(READINGS)
    out["session_watch_mean"] = out["session_watch_p90"] = session
    return out
