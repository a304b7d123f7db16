"""Fit, score and check the CTR and GTR models of one task (:func:`evaluate_task`), and both
tasks on one shared split and feature table (:func:`evaluate_all`).

Every score is on the test part. The models use every feature except the leaks by construction
(:data:`~.leaks.LEAKS`); every baseline is built from earlier days and is eligible, however
strong. Each **decision** of :data:`~.tasks.DECISIONS` compares gradient boosting with the
baseline that decision would otherwise use, on AUC, UAUC and GAUC, with paired user-bootstrap
intervals of the differences on the test part (:func:`~.metrics.user_bootstrap_auc`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.predict.checks import permutation_importance, single_feature_auc
from kuailive_analysis.predict.features import chronological_split, prepare
from kuailive_analysis.predict.leaks import LEAKS
from kuailive_analysis.predict.metrics import (
    auc_metrics,
    calibration_table,
    expected_calibration_error,
    log_loss,
    user_bootstrap_auc,
)
from kuailive_analysis.predict.tasks import (
    DECISIONS,
    MODELS,
    PROBABILITY_BASELINES,
    TASKS,
    NotEnoughData,
    fit_gb,
    fit_lr,
    predict_proba,
    task_rows,
)

__all__ = ["METRICS", "TaskEvaluation", "compare", "evaluate_all", "evaluate_task", "prepare_all"]

METRICS = ("auc", "uauc", "gauc")
"""The ranking metrics every comparison reports (:mod:`.metrics`)."""


@dataclass(frozen=True)
class TaskEvaluation:
    """Everything :func:`evaluate_task` measured for one task.

    ``metrics``: one row per scorer (index task, scorer; columns ``key`` (short name),
    ``kind`` (baseline / model), AUC, UAUC, GAUC, LogLoss and coverage); ``info``: rows,
    positives and base rates per part, ``logloss_base`` (LogLoss of the train base rate on
    test) and ``features`` (the columns the models use); ``strength``: each feature alone as a
    score (:func:`~.checks.single_feature_auc`); ``importance``:
    :func:`~.checks.permutation_importance` of gradient boosting; ``calibration``: its
    reliability table on test; ``comparisons``: decision key -> :func:`compare` of gradient
    boosting with the decision's baseline (the task's decisions of :data:`~.tasks.DECISIONS`),
    plus ``ece`` (expected calibration error of gradient boosting).
    """

    metrics: pd.DataFrame
    info: dict
    strength: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparisons: dict = field(default_factory=dict)
    ece: float = float("nan")


def _take(prepared):
    feats = prepared[1]
    if len(prepared) == 3:  # features of some rows only: positions -> feature rows
        have = prepared[2]

        def take(idx):
            pos = np.searchsorted(have, idx)
            if len(idx) and (pos.max() >= len(have) or (have[pos] != idx).any()):
                raise ValueError("evaluate_task: prepared features lack rows this task needs")
            return feats.iloc[pos]

        return take
    return lambda idx: feats.iloc[idx]


def _interval(x: np.ndarray, conf: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan"), float("nan")
    a = (1 - conf) / 2
    return float(np.quantile(x, a)), float(np.quantile(x, 1 - a))


def compare(
    metrics: pd.DataFrame, boot: pd.DataFrame, model: str, baseline: str, conf: float
) -> dict:
    r"""A model against a baseline on the test part, with paired user-bootstrap intervals.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Test metrics per scorer (index: scorer name; columns :data:`METRICS`).
    boot : pandas.DataFrame
        :func:`~.metrics.user_bootstrap_auc` of (at least) the two scorers.
    model, baseline : str
        Scorer names.
    conf : float
        Interval level.

    Returns
    -------
    dict
        ``model``, ``baseline`` and per metric :math:`m` of :data:`METRICS`: ``model_m``,
        ``baseline_m``, ``diff_m`` (model minus baseline on the test part), the percentile
        intervals ``diff_m_lo`` / ``diff_m_hi`` of the replicates' paired differences
        :math:`m^{(b)}_{\text{model}} - m^{(b)}_{\text{baseline}}` and ``model_m_lo`` /
        ``model_m_hi``.
    """
    wide = boot.pivot(index="replicate", columns="scorer", values=list(METRICS))
    out: dict = {"model": model, "baseline": baseline}
    for met in METRICS:
        mod, bas = wide[(met, model)].to_numpy(), wide[(met, baseline)].to_numpy()
        out[f"model_{met}"] = float(metrics.loc[model, met])
        out[f"baseline_{met}"] = float(metrics.loc[baseline, met])
        out[f"diff_{met}"] = out[f"model_{met}"] - out[f"baseline_{met}"]
        out[f"model_{met}_lo"], out[f"model_{met}_hi"] = _interval(mod, conf)
        out[f"diff_{met}_lo"], out[f"diff_{met}_hi"] = _interval(mod - bas, conf)
    return out


def evaluate_task(
    exposures: pd.DataFrame,
    task: str,
    *,
    engine=None,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
    n_boot: int = 200,
    conf: float = 0.95,
    prepared: tuple | None = None,
) -> TaskEvaluation:
    """Split, featurise, fit, score and compare one task (module docstring).

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table.
    task : str
        A key of :data:`~.tasks.TASKS`.
    engine : Engine, optional
        Holds the same table as the view :data:`~.features.EXPOSURES_VIEW` (needed unless
        ``prepared`` is given: it counts the history features).
    fractions, max_train_rows, prior_strength, seed, n_boot, conf
        As in :func:`~.result.evaluate`.
    prepared : tuple, optional
        The output of :func:`~.features.prepare` (computed here when None), so that several
        tasks share one split and one feature table.

    Returns
    -------
    TaskEvaluation
        Every score on the test part; the valid part (at most a quarter of
        ``max_train_rows``) only stops the boosting early. Raises :class:`~.tasks.NotEnoughData`
        when the train part lacks a class or the test part is empty.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    t = TASKS[task]
    split = chronological_split(exposures["ts_ms"], fractions) if prepared is None else prepared[0]
    train, valid, test, info = task_rows(exposures, task, split, max_train_rows, seed)
    if prepared is None:
        need = np.unique(np.concatenate([train, valid, test]))
        if engine is None:
            raise ValueError("evaluate_task: give the engine (or prepared features)")
        prepared = prepare(exposures, engine, fractions, prior_strength, rows=need)
    take = _take(prepared)
    y = exposures[t.label].to_numpy(bool)
    users = exposures["user_id"].to_numpy()[test]
    Xtr, Xva, Xte = take(train), take(valid), take(test)
    ytr, yte = y[train], y[test]

    strength = single_feature_auc(Xte, yte, Xtr, ytr)
    keep = [c for c in Xtr.columns if c not in LEAKS]
    info["features"] = ", ".join(keep)

    scores, rows = {}, []
    for key, name, col in t.baselines:
        scores[name] = Xte[col].to_numpy(np.float64)
        rows.append((key, name, "baseline", key in PROBABILITY_BASELINES))
    fitted = {
        "lr": fit_lr(Xtr[keep], ytr),
        "gb": fit_gb(Xtr[keep], ytr, Xva[keep], y[valid], seed),
    }
    for key, name in MODELS:
        m, cols = fitted[key]
        scores[name] = predict_proba(m, cols, Xte[keep])
        rows.append((key, name, "model", True))

    out = []
    for key, name, kind, is_prob in rows:
        s = scores[name]
        out.append(
            {
                "task": task,
                "scorer": name,
                "key": key,
                "kind": kind,
                **auc_metrics(yte, s, users),
                "logloss": log_loss(yte, s) if is_prob else float("nan"),
            }
        )
    metrics = pd.DataFrame(out).set_index(["task", "scorer"])
    p0 = float(np.clip(ytr.mean(), 1e-7, 1 - 1e-7))
    info["logloss_base"] = log_loss(yte, np.full(len(yte), p0))

    # each decision of the task: gradient boosting against the baseline it would otherwise use
    m = metrics.droplevel("task")
    names = {k: n for k, n, *_ in rows}
    gb = names["gb"]
    decisions = [d for d in DECISIONS if d.task == t.key]
    scorers = {gb, *(names[d.baseline] for d in decisions)}
    boot = user_bootstrap_auc(yte, {n: scores[n] for n in scorers}, users, n_boot, seed)
    comparisons = {}
    for d in decisions:
        c = compare(m, boot, gb, names[d.baseline], conf)
        comparisons[d.key] = {"use": d.use, "metric": d.metric, "n_boot": int(n_boot), **c}
    gb_model, gb_cols = fitted["gb"]
    importance = permutation_importance(gb_model, gb_cols, Xte[keep], yte, users, seed)
    calibration = calibration_table(yte, scores[gb], conf=conf)
    ece = expected_calibration_error(calibration)
    return TaskEvaluation(metrics, info, strength, importance, calibration, comparisons, ece)


