"""The chapters of the book, named once: :class:`ChapterId` (the notebook stems) and titles.

Every record that says which chapter it belongs to (a finding, a metric's ``chapter``, a
chapter's parameters, an executed notebook) uses these values.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ChapterId"]


class ChapterId(StrEnum):
    """A chapter of the book; the value is its notebook stem (``book/chapters/<value>.ipynb``)."""

    CLEANING = "01_cleaning"
    EDA = "02_eda"
    RETENTION = "03_retention"
    LTV = "04_ltv"
    FUNNEL = "05_funnel_ctr"
    FIDELITY = "06_fidelity"

    @property
    def title(self) -> str:
        """The chapter's title as the book shows it (``"3. User retention"``)."""
        return _TITLES[self]

    @property
    def short(self) -> str:
        """The name after the number (``"retention"``), accepted by ``kuailive run --chapters``."""
        return self.value.split("_", 1)[1]


_TITLES = {
    ChapterId.CLEANING: "1. Data cleaning",
    ChapterId.EDA: "2. Exploratory analysis",
    ChapterId.RETENTION: "3. User retention",
    ChapterId.LTV: "4. Lifetime value",
    ChapterId.FUNNEL: "5. Funnel and CTR",
    ChapterId.FIDELITY: "Appendix: fidelity",
}
