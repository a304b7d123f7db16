"""A small, honest predictive evaluation for the funnel: CTR per exposure and GTR per click,
evaluated as the KuaiLive paper does (chronological 8:1:1 split, AUC and LogLoss on test) plus
the per-user metrics of the MMBee paper (UAUC, GAUC), a reliability table, baselines built from
earlier days (popularity, the streamer's and the user's own past rate), a leak audit by time
bound, permutation importance, and for each decision a model would serve a paired
user-bootstrap interval of the model's gain over the baseline that decision would otherwise use.

Modules: :mod:`.metrics` (AUC, UAUC, GAUC, LogLoss, calibration, user bootstrap),
:mod:`.features` (chronological split, history features), :mod:`.tasks` (tasks, decisions,
rows, baselines, the two models), :mod:`.leaks` (the leak audit), :mod:`.checks` (each feature
alone, permutation importance), :mod:`.models` (one task, both tasks) and :mod:`.result`
(:class:`PredictResult` and :func:`evaluate`, which chapter 5 runs on its exposure table).
"""

from __future__ import annotations

from kuailive_analysis.predict.checks import permutation_importance, single_feature_auc
from kuailive_analysis.predict.features import (
    chronological_split,
    history_features,
    prepare,
    prior_counts,
    train_base_rates,
)
from kuailive_analysis.predict.leaks import LEAKS, SOURCES, audit_table, recompute_check
from kuailive_analysis.predict.metrics import (
    auc,
    auc_metrics,
    calibration_table,
    expected_calibration_error,
    grouped_auc,
    log_loss,
    user_bootstrap_auc,
)
from kuailive_analysis.predict.models import evaluate_all, evaluate_task, prepare_all
from kuailive_analysis.predict.result import PredictResult, evaluate
from kuailive_analysis.predict.tasks import DECISIONS, TASKS, NotEnoughData

__all__ = [
    "DECISIONS",
    "LEAKS",
    "SOURCES",
    "TASKS",
    "NotEnoughData",
    "PredictResult",
    "auc",
    "auc_metrics",
    "audit_table",
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
    "prepare_all",
    "prior_counts",
    "recompute_check",
    "single_feature_auc",
    "train_base_rates",
    "user_bootstrap_auc",
]
