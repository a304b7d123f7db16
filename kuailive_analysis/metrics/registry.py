"""The metric registry: every KPI and concept the book uses, declared once.

The declarations (records and tables) are in :mod:`kuailive_analysis.metrics.defs`.

* :class:`Definition` (key, name, text): a concept without a number (exposure, session, churn,
  cohort, retention "on" / "on or after" day N, ...).
* :class:`Metric` (key, name, definition, formula, unit, numerator, denominator, population,
  chapter, ...): a number the book reports. ``formula`` is LaTeX (rendered with ``$...$``).
* :func:`compute` ``(key, ds) -> MetricValue(value, numerator, denominator, unit)``: ONE
  function per metric that is computed from the cleaned dataset. The chapters (and so the
  landing page, which pastes their glued values) get these KPIs from here, so a KPI name has
  one value everywhere. Metrics that are outputs of a fitted model or of a chapter-specific
  table (Kaplan-Meier survival, BG/NBD parameters, AUC, ...) are declared with the function
  that computes them (``computed_by``) and have no second implementation here.
* :func:`glossary_markdown` renders the glossary page of the book (MyST) from the registry.

Differently defined quantities carry different names: *gifts per click* (all gift events /
clicks) is not the *gift-through rate* (share of clicks with an attributed gift) nor the
*attributed gifts per click* (gift events credited to a click / clicks).

``ds`` is a :class:`kuailive_analysis.dataset.Dataset` (from the cache, or from frames in
memory for tests). A :class:`MetricContext` wraps it with the analysis parameters
(qualified-watch threshold, attribution window, cold-start threshold) and caches the derived
tables several metrics share (sessions, the attributed click table, per-streamer and per-user
activity); a chapter that already built one of them passes it in ``tables=`` so it is not
built twice. Derived tables are the engine's SQL definitions (attribution:
:mod:`kuailive_analysis.engine.queries.funnel`; activity:
:mod:`kuailive_analysis.engine.queries.eda`) run on the dataset's engine, and the sessions are
a cache table: this layer imports nothing from the analyses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from kuailive_analysis.core import stats
from kuailive_analysis.engine.queries import eda as EQ, funnel as FQ
from kuailive_analysis.metrics.defs import (
    CHAPTERS,
    DEFINITIONS,
    KINDS,
    METRICS,
    UNITS,
    Definition,
    Metric,
    MetricValue,
)

__all__ = [
    "CHAPTERS",
    "DEFINITIONS",
    "KINDS",
    "METRICS",
    "UNITS",
    "Definition",
    "Metric",
    "MetricValue",
    "MetricContext",
    "DEFAULT_PARAMS",
    "metric",
    "compute",
    "compute_many",
    "values",
    "computable",
    "is_computable",
]


def metric(key: str) -> Metric:
    """The registry entry of ``key`` (KeyError naming the known keys)."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r}; known: {sorted(METRICS)}") from None


# ---------------------------------------------------------------------------------------------
# Computing metrics from a dataset
# ---------------------------------------------------------------------------------------------
DEFAULT_PARAMS = {"qualified_watch_s": 5.0, "attribution_window_s": 3600.0, "cold_start_max": 5}
"""Defaults of the analysis parameters metrics depend on (chapters 2 and 5 declare the same
defaults in their ``parameters`` cells)."""

_FIRST_COLUMN = {"users": "user_id", "streamers": "streamer_id", "rooms": "live_id"}


