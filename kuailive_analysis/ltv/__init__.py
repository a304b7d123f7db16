"""User lifetime value (chapter 4): "buy till you die" models from scratch on scipy, checked on
a holdout against supervised models and baselines by a proper score (Poisson deviance) and a
rule fixed before the comparison.

:func:`analyse` (:mod:`.analysis`) returns an :class:`LTVResult` (:mod:`.result`; prose in
:mod:`.text`, tables in :mod:`.tables`, claims in :mod:`.findings`). The estimators, in the
order of the flow: :mod:`.summary` (transactions and the calibration/holdout RFM summary),
:mod:`.numerics` (maximum likelihood), :mod:`.base` with :mod:`.bgnbd` and :mod:`.mbgnbd`
(:class:`BetaGeo`, :class:`ModifiedBetaGeo`), :mod:`.gamma_gamma` (:class:`GammaGamma`),
:mod:`.clv` (CLV with bootstrap intervals), :mod:`.evaluate` (fit checks and holdout accuracy of
BG/NBD), :mod:`.supervised` (window-length-free features, Poisson gradient boosting, the
zero-inflated lognormal), :mod:`.scoring` (Poisson deviance, calibration and ranking with a
vectorised paired bootstrap) and :mod:`.compare` (the holdout comparison and the winner rule).
"""

from kuailive_analysis.ltv.analysis import analyse
from kuailive_analysis.ltv.bgnbd import BetaGeo
from kuailive_analysis.ltv.clv import BootstrapCLV, bootstrap_clv, clv, clv_table
from kuailive_analysis.ltv.gamma_gamma import GammaGamma
from kuailive_analysis.ltv.mbgnbd import ModifiedBetaGeo
from kuailive_analysis.ltv.numerics import ConvergenceError
from kuailive_analysis.ltv.params import Params
from kuailive_analysis.ltv.result import LTVResult
from kuailive_analysis.ltv.summary import RFMSummary, rfm_summary, summarise

__all__ = [
    "BetaGeo",
    "BootstrapCLV",
    "ConvergenceError",
    "GammaGamma",
    "LTVResult",
    "ModifiedBetaGeo",
    "Params",
    "RFMSummary",
    "analyse",
    "bootstrap_clv",
    "clv",
    "clv_table",
    "rfm_summary",
    "summarise",
]
