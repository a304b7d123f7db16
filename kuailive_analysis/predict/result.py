""":class:`PredictResult`: the CTR and GTR evaluation of chapter 5 and the numbers its text
glues, and :func:`evaluate`, which runs both tasks on an exposure table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.chapter.result import GLUE, Section, glued
from kuailive_analysis.predict.checks import LEAK_AUC
from kuailive_analysis.predict.models import TaskEvaluation, evaluate_all
from kuailive_analysis.predict.tasks import TASKS

__all__ = ["PAPER_CTR_AUC", "TABLE_COLUMNS", "PredictResult", "evaluate"]

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

PAPER_CTR_AUC = 0.851
"""Best CTR AUC of the KuaiLive paper (Wide&Deep with streamer features, chronological 8:1:1)."""


def _f(x) -> float:
    return float(x) if x is not None and np.isfinite(x) else float("nan")


@dataclass(frozen=True, eq=False)
class PredictResult(Section):
    """The CTR and GTR evaluation of chapter 5 (:func:`evaluate`).

    ``metrics``: one row per (task, scorer) with AUC, UAUC, GAUC, LogLoss and coverage;
    ``info``: one row per task with rows per split, positives, base rates, ``logloss_base``,
    ``leaks`` and ``note`` (why a task was skipped, else empty); ``evaluations``: the full
    :class:`~kuailive_analysis.predict.models.TaskEvaluation` per task (leak check, permutation
    importance, reliability table, bootstrap comparison); the parameters it ran with; and the
    values the chapter glues, per task prefix ``ctr_`` / ``gtr_``: ``<scorer>_<metric>`` of
    the scorers (pop, rate, user, lr, gb), sizes (``n_test_used``: test rows scored, a sample
    when the test part is larger than :data:`~.tasks.MAX_TEST_ROWS`), the comparison of
    gradient boosting with the best baseline, ``ece``, the leak check and the most important
    feature group in words, and the gap to the paper (:data:`PAPER_CTR_AUC`).
    """

    metrics: pd.DataFrame
    info: pd.DataFrame
    evaluations: dict[str, TaskEvaluation]
    fractions: tuple[float, float, float]
    max_train_rows: int
    seed: int
    n_boot: int
    conf: float
    leak_auc: float
    ctr_n_train: int = glued()
    ctr_n_train_used: int = glued()
    ctr_n_test: int = glued()
    ctr_n_test_used: int = glued()
    ctr_base_test: float = glued()
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
    ctr_user_auc: float = glued()
    ctr_user_uauc: float = glued()
    ctr_best_baseline: str = glued()
    ctr_best_baseline_uauc: str = glued()
    ctr_baseline_auc: float = glued()
    ctr_baseline_uauc: float = glued()
    ctr_diff_auc: float = glued()
    ctr_diff_auc_lo: float = glued()
    ctr_diff_auc_hi: float = glued()
    ctr_within_text: str = glued()
    ctr_ece: float = glued()
    ctr_leak_text: str = glued()
    ctr_top_group: str = glued()
    ctr_top_group_drop: float = glued()
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
    gtr_user_auc: float = glued()
    gtr_best_baseline: str = glued()
    gtr_best_baseline_uauc: str = glued()
    gtr_baseline_auc: float = glued()
    gtr_baseline_uauc: float = glued()
    gtr_diff_auc: float = glued()
    gtr_diff_auc_lo: float = glued()
    gtr_diff_auc_hi: float = glued()
    gtr_within_text: str = glued()
    gtr_ece: float = glued()
    gtr_leak_text: str = glued()
    gtr_top_group: str = glued()
    gtr_top_group_drop: float = glued()
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

    def leak_table(self, top: int = 5) -> pd.DataFrame:
        """The ``top`` features of each task by their AUC alone on test, flagged above the
        leak threshold."""
        cols = ["task", "feature", "AUC of the feature alone (test)", "suspected leak"]
        parts = []
        for task, ev in self.evaluations.items():
            if ev.leaks.empty:
                continue
            t = ev.leaks.head(top)
            flag = np.where(t["suspected_leak"], f"yes (> {self.leak_auc:g})", "no")
            parts.append(pd.DataFrame(dict(zip(cols, (task, t["label"], t["auc"], flag)))))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)

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

    def comparison_table(self) -> pd.DataFrame:
        """Gradient boosting against the best eligible baseline per task, with intervals."""
        rows = []
        for task, ev in self.evaluations.items():
            c = ev.comparison
            if not c.get("best_baseline"):
                continue
            for met, name in (("auc", "AUC"), ("uauc", "UAUC")):
                rows.append(
                    {
                        "task": task,
                        "metric": name,
                        "gradient boosting": c[f"model_{met}"],
                        "best baseline": c[
                            "best_baseline" if met == "auc" else "best_baseline_uauc"
                        ],
                        "baseline value": c[f"baseline_{met}"],
                        "difference": c[f"diff_{met}"],
                        f"difference, {self.conf:.0%} interval (users resampled)": (
                            f"{c[f'diff_{met}_lo']:+.3f} to {c[f'diff_{met}_hi']:+.3f}"
                        ),
                    }
                )
        return pd.DataFrame(rows)

    # ---- views -----------------------------------------------------------------------------
    def comparison(self, task_key: str) -> dict:
        """The bootstrap comparison of a task (``"ctr"`` or ``"gtr"``)."""
        for task, ev in self.evaluations.items():
            if SHORT_TASKS[task] == task_key:
                return ev.comparison
        raise KeyError(task_key)

    def best_auc(self) -> pd.Series:
        """The best test AUC of any scorer without a suspected leak, per task."""
        m = self.metrics[~self.metrics["kind"].str.contains("leak")]
        return m["auc"].groupby(level="task", sort=False).max()

    def title(self) -> str:
        """Figure title stating the best AUC per task (``'Best test AUC: CTR 0.712, GTR ...'``)."""
        best = self.best_auc()
        return "Best test AUC: " + ", ".join(f"{t.split()[0]} {v:.3f}" for t, v in best.items())


def leak_text(ev: TaskEvaluation, leak_auc: float) -> str:
    """The leak check of a task in words."""
    if ev.leaks.empty:
        return "was not run (the task was skipped)"
    top = ev.leaks.iloc[0]
    flagged = ev.leaks[ev.leaks["suspected_leak"]]
    if flagged.empty:
        return (
            f"flags no feature: the strongest alone is the {top['label']} "
            f"(AUC {top['auc']:.3f}, below {leak_auc:g})"
        )
    names = ", ".join(f"the {r.label} (AUC {r.auc:.3f})" for r in flagged.itertuples())
    m = ev.metrics.droplevel("task")
    all_auc = m.loc[m["key"] == "gb_all", "auc"]
    refit = m.loc[m["key"] == "gb", "auc"]
    return (
        f"flags {names} as a suspected leak; the models are refit without it: gradient "
        f"boosting reaches AUC {float(refit.iloc[0]):.3f} without and "
        f"{float(all_auc.iloc[0]):.3f} with it, and the headline uses the refit"
    )


def within_text(c: dict) -> str:
    """What the UAUC comparison ``c`` (:attr:`TaskEvaluation.comparison`) says, in words (built
    from its interval)."""
    lo, hi = c.get("diff_uauc_lo", float("nan")), c.get("diff_uauc_hi", float("nan"))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "The per-user comparison could not be made on this data."
    iv = f"{c['diff_uauc']:+.3f}, 95% interval {lo:+.3f} to {hi:+.3f}"
    if lo > 0:
        return (
            f"Within a user's own feed the model also ranks better than the "
            f"{c['best_baseline_uauc']} ({iv}), so it does more than tell users apart."
        )
    return (
        f"Within a user's own feed the model is not distinguishable from the "
        f"{c['best_baseline_uauc']} ({iv}): its gain comes from telling users apart "
        "(who clicks or gifts at all), not from ordering one user's rooms."
    )


def _values(evaluations: dict[str, TaskEvaluation], leak_auc: float) -> dict:
    """Every value of the evaluation by its glue name (a superset of the glued fields)."""
    out: dict = {}
    for task, ev in evaluations.items():
        t, c, info, imp = SHORT_TASKS[task], ev.comparison, ev.info, ev.importance
        for _, row in ev.metrics.iterrows():
            if row["key"] == "gb_all":
                continue
            for m in ("auc", "uauc", "gauc", "logloss"):
                out[f"{t}_{row['key']}_{m}"] = _f(row[m])
            out[f"{t}_users_eval"] = int(row["n_groups_evaluated"])  # the last scorer's (gb)
            out[f"{t}_users_test"] = int(row["n_groups"])
        for key in ("n_test", "pos_test", "n_train", "n_train_used"):
            out[f"{t}_{key}"] = int(info[key])
        out[f"{t}_n_test_used"] = int(info.get("n_test_used", info["n_test"]))
        out[f"{t}_base_test"] = _f(info["base_rate_test"])
        out[f"{t}_logloss_base"] = _f(info["logloss_base"])
        out[f"{t}_best_baseline"] = c.get("best_baseline") or "n/a"
        out[f"{t}_best_baseline_uauc"] = c.get("best_baseline_uauc") or "n/a"
        for key in ("baseline_auc", "baseline_uauc", "ece"):
            out[f"{t}_{key}"] = _f(c.get(key))
        out[f"{t}_within_text"] = within_text(c)
        for key in ("model_auc_lo", "model_auc_hi"):
            out[f"{t}_gb_{key[6:]}"] = _f(c.get(key))
        for met in ("auc", "uauc"):
            for suffix in ("", "_lo", "_hi"):
                out[f"{t}_diff_{met}{suffix}"] = _f(c.get(f"diff_{met}{suffix}"))
        out[f"{t}_leak_text"] = leak_text(ev, leak_auc)
        out[f"{t}_top_group"] = str(imp.iloc[0]["group"]) if len(imp) else "n/a"
        out[f"{t}_top_group_drop"] = _f(imp.iloc[0]["auc_drop"]) if len(imp) else float("nan")
    out["paper_ctr_auc"] = PAPER_CTR_AUC
    gb, user = out.get("ctr_gb_auc", np.nan), out.get("ctr_user_auc", np.nan)
    out["ctr_paper_gap"] = _f(PAPER_CTR_AUC - gb)
    out["ctr_user_lift_share"] = _f((user - 0.5) / (gb - 0.5)) if gb > 0.5 else float("nan")
    return out


def evaluate(
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
    """Both tasks on an exposure table (chapter 5's, with segment and position columns).

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table (:data:`kuailive_analysis.engine.queries.funnel.EXPOSURES`).
    fractions : sequence of three floats
        Chronological train / valid / test shares of rows.
    max_train_rows, prior_strength, seed, n_boot, conf, leak_auc
        Training rows sampled, the smoothing of the history rates, the random seed, bootstrap
        replicates, interval level and the leak threshold.

    Returns
    -------
    PredictResult
        A task without enough data (e.g. no gift in the train part of a tiny dataset) gets
        NaN metrics and its reason in ``info["note"]`` (:func:`~.models.evaluate_all` with
        ``skip_unfit=True``).
    """
    fractions = tuple(float(f) for f in fractions)
    evs = evaluate_all(exposures, skip_unfit=True, fractions=fractions,
                       max_train_rows=max_train_rows, prior_strength=prior_strength, seed=seed,
                       n_boot=n_boot, conf=conf, leak_auc=leak_auc)  # fmt: skip
    values = _values(evs, leak_auc)
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
        **{f.name: values[f.name] for f in dataclasses.fields(PredictResult) if GLUE in f.metadata},
    )
