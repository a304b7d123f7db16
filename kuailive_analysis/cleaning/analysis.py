"""Chapter 1 from a loaded dataset (:func:`analyse`).

Cleaning happens when the data is loaded (``load(data_dir, **params)``, the rules of
:mod:`kuailive_analysis.engine.queries.cleaning`; the choices are part of the cache key), and
the cache holds its small book tables (``Dataset.report``, ``quality``, ``raw_files``,
``room_sensitivity``, ``room_durations``): :func:`analyse` gathers them, adds the registry KPIs
of the data model and states the numbers the chapter quotes.
"""

from __future__ import annotations

from dataclasses import fields

import pandas as pd

from kuailive_analysis import metrics as registry
from kuailive_analysis.chapter.result import GLUE
from kuailive_analysis.cleaning.result import CleaningResult
from kuailive_analysis.cleaning.sections import (
    TRUTH_COLUMNS,
    Accounting,
    Checks,
    Decisions,
    Delivered,
    Model,
    Titles,
)
from kuailive_analysis.core.params import ParamError
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.accounting import report_numbers
from kuailive_analysis.data.params import KEEPS_REAL_EVENTS, CleaningParams
from kuailive_analysis.dataset import Dataset
from kuailive_analysis.engine.queries.cleaning import MODEL_COUNTS
from kuailive_analysis.engine.queries.model import data_model

__all__ = ["analyse", "truth_check"]

SCHEMA_COLUMNS = ["file", "column", "kind", "dtype", "unit", "key", "references"]
"""Columns of the data dictionary the chapter shows (one-hot feature columns left out)."""

QUALITY_NUMBERS = {
    "q_dup_rooms": ("duplicate live_id rows", "room"),
    "q_long_rooms": ("longer than 1 day", "room"),
    "q_capped": ("end capped (still live)", "room"),
    "q_dup_neg": ("exact duplicate rows", "negative"),
    "q_mismatch_click": ("streamer mismatch", "click"),
}
"""Glued field of :class:`Checks` -> (check, table) of the quality checks."""

SENSITIVITY_NUMBERS = {"sens_click_half": 0.5, "sens_click_week": 7.0}
"""Glued field -> ``max_room_days`` threshold whose share of clicks dropped the text quotes."""

MODEL_METRICS = ("n_sessions", "share_sessions_click")
"""Registry KPIs of the data model section."""

TRUTH_TABLES = (*S.EVENT_TABLES, "rooms")
"""Tables whose clean row count the twin's ground truth (``truth.json`` counts) gives."""


def truth_check(report: pd.DataFrame, truth: dict | None) -> pd.DataFrame | None:
    """Each table's clean rows against the rows the twin's generator wrote (its ground truth;
    every row it wrote is a real event, and each room id a real room).

    Parameters
    ----------
    report : pandas.DataFrame
        The cleaning report.
    truth : dict or None
        ``Dataset.truth`` (its ``params["counts"]``: rows written per table).

    Returns
    -------
    pandas.DataFrame or None
        Columns of :data:`~kuailive_analysis.cleaning.sections.TRUTH_COLUMNS`: ``dropped`` =
        written - kept (real rows lost), ``flagged`` = rows kept but flagged by a rule that may
        remove real events; None without ground truth.
    """
    counts = ((truth or {}).get("params") or {}).get("counts")
    if not counts:
        return None
    rows = []
    for table, g in report.groupby("table", sort=False):
        key = "rooms" if table == "room" else table
        if key not in TRUTH_TABLES or key not in counts:
            continue
        written, kept = int(counts[key]), int(g["rows_out"].iloc[-1])
        flagged = int(g.loc[g["rule"].isin(list(KEEPS_REAL_EVENTS)), "rows_flagged"].sum())
        rows.append(
            {
                "table": table,
                "written": written,
                "in_file": int(g["rows_in"].iloc[0]),
                "kept": kept,
                "dropped": written - kept,
                "flagged": flagged,
            }
        )
    return pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))


def _glued(section: type, values: dict) -> dict:
    """The values of ``section``'s glued fields found in ``values``."""
    return {f.name: values[f.name] for f in fields(section) if GLUE in f.metadata}


