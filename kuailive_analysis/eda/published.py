"""Section 2.5: the figures published about KuaiLive (the paper, measurements on the real files,
the dataset page) beside this run's value of each, computed the same way where the definition
is known (:data:`PAPER_FIGURES` records each with its source and a note where it is not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis import metrics as registry
from kuailive_analysis.core.constants import REAL_COUNTS
from kuailive_analysis.core.stats import gini, top_k_share
from kuailive_analysis.eda.activity import streamer_activity_of, user_activity_of
from kuailive_analysis.eda.base import GLUED, Section, Source, columns
from kuailive_analysis.eda.behaviour import gift_price_summary, watch_time_summary
from kuailive_analysis.eda.distributions import share_above, share_below
from kuailive_analysis.eda.profiles import MISSING_LABEL
from kuailive_analysis.eda.returns import REPEAT_DEFINITIONS, _repeat_series, _returns_rows
from kuailive_analysis.eda.rooms import _duration_frame, room_start_hours, shop_median_np
from kuailive_analysis.eda.timing import hour_window_label, hourly_profile, peak_window
from kuailive_analysis.engine.queries.eda import ROOM_DURATIONS

PAPER_SOURCE = (
    "Qu et al. 2025, 'KuaiLive: A Real-time Interactive Dataset for Live Streaming "
    "Recommendation', arXiv:2508.05633, data analysis section"
)


REAL_FILES_SOURCE = "measured on the real files (shared/kuailive-facts.md)"


DATASET_PAGE_SOURCE = "KuaiLive dataset page, statistics table"


SOURCE_TAGS = {
    PAPER_SOURCE: "paper",
    REAL_FILES_SOURCE: "real files",
    DATASET_PAGE_SOURCE: "dataset page",
}
"""Short names of the sources for tables (the full references are the keys)."""


@dataclass(frozen=True)
class PublishedFigure:
    """One published number about KuaiLive: ``value`` in the unit of ``kind``
    (share in [0, 1], hours of the day, seconds, minutes, hours, coins, ratio or count)."""

    key: str
    label: str
    value: float
    kind: str
    source: str
    display: str = ""
    note: str = ""


PAPER_FIGURES: tuple[PublishedFigure, ...] = (
    PublishedFigure(
        "streamers_lt5_interactions",
        "Streamers with < 5 interactions",
        0.70,
        "share",
        PAPER_SOURCE,
        "about 70%",
    ),
    PublishedFigure(
        "streamers_gt40_interactions",
        "Streamers with > 40 interactions",
        0.046,
        "share",
        PAPER_SOURCE,
    ),
    PublishedFigure(
        "top10_streamers_interaction_share",
        "Interactions on the top 10 streamers",
        0.015,
        "share",
        PAPER_SOURCE,
        "about 1.5%",
        note="depends on the number of streamers: larger at small twin scales",
    ),
    PublishedFigure(
        "room_start_peak",
        "Peak of room starts (Beijing)",
        18.0,
        "hour_window4",
        PAPER_SOURCE,
        "18:00-22:00",
    ),
    PublishedFigure(
        "users_lt50_interactions", "Users with < 50 interactions", 0.438, "share", PAPER_SOURCE
    ),
    PublishedFigure(
        "user_activity_peak",
        "Peak of user activity (Beijing)",
        18.0,
        "hour_window6",
        PAPER_SOURCE,
        "18:00-24:00 (small noon peak)",
    ),
    PublishedFigure(
        "repeat_share",
        "Repeat consumption (returns to the same streamer)",
        0.271,
        "share",
        PAPER_SOURCE,
        "27.1%",
        note="the paper's exact definition is not recorded; the run value uses the "
        "chapter's repeat_definition (default: share of clicks on a streamer "
        "the user had clicked before)",
    ),
    PublishedFigure(
        "ctr", "Exposure CTR = clicks / (clicks + negatives)", 0.279, "share", REAL_FILES_SOURCE
    ),
    PublishedFigure("comments_per_click", "Comments per click", 0.040, "share", REAL_FILES_SOURCE),
    PublishedFigure("likes_per_click", "Likes per click", 0.0365, "share", REAL_FILES_SOURCE),
    PublishedFigure("gifts_per_click", "Gifts per click", 0.0148, "share", REAL_FILES_SOURCE),
    PublishedFigure(
        "gift_session_share",
        "(user, live) click sessions with a gift",
        0.0157,
        "share",
        REAL_FILES_SOURCE,
    ),
    PublishedFigure(
        "share_streamers_gifted",
        "Streamers who ever receive a gift",
        0.078,
        "share",
        REAL_FILES_SOURCE,
    ),
    PublishedFigure("watch_lt_5s", "Clicks watched < 5 s", 0.539, "share", REAL_FILES_SOURCE),
    PublishedFigure(
        "watch_median_s", "Median watch time per click", 4.5, "seconds", REAL_FILES_SOURCE, "4-5 s"
    ),
    PublishedFigure(
        "watch_p99_min", "p99 watch time per click", 32.5, "minutes", REAL_FILES_SOURCE, "30-35 min"
    ),
    PublishedFigure(
        "user_watch_median_h",
        "Median watch time per user (21 days)",
        2.25,
        "hours",
        REAL_FILES_SOURCE,
    ),
    PublishedFigure(
        "user_watch_mean_h", "Mean watch time per user (21 days)", 4.74, "hours", REAL_FILES_SOURCE
    ),
    PublishedFigure("gift_price_median", "Median gift price", 2.0, "coins", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_mean", "Mean gift price", 82.7, "coins", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_p99", "p99 gift price", 1488.0, "coins", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_eq1", "Gifts with price 1", 0.439, "share", REAL_FILES_SOURCE),
    PublishedFigure("gift_price_le20", "Gifts with price <= 20", 0.82, "share", REAL_FILES_SOURCE),
    PublishedFigure(
        "gini_revenue_users", "Gini of gift revenue across users", 0.94, "ratio", REAL_FILES_SOURCE
    ),
    PublishedFigure(
        "top1_users_revenue_share",
        "Revenue from the top 1% of users",
        0.60,
        "share",
        REAL_FILES_SOURCE,
    ),
    PublishedFigure(
        "gini_revenue_gifted_streamers",
        "Gini of revenue across gifted streamers",
        0.93,
        "ratio",
        REAL_FILES_SOURCE,
    ),
    PublishedFigure(
        "gini_clicks_streamers",
        "Gini of clicks across streamers",
        0.56,
        "ratio",
        REAL_FILES_SOURCE,
        note="population of streamers not recorded; run value "
        "over streamers with at least one exposure",
    ),
    PublishedFigure("users_male", "Users who are male", 0.619, "share", REAL_FILES_SOURCE),
    PublishedFigure(
        "streamers_female", "Streamers who are female", 0.628, "share", REAL_FILES_SOURCE
    ),
    PublishedFigure(
        "shop_room_share", "Rooms in category 'shop'", 0.10, "share", REAL_FILES_SOURCE, "about 10%"
    ),
    PublishedFigure(
        "shop_duration_median_min",
        "Median duration of shop rooms",
        134.0,
        "minutes",
        REAL_FILES_SOURCE,
    ),
    PublishedFigure(
        "clicks_per_user",
        "Clicks per user",
        REAL_COUNTS["click"] / REAL_COUNTS["user"],
        "count",
        DATASET_PAGE_SOURCE,
        note="4,909,515 clicks / 23,772 users",
    ),
    PublishedFigure(
        "rooms_per_streamer",
        "Rooms per streamer",
        REAL_COUNTS["room_ids"] / REAL_COUNTS["streamer"],
        "count",
        DATASET_PAGE_SOURCE,
        note="11,613,708 rooms / 452,621 streamers",
    ),
)
"""Published figures with their source. ``hour_windowK`` values are the start hour of a
K-hour window."""


def format_value(value: float, kind: str) -> str:
    """Human-readable value of a figure of the given kind (see :class:`PublishedFigure`)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if kind == "share":
        return f"{value:.1%}" if value >= 0.1 else f"{value:.2%}"
    if kind.startswith("hour_window"):
        return hour_window_label(value, int(kind.removeprefix("hour_window")))
    if kind == "seconds":
        return f"{value:.1f} s"
    if kind == "minutes":
        return f"{value:.0f} min"
    if kind == "hours":
        return f"{value:.2f} h"
    if kind == "coins":
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,.1f}"


