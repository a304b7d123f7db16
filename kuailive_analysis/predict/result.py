""":class:`PredictResult`: the CTR and GTR evaluation of chapter 5 and the numbers its text
quotes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.predict.models import TASKS, TaskEvaluation

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
class PredictResult:
    """The CTR and GTR evaluation of chapter 5 (:func:`kuailive_analysis.predict.analyse`).

    ``metrics``: one row per (task, scorer) with AUC, UAUC, GAUC, LogLoss and coverage;
    ``info``: one row per task with rows per split, positives, base rates, ``logloss_base``,
    ``leaks`` and ``note`` (why a task was skipped, else empty); ``evaluations``: the full
    :class:`~kuailive_analysis.predict.models.TaskEvaluation` per task (leak check, permutation
    importance, reliability table, bootstrap comparison); the parameters it ran with.
    """

    metrics: pd.DataFrame
    info: pd.DataFrame
    evaluations: dict[str, TaskEvaluation]
    fractions: tuple[float, float, float]
    max_train_rows: int
    seed: int
    n_boot: int = 200
    conf: float = 0.95
    leak_auc: float = 0.8

    # ---- tables ----------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The evaluation with readable headers (:data:`TABLE_COLUMNS`), one row per scorer."""
        t = self.metrics[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
        return t.reset_index().rename(columns={"task": "task", "scorer": "scorer"})

    def leak_table(self, top: int = 5) -> pd.DataFrame:
        """The ``top`` features of each task by their AUC alone on test, flagged above the
        leak threshold."""
        parts = []
        for task, ev in self.evaluations.items():
            if ev.leaks.empty:
                continue
            t = ev.leaks.head(top)
            parts.append(
                pd.DataFrame(
                    {
                        "task": task,
                        "feature": t["label"],
                        "AUC of the feature alone (test)": t["auc"],
                        "suspected leak": np.where(
                            t["suspected_leak"], f"yes (> {self.leak_auc:g})", "no"
                        ),
                    }
                )
            )
        cols = ["task", "feature", "AUC of the feature alone (test)", "suspected leak"]
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

    def leak_text(self, task_key: str) -> str:
        """The leak check of a task in words."""
        for task, ev in self.evaluations.items():
            if SHORT_TASKS[task] != task_key:
                continue
            if ev.leaks.empty:
                return "was not run (the task was skipped)"
            top = ev.leaks.iloc[0]
            flagged = ev.leaks[ev.leaks["suspected_leak"]]
            if flagged.empty:
                return (
                    f"flags no feature: the strongest alone is the {top['label']} "
                    f"(AUC {top['auc']:.3f}, below {self.leak_auc:g})"
                )
            names = ", ".join(f"the {r.label} (AUC {r.auc:.3f})" for r in flagged.itertuples())
            m = self.metrics.loc[task]
            all_auc = m.loc[m["key"] == "gb_all", "auc"]
            refit = m.loc[m["key"] == "gb", "auc"]
            return (
                f"flags {names} as a suspected leak; the models are refit without it: gradient "
                f"boosting reaches AUC {float(refit.iloc[0]):.3f} without and "
                f"{float(all_auc.iloc[0]):.3f} with it, and the headline uses the refit"
            )
        raise KeyError(task_key)

    def within_text(self, task_key: str) -> str:
        """What the UAUC comparison says, in words (built from its interval)."""
        c = self.comparison(task_key)
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

    # ---- glue ------------------------------------------------------------------------------
    def numbers(self) -> dict:
        """Plain values, per task prefix ``t`` in (ctr, gtr): ``t_<scorer>_<metric>`` for
        scorer in (pop, rate, user, lr, gb) and metric in (auc, uauc, gauc, logloss); coverage
        (``_users_eval``, ``_users_test``, ``_row_share_eval``), sizes (``_n_test``,
        ``_n_test_used`` (test rows scored: a sample when the test part is larger than
        :data:`~.models.MAX_TEST_ROWS`), ``_pos_test``, ``_n_train``, ``_n_train_used``), ``_base_test``, ``_logloss_base``;
        the comparison with the best baseline (``_best_baseline``, ``_gb_auc_lo/hi``,
        ``_diff_auc`` and ``_lo/_hi``, the same for uauc), ``_ece``, ``_leak_text``, the most
        important feature group (``_top_group``, ``_top_group_drop``); and the paper gap
        (``paper_ctr_auc``, ``ctr_paper_gap``, ``ctr_user_lift_share``)."""
        out: dict = {}
        for (task, _), row in self.metrics.iterrows():
            t = SHORT_TASKS[task]
            if row["key"] == "gb_all":
                continue
            for m in ("auc", "uauc", "gauc", "logloss"):
                out[f"{t}_{row['key']}_{m}"] = _f(row[m])
            out[f"{t}_users_eval"] = int(row["n_groups_evaluated"])
            out[f"{t}_users_test"] = int(row["n_groups"])
            out[f"{t}_row_share_eval"] = _f(row["row_share_evaluated"])
        for task, row in self.info.iterrows():
            t = SHORT_TASKS[task]
            out[f"{t}_n_test"] = int(row["n_test"])
            out[f"{t}_n_test_used"] = int(row.get("n_test_used", row["n_test"]))
            out[f"{t}_pos_test"] = int(row["pos_test"])
            out[f"{t}_n_train"] = int(row["n_train"])
            out[f"{t}_n_train_used"] = int(row["n_train_used"])
            out[f"{t}_base_test"] = _f(row["base_rate_test"])
            out[f"{t}_logloss_base"] = _f(row["logloss_base"])
        for task, ev in self.evaluations.items():
            t = SHORT_TASKS[task]
            c = ev.comparison
            out[f"{t}_best_baseline"] = c.get("best_baseline") or "n/a"
            out[f"{t}_best_baseline_uauc"] = c.get("best_baseline_uauc") or "n/a"
            out[f"{t}_baseline_auc"] = _f(c.get("baseline_auc"))
            out[f"{t}_baseline_uauc"] = _f(c.get("baseline_uauc"))
            out[f"{t}_within_text"] = self.within_text(t)
            for k in ("model_auc_lo", "model_auc_hi", "model_uauc_lo", "model_uauc_hi"):
                out[f"{t}_gb_{k[6:]}"] = _f(c.get(k))
            for met in ("auc", "uauc"):
                for suffix in ("", "_lo", "_hi"):
                    out[f"{t}_diff_{met}{suffix}"] = _f(c.get(f"diff_{met}{suffix}"))
            out[f"{t}_ece"] = _f(c.get("ece"))
            out[f"{t}_leak_text"] = self.leak_text(t)
            imp = ev.importance
            out[f"{t}_top_group"] = str(imp.iloc[0]["group"]) if len(imp) else "n/a"
            out[f"{t}_top_group_drop"] = _f(imp.iloc[0]["auc_drop"]) if len(imp) else float("nan")
        out["paper_ctr_auc"] = PAPER_CTR_AUC
        gb, user = out.get("ctr_gb_auc", np.nan), out.get("ctr_user_auc", np.nan)
        out["ctr_paper_gap"] = _f(PAPER_CTR_AUC - gb)
        out["ctr_user_lift_share"] = _f((user - 0.5) / (gb - 0.5)) if gb > 0.5 else float("nan")
        return out
