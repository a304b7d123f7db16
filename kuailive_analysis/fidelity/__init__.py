"""How close is a data folder to the real KuaiLive files? One row per published fact.

``shared/kuailive-facts.md`` collects what is known about the real files: counts from the
dataset page, statistics measured on the real files by the dataset's paper and by third-party
code. :data:`FACTS` types each of those numbers **once** (with the phrase of its source), and
:func:`measure` recomputes every one that the eight CSV files allow, **the way its source
computed it**:

* days and weeks are **UTC** where the source says UTC (``ms // 86,400,000``; UTC weeks
  May 4-10 / 11-17 / 18-24), **Beijing** (Asia/Shanghai, epoch ms + 8 h) everywhere else
  (hours of day, the 21 window days starting 2025-05-05, the 3 window weeks);
* a *session* is a distinct (user_id, live_id) among click rows; *interactions* are clicks +
  comments + likes + gifts (negatives excluded); a room's duration is ``end - start`` of its
  first row in ``room.csv``;
* a *daily-averaged Gini* is the Gini of the UTC day's values across the streamers active that
  day (clicked, or gifted for revenue), averaged over the full UTC days May 5-24;
* concentration statistics use :func:`kuailive_analysis.core.stats.gini` and
  :func:`~kuailive_analysis.core.stats.top_share` (one definition each in the package); the
  calendar is :mod:`kuailive_analysis.core.calendar`.

:func:`analyse` compares the measured values with the real ones and returns a
:class:`FidelityResult`: the table (family, fact, real value, this data, ratio, verdict, how
computed), the numbers the appendix glues and the twin's assumptions table
(:func:`kuailive_analysis.twin.assumptions.assumptions_table`).

**Scale.** On a synthetic twin (a folder with ``truth.json``) every *count* is divided by the
folder's scale ``n_users / 23,772`` before the comparison, so a twin at scale 0.1 is compared
per user; rates, shares and quantiles are compared as they are. On a real folder the counts
are compared un-scaled and the exact ones (file rows, sessions, pairs, clicks per UTC week)
must be reproduced (the page then checks a download against the published numbers).

**Verdicts.** Each fact has a tolerance ``(match, close)``: for relative facts the deviation is
the factor ``max(r, 1/r) - 1`` of the ratio ``r = this / real`` (so 0.10 = within 10% either
way); for absolute facts it is ``|this - real|`` in the fact's unit (hours of day, shares near
0 or 1); for "at least" facts it is how far the value falls short. ``match`` when the
deviation is within the first tolerance, ``close`` within the second, else ``off``; ``n/a``
when the folder does not allow the statistic (e.g. no gifts).

Cost: one pass over each file through DuckDB, reading only the columns used (negatives: a
count and the first row). The work is linear or n log n: 2.6 s on a scale-0.1 twin (2-core
machine).

Modules: :mod:`.fact` (the :class:`Fact` record, families, verdicts, tolerances),
:mod:`.facts` (the table :data:`FACTS` and the facts not computed), :mod:`.common`
(definitions and helpers of the measuring), :mod:`.measuring` (:func:`measure`, reading the
files through the engine: :mod:`kuailive_analysis.engine.queries.fidelity`; counts, rates,
streamers, users, demographics), :mod:`.watch_gifts` (watch time, gifting, revenue
concentration), :mod:`.calendar_rooms` (calendar, returns, rooms), :mod:`.verdicts`
(:func:`deviation`, :func:`judge`, :func:`compare`, :func:`format_value`), :mod:`.result`
(:class:`FidelityResult`, :func:`analyse`) and :mod:`.twin_bounds` (:func:`twin_check`, the
twin's own statistics test).
"""

from __future__ import annotations

from kuailive_analysis.fidelity.fact import FAMILIES, VERDICTS, Fact
from kuailive_analysis.fidelity.facts import FACT_BY_KEY, FACTS, not_computed_table
from kuailive_analysis.fidelity.measuring import measure, measure_cached
from kuailive_analysis.fidelity.params import Params
from kuailive_analysis.fidelity.result import FidelityResult, Titles, analyse
from kuailive_analysis.fidelity.twin_bounds import twin_check
from kuailive_analysis.fidelity.verdicts import compare, deviation, format_value, judge

__all__ = [
    "FACTS",
    "FACT_BY_KEY",
    "FAMILIES",
    "VERDICTS",
    "Fact",
    "FidelityResult",
    "Params",
    "Titles",
    "analyse",
    "compare",
    "deviation",
    "format_value",
    "judge",
    "measure",
    "measure_cached",
    "not_computed_table",
    "twin_check",
]