def paper_comparison(
    run_values: Mapping[str, float], figures: Sequence[PublishedFigure] = PAPER_FIGURES
) -> pd.DataFrame:
    """Table "what the paper reports vs this run": one row per published figure, with
    ``figure``, ``paper`` and ``this_run`` (formatted), ``paper_value``, ``run_value``,
    ``source`` (short tag, see :data:`SOURCE_TAGS`) and ``note``. Figures missing from
    ``run_values`` show ``n/a``."""
    rows = []
    for f in figures:
        v = run_values.get(f.key, float("nan"))
        v = float("nan") if v is None else float(v)
        rows.append(
            {
                "figure": f.label,
                "paper": f.display or format_value(f.value, f.kind),
                "this_run": format_value(v, f.kind),
                "paper_value": f.value,
                "run_value": v,
                "source": SOURCE_TAGS.get(f.source, f.source),
                "note": f.note,
            }
        )
    return pd.DataFrame(rows, index=pd.Index([f.key for f in figures], name="key"))


def run_values(
    ds,
    streamer_act: pd.DataFrame | None = None,
    user_act: pd.DataFrame | None = None,
    repeat: pd.Series | None = None,
    min_rooms: int = 2,
    repeat_definition: str = "share_clicks_seen_streamer",
    source: Source | None = None,
) -> dict[str, float]:
    """This run's value of every figure in :data:`PAPER_FIGURES`, keyed like it.

    ``ds`` is a :class:`~kuailive_analysis.dataset.Dataset` (anything with the contract's
    attributes). Pass the activity tables and repeat summary if already computed.
    ``repeat_definition`` picks which reading of repeat consumption is compared with the
    paper's 27.1% (one of :data:`REPEAT_DEFINITIONS`). ``source``: where the SQL definitions
    run (default ``Source(ds)``: the dataset's engine; pass the chapter's to reuse its results).
    The room and click tables are never loaded whole: room figures come from the engine's
    aggregates, click figures from single columns.
    """
    if repeat_definition not in REPEAT_DEFINITIONS:
        raise ValueError(
            f"run_values: repeat_definition {repeat_definition!r} is not one of "
            f"{sorted(REPEAT_DEFINITIONS)}."
        )
    src = Source(ds) if source is None else source
    if streamer_act is None:
        streamer_act = streamer_activity_of(ds)
    if user_act is None:
        user_act = user_activity_of(ds)
    if repeat is None:
        repeat = _repeat_series(_returns_rows(src, min_rooms, 3.0, 7 * 24.0))
    sa, ua = streamer_act, user_act
    out: dict[str, float] = {}
    out["streamers_lt5_interactions"] = share_below(sa["n_interactions"], 5)
    out["streamers_gt40_interactions"] = share_above(sa["n_interactions"], 40)
    out["top10_streamers_interaction_share"] = top_k_share(sa["n_interactions"], 10)
    out["room_start_peak"] = peak_window(room_start_hours(src)["n_rooms"], 4)[0]
    out["users_lt50_interactions"] = share_below(ua["n_interactions"], 50)
    inter = pd.concat(
        [columns(ds, t, ["hour"]) for t in ("clicks", "comments", "likes", "gifts")],
        ignore_index=True,
    )
    out["user_activity_peak"] = peak_window(hourly_profile({"i": inter})["i"], 6)[0]
    out["repeat_share"] = repeat[repeat_definition]
    # KPIs of the metric registry: the same values the chapters glue
    mc = registry.MetricContext(ds, tables={"streamer_activity": sa, "user_activity": ua})
    for k in (
        "ctr",
        "comments_per_click",
        "likes_per_click",
        "gifts_per_click",
        "gift_session_share",
        "share_streamers_gifted",
    ):
        out[k] = mc.value(k)
    watch = columns(ds, "clicks", ["watch_live_time"])["watch_live_time"]
    w = watch_time_summary(watch)
    out["watch_lt_5s"] = w["share_lt_5s"]
    out["watch_median_s"] = w["p50"]
    out["watch_p99_min"] = w["p99"] / 60.0
    out["user_watch_median_h"] = float(ua["watch_hours"].median())
    out["user_watch_mean_h"] = float(ua["watch_hours"].mean())
    gift_price = columns(ds, "gifts", ["gift_price"])["gift_price"]
    if len(gift_price):
        g = gift_price_summary(gift_price)
        out.update(
            gift_price_median=g["p50"],
            gift_price_mean=g["mean"],
            gift_price_p99=g["p99"],
            gift_price_eq1=g["share_eq_1"],
            gift_price_le20=g["share_le_20"],
        )
        out["gini_revenue_users"] = mc.value("gini_revenue_users")
        out["top1_users_revenue_share"] = mc.value("top1_users_revenue")
        out["gini_revenue_gifted_streamers"] = mc.value("gini_revenue_gifted")
    exposed = sa.loc[sa["n_exposures"] > 0, "n_clicks"]
    out["gini_clicks_streamers"] = gini(exposed) if len(exposed) else float("nan")
    users = columns(ds, "users", ["gender"])["gender"]
    streamers = columns(ds, "streamers", ["gender"])["gender"]
    out["users_male"] = float((users.astype("string") == "M").mean())
    out["streamers_female"] = float((streamers.astype("string") == "F").mean())
    # rooms per content category (all rooms; missing category its own group)
    per_cat = _duration_frame(src, ROOM_DURATIONS["content category"], ["live_content_category"])[
        "n_rooms"
    ]
    n_rooms = int(per_cat.sum())
    n_known = n_rooms - int(per_cat.get(MISSING_LABEL, 0))
    n_shop = int(per_cat.get("shop", 0))
    out["shop_room_share"] = n_shop / n_known if n_known else float("nan")
    out["shop_duration_median_min"] = shop_median_np(src)
    out["clicks_per_user"] = len(watch) / max(len(users), 1)
    out["rooms_per_streamer"] = n_rooms / max(len(streamers), 1)
    return out


