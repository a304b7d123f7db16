"""Metrics of kind ``models``: the predictive baselines (AUC, UAUC, GAUC)."""

from __future__ import annotations

from kuailive_analysis.metrics.defs.records import Metric

MODELS: tuple[Metric, ...] = (
    Metric(
        "auc",
        "AUC",
        "Probability that the model scores a random positive row above a random negative "
        "one, on the chronological test part (chapter 5 glues it as "
        "`<task>_<model>_auc`).",
        r"P(\hat s_{+} > \hat s_{-}) + \tfrac12 P(\hat s_{+} = \hat s_{-})",
        "AUC",
        "",
        "",
        "test rows (exposures for CTR, clicks for GTR)",
        ("05_funnel_ctr",),
        "models",
        computed_by="predict.evaluate",
    ),
    Metric(
        "uauc",
        "UAUC (user-averaged AUC)",
        "Mean of per-user AUCs over users whose test rows hold both classes.",
        r"\frac{1}{\lvert U \rvert} \sum_{u \in U} \mathrm{AUC}_u",
        "AUC",
        "",
        "",
        "test users with both classes",
        ("05_funnel_ctr",),
        "models",
        computed_by="predict.evaluate",
    ),
    Metric(
        "gauc",
        "GAUC (impression-weighted AUC)",
        "Per-user AUCs weighted by the user's test impressions.",
        r"\frac{\sum_{u \in U} n_u \mathrm{AUC}_u}{\sum_{u \in U} n_u}",
        "AUC",
        "",
        "",
        "test users with both classes",
        ("05_funnel_ctr",),
        "models",
        computed_by="predict.evaluate",
    ),
)
"""Predictive models, in glossary order."""
