"""Compatibility names for the twin's statistics, which now live in :mod:`.fidelity`.

:mod:`kuailive_analysis.fidelity` holds the one definition of every statistic of the real
files (:func:`~kuailive_analysis.fidelity.measure`), their real values
(:data:`~kuailive_analysis.fidelity.FACTS`) and the ranges the twin's statistics test accepts
(:func:`~kuailive_analysis.fidelity.twin_check`). The Gini coefficient is
:func:`kuailive_analysis.eda.gini`. This module only keeps the old names working.
"""

from __future__ import annotations

from kuailive_analysis.eda import gini
from kuailive_analysis.fidelity import measure as headline_stats
from kuailive_analysis.fidelity import twin_check as compare

__all__ = ["compare", "gini", "headline_stats"]