# ---------------------------------------------------------------------------------------------
# The calibration check: each statistic computed the way its source did (the fidelity module)
# ---------------------------------------------------------------------------------------------
CALIBRATION_KEYS = (
    "streamer_lt5",
    "streamer_gt40",
    "top10_streamer_share",
    "daily_gini_clicks",
    "top1_streamer_clicks",
    "daily_gini_revenue",
    "gini_gifted_streamer_revenue",
    "gifted_streamer_share",
    "room_start_peak_hour",
    "shop_room_share",
    "shop_dur_p50",
    "user_lt50",
    "interaction_peak_hour",
    "user_watch_p50",
    "user_watch_mean",
    "loyal_watch_top_p50",
    "next_day_active",
    "ctr",
    "comments_per_click",
    "likes_per_click",
    "gifts_per_click",
    "gift_session_share",
    "watch_lt5",
    "watch_p50",
    "watch_p99",
    "price_p50",
    "price_mean",
    "price_p99",
    "price_le20",
    "gini_user_revenue",
    "top1_user_revenue",
    "user_male",
    "streamer_female",
)
"""Fidelity facts (:data:`kuailive_analysis.fidelity.FACT_BY_KEY`) the chapter's calibration
table shows: the published figures the chapter's sections speak about."""

ROLE_TWIN = "calibration target (planted)"
ROLE_REAL = "published value (check)"

