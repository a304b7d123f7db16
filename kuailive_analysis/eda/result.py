"""The typed result of chapter 2: :class:`EDAResult`, one section record per part of the chapter.

``EDAResult.numbers()`` returns exactly the values the chapter's text glues (the union of the
sections' :meth:`~kuailive_analysis.eda.base.Section.numbers`); tables and
figure inputs are attributes of the sections, and figure titles (the finding each figure
states) are properties of the sections, so the notebook builds no text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from kuailive_analysis.core.metrics import DEFAULT_PARAMS
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.eda.base import GLUED, Section
from kuailive_analysis.eda.behaviour import Behaviour, Gifts
from kuailive_analysis.eda.findings import Uncertainty, eda_findings
from kuailive_analysis.eda.profiles import Profiles
from kuailive_analysis.eda.published import Published
from kuailive_analysis.eda.returns import REPEAT_DEFINITIONS, Returns
from kuailive_analysis.eda.rooms import Rooms
from kuailive_analysis.eda.streamers import Concentration, Streamers
from kuailive_analysis.eda.timing import Timing
from kuailive_analysis.eda.users import Users

OVERVIEW_KPIS = ("n_users", "n_streamers", "n_rooms", "n_clicks")
"""Registry counts of the chapter's opening line."""


@dataclass(frozen=True)
class EDAParams:
    """The chapter's analysis choices (the notebook's ``parameters`` cell)."""

    cold_start_max: int = DEFAULT_PARAMS["cold_start_max"]
    """A streamer with fewer interactions than this is "cold"."""
    heavy_streamer_min: int = 40
    """A streamer with more interactions than this is "heavy"."""
    light_user_max: int = 50
    """A user with fewer interactions than this is "light"."""
    repeat_min_rooms: int = 2
    """A (user, streamer) pair "returns" with clicks in at least this many rooms."""
    repeat_definition: str = "share_clicks_seen_streamer"
    """Reading of the paper's repeat share (a key of :data:`REPEAT_DEFINITIONS`)."""
    revisit_max_hours: float = 168
    """Range of the revisit-interval histogram (hours)."""
    rhythm_tol_hours: float = 3.0
    """An interval within this many hours of a whole number of days is "daily"."""
    live_step_minutes: int = 15
    """Grid of the rooms-live-over-time curve (minutes)."""
    peak_hours: int = 6
    """Width of the busiest-hours window reported for user activity (hours)."""

    def __post_init__(self):
        if self.repeat_definition not in REPEAT_DEFINITIONS:
            raise ValueError(
                f"repeat_definition {self.repeat_definition!r} is not one of "
                f"{sorted(REPEAT_DEFINITIONS)}."
            )
        if self.repeat_min_rooms < 2:
            raise ValueError(f"repeat_min_rooms must be >= 2, got {self.repeat_min_rooms}.")
        if not 1 <= self.peak_hours <= 24:
            raise ValueError(f"peak_hours must be 1..24, got {self.peak_hours}.")
        for name in ("revisit_max_hours", "rhythm_tol_hours", "live_step_minutes"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}.")

    def as_dict(self) -> dict:
        """The parameters by name, in declaration order (for the provenance table)."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Overview(Section):
    """The data the chapter ran on: its label and the registry counts after cleaning."""

    data_source: str = field(metadata=GLUED)
    n_users: int = field(metadata=GLUED)
    n_streamers: int = field(metadata=GLUED)
    n_rooms: int = field(metadata=GLUED)
    n_clicks: int = field(metadata=GLUED)


def overview_section(mc, label: str) -> Overview:
    """The :class:`Overview` from a MetricContext and the data label."""
    return Overview(data_source=label, **{k: mc.value(k) for k in OVERVIEW_KPIS})


@dataclass(frozen=True, eq=False)
class EDAResult:
    """Everything chapter 2 shows, one section per part of the chapter (see each class)."""

    params: EDAParams
    source: DataSource | None
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
    elapsed_s: float
    """Wall-clock seconds of :func:`kuailive_analysis.eda.analyse`, loading included when it
    was given a folder (shown in no text: the landing page no longer quotes it)."""
    uncertainty: Uncertainty | None = None
    """Intervals of the findings (:func:`kuailive_analysis.eda.findings.uncertainty`)."""

    def findings(self) -> list:
        """The chapter's Key findings as records (:func:`kuailive_analysis.eda.findings.
        eda_findings`; planted on the twin, never discoveries)."""
        return eda_findings(self)

    @property
    def label(self) -> str:
        """The data in words (:attr:`DataSource.label`)."""
        return self.overview.data_source

    def sections(self) -> tuple[Section, ...]:
        """The section records in the chapter's order."""
        return tuple(
            getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), Section)
        )

    def numbers(self) -> dict[str, object]:
        """The values the chapter glues, by glue key (plain Python scalars and text)."""
        out: dict[str, object] = {}
        for section in self.sections():
            values = section.numbers()
            clash = out.keys() & values.keys()
            if clash:
                raise RuntimeError(f"glue keys defined twice: {sorted(clash)}")
            out.update(values)
        return out
