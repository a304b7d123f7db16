"""The engagement funnel: exposure -> click -> qualified watch -> interaction -> gift.

Definitions (used by chapter 5 and stated there too)
---------------------------------------------------
* **Exposure**: one row of ``click.csv`` (a clicked exposure) or of ``negative.csv`` (an
  exposure the user did not click): ``exposures = clicks + negatives`` and
  **CTR = clicks / exposures**. The *session* unit is one ``(user_id, live_id)`` pair with any
  event; the *user* unit is one user.
* **Qualified watch**: a click whose ``watch_live_time`` is at least ``qualified_watch_s``
  seconds (a session: the summed watch time of its clicks).
* **Attribution**: a comment, like or gift is credited to the latest click of the same (user,
  live) at or before it (same millisecond included), at most ``attribution_window_s`` seconds
  earlier (None: no limit). Every engagement gets a status (attributed, late, before_click,
  no_click), none is dropped; only attributed engagements enter the exposure-unit funnel, all
  enter the session funnel.
* **Funnel steps** are nested: ``exposure`` >= ``click`` >= ``qualified`` >= ``interaction``
  (qualified and at least one attributed like, comment or gift) >= ``gift`` (qualified and at
  least one attributed gift). The per-click KPIs (GTR = share of clicks with an attributed
  gift) are unnested.

The event-level tables are one SQL definition each
(:mod:`kuailive_analysis.engine.queries.funnel`, where the rules are stated in full), run by the
dataset's engine (:mod:`.engine`); the statistics work on the engine's per-(level, user) sums
(:mod:`.stats`, :mod:`.kpis`, :mod:`.intervals`, :mod:`.trends`); :mod:`.positions`,
:mod:`.watch`, :mod:`.findings` and :mod:`.result` (:class:`FunnelResult`) complete the chapter,
with the predictive baseline of :mod:`kuailive_analysis.predict`. :func:`analyse` runs them on a
dataset.
"""

from __future__ import annotations

from kuailive_analysis.funnel.analysis import analyse
from kuailive_analysis.funnel.intervals import user_intervals
from kuailive_analysis.funnel.kpis import (
    engagement_status_table,
    funnel,
    gift_value_summary,
    kpi_summary,
    kpi_table,
    session_kpis,
    unit_funnels,
    user_bootstrap,
)
from kuailive_analysis.funnel.params import Params
from kuailive_analysis.funnel.positions import position_summary
from kuailive_analysis.funnel.result import FunnelResult
from kuailive_analysis.funnel.trends import daily_kpis, gift_trend, weekly_rates
from kuailive_analysis.funnel.watch import watch_by_outcome, watch_outcome

__all__ = [
    "FunnelResult",
    "Params",
    "analyse",
    "daily_kpis",
    "engagement_status_table",
    "funnel",
    "gift_trend",
    "gift_value_summary",
    "kpi_summary",
    "kpi_table",
    "position_summary",
    "session_kpis",
    "unit_funnels",
    "user_bootstrap",
    "user_intervals",
    "watch_by_outcome",
    "watch_outcome",
    "weekly_rates",
]