CALIBRATION_COLUMNS = {
    "statistic": "Statistic",
    "published": "Published (real files)",
    "this_run": "This run (computed as the source did)",
    "verdict": "Verdict",
    "role": "Role",
    "how": "How the source computed it",
    "source": "Source",
}
"""Columns of the calibration table as the book shows it (raw name -> header)."""


def calibration_table(ds, keys: Sequence[str] = CALIBRATION_KEYS) -> pd.DataFrame:
    """The published statistics beside this run's value, each computed the way its source did
    (values and verdicts from :mod:`kuailive_analysis.fidelity`: :func:`~kuailive_analysis.
    fidelity.measure` on the data folder, :func:`~kuailive_analysis.fidelity.compare`).

    One row per key (index = fidelity key) with ``statistic``, ``published`` and ``this_run``
    (formatted), ``verdict`` (match / close / off / n/a within the fact's tolerance), ``role``
    (on a twin every row is a :data:`ROLE_TWIN`: the generator was calibrated to these numbers,
    so agreement is a check of the twin, not a finding), ``how``, ``source``, ``real_value``
    and ``run_value``. Without a data folder (a hand-made dataset) the run values are n/a.
    """
    from kuailive_analysis import fidelity  # local: fidelity imports eda

    source = getattr(ds, "source", None)
    path = getattr(source, "path", None)
    twin = bool(source is not None and source.is_twin)
    stats: dict = {}
    if path:
        try:
            stats = fidelity.measure_cached(path, getattr(source, "fingerprint", None))
        except Exception:  # noqa: BLE001 - a folder the fidelity reader cannot use: n/a values
            stats = {}
    facts = [fidelity.FACT_BY_KEY[k] for k in keys]
    scale = stats.get("n_user", 0) / fidelity.REAL_USERS if twin and stats else 1.0
    table = fidelity.compare(stats, scale=scale or 1.0, real_folder=not twin, facts=facts)
    rows = []
    for f, r in zip(facts, table.itertuples(index=False), strict=True):
        rows.append(
            {
                "statistic": f.fact,
                "published": f.published or fidelity.format_value(f.real, f.unit),
                "this_run": fidelity.format_value(r[3], f.unit),
                "verdict": r[5],
                "role": ROLE_TWIN if twin else ROLE_REAL,
                "how": f.how,
                "source": f.source,
                "real_value": float(f.real),
                "run_value": float(r[3]),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(list(keys), name="key"))


# ---------------------------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------------------------
PAPER_TABLE_COLUMNS = tuple(CALIBRATION_COLUMNS)
"""Columns of the calibration table as the book shows it."""


@dataclass(frozen=True, eq=False)
class Published(Section):
    """The published statistics vs this run: ``calibration`` (:func:`calibration_table`, each
    statistic computed as its source did), ``comparison`` (:func:`paper_comparison`, the
    chapter's own readings of the published figures) and the quoted texts."""

    comparison: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame = field(repr=False)
    repeat_definition_text: str = field(metadata=GLUED)
    paper_ref: str = field(metadata=GLUED)
    calibration_role: str = field(metadata=GLUED)
    calibration_n: int = field(metadata=GLUED)
    calibration_match: int = field(metadata=GLUED)
    calibration_close: int = field(metadata=GLUED)
    calibration_off: int = field(metadata=GLUED)
    click_gini_daily: float = field(metadata=GLUED)
    click_gini_daily_real: float = field(metadata=GLUED)

    def display_table(self) -> pd.DataFrame:
        """The calibration table as the book shows it (readable headers, no index)."""
        t = self.calibration[list(CALIBRATION_COLUMNS)].reset_index(drop=True)
        return t.rename(columns=CALIBRATION_COLUMNS)

    def verdict(self, key: str) -> str:
        """The calibration verdict of one fidelity key (``'n/a'`` if not in the table)."""
        if key not in self.calibration.index:
            return "n/a"
        return str(self.calibration.loc[key, "verdict"])


def published_section(
    ds,
    streamer_act: pd.DataFrame,
    user_act: pd.DataFrame,
    repeat: pd.Series,
    min_rooms: int = 2,
    repeat_definition: str = "share_clicks_seen_streamer",
    source: Source | None = None,
) -> Published:
    """The :class:`Published` section (arguments as :func:`run_values`)."""
    vals = run_values(
        ds,
        streamer_act=streamer_act,
        user_act=user_act,
        repeat=repeat,
        min_rooms=min_rooms,
        repeat_definition=repeat_definition,
        source=source,
    )
    cal = calibration_table(ds)
    counts = cal["verdict"].value_counts()
    twin = bool(getattr(getattr(ds, "source", None), "is_twin", False))
    return Published(
        comparison=paper_comparison(vals),
        calibration=cal,
        repeat_definition_text=REPEAT_DEFINITIONS[repeat_definition],
        paper_ref=PAPER_SOURCE,
        calibration_role=ROLE_TWIN if twin else ROLE_REAL,
        calibration_n=len(cal),
        calibration_match=int(counts.get("match", 0)),
        calibration_close=int(counts.get("close", 0)),
        calibration_off=int(counts.get("off", 0)),
        click_gini_daily=float(cal.loc["daily_gini_clicks", "run_value"]),
        click_gini_daily_real=float(cal.loc["daily_gini_clicks", "real_value"]),
    )