class MetricContext:
    """A dataset, the analysis parameters, and the derived tables shared by several metrics.

    ``tables`` seeds derived tables a chapter already built (names: ``session_counts``,
    ``funnel_clicks``, ``streamer_activity``, ``user_activity``); others are built on first
    use and kept for the life of the context.
    """

    def __init__(self, ds, *, tables: Mapping[str, pd.DataFrame] | None = None, **params):
        unknown = set(params) - set(DEFAULT_PARAMS)
        if unknown:
            raise TypeError(
                f"MetricContext: unknown parameter(s) {sorted(unknown)}; known: "
                f"{sorted(DEFAULT_PARAMS)}"
            )
        self.ds = ds
        self.params = {**DEFAULT_PARAMS, **params}
        self._derived: dict[str, pd.DataFrame] = dict(tables or {})
        self._counts: dict[str, int] = {}
        self._values: dict[str, MetricValue] = {}

    # ---- tables of the dataset -------------------------------------------------------------
    def table(self, name: str, columns: list[str]) -> pd.DataFrame:
        """Columns of a contract table (only those columns are read from the cache)."""
        return self.ds.table(name, columns)

    def count(self, name: str) -> int:
        """Rows of a contract table."""
        if name not in self._counts:
            col = _FIRST_COLUMN.get(name, "user_id")
            self._counts[name] = len(self.table(name, [col]))
        return self._counts[name]

    # ---- derived tables ----------------------------------------------------------------------
    def derived(self, name: str) -> pd.DataFrame:
        """A derived table (built once; see the class docstring for the names)."""
        if name not in self._derived:
            try:
                build = _BUILDERS[name]
            except KeyError:
                raise KeyError(f"no derived table {name!r}; known: {sorted(_BUILDERS)}") from None
            self._derived[name] = build(self)
        return self._derived[name]

    def value(self, key: str) -> float:
        """``compute(key, self).value``."""
        return compute(key, self).value


def _session_counts(ctx: MetricContext) -> pd.DataFrame:
    """One row: the data model's (user, live) sessions with each flag, counted by the engine
    (:data:`~kuailive_analysis.engine.queries.funnel.SESSION_COUNTS`)."""
    return ctx.ds.query(FQ.SESSION_COUNTS)


def _funnel_clicks(ctx: MetricContext) -> pd.DataFrame:
    """The funnel's attributed click table: the SQL definition
    :data:`~kuailive_analysis.engine.queries.funnel.CLICKS` on the dataset's engine."""
    params = FQ.query_params(ctx.params["qualified_watch_s"], ctx.params["attribution_window_s"])
    return ctx.ds.query(FQ.CLICKS, **params)


def _streamer_activity(ctx: MetricContext) -> pd.DataFrame:
    """Per-streamer sums (:data:`~kuailive_analysis.engine.queries.eda.STREAMER_ACTIVITY`)."""
    return ctx.ds.query(EQ.STREAMER_ACTIVITY)


def _user_activity(ctx: MetricContext) -> pd.DataFrame:
    """Per-user sums (:data:`~kuailive_analysis.engine.queries.eda.USER_ACTIVITY`)."""
    return ctx.ds.query(EQ.USER_ACTIVITY)


_BUILDERS: dict[str, Callable[[MetricContext], pd.DataFrame]] = {
    "session_counts": _session_counts,
    "funnel_clicks": _funnel_clicks,
    "streamer_activity": _streamer_activity,
    "user_activity": _user_activity,
}

_COMPUTE: dict[str, Callable[[MetricContext], MetricValue]] = {}


def _computes(key: str):
    """Register the one compute function of metric ``key``."""
    if key not in METRICS:
        raise KeyError(f"compute function for undeclared metric {key!r}")

    def deco(fn):
        if key in _COMPUTE:
            raise ValueError(f"metric {key!r} has two compute functions")
        _COMPUTE[key] = fn
        return fn

    return deco


def _ratio(key: str, num, den, scale: float = 1.0) -> MetricValue:
    num, den = float(num), float(den)
    value = scale * num / den if den else float("nan")
    return MetricValue(value, num, den, METRICS[key].unit)


def _number(key: str, value) -> MetricValue:
    return MetricValue(float(value), None, None, METRICS[key].unit)


def _count(key: str, value) -> MetricValue:
    return MetricValue(int(value), None, None, METRICS[key].unit)