def room_days_label(days: float | None) -> str:
    """The long-room threshold in words: ``'1 day'``, ``'2 days'``, ``'no limit'``."""
    if days is None:
        return "no limit"
    return f"{days:g} day" + ("" if days == 1 else "s")


def report_title(report: pd.DataFrame) -> str:
    """The cleaning-report figure's title: the rule that dropped the largest share of a
    table's raw rows."""
    raw = report.groupby("table", sort=False)["rows_in"].first()
    share = report["rows_dropped"] / report["table"].map(raw).clip(lower=1)
    if not (report["rows_dropped"] > 0).any():
        return "No cleaning rule dropped any row"
    top = report.loc[share.idxmax()]
    return (
        f"{top['rule'].replace('_', ' ').capitalize()} removes the largest share: "
        f"{share.max():.2%} of {top['table']} rows"
    )


def analyse(ds: Dataset, params: CleaningParams | None = None, **overrides) -> CleaningResult:
    """Chapter 1 from a loaded dataset.

    Parameters
    ----------
    ds : Dataset
        Loaded with :func:`kuailive_analysis.dataset.load`.
    params : CleaningParams, optional
        Must be the choices ``ds`` was cleaned with (they are by default): cleaning happens when
        the data is loaded.
    **overrides
        Single choices over ``params``.

    Returns
    -------
    CleaningResult

    Raises
    ------
    ParamError
        ``params`` / ``overrides`` differ from the dataset's cleaning choices.
    """
    p = CleaningParams.resolve(params, overrides) if params is not None or overrides else None
    if p is not None and p.to_dict() != dict(ds.params):
        raise ParamError(
            f"Chapter 01_cleaning: the dataset was cleaned with {dict(ds.params)}, not "
            f"{p.to_dict()}; load it with those choices: load(data_dir, **params)."
        )
    p = CleaningParams.from_values(ds.params)
    report, quality, sens = ds.report, ds.quality, ds.room_sensitivity
    n = report_numbers(report)
    files = ds.raw_files.set_index("file")
    q = quality.set_index(["check", "table"])["count"]
    by_days = sens.set_index("max_room_days")["click_dropped_share"]
    n |= {k: int(q[check]) for k, check in QUALITY_NUMBERS.items()}
    n |= {k: float(by_days.loc[t]) for k, t in SENSITIVITY_NUMBERS.items()}
    for t in ("click", "gift"):
        n[f"long_{t}_n"] = n[f"long_rooms_{t}_dropped"] + n[f"long_rooms_{t}_flagged"]
        n[f"long_{t}_share"] = n[f"long_{t}_n"] / max(n[f"{t}_in"], 1)
    n |= {"click_first": files.loc["click.csv", "first time"]}
    n |= {"click_last": files.loc["click.csv", "last time"]}
    n |= {"room_name_rule": p.room_name_rule, "long_rooms_mode": p.long_rooms}
    n |= {"max_room_days_label": room_days_label(p.max_room_days)}
    n |= {k: v.value for k, v in registry.compute_many(MODEL_METRICS, ds).items()}
    counts = ds.query(MODEL_COUNTS).iloc[0]
    n["n_user_days"] = int(counts["n_user_days"])
    dictionary = S.schema_table()
    dictionary = dictionary[~dictionary["column"].str.startswith("onehot_feat")]
    return CleaningResult(
        source=ds.source,
        params=p,
        titles=Titles(
            room_durations="Most rooms last minutes to hours; a thin tail runs to 7 days",
            room_sensitivity="The long-room threshold moves the share of events dropped",
            report=report_title(report),
        ),
        delivered=Delivered(
            raw_files=ds.raw_files,
            click_sample=ds.raw_sample("click"),
            schema=dictionary[SCHEMA_COLUMNS].reset_index(drop=True),
            **_glued(Delivered, n),
        ),
        checks=Checks(quality=quality, **_glued(Checks, n)),
        decisions=Decisions(
            room_durations=ds.room_durations, room_sensitivity=sens, **_glued(Decisions, n)
        ),
        accounting=Accounting(
            report=report, truth=truth_check(report, ds.truth), **_glued(Accounting, n)
        ),
        model=Model(
            data_model=data_model(),
            n_rooms=int(counts["n_rooms"]),
            n_room_ids=int(counts["n_room_ids"]),
            **_glued(Model, n),
        ),
        source_label=ds.source.label,
    )
