"""Chapter 3's segment comparison: for each segment, KM curves and tests on the right sample
(full table for profile snapshots, landmark table for early behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kuailive_analysis.retention.logrank import segment_tests
from kuailive_analysis.retention.segments import SNAPSHOT_SEGMENTS, km_by_segment

LANDMARK_CLOCK = "days since the landmark (end of the early window)"
"""x label of the panels of early-behaviour segments."""

PAIR_COLUMNS = [
    "segment",
    "sample",
    "a",
    "b",
    "n_a",
    "n_b",
    "S_a",
    "S_b",
    "diff",
    "logrank_p",
    "logrank_p_holm",
    "fixed_p",
    "fixed_p_holm",
]


@dataclass
class SegmentPair:
    """One pairwise comparison of two segment levels (a row of ``SegmentReport.pairwise``);
    all values missing (levels 'n/a', NaN) when the segment could not be compared."""

    a: str = "n/a"
    b: str = "n/a"
    S_a: float = float("nan")
    S_b: float = float("nan")
    fixed_p: float = float("nan")
    logrank_p: float = float("nan")


@dataclass
class SegmentReport:
    """KM curves and tests per segment (:func:`segment_report`).

    ``panels``: {panel title: {level: KaplanMeierFitter}} for :func:`plots.retention.km_grid`;
    ``xlabels``: clock label of the landmark panels; ``overview``: one row per segment
    (multivariate log-rank chi2, df, p, sample, snapshot flag); ``pairwise``: all level pairs
    (S at the fixed time point, log-rank and fixed-time p with Holm adjustment within the
    segment).
    """

    panels: dict = field(default_factory=dict)
    xlabels: dict = field(default_factory=dict)
    overview: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairwise: pd.DataFrame = field(default_factory=pd.DataFrame)

    def pair(self, segment: str) -> SegmentPair:
        """The first pairwise comparison of ``segment`` (levels in display order), or an empty
        :class:`SegmentPair` when the segment was not compared."""
        pw = self.pairwise
        rows = pw[pw["segment"] == segment] if len(pw) else pw
        if not len(rows):
            return SegmentPair()
        r = rows.iloc[0]
        return SegmentPair(
            str(r["a"]),
            str(r["b"]),
            float(r["S_a"]),
            float(r["S_b"]),
            float(r["fixed_p"]),
            float(r["logrank_p"]),
        )

    def headline(self, alpha: float = 0.05) -> str:
        """One-line finding (:func:`segment_headline`)."""
        return segment_headline(self.overview, alpha)


def segment_report(
    table: pd.DataFrame,
    landmark_table: pd.DataFrame,
    segments: pd.DataFrame,
    names,
    *,
    point_in_time: float = 7,
    min_group: int = 30,
    id_col: str = "user_id",
) -> SegmentReport:
    """KM fits and tests for each segment in ``names`` (columns of ``segments``; others are
    skipped, as are segments with fewer than two levels of ``min_group`` users).

    Profile snapshot segments (:data:`SNAPSHOT_SEGMENTS`) use the full table (clock: days since
    entry); early-behaviour segments use ``landmark_table`` (clock: days since the landmark).
    """
    panels, over, pairs, xlabels = {}, [], [], {}
    for name in names:
        if name not in segments.columns:
            continue
        behaviour = name not in SNAPSHOT_SEGMENTS
        tab = landmark_table if behaviour else table
        tab = tab[tab["eligible"]] if "eligible" in tab.columns else tab
        lab = tab[[id_col]].merge(segments[[id_col, name]], on=id_col, how="left")[name]
        res = segment_tests(tab, lab, point_in_time=point_in_time, min_group=min_group)
        if res.overall.empty:
            continue
        sample = "landmark" if behaviour else "all"
        title = f"{name} ({'after landmark' if behaviour else 'snapshot'})"
        panels[title] = km_by_segment(tab, lab, min_group=min_group)
        if behaviour:
            xlabels[title] = LANDMARK_CLOCK
        o = res.overall.iloc[0]
        over.append(
            {
                "segment": name,
                "sample": sample,
                "levels": int(o["levels"]),
                "n": int(o["n"]),
                "chi2": float(o["test_statistic"]),
                "df": int(o["df"]),
                "p": float(o["p"]),
                "snapshot": not behaviour,
            }
        )
        pairs.append(res.pairwise.assign(segment=name, sample=sample))
    pw = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame()
    if len(pw):
        pw = pw[PAIR_COLUMNS]
    return SegmentReport(panels, xlabels, pd.DataFrame(over), pw)


SELECTED_SEGMENT = "early_gifter"
"""The segment the sampling rule selects on (every sampled user gifted in the window, so a
short lifetime forces the gift into the first days)."""


def segment_headline(overview: pd.DataFrame, alpha: float = 0.05) -> str:
    """One-line finding for the segment figure: which segments differ at p < alpha."""
    if overview is None or overview.empty:
        return "No segment has two levels large enough to compare"
    sig = overview.loc[overview["p"] < alpha, "segment"].tolist()
    if not sig:
        return f"No segment's curves differ at p < {alpha:g} (log-rank)"
    text = f"Curves differ by {', '.join(sig)} (log-rank p < {alpha:g})"
    if SELECTED_SEGMENT in sig:  # the sampling rule, not gifting, can explain this one
        text += f"; {SELECTED_SEGMENT}: selection by the sampling rule, not an effect"
    return text
