"""Fit, score and check the CTR and GTR models of one task (:func:`evaluate_task`), and both
tasks on one shared split and feature table (:func:`evaluate_all`).

Every score is on the test part. The **headline comparison** is gradient boosting minus the best
eligible baseline (highest test AUC; for UAUC the highest test UAUC), with user-bootstrap
intervals on the test part (paired replicates, :func:`~.metrics.user_bootstrap_auc`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.predict.checks import LEAK_AUC, permutation_importance, single_feature_auc
from kuailive_analysis.predict.features import chronological_split, prepare
from kuailive_analysis.predict.metrics import (
    auc_metrics,
    calibration_table,
    expected_calibration_error,
    log_loss,
    user_bootstrap_auc,
)
from kuailive_analysis.predict.tasks import (
    GB_ALL,
    MODELS,
    PROBABILITY_BASELINES,
    TASKS,
    NotEnoughData,
    fit_gb,
    fit_lr,
    predict_proba,
    task_rows,
)

__all__ = ["TaskEvaluation", "evaluate_all", "evaluate_task"]


@dataclass(frozen=True)
class TaskEvaluation:
    """Everything :func:`evaluate_task` measured for one task.

    ``metrics``: one row per scorer (index task, scorer; columns ``key`` (short name),
    ``kind`` (baseline / model), AUC, UAUC, GAUC, LogLoss and coverage); ``info``: rows,
    positives and base rates per part, ``logloss_base`` (LogLoss of the train base rate on
    test); ``leaks``: :func:`single_feature_auc`; ``importance``: :func:`permutation_importance`
    of gradient boosting; ``calibration``: its reliability table on test; ``comparison``:
    gradient boosting against the best eligible baseline with user-bootstrap intervals.
    """

    metrics: pd.DataFrame
    info: dict
    leaks: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: dict = field(default_factory=dict)


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


def evaluate_task(
    exposures: pd.DataFrame,
    task: str,
    *,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
    n_boot: int = 200,
    conf: float = 0.95,
    leak_auc: float = LEAK_AUC,
    prepared: tuple | None = None,
) -> TaskEvaluation:
    """Split, featurise, check for leaks, fit, score and compare one task (module docstring).

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table.
    task : str
        A key of :data:`~.tasks.TASKS`.
    fractions, max_train_rows, prior_strength, seed, n_boot, conf, leak_auc
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
        prepared = prepare(exposures, fractions, prior_strength, rows=need)
    take = _take(prepared)
    y = exposures[t.label].to_numpy(bool)
    users = exposures["user_id"].to_numpy()[test]
    Xtr, Xva, Xte = take(train), take(valid), take(test)
    ytr, yte = y[train], y[test]

    leaks = single_feature_auc(Xte, yte, Xtr, ytr, leak_auc)
    flagged = leaks.loc[leaks["suspected_leak"], "feature"].tolist()
    keep = [c for c in Xtr.columns if c not in flagged]

    scores, rows = {}, []
    for key, name, col in t.baselines:
        kind = "baseline (suspected leak)" if col in flagged else "baseline"
        scores[name] = Xte[col].to_numpy(np.float64)
        rows.append((key, name, kind, key in PROBABILITY_BASELINES))
    fitted = {
        "lr": fit_lr(Xtr[keep], ytr),
        "gb": fit_gb(Xtr[keep], ytr, Xva[keep], y[valid], seed),
    }
    for key, name in MODELS:
        m, cols = fitted[key]
        scores[name] = predict_proba(m, cols, Xte[keep])
        rows.append((key, name, "model", True))
    if flagged:
        m, cols = fit_gb(Xtr, ytr, Xva, y[valid], seed)
        scores[GB_ALL[1]] = predict_proba(m, cols, Xte)
        rows.append((*GB_ALL, "model (suspected leak)", True))

    out = []
    for key, name, kind, is_prob in rows:
        s = scores[name]
        met = auc_metrics(yte, s, users)
        out.append(
            {
                "task": task,
                "scorer": name,
                "key": key,
                "kind": kind,
                **met,
                "logloss": log_loss(yte, s) if is_prob else float("nan"),
            }
        )
    metrics = pd.DataFrame(out).set_index(["task", "scorer"])
    p0 = float(np.clip(ytr.mean(), 1e-7, 1 - 1e-7))
    info["logloss_base"] = log_loss(yte, np.full(len(yte), p0))
    info["leaks"] = ", ".join(flagged)

    # the headline comparison: gradient boosting vs the best eligible baseline, chosen per
    # metric (the best AUC baseline for AUC, the best UAUC baseline for UAUC)
    m = metrics.droplevel("task")
    eligible = m[(m["kind"] == "baseline") & m["auc"].notna()]
    gb_name = dict(MODELS)["gb"]
    comparison = {"model": gb_name, "best_baseline": "", "best_baseline_key": ""}
    if len(eligible):
        best = {met: str(eligible[met].fillna(-1).idxmax()) for met in ("auc", "uauc")}
        comparison.update(
            best_baseline=best["auc"],
            best_baseline_key=str(eligible.loc[best["auc"], "key"]),
            best_baseline_uauc=best["uauc"],
        )
        names = {gb_name, *best.values()}
        boot = user_bootstrap_auc(yte, {n: scores[n] for n in names}, users, n_boot, seed)
        wide = boot.pivot(index="replicate", columns="scorer", values=["auc", "uauc"])
        for met in ("auc", "uauc"):
            mod = wide[(met, gb_name)].to_numpy()
            bas = wide[(met, best[met])].to_numpy()
            comparison[f"model_{met}"] = float(m.loc[gb_name, met])
            comparison[f"baseline_{met}"] = float(m.loc[best[met], met])
            comparison[f"diff_{met}"] = float(m.loc[gb_name, met] - m.loc[best[met], met])
            comparison[f"model_{met}_lo"], comparison[f"model_{met}_hi"] = _interval(mod, conf)
            comparison[f"diff_{met}_lo"], comparison[f"diff_{met}_hi"] = _interval(mod - bas, conf)
        comparison["n_boot"] = int(n_boot)
    gb_model, gb_cols = fitted["gb"]
    importance = permutation_importance(gb_model, gb_cols, Xte[keep], yte, users, seed)
    calibration = calibration_table(yte, scores[gb_name], conf=conf)
    comparison["ece"] = expected_calibration_error(calibration)
    return TaskEvaluation(metrics, info, leaks, importance, calibration, comparison)


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
        **{"logloss_base": np.nan, "leaks": "", "note": reason},
    }
    return TaskEvaluation(m, info, comparison={"best_baseline": "", "best_baseline_key": ""})


def evaluate_all(
    exposures: pd.DataFrame, skip_unfit: bool = False, **kwargs
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
    **kwargs
        Keywords of :func:`evaluate_task`.

    Returns
    -------
    dict
        Task name -> :class:`TaskEvaluation`.
    """
    fractions = kwargs.get("fractions", (0.8, 0.1, 0.1))
    split = chronological_split(exposures["ts_ms"], fractions)
    need = []
    for task in TASKS:  # features are computed only for the rows some task uses
        try:
            tr, va, te, _ = task_rows(
                exposures, task, split, kwargs.get("max_train_rows", 200_000), kwargs.get("seed", 0)
            )
            need += [tr, va, te]
        except NotEnoughData:
            pass
    need = np.unique(np.concatenate(need)) if need else np.zeros(0, np.int64)
    prepared = prepare(exposures, fractions, kwargs.get("prior_strength", 20.0), rows=need)
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
