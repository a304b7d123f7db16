"""Chapter 1, cleaning: what is in the files, what is wrong with them, and what cleaning removes
or flags, counted by rule (:func:`analyse` -> :class:`CleaningResult`)."""

from __future__ import annotations

from kuailive_analysis.cleaning.analysis import analyse, truth_check
from kuailive_analysis.cleaning.result import CleaningResult
from kuailive_analysis.data.params import CleaningParams as Params

__all__ = ["CleaningResult", "Params", "analyse", "truth_check"]
