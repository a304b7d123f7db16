"""Section 2.5: the statistics published about the real KuaiLive files beside this run's value
of each, computed the way its source computed it. The measurement and the verdicts are the
fidelity appendix's (:mod:`kuailive_analysis.fidelity`: :func:`~kuailive_analysis.fidelity.
measure_cached` on the delivered files, :func:`~kuailive_analysis.fidelity.compare`); this
module picks the statistics the chapter speaks about and shapes the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from kuailive_analysis import fidelity
from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core.constants import REAL_USERS
from kuailive_analysis.eda.returns import REPEAT_DEFINITIONS
from kuailive_analysis.fidelity.comparability import NOT_COMPARABLE_VERDICT, SAME_WAY

PAPER_SOURCE = (
    "Qu et al. 2025, 'KuaiLive: A Real-time Interactive Dataset for Live Streaming "
    "Recommendation', arXiv:2508.05633, data analysis section"
)

CALIBRATION_KEYS = (
    "streamer_lt5",
    "streamer_gt40",
    "top10_streamer_share",
    "daily_gini_clicks",
    "gini_streamer_clicks",
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
table shows: the published figures the chapter's sections speak about (the pooled click Gini
of section 2.2 among them, shown as not comparable with its published value)."""

ROLE_TUNED = "calibration target: the twin was tuned to it"
ROLE_UNTUNED = "check of the twin: not tuned to it"
ROLE_REAL = "published value: checks this copy"
"""The role of a row: on the twin a value the generator was tuned to
(:mod:`kuailive_analysis.fidelity.targets`) or one it was not; on a real folder every row
checks the copy and its reading."""

SAME_WAY_SHORT = "same definition, population and unit as the source"
"""The table's *why* of a comparison without a note (the fidelity module's ``SAME_WAY``)."""

CALIBRATION_COLUMNS = {
    "statistic": "Statistic",
    "published": "Published (real files)",
    "this_run": "This run (computed as the source did)",
    "verdict": "Verdict",
    "role": "Role",
    "how": "How the source computed it",
    "why": "Why the comparison is valid (or not)",
    "source": "Source",
}
"""Columns of the calibration table as the book shows it (raw name -> header)."""


def calibration_table(ds, keys: Sequence[str] = CALIBRATION_KEYS) -> pd.DataFrame:
    """The published statistics beside this run's value, each computed the way its source did.

    Parameters
    ----------
    ds : Dataset
        Its ``source.path`` holds the delivered files (no data folder, or one the fidelity
        reader cannot use: the run values are n/a).
    keys : sequence of str
        Fidelity fact keys, the rows.

    Returns
    -------
    DataFrame
        Index = fact key; ``statistic``, ``published`` and ``this_run`` (formatted),
        ``verdict`` (match / close / off / n/a within the fact's tolerance), ``role`` (on a
        twin every row is a :data:`ROLE_TWIN`: the generator was calibrated to these numbers,
        so agreement checks the twin, it is not a finding), ``how``, ``source``,
        ``real_value`` and ``run_value``.
    """
    source = ds.source
    twin = bool(source.is_twin)
    stats: dict = {}
    if source.path:
        try:
            stats = fidelity.measure_cached(source.path, source.fingerprint)
        except Exception:  # noqa: BLE001 - a folder the fidelity reader cannot use: n/a values
            stats = {}
    facts = [fidelity.FACT_BY_KEY[k] for k in keys]
    scale = stats.get("n_user", 0) / REAL_USERS if twin and stats else 1.0
    table = fidelity.compare(stats, scale=scale or 1.0, real_folder=not twin, facts=facts)
    rows = []
    for f, r in zip(facts, table.itertuples(index=False), strict=True):
        rows.append(
            {
                "statistic": f.fact,
                "published": f.published or fidelity.format_value(f.real, f.unit),
                "this_run": fidelity.format_value(r[3], f.unit),
                "verdict": r[5],
                "role": (ROLE_TUNED if f.tuned else ROLE_UNTUNED) if twin else ROLE_REAL,
                "how": f.how,
                "why": SAME_WAY_SHORT if f.basis == SAME_WAY else f.basis,
                "source": f.source,
                "real_value": float(f.real),
                "run_value": float(r[3]),
                "tuned": bool(f.tuned),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(list(keys), name="key"))


@dataclass(frozen=True, eq=False)
class Published(Section):
    """The published statistics vs this run: ``calibration`` (:func:`calibration_table`) and
    the quoted values."""

    calibration: pd.DataFrame = field(repr=False)
    repeat_definition_text: str = glued()
    paper_ref: str = glued()
    calibration_n: int = glued()
    calibration_n_judged: int = glued()
    calibration_n_tuned: int = glued()
    calibration_match: int = glued()
    calibration_close: int = glued()
    calibration_off: int = glued()
    calibration_not_comparable: int = glued()
    not_comparable_text: str = glued()
    click_gini_daily: float = glued()
    click_gini_daily_real: float = glued()

    def display_table(self) -> pd.DataFrame:
        """The calibration table as the book shows it (readable headers, no index)."""
        t = self.calibration[list(CALIBRATION_COLUMNS)].reset_index(drop=True)
        return t.rename(columns=CALIBRATION_COLUMNS)

    def verdict(self, key: str) -> str:
        """The calibration verdict of one fidelity key (``'n/a'`` if not in the table)."""
        if key not in self.calibration.index:
            return "n/a"
        return str(self.calibration.loc[key, "verdict"])


def published_section(ds, repeat_definition: str = "share_clicks_seen_streamer") -> Published:
    """The :class:`Published` section of a dataset; ``repeat_definition``: the chapter's
    reading of the paper's repeat share (a key of :data:`~kuailive_analysis.eda.returns.
    REPEAT_DEFINITIONS`)."""
    cal = calibration_table(ds)
    counts = cal["verdict"].value_counts()
    judged = ~cal["verdict"].isin(["n/a", NOT_COMPARABLE_VERDICT])
    nc = cal.loc[cal["verdict"] == NOT_COMPARABLE_VERDICT, "statistic"].tolist()
    return Published(
        calibration=cal,
        repeat_definition_text=REPEAT_DEFINITIONS[repeat_definition],
        paper_ref=PAPER_SOURCE,
        calibration_n=len(cal),
        calibration_n_judged=int(judged.sum()),
        calibration_n_tuned=int((judged & cal["tuned"]).sum()) if ds.source.is_twin else 0,
        calibration_match=int(counts.get("match", 0)),
        calibration_close=int(counts.get("close", 0)),
        calibration_off=int(counts.get("off", 0)),
        calibration_not_comparable=len(nc),
        not_comparable_text=", ".join(nc) if nc else "none",
        click_gini_daily=float(cal.loc["daily_gini_clicks", "run_value"]),
        click_gini_daily_real=float(cal.loc["daily_gini_clicks", "real_value"]),
    )
