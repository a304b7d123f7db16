"""Chapter 1's result: the sections of :mod:`.sections` (one per part of the chapter), the
figure titles and the findings; :func:`analyse <kuailive_analysis.cleaning.analyse>` builds it
once from a loaded dataset."""

from __future__ import annotations

from dataclasses import dataclass

from kuailive_analysis.chapter import ChapterResult, Finding, glued
from kuailive_analysis.cleaning.findings import build_findings
from kuailive_analysis.cleaning.sections import (
    Accounting,
    Checks,
    Decisions,
    Delivered,
    Model,
    Titles,
)
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.data.params import CleaningParams

__all__ = ["CleaningResult"]


@dataclass(frozen=True, eq=False)
class CleaningResult(ChapterResult):
    """Chapter 1 (:func:`~kuailive_analysis.cleaning.analyse`): the tables it shows and the
    numbers its text quotes, one section per part."""

    source: DataSource
    params: CleaningParams
    titles: Titles
    delivered: Delivered
    checks: Checks
    decisions: Decisions
    accounting: Accounting
    model: Model
    source_label: str = glued()

    def findings(self) -> list[Finding]:
        """The chapter's findings (:func:`~kuailive_analysis.cleaning.findings.build_findings`)."""
        return build_findings(
            self.source, self.params, self.delivered, self.decisions, self.accounting, self.model
        )