def compute(key: str, ds, **params) -> MetricValue:
    """The value of metric ``key`` on ``ds`` (a Dataset or a :class:`MetricContext`).

    ``params`` (only with a Dataset) override :data:`DEFAULT_PARAMS`. Raises KeyError for an
    unknown key and ValueError for a metric that is not computed from a dataset here (its
    ``computed_by`` names the function that computes it)."""
    m = metric(key)
    if key not in _COMPUTE:
        raise ValueError(
            f"metric {key!r} is not computed by the registry; it is computed by {m.computed_by}"
        )
    if isinstance(ds, MetricContext):
        if params:
            raise TypeError("compute: pass parameters to the MetricContext, not to compute()")
        ctx = ds
    else:
        ctx = MetricContext(ds, **params)
    if key not in ctx._values:
        ctx._values[key] = _COMPUTE[key](ctx)
    return ctx._values[key]


def compute_many(keys: Iterable[str], ds, **params) -> dict[str, MetricValue]:
    """:func:`compute` for several keys, sharing one context (derived tables built once)."""
    ctx = ds if isinstance(ds, MetricContext) else MetricContext(ds, **params)
    return {k: compute(k, ctx) for k in keys}


def values(keys: Iterable[str], ds, **params) -> dict[str, float]:
    """Plain values (for glue) of :func:`compute_many`."""
    return {k: v.value for k, v in compute_many(keys, ds, **params).items()}


def is_computable(key: str) -> bool:
    """True when :func:`compute` computes metric ``key`` from a dataset."""
    return key in _COMPUTE


def computable() -> list[str]:
    """Keys of the metrics the registry computes from a dataset."""
    return [k for k in METRICS if k in _COMPUTE]


# ---- counts ---------------------------------------------------------------------------------
for _key, _table in (
    ("n_users", "users"),
    ("n_streamers", "streamers"),
    ("n_rooms", "rooms"),
    ("n_clicks", "clicks"),
    ("n_negatives", "negatives"),
):
    _computes(_key)(lambda ctx, _k=_key, _t=_table: _count(_k, ctx.count(_t)))


@_computes("n_exposures")
def _n_exposures(ctx):
    return _count("n_exposures", ctx.count("clicks") + ctx.count("negatives"))


def _sessions_with(ctx, column: str) -> int:
    """Sessions counted in ``column`` of :func:`_session_counts` (``n_sessions``: all)."""
    return int(ctx.derived("session_counts")[column].iloc[0])


@_computes("n_sessions")
def _n_sessions(ctx):
    return _count("n_sessions", _sessions_with(ctx, "n_sessions"))


@_computes("n_click_sessions")
def _n_click_sessions(ctx):
    return _count("n_click_sessions", _sessions_with(ctx, "clicked"))


@_computes("share_sessions_click")
def _share_sessions_click(ctx):
    n = _sessions_with(ctx, "n_sessions")
    return _ratio("share_sessions_click", _sessions_with(ctx, "clicked"), n)


@_computes("n_exposed_users")
def _n_exposed_users(ctx):
    users = np.union1d(
        ctx.table("clicks", ["user_id"])["user_id"].to_numpy(),
        ctx.table("negatives", ["user_id"])["user_id"].to_numpy(),
    )
    return _count("n_exposed_users", users.size)


@_computes("n_gift_pairs")
def _n_gift_pairs(ctx):
    g = ctx.table("gifts", ["user_id", "streamer_id"])
    pairs = (g["user_id"].to_numpy(np.int64) << 32) | g["streamer_id"].to_numpy(np.int64)
    return _count("n_gift_pairs", np.unique(pairs).size)


# ---- engagement rates -----------------------------------------------------------------------
@_computes("ctr")
def _ctr(ctx):
    n_c = ctx.count("clicks")
    return _ratio("ctr", n_c, n_c + ctx.count("negatives"))


for _key, _table in (
    ("negatives_per_click", "negatives"),
    ("comments_per_click", "comments"),
    ("likes_per_click", "likes"),
    ("gifts_per_click", "gifts"),
):
    _computes(_key)(lambda ctx, _k=_key, _t=_table: _ratio(_k, ctx.count(_t), ctx.count("clicks")))


@_computes("gift_session_share")
def _gift_session_share(ctx):
    gifted = _sessions_with(ctx, "click_gifted")
    return _ratio("gift_session_share", gifted, _sessions_with(ctx, "clicked"))


