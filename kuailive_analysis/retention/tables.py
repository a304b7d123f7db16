"""Readable versions of chapter 3's tables: headers in words with units, percentages and
intervals as text (:mod:`kuailive_analysis.core.format`), long tables summarised.

Each function takes the analysis frame and returns a new frame for
:func:`kuailive_analysis.report.show_table` (text columns are shown as they are; counts get
thousands separators there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.core.format import format_p, format_percent, format_range
from kuailive_analysis.retention.populations import ALL_USERS, POPULATIONS


@dataclass(frozen=True)
class Tables:
    """Chapter 3's tables in readable form (built once by the analysis)."""

    populations: pd.DataFrame
    new_users: pd.DataFrame
    gaps: pd.DataFrame
    weekly: pd.DataFrame
    stickiness: pd.DataFrame
    sensitivity: pd.DataFrame
    segments: pd.DataFrame
    pairs: pd.DataFrame
    ph: pd.DataFrame


def population_table(pop: pd.DataFrame) -> pd.DataFrame:
    """Day-N retention by population (:func:`population_retention`)."""
    pop = pop[pop["population"].isin((*POPULATIONS, ALL_USERS))]
    return pd.DataFrame(
        {
            "population": pop["population"],
            "day N": pop["n"],
            "users (count)": pop["users"],
            "cohorts reaching day N": pop["cohorts"],
            "users reaching day N": pop["denominator"],
            "active on day N (count)": pop["retained"],
            "day-N retention, size-weighted": [format_percent(x, 1) for x in pop["rate"]],
            "95% Wilson interval": [format_range(a, b, 1) for a, b in zip(pop["lo"], pop["hi"])],
            "unweighted mean of cohorts": [format_percent(x, 1) for x in pop["unweighted"]],
        }
    ).reset_index(drop=True)


def new_user_check_table(check: pd.DataFrame) -> pd.DataFrame:
    """The definitions of new users scored against the planted start
    (:func:`~kuailive_analysis.retention.new_users.definition_check`); the chapter's own
    definition is marked."""
    return pd.DataFrame(
        {
            "new users are those with a": [
                f"{d} (this chapter)" if c else d
                for d, c in zip(check["definition"], check["chosen"])
            ],
            "users called new (count)": check["called_new"],
            "with a planted start in the window (count)": [
                "\u2013" if pd.isna(x) else f"{int(x):,}" for x in check["planted_start_in_window"]
            ],
            "share right (planted start in the window)": [
                format_percent(x, 1) for x in check["share_right"]
            ],
            "share of planted starters found": [format_percent(x, 1) for x in check["share_found"]],
        }
    )


def _signed(x: float) -> str:
    return "\u2013" if not math.isfinite(x) else f"{100 * x:+.1f}"


def gap_table(rows: pd.DataFrame) -> pd.DataFrame:
    """New minus existing day-N retention, unadjusted and within activity levels
    (:func:`~kuailive_analysis.retention.gap.gap_rows`), in percentage points."""

    def ci(tag):
        return [
            f"{_signed(a)} to {_signed(b)}" for a, b in zip(rows[f"{tag}_lo"], rows[f"{tag}_hi"])
        ]

    return pd.DataFrame(
        {
            "comparison": rows["split"],
            "day N": rows["n"],
            "existing users reaching day N": rows["n_existing"],
            "new users reaching day N": rows["n_new"],
            "existing: day-N retention": [format_percent(x, 1) for x in rows["rate_existing"]],
            "new: day-N retention": [format_percent(x, 1) for x in rows["rate_new"]],
            "gap, new minus existing (points)": [_signed(x) for x in rows["raw"]],
            "gap 95% interval (points)": ci("raw"),
            "activity-adjusted gap (points)": [_signed(x) for x in rows["adj"]],
            "adjusted 95% interval (points)": ci("adj"),
            "activity levels (count)": rows["levels"],
            "activity window (days)": rows["window_days"],
            "detectable at 80% power (points)": [
                "\u2013" if not math.isfinite(x) else f"{100 * x:.1f}" for x in rows["adj_mde"]
            ],
        }
    )


