"""The fidelity appendix's parameters: only the data folder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import Params as BaseParams

__all__ = ["Params"]


@dataclass(frozen=True)
class Params(BaseParams):
    """The appendix measures the data folder against the published facts; nothing to choose."""

    chapter: ClassVar[str] = ChapterId.FIDELITY
