"""A small, honest predictive evaluation for the funnel: CTR per exposure and GTR per click,
evaluated as the KuaiLive paper does (chronological 8:1:1 split, AUC and LogLoss on test) plus
the per-user metrics of the MMBee paper (UAUC, GAUC), a reliability table, baselines that
include each user's own past rate, a single-feature leak check, permutation importance and
user-bootstrap intervals for the model-minus-best-baseline difference.

Modules: :mod:`.metrics` (AUC, UAUC, GAUC, LogLoss, calibration, user bootstrap),
:mod:`.features` (chronological split, history features), :mod:`.tasks` (tasks, rows,
baselines, the two models), :mod:`.checks` (leak check, permutation importance),
:mod:`.models` (one task, both tasks) and :mod:`.result` (:class:`PredictResult` and
:func:`evaluate`, which chapter 5 runs on its exposure table).
"""

from __future__ import annotations

from kuailive_analysis.predict.checks import LEAK_AUC, permutation_importance, single_feature_auc
from kuailive_analysis.predict.features import (
    chronological_split,
    history_features,
    prepare,
    prior_day_sums,
)
from kuailive_analysis.predict.metrics import (
    auc,
    auc_metrics,
    calibration_table,
    expected_calibration_error,
    grouped_auc,
    log_loss,
    user_bootstrap_auc,
)
from kuailive_analysis.predict.models import evaluate_all, evaluate_task
from kuailive_analysis.predict.result import PredictResult, evaluate
from kuailive_analysis.predict.tasks import TASKS, NotEnoughData

__all__ = [
    "LEAK_AUC",
    "TASKS",
    "NotEnoughData",
    "PredictResult",
    "auc",
    "auc_metrics",
    "calibration_table",
    "chronological_split",
    "evaluate",
    "evaluate_all",
    "evaluate_task",
    "expected_calibration_error",
    "grouped_auc",
    "history_features",
    "log_loss",
    "permutation_importance",
    "prepare",
    "prior_day_sums",
    "single_feature_auc",
    "user_bootstrap_auc",
]