def _skipped(task: str, reason: str) -> TaskEvaluation:
    """The evaluation of a task without enough data: NaN metrics and the reason in ``note``."""
    t = TASKS[task]
    names = [(k, n, "baseline") for k, n, _ in t.baselines] + [(k, n, "model") for k, n in MODELS]
    m = pd.DataFrame(
        {
            "task": task,
            "scorer": [n for _, n, _ in names],
            "key": [k for k, _, _ in names],
            "kind": [kind for _, _, kind in names],
            **dict.fromkeys(("auc", "uauc", "gauc"), np.nan),
            **dict.fromkeys(("n_rows", "n_pos", "n_groups", "n_groups_evaluated"), 0),
            **dict.fromkeys(("row_share_evaluated", "logloss"), np.nan),
        }
    ).set_index(["task", "scorer"])
    info = {
        "task": task,
        **dict.fromkeys(("n_train", "n_test", "n_valid", "pos_train", "pos_test"), 0),
        **dict.fromkeys(("base_rate_train", "base_rate_test"), np.nan),
        **dict.fromkeys(("n_train_used", "n_test_used", "pos_test_used"), 0),
        **{"logloss_base": np.nan, "features": "", "note": reason},
    }
    return TaskEvaluation(m, info)


def prepare_all(
    exposures: pd.DataFrame,
    *,
    engine,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
) -> tuple:
    """The split and the features of the rows some task uses (:func:`~.features.prepare` with
    ``rows``): ``(split, features, rows)``, shared by both tasks and the leak audit; ``engine``
    holds the same table as the view :data:`~.features.EXPOSURES_VIEW`."""
    split = chronological_split(exposures["ts_ms"], fractions)
    need = []
    for task in TASKS:  # features are computed only for the rows some task uses
        try:
            tr, va, te, _ = task_rows(exposures, task, split, max_train_rows, seed)
            need += [tr, va, te]
        except NotEnoughData:
            pass
    need = np.unique(np.concatenate(need)) if need else np.zeros(0, np.int64)
    return prepare(exposures, engine, fractions, prior_strength, rows=need)


