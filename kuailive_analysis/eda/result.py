"""Chapter 2's result and analysis: :func:`analyse` ``(ds, params) -> EDAResult``, one section
record per part of the chapter; ``numbers()`` (the kit's) glues the fields the sections declare
``glued``, tables and figure inputs are the sections' other fields, and :class:`Titles` holds
what each figure states, so the notebook builds no text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kuailive_analysis import metrics as registry
from kuailive_analysis.chapter import ChapterResult, Finding, Section, glued
from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.eda.behaviour import Behaviour, Gifts, behaviour_section, gifts_section
from kuailive_analysis.eda.checks import Checks, checks
from kuailive_analysis.eda.findings import eda_findings
from kuailive_analysis.eda.params import Params
from kuailive_analysis.eda.profiles import Profiles, profiles_section
from kuailive_analysis.eda.published import Published, published_section
from kuailive_analysis.eda.returns import Returns, returns_rows, returns_section
from kuailive_analysis.eda.rooms import Rooms, rooms_section
from kuailive_analysis.eda.streamers import (
    Concentration,
    Streamers,
    concentration_section,
    streamers_section,
)
from kuailive_analysis.eda.timing import Timing, timing_section
from kuailive_analysis.eda.users import Users, users_section


@dataclass(frozen=True, eq=False)
class Overview(Section):
    """The data the chapter ran on: its label and the registry counts after cleaning."""

    data_source: str = glued()
    n_users: int = glued()
    n_streamers: int = glued()
    n_rooms: int = glued()
    n_clicks: int = glued()


@dataclass(frozen=True)
class Titles:
    """What each figure of the chapter states (the figure glued as ``fig_<name>``)."""

    demographics: str
    tenure: str
    streamer_ccdf: str
    streamer_hist: str
    lorenz: str
    rooms: str
    durations: str
    user_ccdf: str
    active_days: str
    hourly: str
    time: str
    revisits: str
    top_streamer: str
    watch: str
    gifts: str


@dataclass(frozen=True, eq=False)
class EDAResult(ChapterResult):
    """Everything chapter 2 shows, one section per part of the chapter (see each class), the
    figure ``titles``, the numbers of the findings' tests (``checks``, :mod:`.checks`) and
    ``elapsed_s``, the wall-clock seconds of :func:`analyse` (shown in no text)."""

    params: Params
    source: DataSource
    overview: Overview
    profiles: Profiles
    streamers: Streamers
    concentration: Concentration
    rooms: Rooms
    users: Users
    timing: Timing
    returns: Returns
    behaviour: Behaviour
    gifts: Gifts
    published: Published
    titles: Titles = field(repr=False)
    checks: Checks
    elapsed_s: float

    def findings(self) -> list[Finding]:
        """The chapter's findings (:func:`~kuailive_analysis.eda.findings.eda_findings`: four
        claims with tests, two edition checks; the claims are planted on the twin)."""
        return eda_findings(self)


PLANTED = "Planted: "
"""Prefix of a figure title on the twin: the figure shows a pattern the generator planted."""


def titles(
    pr: Profiles,
    st: Streamers,
    co: Concentration,
    ro: Rooms,
    us: Users,
    ti: Timing,
    re: Returns,
    be: Behaviour,
    gi: Gifts,
    *,
    twin: bool = False,
) -> Titles:
    """The figure titles from the sections' values. On the twin each starts with
    :data:`PLANTED`: every figure of the chapter shows a distribution or pattern the generator
    planted (calibrated to the real files' published statistics, or assumed; the fidelity
    appendix lists which)."""
    g = co.table["gini"]
    most, least = g.idxmax(), g.idxmin()
    t = {
        "demographics": f"{pr.users_male:.0%} of users are men, {pr.streamers_female:.0%} of "
        "streamers are women",
        "tenure": f"The median user registered {pr.tenure_median_y:.1f} years before the window",
        "streamer_ccdf": "Every activity measure per streamer is heavy-tailed (log-log CCDF)",
        "streamer_hist": f"{st.streamers_lt_cold:.0%} of streamers get fewer than "
        f"{st.cold_start_max} interactions in 21 days",
        "lorenz": f"{most.capitalize()} is the most concentrated across streamers (Gini "
        f"{g[most]:.2f}), {least} the least ({g[least]:.2f})",
        "rooms": f"Rooms start mostly {ro.room_start_peak}; {ro.live_min:,}-{ro.live_max:,} "
        "rooms are live at once",
        "durations": f"Median room: {ro.shop_median_min:.0f} min for shop rooms, "
        f"{ro.nonshop_median_min:.0f} min for the rest",
        "user_ccdf": f"{us.users_lt_light:.0%} of users have fewer than {us.light_user_max} "
        "interactions; the tail is long",
        "active_days": f"The median user is active on {us.user_median_active_days:.0f} of "
        f"{N_WINDOW_DAYS} days",
        "hourly": "Every behaviour follows the same daily clock",
        "time": f"Activity peaks {ti.activity_peak} Beijing time ({ti.activity_peak_share:.0%} "
        "of interactions), on every weekday",
        "revisits": f"Returns near whole days are {re.rhythm_ratio:.1f}x as common as a "
        "clock-blind return would make them",
        "top_streamer": f"The median user spends {re.top_streamer_share_median:.0%} of watch "
        "time on one streamer",
        "watch": f"{be.watch_share_lt_5s:.0%} of clicks last under 5 seconds; median "
        f"{be.watch_median_s:.1f} s",
        "gifts": f"{gi.gift_share_eq_1:.0%} of gifts cost 1 coin; the 99th percentile is "
        f"{gi.gift_p99:,.0f}",
    }
    if twin:
        t = {k: PLANTED + v[:1].lower() + v[1:] for k, v in t.items()}
    return Titles(**t)


def analyse(ds, params: Params | None = None, **overrides) -> EDAResult:
    """Everything chapter 2 shows.

    Parameters
    ----------
    ds : Dataset
        :class:`~kuailive_analysis.dataset.Dataset`; the event-level aggregations run on its
        engine (:mod:`kuailive_analysis.engine.queries.eda`), the KPIs come from the metric
        registry.
    params : Params, optional
        The chapter's :class:`Params` (None: the defaults); ``overrides`` change fields of it
        (a name it does not declare or a bad value is a
        :class:`~kuailive_analysis.core.params.ParamError`).

    Returns
    -------
    EDAResult
    """
    t0 = time.perf_counter()
    p = Params.resolve(params, overrides)
    mc = registry.MetricContext(ds, cold_start_max=p.cold_start_max)
    profiles = profiles_section(ds)
    streamers = streamers_section(mc, p.heavy_streamer_min)
    concentration = concentration_section(mc)
    rooms = rooms_section(ds, p.live_step_minutes)
    users = users_section(mc, p.light_user_max)
    timing = timing_section(ds, p.peak_hours)
    windows = (p.repeat_min_rooms, p.rhythm_tol_hours, p.revisit_max_hours)
    top = users.activity["top_streamer_watch_share"]
    returns = returns_section(returns_rows(ds, *windows), top, *windows)
    behaviour = behaviour_section(mc, ds.table("clicks", ["watch_live_time"])["watch_live_time"])
    gifts = gifts_section(mc, ds.table("gifts", ["gift_price"])["gift_price"])
    return EDAResult(
        params=p,
        source=ds.source,
        overview=Overview(
            data_source=ds.source.label,
            **{k: mc.value(k) for k in ("n_users", "n_streamers", "n_rooms", "n_clicks")},
        ),
        profiles=profiles,
        streamers=streamers,
        concentration=concentration,
        rooms=rooms,
        users=users,
        timing=timing,
        returns=returns,
        behaviour=behaviour,
        gifts=gifts,
        published=published_section(ds, p.repeat_definition),
        titles=titles(
            profiles,
            streamers,
            concentration,
            rooms,
            users,
            timing,
            returns,
            behaviour,
            gifts,
            twin=ds.source.is_twin,
        ),
        checks=checks(ds, users.activity, streamers.activity, p.peak_hours, p.cold_start_max),
        elapsed_s=time.perf_counter() - t0,
    )