def weekly_table(weekly: pd.DataFrame) -> pd.DataFrame:
    """Week-N retention by first active week (:func:`weekly_retention`)."""
    return pd.DataFrame(
        {
            "first active week": [
                f"week {w} (days {7 * w}-{7 * w + 6})" for w in weekly["cohort_week"]
            ],
            "week N after": weekly["n_weeks"],
            "users in cohort (count)": weekly["cohort_size"],
            "active in week N (count)": weekly["retained"],
            "week-N retention": [format_percent(x, 1) for x in weekly["rate"]],
            "95% Wilson interval": [
                format_range(a, b, 1) for a, b in zip(weekly["lo"], weekly["hi"])
            ],
        }
    )


def stickiness_table(dw: pd.DataFrame) -> pd.DataFrame:
    """DAU/WAU summarised by calendar week (:func:`dau_wau`)."""
    g = dw.groupby("week")
    out = pd.DataFrame(
        {
            "calendar week": [f"week {w}" for w in g.groups],
            "days with a full rolling week": g["day"].agg(lambda d: f"{d.min()}-{d.max()}"),
            "mean DAU (users)": g["dau"].mean().round().astype("int64"),
            "mean rolling WAU (users)": g["wau"].mean().round().astype("int64"),
            "mean DAU/WAU": [format_percent(x, 1) for x in g["ratio"].mean()],
            "lowest day": [format_percent(x, 1) for x in g["ratio"].min()],
            "highest day": [format_percent(x, 1) for x in g["ratio"].max()],
        }
    )
    return out.reset_index(drop=True)


def sensitivity_table(sens: pd.DataFrame) -> pd.DataFrame:
    """Headline numbers per churn threshold (:func:`churn_sensitivity`)."""
    return pd.DataFrame(
        {
            "churn after (silent days)": sens["churn_days"],
            "users assessed (count)": sens["n"],
            "churns observed (count)": sens["events"],
            "share churned": [format_percent(x, 1) for x in sens["share_churned"]],
            "churners who came back": [format_percent(x, 1) for x in sens["share_returned"]],
            "median time to churn (days)": [
                f"{m:.0f}" if math.isfinite(m) else "not reached" for m in sens["median"]
            ],
            "RMST (days)": [f"{x:.2f}" for x in sens["rmst"]],
            "not churned after 1 day": [format_percent(x, 1) for x in sens["S(1)"]],
            "not churned after 7 days": [format_percent(x, 1) for x in sens["S(7)"]],
        }
    )


def segment_overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """The multivariate log-rank test per segment."""
    return pd.DataFrame(
        {
            "segment": overview["segment"],
            "clock": overview["sample"]
            .map({"all": "entry", "landmark": "after landmark"})
            .fillna(overview["sample"]),
            "levels (count)": overview["levels"],
            "users (count)": overview["n"],
            "log-rank chi-square": [f"{x:.2f}" for x in overview["chi2"]],
            "degrees of freedom": overview["df"],
            "p-value": [format_p(p) for p in overview["p"]],
            "profile snapshot": ["yes" if s else "no" for s in overview["snapshot"]],
        }
    )


def pair_summary_table(pairs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The pairwise comparisons collapsed to one row per segment: how many pairs, how many
    differ at ``alpha`` after Holm (fixed-time test), and the pair with the largest difference."""
    rows = []
    for seg, g in pairs.groupby("segment", sort=False):
        r = g.loc[g["diff"].abs().idxmax()]
        rows.append(
            {
                "segment": seg,
                "pairs compared": len(g),
                "pairs differing (Holm p < 0.05)": int((g["fixed_p_holm"] < alpha).sum()),
                "largest gap: levels": f"{r['a']} vs {r['b']}",
                "day-N survival (a)": format_percent(r["S_a"], 1),
                "day-N survival (b)": format_percent(r["S_b"], 1),
                "difference (points)": f"{100 * r['diff']:+.1f}",
                "fixed-time p (Holm)": format_p(r["fixed_p_holm"]),
                "log-rank p (Holm)": format_p(r["logrank_p_holm"]),
            }
        )
    return pd.DataFrame(rows)


def ph_table(ph: pd.DataFrame, labels: dict, alpha: float = 0.01) -> pd.DataFrame:
    """The proportional-hazards test per covariate, with a verdict."""
    return pd.DataFrame(
        {
            "covariate": [labels.get(c, (c,))[0] for c in ph["covariate"]],
            "Schoenfeld test statistic": [f"{x:.2f}" for x in ph["test_statistic"]],
            "p-value": [format_p(p) for p in ph["p"]],
            "proportional hazards": ["violated" if p < alpha else "consistent" for p in ph["p"]],
        }
    )
