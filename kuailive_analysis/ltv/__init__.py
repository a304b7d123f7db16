"""User lifetime value (chapter 4): "buy till you die" models from scratch, on scipy.

Modules, in the order of the flow:

* :mod:`~kuailive_analysis.ltv.summary`: transactions (gifting / watching days) and the
  calibration/holdout RFM summary (:func:`rfm_summary`, :class:`RFMSummary`).
* :mod:`~kuailive_analysis.ltv.numerics`: maximum likelihood on log-parameters, its checks
  and standard errors (shared by the models).
* :mod:`~kuailive_analysis.ltv.bgnbd`: the BG/NBD model of repeat transactions
  (:class:`BetaGeo`) and its simulators.
* :mod:`~kuailive_analysis.ltv.gamma_gamma`: the Gamma-Gamma model of value per transaction
  (:class:`GammaGamma`).
* :mod:`~kuailive_analysis.ltv.clv`: CLV from a model pair, with bootstrap intervals
  (:class:`BootstrapCLV`).
* :mod:`~kuailive_analysis.ltv.evaluate`: validation tables (frequency histogram, holdout
  forecasts and their scores against baselines, tracking, heat-map grids, assumption checks).
* :mod:`~kuailive_analysis.ltv.recovery`: twin-only checks against a planted BG/NBD process.
* :mod:`~kuailive_analysis.ltv.analysis`: the chapter in one call, :func:`analyse` ->
  :class:`LTVResult` (``numbers()`` for the glued text).

Every name below is importable from ``kuailive_analysis.ltv``. A new model joins the
holdout comparison by adding per-user columns to
:func:`~kuailive_analysis.ltv.evaluate.holdout_forecasts` (scored by
:func:`~kuailive_analysis.ltv.evaluate.score_forecasts`).
"""

from kuailive_analysis.ltv.analysis import LTVResult, analyse, transaction_tables
from kuailive_analysis.ltv.bgnbd import (
    BetaGeo,
    check_bgnbd_inputs,
    simulate_bgnbd,
    simulate_bgnbd_events,
)
from kuailive_analysis.ltv.clv import BootstrapCLV, bootstrap_clv, clv, clv_table
from kuailive_analysis.ltv.gamma_gamma import (
    GammaGamma,
    check_gg_inputs,
    sample_mean_spend,
    simulate_gamma_gamma,
)
from kuailive_analysis.ltv.numerics import ConvergenceError, MLEResult, maximise, param_table
from kuailive_analysis.ltv.params import Params
from kuailive_analysis.ltv.summary import (
    TRANSACTION_DEFINITIONS,
    RFMSummary,
    repeat_transactions_by_day,
    rfm_summary,
    summarise,
    transaction_days,
)

__all__ = [
    "BetaGeo",
    "GammaGamma",
    "ConvergenceError",
    "MLEResult",
    "maximise",
    "param_table",
    "clv",
    "clv_table",
    "bootstrap_clv",
    "BootstrapCLV",
    "rfm_summary",
    "summarise",
    "RFMSummary",
    "transaction_days",
    "sample_mean_spend",
    "repeat_transactions_by_day",
    "TRANSACTION_DEFINITIONS",
    "simulate_bgnbd",
    "simulate_bgnbd_events",
    "simulate_gamma_gamma",
    "check_bgnbd_inputs",
    "check_gg_inputs",
    "analyse",
    "Params",
    "LTVResult",
    "transaction_tables",
]
