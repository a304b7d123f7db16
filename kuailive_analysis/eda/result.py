"""The typed result of chapter 2: :class:`EDAResult`, one section record per part of the chapter.

``EDAResult.numbers()`` returns exactly the values the chapter's text glues (the union of the
sections' :meth:`~kuailive_analysis.eda.base.Section.numbers`); tables and
figure inputs are attributes of the sections, and figure titles (the finding each figure
states) are properties of the sections, so the notebook builds no text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.eda.base import GLUED, Section
from kuailive_analysis.eda.behaviour import Behaviour, Gifts
from kuailive_analysis.eda.findings import Uncertainty, eda_findings
from kuailive_analysis.eda.params import Params
from kuailive_analysis.eda.profiles import Profiles
from kuailive_analysis.eda.published import Published
from kuailive_analysis.eda.returns import Returns
from kuailive_analysis.eda.rooms import Rooms
from kuailive_analysis.eda.streamers import Concentration, Streamers
from kuailive_analysis.eda.timing import Timing
from kuailive_analysis.eda.users import Users

OVERVIEW_KPIS = ("n_users", "n_streamers", "n_rooms", "n_clicks")
"""Registry counts of the chapter's opening line."""


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

    params: Params
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