def evaluate_all(
    exposures: pd.DataFrame,
    skip_unfit: bool = False,
    prepared: tuple | None = None,
    *,
    engine=None,
    **kwargs,
) -> dict[str, TaskEvaluation]:
    """:func:`evaluate_task` for every task on one shared split and feature table.

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table.
    skip_unfit : bool
        True: a task without enough data (:class:`~.tasks.NotEnoughData`, e.g. no gift in the
        train part of a tiny dataset) gets NaN metrics and its reason in ``info["note"]``
        instead of raising.
    prepared : tuple, optional
        :func:`prepare_all` of the same keywords (computed here when None).
    engine : Engine, optional
        Holds the same table as the view :data:`~.features.EXPOSURES_VIEW` (needed unless
        ``prepared`` is given).
    **kwargs
        Keywords of :func:`evaluate_task`.

    Returns
    -------
    dict
        Task name -> :class:`TaskEvaluation`.
    """
    if prepared is None:
        keys = ("fractions", "max_train_rows", "prior_strength", "seed")
        if engine is None:
            raise ValueError("evaluate_all: give the engine (or prepared features)")
        kw = {k: kwargs[k] for k in keys if k in kwargs}
        prepared = prepare_all(exposures, engine=engine, **kw)
    out = {}
    for task in TASKS:
        try:
            ev = evaluate_task(exposures, task, prepared=prepared, **kwargs)
            ev.info["note"] = ""
        except NotEnoughData as e:
            if not skip_unfit:
                raise
            ev = _skipped(task, str(e))
        out[task] = ev
    return out