@_computes("share_streamers_gifted")
def _share_streamers_gifted(ctx):
    sa = ctx.derived("streamer_activity")
    return _ratio("share_streamers_gifted", (sa["gift_value"] > 0).sum(), len(sa))


# ---- funnel ---------------------------------------------------------------------------------
for _key, _col in (
    ("qualified_rate", "qualified"),
    ("comment_rate", "commented"),
    ("like_rate", "liked"),
    ("gtr", "gifted"),
    ("interaction_rate", "interacted"),
):
    _computes(_key)(
        lambda ctx, _k=_key, _c=_col: _ratio(
            _k, ctx.derived("funnel_clicks")[_c].sum(), len(ctx.derived("funnel_clicks"))
        )
    )

for _key, _col in (
    ("attributed_comments_per_click", "n_comments"),
    ("attributed_likes_per_click", "n_likes"),
    ("attributed_gifts_per_click", "n_gifts"),
):
    _computes(_key)(
        lambda ctx, _k=_key, _c=_col: _ratio(
            _k,
            ctx.derived("funnel_clicks")[_c].to_numpy(np.int64).sum(),
            len(ctx.derived("funnel_clicks")),
        )
    )


def _gift_step(ct: pd.DataFrame) -> np.ndarray:
    return (ct["qualified"] & ct["gifted"]).to_numpy()


@_computes("overall_gift")
def _overall_gift(ctx):
    ct = ctx.derived("funnel_clicks")
    return _ratio("overall_gift", _gift_step(ct).sum(), compute("n_exposures", ctx).value)


@_computes("user_share_gift")
def _user_share_gift(ctx):
    ct = ctx.derived("funnel_clicks")
    users = np.unique(ct["user_id"].to_numpy()[_gift_step(ct)])
    return _ratio("user_share_gift", users.size, compute("n_exposed_users", ctx).value)


# ---- revenue --------------------------------------------------------------------------------
def _gift_prices(ctx) -> np.ndarray:
    return ctx.table("gifts", ["gift_price"])["gift_price"].to_numpy(np.int64)


@_computes("revenue")
def _revenue(ctx):
    return _count("revenue", _gift_prices(ctx).sum())


@_computes("gift_price_mean")
def _gift_price_mean(ctx):
    p = _gift_prices(ctx)
    return _ratio("gift_price_mean", p.sum(), p.size)


@_computes("rpm")
def _rpm(ctx):
    value = ctx.derived("funnel_clicks")["gift_value"].to_numpy(np.int64).sum()
    return _ratio("rpm", value, compute("n_exposures", ctx).value, 1000.0)


@_computes("rpm_all")
def _rpm_all(ctx):
    return _ratio("rpm_all", _gift_prices(ctx).sum(), compute("n_exposures", ctx).value, 1000.0)


# ---- concentration --------------------------------------------------------------------------
def _user_revenue(ctx) -> np.ndarray:
    return ctx.derived("user_activity")["gift_value"].to_numpy(np.float64)


@_computes("gini_revenue_users")
def _gini_revenue_users(ctx):
    return _number("gini_revenue_users", stats.gini(_user_revenue(ctx)))


@_computes("top1_users_revenue")
def _top1_users_revenue(ctx):
    return _number("top1_users_revenue", stats.top_share(_user_revenue(ctx), 0.01))


@_computes("top10_users_revenue")
def _top10_users_revenue(ctx):
    return _number("top10_users_revenue", stats.top_share(_user_revenue(ctx), 0.10))


@_computes("gini_revenue_gifted")
def _gini_revenue_gifted(ctx):
    v = ctx.derived("streamer_activity")["gift_value"].to_numpy(np.float64)
    v = v[v > 0]
    return _number("gini_revenue_gifted", stats.gini(v) if v.size else float("nan"))


@_computes("streamers_lt_cold")
def _streamers_lt_cold(ctx):
    n = ctx.derived("streamer_activity")["n_interactions"].to_numpy()
    return _ratio("streamers_lt_cold", (n < ctx.params["cold_start_max"]).sum(), n.size)
