"""A small, honest predictive evaluation for the funnel: CTR per exposure and GTR per click,
evaluated as the KuaiLive paper does (chronological 8:1:1 split, AUC and LogLoss on test) plus
the per-user metrics of the MMBee paper (UAUC, GAUC), a reliability table, baselines that
include each user's own past rate, a single-feature leak check, permutation importance and
user-bootstrap intervals for the model-minus-best-baseline difference.

Modules: :mod:`.metrics` (AUC, UAUC, GAUC, LogLoss, reliability, user bootstrap),
:mod:`.features` (chronological split, history features), :mod:`.models` (tasks, baselines,
models, leak check, importance, :func:`evaluate_task_full`) and :mod:`.result`
(:class:`PredictResult`). :func:`analyse` runs both tasks on chapter 5's exposure table.
"""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.predict.features import (
    CATEGORICAL,
    FEATURE_GROUPS,
    SPLITS,
    chronological_split,
    feature_label,
    history_features,
    prepare,
    prior_day_sums,
)
from kuailive_analysis.predict.metrics import (
    auc,
    auc_metrics,
    calibration_table,
    expected_calibration_error,
    gauc,
    grouped_auc,
    log_loss,
    uauc,
    user_bootstrap_auc,
)
from kuailive_analysis.predict.models import (
    LEAK_AUC,
    MODELS,
    TASKS,
    NotEnoughData,
    TaskEvaluation,
    evaluate,
    evaluate_all,
    evaluate_task,
    evaluate_task_full,
    permutation_importance,
    single_feature_auc,
    task_rows,
)
from kuailive_analysis.predict.result import (
    PAPER_CTR_AUC,
    SHORT_TASKS,
    TABLE_COLUMNS,
    PredictResult,
)

__all__ = [
    "CATEGORICAL",
    "FEATURE_GROUPS",
    "SPLITS",
    "chronological_split",
    "feature_label",
    "history_features",
    "prepare",
    "prior_day_sums",
    "auc",
    "auc_metrics",
    "calibration_table",
    "expected_calibration_error",
    "gauc",
    "grouped_auc",
    "log_loss",
    "uauc",
    "user_bootstrap_auc",
    "LEAK_AUC",
    "MODELS",
    "TASKS",
    "NotEnoughData",
    "TaskEvaluation",
    "evaluate",
    "evaluate_all",
    "evaluate_task",
    "evaluate_task_full",
    "permutation_importance",
    "single_feature_auc",
    "task_rows",
    "PAPER_CTR_AUC",
    "SHORT_TASKS",
    "TABLE_COLUMNS",
    "PredictResult",
    "analyse",
]


def analyse(
    exposures: pd.DataFrame,
    *,
    fractions=(0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
    n_boot: int = 200,
    conf: float = 0.95,
    leak_auc: float = LEAK_AUC,
) -> PredictResult:
    """Both tasks on an exposure table (chapter 5's, with segment and position columns):
    :func:`evaluate_all` with ``skip_unfit=True`` (a task without enough data gets NaN
    metrics and its reason in ``info["note"]``)."""
    fractions = tuple(float(f) for f in fractions)
    evs = evaluate_all(
        exposures,
        skip_unfit=True,
        fractions=fractions,
        max_train_rows=max_train_rows,
        prior_strength=prior_strength,
        seed=seed,
        n_boot=n_boot,
        conf=conf,
        leak_auc=leak_auc,
    )
    return PredictResult(
        metrics=pd.concat([e.metrics for e in evs.values()]),
        info=pd.DataFrame([e.info for e in evs.values()]).set_index("task"),
        evaluations=evs,
        fractions=fractions,
        max_train_rows=int(max_train_rows),
        seed=int(seed),
        n_boot=int(n_boot),
        conf=float(conf),
        leak_auc=float(leak_auc),
    )
