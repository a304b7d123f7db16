""":class:`PredictResult`: the CTR and GTR evaluation of chapter 5 and the numbers its text
glues, and :func:`evaluate`, which runs both tasks and the leak audit on an exposure table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.chapter.result import GLUE, Section, glued
from kuailive_analysis.predict.features import feature_label, train_base_rates
from kuailive_analysis.predict.leaks import LEAKS, audit_table, check_days, recompute_check
from kuailive_analysis.predict.models import TaskEvaluation, evaluate_all, prepare_all
from kuailive_analysis.predict.tasks import DECISIONS, TASKS

__all__ = ["PAPER_CTR_AUC", "TABLE_COLUMNS", "PredictResult", "decision_text", "evaluate"]

SHORT_TASKS = {name: t.key for name, t in TASKS.items()}
"""Task -> the prefix of its numbers (``ctr_gb_auc``, ``gtr_n_test``, ...)."""

TABLE_COLUMNS = {
    "kind": "kind",
    "auc": "AUC",
    "uauc": "UAUC (user-averaged AUC)",
    "gauc": "GAUC (impression-weighted)",
    "logloss": "LogLoss",
    "n_rows": "test rows",
    "n_pos": "positives",
    "n_groups_evaluated": "users with both classes",
    "row_share_evaluated": "share of rows in those users",
}
"""Metric columns -> the readable headers of :meth:`PredictResult.table`."""

METRIC_NAMES = {"auc": "AUC", "uauc": "UAUC", "gauc": "GAUC"}

PAPER_CTR_AUC = 0.851
"""Best CTR AUC of the KuaiLive paper (Wide&Deep with streamer features, chronological 8:1:1)."""


def _f(x) -> float:
    return float(x) if x is not None and np.isfinite(x) else float("nan")


@dataclass(frozen=True, eq=False)
class PredictResult(Section):
    """The CTR and GTR evaluation of chapter 5 (:func:`evaluate`).

    ``metrics``: one row per (task, scorer) with AUC, UAUC, GAUC, LogLoss and coverage;
    ``info``: one row per task with rows per split, positives, base rates, ``logloss_base``,
    ``features`` (the columns the models use) and ``note`` (why a task was skipped, else
    empty); ``evaluations``: the full :class:`~kuailive_analysis.predict.models.TaskEvaluation`
    per task; ``audit``: the leak audit (:func:`~.leaks.audit_table`), one row per feature; the
    parameters it ran with; and the values the chapter glues: per task prefix ``ctr_`` /
    ``gtr_`` the scorers' ``<scorer>_<metric>`` (pop, rate, user, lr, gb), sizes
    (``n_test_used``: test rows scored, a sample when the test part is larger than
    :data:`~.tasks.MAX_TEST_ROWS`), ``ece`` and the most important feature group; per decision
    of :data:`~.tasks.DECISIONS` (``feed_``, ``prompt_``, ``rooms_``) the difference of its
    metric with its paired interval and what it says (``<decision>_text``); the leak audit's
    numbers (``leak_*``) and the gap to the paper (:data:`PAPER_CTR_AUC`).
    """

    metrics: pd.DataFrame
    info: pd.DataFrame
    evaluations: dict[str, TaskEvaluation]
    audit: pd.DataFrame
    fractions: tuple[float, float, float]
    max_train_rows: int
    seed: int
    n_boot: int
    conf: float
    leak_max_change: float
    """Largest change of any feature recomputed from earlier days only (0: no leak found;
    NaN: not recomputed)."""
    ctr_n_train: int = glued()
    ctr_n_train_used: int = glued()
    ctr_n_test: int = glued()
    ctr_n_test_used: int = glued()
    ctr_base_test: float = glued()
    ctr_users_eval: int = glued()
    ctr_users_test: int = glued()
    ctr_gb_auc: float = glued()
    ctr_gb_auc_lo: float = glued()
    ctr_gb_auc_hi: float = glued()
    ctr_gb_uauc: float = glued()
    ctr_gb_gauc: float = glued()
    ctr_gb_logloss: float = glued()
    ctr_logloss_base: float = glued()
    ctr_lr_auc: float = glued()
    ctr_pop_auc: float = glued()
    ctr_rate_auc: float = glued()
    ctr_rate_uauc: float = glued()
    ctr_rate_gauc: float = glued()
    ctr_user_auc: float = glued()
    ctr_user_uauc: float = glued()
    ctr_ece: float = glued()
    ctr_top_group: str = glued()
    ctr_top_group_drop: float = glued()
    feed_diff_uauc: float = glued()
    feed_diff_uauc_lo: float = glued()
    feed_diff_uauc_hi: float = glued()
    feed_diff_gauc: float = glued()
    feed_diff_gauc_lo: float = glued()
    feed_diff_gauc_hi: float = glued()
    feed_text: str = glued()
    gtr_n_test: int = glued()
    gtr_n_test_used: int = glued()
    gtr_pos_test: int = glued()
    gtr_base_test: float = glued()
    gtr_users_eval: int = glued()
    gtr_users_test: int = glued()
    gtr_gb_auc: float = glued()
    gtr_gb_auc_lo: float = glued()
    gtr_gb_auc_hi: float = glued()
    gtr_gb_uauc: float = glued()
    gtr_gb_gauc: float = glued()
    gtr_gb_logloss: float = glued()
    gtr_logloss_base: float = glued()
    gtr_pop_auc: float = glued()
    gtr_rate_auc: float = glued()
    gtr_rate_uauc: float = glued()
    gtr_user_auc: float = glued()
    gtr_ece: float = glued()
    gtr_top_group: str = glued()
    gtr_top_group_drop: float = glued()
    prompt_diff_auc: float = glued()
    prompt_diff_auc_lo: float = glued()
    prompt_diff_auc_hi: float = glued()
    prompt_text: str = glued()
    rooms_diff_uauc: float = glued()
    rooms_diff_uauc_lo: float = glued()
    rooms_diff_uauc_hi: float = glued()
    rooms_text: str = glued()
    leak_features: str = glued()
    leak_check_days: str = glued()
    leak_rows_checked: int = glued()
    leak_text: str = glued()
    paper_ctr_auc: float = glued()
    ctr_paper_gap: float = glued()
    ctr_user_lift_share: float = glued()

    # ---- tables ----------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The evaluation with readable headers (:data:`TABLE_COLUMNS`), one row per scorer."""
        return self.metrics[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS).reset_index()

    @property
    def calibrations(self) -> dict[str, pd.DataFrame]:
        """The reliability table of gradient boosting on test, per task."""
        return {task: ev.calibration for task, ev in self.evaluations.items()}

    def audit_table(self) -> pd.DataFrame:
        """The leak audit for the reader: one row per feature, no column names."""
        return self.audit.drop(columns="column")

    def importance_table(self) -> pd.DataFrame:
        """Permutation importance of gradient boosting per feature group and task."""
        parts = []
        for task, ev in self.evaluations.items():
            if ev.importance.empty:
                continue
            t = ev.importance.copy()
            drops = ["auc_drop", "uauc_drop"]
            t[drops] = t[drops].round(4) + 0.0  # 4 decimals, no scientific notation, no -0
            parts.append(
                pd.DataFrame(
                    {
                        "task": task,
                        "feature group": t["group"],
                        "features": t["features"],
                        "AUC drop when permuted": t["auc_drop"],
                        "UAUC drop when permuted": t["uauc_drop"],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def decision_table(self) -> pd.DataFrame:
        """Each decision: gradient boosting against the baseline the decision would otherwise
        use, on the decision's metric (and GAUC beside a within-user UAUC), with the paired
        interval of the difference (users resampled)."""
        rows = []
        for d in DECISIONS:
            c = self.comparison(d.key)
            if not c:
                continue
            for met in (d.metric, *(("gauc",) if d.metric == "uauc" else ())):
                rows.append(
                    {
                        "decision": d.use,
                        "metric": METRIC_NAMES[met],
                        "gradient boosting": c[f"model_{met}"],
                        "baseline": c["baseline"],
                        "baseline value": c[f"baseline_{met}"],
                        "difference": c[f"diff_{met}"],
                        f"difference, {self.conf:.0%} interval (users resampled)": (
                            f"{c[f'diff_{met}_lo']:+.3f} to {c[f'diff_{met}_hi']:+.3f}"
                        ),
                    }
                )
        return pd.DataFrame(rows)

    # ---- views -----------------------------------------------------------------------------
    def comparison(self, decision: str) -> dict:
        """The bootstrap comparison of a decision (``"feed"``, ``"prompt"``, ``"rooms"``;
        empty when its task was skipped)."""
        d = next(d for d in DECISIONS if d.key == decision)
        for task, ev in self.evaluations.items():
            if SHORT_TASKS[task] == d.task:
                return ev.comparisons.get(decision, {})
        raise KeyError(decision)

    def title(self) -> str:
        """Figure title: each model against the baseline of its main decision, on its metric."""
        parts = []
        for key, what in (("feed", "within users, click model"), ("prompt", "gift model")):
            d = next(d for d in DECISIONS if d.key == key)
            c = self.comparison(key)
            m, b = (c.get(f"{w}_{d.metric}", float("nan")) for w in ("model", "baseline"))
            if np.isfinite(m) and np.isfinite(b):
                parts.append(
                    f"{what} {METRIC_NAMES[d.metric]} {m:.3f} vs {b:.3f} for the {c['baseline']}"
                )
            else:
                parts.append(f"{what} not evaluated on this data")
        text = "; ".join(parts)
        return text[0].upper() + text[1:]


def decision_text(c: dict, metric: str, what: str) -> str:
    """What the comparison ``c`` of a decision says about ``what`` (the model doing the
    decision's job better than its baseline), in words built from the interval of the
    difference on ``metric``: never a claim the interval does not support."""
    lo, hi = c.get(f"diff_{metric}_lo", float("nan")), c.get(f"diff_{metric}_hi", float("nan"))
    base = c.get("baseline", "baseline")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "The comparison could not be made on this data."
    if lo > 0:
        return f"The interval excludes zero: the model {what} better than the {base}."
    if hi < 0:
        return f"The interval lies below zero: the {base} {what} better than the model."
    return (
        f"The interval includes zero: this data cannot tell whether the model {what} better "
        f"than the {base}."
    )


DECISION_WHAT = {
    "feed": "orders the rooms of one user's feed",
    "prompt": "picks the clicks that end in a gift",
    "rooms": "orders one user's rooms by their chance of a gift",
}
"""What each decision asks of the model, in words (the ``<decision>_text`` values)."""


def _names(cols) -> str:
    """``a, b and c`` of readable feature names."""
    names = [feature_label(c).replace("_", " ") for c in cols]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _audit_values(audit: pd.DataFrame, recomputed: pd.DataFrame, days: list[int]) -> dict:
    col = "largest change when recomputed from earlier days"
    done = len(recomputed) and int(recomputed["rows_checked"].iloc[0]) > 0
    worst = float(audit[col].max()) if done else float("nan")
    leaks = [c for c in audit["column"] if c in LEAKS]
    n_hist = int(audit["time bound"].str.startswith("outcomes").sum())
    if not done:
        text = "could not be recomputed: the test part is empty"
    elif worst == 0:
        text = (
            f"none of the {len(recomputed)} recomputable features changed: the {n_hist} history "
            "features and the exposure's hour, screen and repeat index"
        )
    else:
        changed = recomputed.loc[recomputed["max_change"] > 0, "feature"].tolist()
        text = f"{_names(changed)} changed (by up to {worst:.3g}): they read the future"
    return {
        "leak_features": _names(leaks) if leaks else "none",
        "leak_check_days": " and ".join(
            (pd.Timestamp("2025-05-05") + pd.Timedelta(days=d)).strftime("%B %-d") for d in days
        )
        or "none",
        "leak_rows_checked": int(recomputed["rows_checked"].iloc[0]) if len(recomputed) else 0,
        "leak_max_change": worst,
        "leak_text": text,
    }


def _values(evaluations: dict[str, TaskEvaluation]) -> dict:
    """Every value of the evaluation by its glue name (a superset of the glued fields)."""
    out: dict = {}
    for task, ev in evaluations.items():
        t, info, imp = SHORT_TASKS[task], ev.info, ev.importance
        for _, row in ev.metrics.iterrows():
            for m in ("auc", "uauc", "gauc", "logloss"):
                out[f"{t}_{row['key']}_{m}"] = _f(row[m])
            out[f"{t}_users_eval"] = int(row["n_groups_evaluated"])  # the last scorer's (gb)
            out[f"{t}_users_test"] = int(row["n_groups"])
        for key in ("n_test", "pos_test", "n_train", "n_train_used"):
            out[f"{t}_{key}"] = int(info[key])
        out[f"{t}_n_test_used"] = int(info.get("n_test_used", info["n_test"]))
        out[f"{t}_base_test"] = _f(info["base_rate_test"])
        out[f"{t}_logloss_base"] = _f(info["logloss_base"])
        out[f"{t}_ece"] = _f(ev.ece)
        out[f"{t}_top_group"] = str(imp.iloc[0]["group"]) if len(imp) else "n/a"
        out[f"{t}_top_group_drop"] = _f(imp.iloc[0]["auc_drop"]) if len(imp) else float("nan")
        gb = ev.comparisons.get(next((d.key for d in DECISIONS if d.task == t), ""), {})
        for s in ("lo", "hi"):
            out[f"{t}_gb_auc_{s}"] = _f(gb.get(f"model_auc_{s}"))
    for d in DECISIONS:
        task = next(n for n, k in SHORT_TASKS.items() if k == d.task)
        c = evaluations[task].comparisons.get(d.key, {})
        for met in ("auc", "uauc", "gauc"):
            for suffix in ("", "_lo", "_hi"):
                out[f"{d.key}_diff_{met}{suffix}"] = _f(c.get(f"diff_{met}{suffix}"))
        out[f"{d.key}_text"] = decision_text(c, d.metric, DECISION_WHAT[d.key])
    out["paper_ctr_auc"] = PAPER_CTR_AUC
    gb, user = out.get("ctr_gb_auc", np.nan), out.get("ctr_user_auc", np.nan)
    out["ctr_paper_gap"] = _f(PAPER_CTR_AUC - gb)
    out["ctr_user_lift_share"] = _f((user - 0.5) / (gb - 0.5)) if gb > 0.5 else float("nan")
    return out


def evaluate(
    exposures: pd.DataFrame,
    *,
    engine,
    fractions=(0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
    n_boot: int = 200,
    conf: float = 0.95,
) -> PredictResult:
    """Both tasks and the leak audit on an exposure table (chapter 5's, with segment and
    position columns).

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table (:data:`kuailive_analysis.engine.queries.funnel.EXPOSURES`).
    engine : Engine
        Holds the same table as the view :data:`~.features.EXPOSURES_VIEW` (chapter 5's
        engine): it counts the history features and recomputes them for the leak audit, so
        only the rows the models use pass through pandas.
    fractions : sequence of three floats
        Chronological train / valid / test shares of rows.
    max_train_rows, prior_strength, seed, n_boot, conf
        Training rows sampled, the smoothing of the history rates, the random seed, bootstrap
        replicates and the interval level.

    Returns
    -------
    PredictResult
        A task without enough data (e.g. no gift in the train part of a tiny dataset) gets
        NaN metrics and its reason in ``info["note"]`` (:func:`~.models.evaluate_all` with
        ``skip_unfit=True``).
    """
    fractions = tuple(float(f) for f in fractions)
    kw = {"fractions": fractions, "max_train_rows": max_train_rows,
          "prior_strength": prior_strength, "seed": seed}  # fmt: skip
    prepared = prepare_all(exposures, engine=engine, **kw)
    evs = evaluate_all(exposures, skip_unfit=True, prepared=prepared, n_boot=n_boot, conf=conf,
                       **kw)  # fmt: skip
    split, feats, rows = prepared
    days = check_days(exposures, split)
    recomputed = recompute_check(exposures, feats, rows, engine=engine, days=days,
                                 base_rates=train_base_rates(exposures, split),
                                 prior_strength=prior_strength)  # fmt: skip
    strength = {SHORT_TASKS[t]: ev.strength for t, ev in evs.items()}
    audit = audit_table(feats.columns, recomputed, strength)
    values = _values(evs) | _audit_values(audit, recomputed, days)
    return PredictResult(
        metrics=pd.concat([e.metrics for e in evs.values()]),
        info=pd.DataFrame([e.info for e in evs.values()]).set_index("task"),
        evaluations=evs,
        audit=audit,
        fractions=fractions,
        max_train_rows=int(max_train_rows),
        seed=int(seed),
        n_boot=int(n_boot),
        conf=float(conf),
        leak_max_change=float(values["leak_max_change"]),
        **{f.name: values[f.name] for f in dataclasses.fields(PredictResult) if GLUE in f.metadata},
    )
