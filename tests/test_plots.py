"""Every public plot function: draws into the Axes it is given (and returns ``ax.figure``),
creates its own figure otherwise, labels its axes, and leaves ``matplotlib.rcParams`` as it
found them (the book style is a context, never global state).

Inputs are small hand-made frames with the columns each figure reads, so these tests do not
depend on how the analysis modules compute them; the Kaplan-Meier inputs are lifelines fits.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from matplotlib.figure import Figure

from kuailive_analysis.fidelity import FAMILIES
from kuailive_analysis.funnel.common import STEPS
from kuailive_analysis.plots import cleaning, eda, fidelity, funnel, ltv, retention, style

PLOT_MODULES = (cleaning, eda, fidelity, funnel, ltv, retention)


# ---------------------------------------------------------------------------------------------
# Hand-made inputs
# ---------------------------------------------------------------------------------------------
def _kmf(rng, n=60, scale=4.0, label="a"):
    d = np.ceil(rng.exponential(scale, n))
    return KaplanMeierFitter().fit(np.minimum(d, 10), d <= 10, label=label)


def _fits():
    rng = np.random.default_rng(3)
    return {"a": _kmf(rng, label="a"), "b": _kmf(rng, scale=7.0, label="b")}


def _rate_table(index, rate="ctr", value=0.1):
    v = np.linspace(value * 0.8, value * 1.2, len(index))
    return pd.DataFrame(
        {
            rate: v,
            f"{rate}_lo": v * 0.9,
            f"{rate}_hi": v * 1.1,
            "exposures": np.arange(len(index)) + 10,
        },
        index=index,
    )


def _funnel_long(by=None, levels=("x",)):
    rows = []
    for lev in levels:
        n = 10_000
        for i, step in enumerate(STEPS):
            prev, n = n, int(10_000 * 0.3**i)
            r = n / prev if i else np.nan
            rows.append(
                {
                    "step": step,
                    "n": n,
                    "step_rate": r,
                    "step_lo": r * 0.9,
                    "step_hi": r * 1.1,
                    "overall_rate": n / 10_000,
                    **({by: lev} if by else {}),
                }
            )
    return pd.DataFrame(rows)


def _unit_funnels():
    f = pd.concat([_funnel_long().assign(unit=u) for u in ("exposure", "session", "user")])
    f["unit"] = pd.Categorical(f["unit"], ["exposure", "session", "user"])
    return f.assign(overall_lo=f["overall_rate"] * 0.9, overall_hi=f["overall_rate"] * 1.1)


def _daily(rates=("ctr", "qualified_rate", "interaction_rate", "gtr")):
    d = pd.DataFrame({"date": pd.date_range("2025-05-05", periods=21)})
    for r in rates:
        d[r] = np.linspace(0.1, 0.2, 21)
        d[f"{r}_lo"], d[f"{r}_hi"] = d[r] * 0.9, d[r] * 1.1
    return d


def _metrics():
    idx = pd.MultiIndex.from_product(
        [["CTR (click per exposure)", "GTR (gift per click)"], ["popularity", "logistic"]],
        names=["task", "scorer"],
    )
    return pd.DataFrame(
        {
            "auc": [0.6, 0.7, 0.55, 0.65],
            "uauc": [0.58, 0.66, 0.5, 0.6],
            "gauc": [0.57, 0.65, np.nan, 0.61],
        },
        index=idx,
    )


def _clicks():
    rng = np.random.default_rng(1)
    interacted = rng.random(300) < 0.4
    gifted = interacted & (rng.random(300) < 0.3)
    return pd.DataFrame(
        {"watch_ms": rng.lognormal(9, 2, 300), "interacted": interacted, "gifted": gifted}
    )


def _hist_log():
    lo = np.logspace(0, 3, 10)
    h = pd.DataFrame(
        {"bin_lo": lo, "bin_hi": lo * 2, "share": np.full(10, 0.1), "density": np.full(10, 0.01)}
    )
    h.attrs["n_zero"] = 3
    return h


def _daily_totals():
    dates = pd.date_range("2025-05-05", periods=21)
    return pd.DataFrame(
        {
            "date": dates,
            "weekday": dates.strftime("%a"),
            "n_clicks": np.arange(21) + 100,
            "active_users": np.arange(21) + 50,
        }
    )


def _matrix():
    return pd.DataFrame(
        np.arange(7 * 24, dtype=float).reshape(7, 24),
        index=pd.Index(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], name="weekday"),
        columns=pd.Index(range(24), name="hour"),
    )


def _grid(n=6):
    g = pd.DataFrame(np.linspace(0, 1, n * n).reshape(n, n))
    g.values[np.triu_indices(n, 1)[::-1]] = np.nan  # impossible cells are blank
    return g


def _duration_summary():
    return pd.DataFrame(
        {
            "median": [30.0, 60.0],
            "p25": [10.0, 20.0],
            "p75": [50.0, 90.0],
            "p90": [80.0, 150.0],
            "share_rooms": [0.6, 0.4],
        },
        index=["a", "b"],
    )


def _fidelity_table():
    rows = [
        {"Family": f, "Fact": f"{f} fact {i}", "Ratio": r, "Verdict": v}
        for f in FAMILIES[:4]
        for i, (r, v) in enumerate(((1.02, "match"), (1.3, "close"), (30.0, "off")))
    ]
    return pd.DataFrame(rows)


def _report():
    return pd.DataFrame(
        {
            "table": ["click", "click", "gift"],
            "rule": ["duplicates", "orphans", "long_rooms"],
            "rows_in": [10, 10, 3],
            "rows_dropped": [2, 1, 1],
        }
    )


def _sensitivity():
    t = [0.5, 1.0, 7.0, np.inf]
    d = {"max_room_days": t, "rooms_dropped_share": [0.2, 0.1, 0.01, 0.0]}
    for tab in ("click", "comment", "like", "gift", "negative"):
        d[f"{tab}_dropped_share"] = [0.1, 0.05, 0.001, 0.0]
    return pd.DataFrame(d)


def _triangle():
    rows = [
        {
            "cohort": c,
            "n": n,
            "rate_on": 1.0 if n == 0 else 0.5 / n,
            "rate_on_or_after": 1.0 if n == 0 else 0.6 / n,
            "cohort_size": 100 - c,
        }
        for c in range(6)
        for n in range(6 - c)
    ]
    return pd.DataFrame(rows)


def _avg():
    n = np.arange(8)
    r = 1 / (1 + n)
    return pd.DataFrame(
        {
            "n": n,
            "rate_on": r,
            "on_lo": r * 0.9,
            "on_hi": r * 1.1,
            "rate_on_or_after": np.minimum(1, r * 1.3),
        }
    )


def _cox_summary():
    return pd.DataFrame(
        {
            "label": ["gifted early", "watch time (log2 h)", "age 50+"],
            "hr": [0.6, 0.9, 1.4],
            "hr_lo": [0.5, 0.8, 1.1],
            "hr_hi": [0.7, 1.0, 1.8],
            "snapshot": [False, False, True],
        }
    )


def _truth_comparison():
    t = np.arange(1, 11, dtype=float)
    km = np.exp(-t / 8)
    return pd.DataFrame(
        {"t": t, "km": km, "lo": km - 0.03, "hi": km + 0.03, "truth": np.exp(-t / 7.5)}
    )


def _hazard():
    return pd.DataFrame(
        {
            "age_band": ["0-30", "30-365", "365+"],
            "users": [40, 80, 200],
            "exposure_days": [100.0, 300.0, 900.0],
            "per_100_days": [8.0, 5.0, 2.0],
            "lo": [6.0, 4.0, 1.5],
            "hi": [10.0, 6.0, 2.5],
        }
    )


def _per_user():
    rng = np.random.default_rng(2)
    clv = rng.lognormal(3, 1.5, 200)
    p = pd.DataFrame(
        {"clv": clv, "clv_low": clv * 0.7, "clv_high": clv * 1.4},
        index=pd.Index(np.arange(200) + 1000, name="user_id"),
    )
    p.attrs["level"] = 0.9
    return p


def _lorenz():
    x = np.linspace(0, 1, 11)
    return pd.DataFrame({"population_share": x, "value_share": x**3})


# ---------------------------------------------------------------------------------------------
# Every public plot function: (id, panels, data axes, call). ``panels`` = None for one-panel
# functions (called with ``ax=``), else the number of Axes passed as ``axes=``; ``data`` = the
# indices of the Axes that must carry axis labels (all but at-risk strips and placeholders).
# ---------------------------------------------------------------------------------------------
FREQ = pd.DataFrame({"actual": [50, 20, 10], "model": [48, 22, 9]}, index=["0", "1", "2+"])
COND = pd.DataFrame(
    {"actual": [0.1, 0.5, 1.2], "model": [0.12, 0.45, 1.1], "past_rate": [0.0, 0.6, 1.5]},
    index=["0", "1", "2+"],
)
TRACK = pd.DataFrame({"actual": np.arange(21) % 5 + 1.0, "model": np.full(21, 3.0)})
TRACK = TRACK.assign(actual_cum=TRACK["actual"].cumsum(), model_cum=TRACK["model"].cumsum())
SEGMENTS = {"hour": _rate_table(range(24)), "age": _rate_table(["18-23", "24-30", "50+"])}


def _calibration() -> pd.DataFrame:
    """A reliability table: mean predicted probability, observed rate and its interval per bin."""
    p = np.array([0.05, 0.15, 0.3, 0.5])
    return pd.DataFrame({"predicted": p, "observed": p + 0.01, "lo": p - 0.02, "hi": p + 0.04})


def _gift_trend() -> pd.DataFrame:
    """Gifts per click by UTC period with an interval."""
    g = np.array([0.0136, 0.0140, 0.0146])
    return pd.DataFrame(
        {
            "period": ["May 4-11", "May 12-18", "May 19-25"],
            "gifts per click": g,
            "lo": g - 0.001,
            "hi": g + 0.001,
        }
    )


CASES = [
    (
        "cleaning.plot_room_durations",
        None,
        None,
        lambda **k: cleaning.plot_room_durations(
            pd.DataFrame(
                {
                    "lo_min": [0, 1, 10, 100, 1000],
                    "hi_min": [1, 10, 100, 1000, 10000],
                    "real": [3, 10, 20, 5, 1],
                    "censored": [0, 0, 1, 1, 2],
                }
            ),
            source="hand-made",
            **k,
        ),
    ),
    (
        "cleaning.plot_room_sensitivity",
        None,
        None,
        lambda **k: cleaning.plot_room_sensitivity(_sensitivity(), **k),
    ),
    ("cleaning.plot_report", None, None, lambda **k: cleaning.plot_report(_report(), **k)),
    (
        "eda.plot_demographics",
        3,
        None,
        lambda **k: eda.plot_demographics(
            {
                name: pd.DataFrame({"users": [0.6, 0.4], "streamers": [0.3, 0.7]}, index=["M", "F"])
                for name in ("gender", "age band (years)", "country")
            },
            source="hand-made",
            **k,
        ),
    ),
    (
        "eda.plot_tenure",
        None,
        None,
        lambda **k: eda.plot_tenure(
            pd.DataFrame(
                {"years": [0, 1, 2], "tenure": [0.2, 0.3, 0.5], "watch_age": [0.4, 0.4, 0.2]}
            ),
            **k,
        ),
    ),
    (
        "eda.plot_ccdfs",
        2,
        None,
        lambda **k: eda.plot_ccdfs(
            {
                name: (pd.DataFrame({"x": [1, 10, 100], "ccdf": [1.0, 0.1, 0.01]}), "x (count)")
                for name in ("interactions", "rooms")
            },
            markers={"rooms": 5},
            unit="users",
            **k,
        ),
    ),
    (
        "eda.plot_log_histogram",
        None,
        None,
        lambda **k: eda.plot_log_histogram(
            _hist_log(),
            xlabel="watch time (s, log bins)",
            density=True,
            threshold=5,
            threshold_label="5 s",
            unit="clicks",
            **k,
        ),
    ),
    (
        "eda.plot_lorenz",
        None,
        None,
        lambda **k: eda.plot_lorenz({"clicks": _lorenz()}, {"clicks": 0.7}, **k),
    ),
    (
        "eda.plot_room_schedule",
        2,
        None,
        lambda **k: eda.plot_room_schedule(
            pd.DataFrame({"share": np.full(24, 1 / 24)}, index=range(24)),
            pd.DataFrame({"day_float": np.linspace(0, 21, 50), "n_live": np.arange(50) + 3}),
            **k,
        ),
    ),
    (
        "eda.plot_durations",
        2,
        None,
        lambda **k: eda.plot_durations(
            {"category": _duration_summary(), "type": _duration_summary()}, **k
        ),
    ),
    (
        "eda.plot_activity_time",
        2,
        None,
        lambda **k: eda.plot_activity_time(_matrix(), _daily_totals(), **k),
    ),
    (
        "eda.plot_hourly_profile",
        None,
        None,
        lambda **k: eda.plot_hourly_profile(
            pd.DataFrame({"clicks": np.full(24, 1 / 24), "gifts": np.full(24, 1 / 24)}), **k
        ),
    ),
    (
        "eda.plot_revisits",
        None,
        None,
        lambda **k: eda.plot_revisits(
            pd.DataFrame(
                {"lo_h": np.arange(48.0), "hi_h": np.arange(48.0) + 1, "share": np.full(48, 1 / 48)}
            ),
            **k,
        ),
    ),
    (
        "eda.plot_bars",
        None,
        None,
        lambda **k: eda.plot_bars(
            pd.DataFrame({"value": [1, 2, 3], "share": [0.5, 0.3, 0.2]}),
            x="value",
            y="share",
            xlabel="active days (days)",
            ylabel="share of users (%)",
            **k,
        ),
    ),
    (
        "eda.plot_gift_prices",
        2,
        None,
        lambda **k: eda.plot_gift_prices(
            pd.DataFrame({"price": [1, 2, 5], "share": [0.5, 0.2, 0.3]}), _hist_log(), **k
        ),
    ),
    (
        "fidelity.plot_ratios",
        None,
        None,
        lambda **k: fidelity.plot_ratios(_fidelity_table(), source="hand-made", **k),
    ),
    (
        "funnel.plot_funnel",
        None,
        None,
        lambda **k: funnel.plot_funnel(_funnel_long(), source="hand-made", **k),
    ),
    (
        "funnel.plot_unit_funnels",
        None,
        None,
        lambda **k: funnel.plot_unit_funnels(_unit_funnels(), **k),
    ),
    (
        "funnel.plot_segment_grid",
        2,
        None,
        lambda **k: funnel.plot_segment_grid(SEGMENTS, "ctr", 0.1, **k),
    ),
    (
        "funnel.plot_segment_funnels",
        8,
        None,
        lambda **k: funnel.plot_segment_funnels(
            {"hour": _funnel_long("hour", range(3)), "age": _funnel_long("age", ["a", "b"])}, **k
        ),
    ),
    ("funnel.plot_daily", 4, None, lambda **k: funnel.plot_daily(_daily(), **k)),
    (
        "funnel.plot_positions",
        2,
        None,
        lambda **k: funnel.plot_positions(_rate_table([1, 2, 3]), _rate_table([1, 2, 3, 4]), **k),
    ),
    ("funnel.plot_watch_ecdf", None, None, lambda **k: funnel.plot_watch_ecdf(_clicks(), 5, **k)),
    ("funnel.plot_model_metrics", 2, None, lambda **k: funnel.plot_model_metrics(_metrics(), **k)),
    (
        "funnel.plot_calibrations",
        2,
        None,
        lambda **k: funnel.plot_calibrations(
            {"CTR": _calibration(), "GTR": _calibration()[:0]}, **k
        ),
    ),
    (
        "funnel.plot_gift_trend",
        None,
        None,
        lambda **k: funnel.plot_gift_trend(_gift_trend(), reference=[0.0139, 0.0141, 0.0169], **k),
    ),
    (
        "ltv.plot_frequency_histogram",
        None,
        None,
        lambda **k: ltv.plot_frequency_histogram(FREQ, **k),
    ),
    (
        "ltv.plot_frequency_histogram(None)",
        None,
        (),
        lambda **k: ltv.plot_frequency_histogram(None, **k),
    ),
    (
        "ltv.plot_holdout_by_frequency",
        None,
        None,
        lambda **k: ltv.plot_holdout_by_frequency(COND, 7, **k),
    ),
    ("ltv.plot_tracking", 2, None, lambda **k: ltv.plot_tracking(TRACK, 14, **k)),
    ("ltv.plot_heatmaps", 2, None, lambda **k: ltv.plot_heatmaps(_grid(), _grid(), 13, 7, **k)),
    ("ltv.plot_clv_distribution", 2, None, lambda **k: ltv.plot_clv_distribution(_per_user(), **k)),
    (
        "ltv.plot_concentration",
        None,
        None,
        lambda **k: ltv.plot_concentration({"CLV": _lorenz(), "calibration": _lorenz()}, **k),
    ),
    (
        "ltv.plot_decile_calibration",
        None,
        None,
        lambda **k: ltv.plot_decile_calibration(
            pd.DataFrame(
                {
                    "method": ["a"] * 3 + ["b"] * 3,
                    "decile": [1, 2, 3] * 2,
                    "predicted": [0.0, 5.0, 50.0, 1.0, 8.0, 30.0],
                    "actual": [0.5, 4.0, 60.0, 0.5, 4.0, 60.0],
                    "n_users": [10] * 6,
                }
            ),
            **k,
        ),
    ),
    ("retention.plot_km", None, None, lambda **k: retention.plot_km(_fits(), **k)),
    (
        "retention.plot_km_grid",
        3,
        None,
        lambda **k: retention.plot_km_grid({"x": _fits(), "y": _fits(), "z": _fits()}, **k),
    ),
    (
        "retention.plot_cohort_heatmap",
        None,
        None,
        lambda **k: retention.plot_cohort_heatmap(_triangle(), source="hand-made", **k),
    ),
    (
        "retention.plot_retention_curve",
        None,
        None,
        lambda **k: retention.plot_retention_curve(_avg(), **k),
    ),
    ("retention.plot_forest", None, None, lambda **k: retention.plot_forest(_cox_summary(), **k)),
    (
        "retention.plot_km_vs_truth",
        None,
        None,
        lambda **k: retention.plot_km_vs_truth({"KM": _truth_comparison()}, **k),
    ),
    (
        "retention.plot_age_hazard",
        None,
        None,
        lambda **k: retention.plot_age_hazard(
            _hazard(), clock_label="days since first live watched", **k
        ),
    ),
    (
        "retention.plot_km_vs_truth(None)",
        None,
        (),
        lambda **k: retention.plot_km_vs_truth(None, **k),
    ),
]
IDS = [c[0] for c in CASES]


NOT_PLOTS: set[str] = set()  # public helpers that draw nothing


def _public_functions():
    for mod in PLOT_MODULES:
        for name, fn in vars(mod).items():
            if (
                inspect.isfunction(fn)
                and not name.startswith("_")
                and (fn.__module__ == mod.__name__)
            ):
                yield f"{mod.__name__.rsplit('.', 1)[-1]}.{name}", fn


@pytest.fixture
def rc_snapshot():
    """The global rc parameters before the call (backend resolved first: pyplot resolves it
    lazily on first use, which is not a style change)."""
    matplotlib.get_backend()
    before = dict(matplotlib.rcParams)
    yield before
    plt.close("all")


def _assert_rc_unchanged(before):
    after = dict(matplotlib.rcParams)
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert not changed, f"plot function changed global rcParams: {changed}"


def _assert_labelled(axes, data_idx):
    for i in data_idx:
        ax = axes[i]
        assert ax.get_xlabel().strip() or ax.get_ylabel().strip(), f"axes {i} unlabelled"
        assert ax.get_xlabel().strip(), f"axes {i} has no x label"


def test_every_public_plot_function_is_covered_and_has_one_signature_convention():
    """A new plot function must be added to CASES (and so honour the conventions): keyword-only
    ``ax`` or ``axes`` and ``title`` defaulting to None."""
    plots = {name: fn for name, fn in _public_functions() if name not in NOT_PLOTS}
    missing = set(plots) - {c.split("(")[0] for c in IDS}
    assert not missing, f"plot functions without a test case: {sorted(missing)}"
    for name, fn in plots.items():
        params = inspect.signature(fn).parameters
        target = params.get("ax") or params.get("axes")
        assert target is not None and target.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert target.default is None, name
        assert params["title"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert params["title"].default is None, name
        if "source" in params:
            assert params["source"].kind is inspect.Parameter.KEYWORD_ONLY, name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_draws_into_given_axes_and_leaves_rcparams(case, rc_snapshot):
    name, panels, data_idx, call = case
    matplotlib.rcParams["axes.grid"] = False  # a reader's own setting must survive the call
    rc_snapshot["axes.grid"] = False
    fig0, axs = plt.subplots(1, panels or 1, figsize=(4 * (panels or 1), 3), squeeze=False)
    axs = list(axs.ravel())
    try:
        fig = call(ax=axs[0]) if panels is None else call(axes=axs)
        _assert_rc_unchanged(rc_snapshot)
    finally:
        matplotlib.rcParams["axes.grid"] = matplotlib.rcParamsDefault["axes.grid"]
    assert fig is fig0, f"{name} must return the figure of the Axes it was given"
    assert len(fig.axes) >= len(axs)
    _assert_labelled(axs, range(len(axs)) if data_idx is None else data_idx)
    if panels is not None:
        with pytest.raises(ValueError, match=f"pass {panels} Axes"):
            call(axes=axs + [axs[0]])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_creates_a_styled_figure_with_a_title(case, rc_snapshot):
    name, panels, data_idx, call = case
    fig = call()
    _assert_rc_unchanged(rc_snapshot)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert shown
    if data_idx != ():  # placeholders have no axes and no default title
        titles = [ax.get_title(loc="left") for ax in shown]
        assert (fig._suptitle is not None and fig._suptitle.get_text()) or any(titles), name
        main = shown[0]
        assert main.spines["top"].get_visible() is False, f"{name} is not in the book style"


TITLED = [c for c in CASES if c[2] != ()]


@pytest.mark.parametrize("case", TITLED, ids=[c[0] for c in TITLED])
def test_title_none_gives_the_default_and_empty_gives_none(case):
    name, panels, data_idx, call = case
    fig = call(title="custom title")
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert "custom title" in titles + [fig._suptitle.get_text() if fig._suptitle else ""]
    fig = call(title="")
    assert "custom title" not in [ax.get_title(loc="left") for ax in fig.axes]
    assert fig._suptitle is None or not fig._suptitle.get_text()
    if panels is None:  # one-panel figures carry their title on the Axes
        assert not fig.axes[0].get_title(loc="left")
    plt.close("all")


def test_footnote_is_one_helper_idempotent_and_takes_a_plain_label():
    fig, ax = style.figure()
    style.footnote(fig, "synthetic twin (scale 0.1)", beijing=True)
    style.footnote(fig, "synthetic twin (scale 0.1)", beijing=True)
    texts = [t.get_text() for t in fig.texts]
    assert texts.count("synthetic twin (scale 0.1)") == 1
    assert texts.count(style.BEIJING_NOTE) == 1
    style.footnote(fig, None)  # nothing to add: no change
    assert len(fig.texts) == 2
    # no plot module writes figure text of its own: the footnotes all go through style.footnote
    for mod in PLOT_MODULES:
        src = Path(mod.__file__).read_text()
        assert "fig.text(" not in src and "source_note" not in src and "beijing_note" not in src


def test_footnotes_in_chapter_figures():
    fig = funnel.plot_daily(_daily(), source="hand-made")
    texts = [t.get_text() for t in fig.texts]
    assert "hand-made" in texts and style.BEIJING_NOTE in texts
    fig = retention.plot_forest(_cox_summary(), source="hand-made")
    notes = [
        t.get_text() for t in fig.texts if t.get_gid() in (style.SOURCE_GID, style.BEIJING_GID)
    ]
    assert notes == ["hand-made"]  # not a clock view
    plt.close("all")


def test_style_context_restores_rcparams_and_styles_inside(rc_snapshot):
    with style.context():
        assert matplotlib.rcParams["axes.titlelocation"] == "left"
        fig, ax = plt.subplots()
    _assert_rc_unchanged(rc_snapshot)
    assert ax.spines["top"].get_visible() is False


def test_seaborn_draws_the_heatmaps_and_distributions():
    """seaborn is a pinned dependency and used where it is the natural tool."""
    for mod in (eda, funnel, ltv, retention):
        assert "import seaborn as sns" in Path(mod.__file__).read_text()
    fig = eda.plot_activity_time(_matrix(), _daily_totals())
    heat = fig.axes[0]
    assert heat.get_yticklabels()[0].get_text() == "Mon"
    assert [t.get_text() for t in heat.get_xticklabels()][:2] == ["0", "2"]
    plt.close("all")


def test_common_bar_and_line_figures_label_axes_and_show_intervals():
    """The generic figures of plots.common: labelled axes, a title, the source footnote, error
    bars or a band for the interval, percentages for shares, and the caller's Axes."""
    import matplotlib.pyplot as plt

    from kuailive_analysis.plots.common import plot_bars, plot_lines

    df = pd.DataFrame({"day": [0, 1, 2], "rate": [0.5, 0.4, 0.3], "lo": [0.45, 0.35, 0.2],
                       "hi": [0.55, 0.45, 0.4], "group": ["a", "a", "b"]})  # fmt: skip
    fig = plot_bars(df, "day", "rate", xlabel="day", ylabel="share active (%)", lo="lo", hi="hi",
                    percent=True, title="T", source="twin")  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_xlabel() == "day" and ax.get_ylabel() == "share active (%)"
    assert ax.get_title(loc="left") + ax.get_title() == "T" and any(
        t.get_text() == "twin" for t in fig.texts
    )
    assert len(ax.patches) == 3 and ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    assert any(len(c.get_segments()) == 3 for c in ax.collections)  # the error bars
    fig2, axes = plt.subplots(1, 2)
    out = plot_lines(df, "day", "rate", by="group", xlabel="day", ylabel="rate", lo="lo", hi="hi",
                     ax=axes[1])  # fmt: skip
    assert out is fig2 and len(axes[1].get_lines()) == 2 and axes[1].get_legend() is not None
    plt.close("all")
