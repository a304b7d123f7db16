"""What chapter 1 shows: the delivered files, the quality checks, the cleaning report, the
long-room sensitivity and the data model, as one :class:`CleaningResult`.

Everything here was computed once by :func:`kuailive_analysis.data.dataset.load` (and cached with the
clean tables): :func:`analyse` gathers it from a :class:`~kuailive_analysis.data.dataset.Dataset`,
adds the two registry KPIs of the data model (sessions, the share of sessions with a click) and
states the numbers the chapter's text quotes (:meth:`CleaningResult.numbers`). The cleaning
choices are the dataset's (``ds.params``; arguments of ``load``), so a chapter run with other
parameters reloads rather than passing them here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.core import metrics as registry
from kuailive_analysis.core.metric_defs import MetricValue
from kuailive_analysis.data import schema
from kuailive_analysis.data.clean import report_numbers
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.data.features import data_model

SCHEMA_COLUMNS = ["file", "column", "kind", "dtype", "unit", "key", "references"]
"""Columns of the data dictionary the chapter shows."""

QUALITY_NUMBERS = {
    "q_dup_rooms": ("duplicate live_id rows", "room"),
    "q_long_rooms": ("longer than 1 day", "room"),
    "q_capped": ("end capped (still live)", "room"),
    "q_dup_neg": ("exact duplicate rows", "negative"),
    "q_mismatch_click": ("streamer mismatch", "click"),
}
"""Glue key -> (check, table) of :attr:`CleaningResult.quality` the text quotes."""

REPORT_NUMBERS = (
    "user_in",
    "streamer_in",
    "room_in",
    "click_in",
    "comment_in",
    "like_in",
    "gift_in",
    "negative_in",
    "duplicate_rooms_room_dropped",
    "duplicate_rooms_room_flagged",
    "censored_room_end_room_flagged",
    "long_rooms_room_dropped",
    "long_rooms_click_dropped",
    "long_rooms_gift_dropped",
    "events_outside_window_click_dropped",
    "duplicate_events_click_dropped",
    "duplicate_events_negative_dropped",
    "orphan_events_click_dropped",
    "streamer_mismatch_click_flagged",
    "click_kept_share",
    "gift_kept_share",
    "negative_kept_share",
)
"""Numbers of the cleaning report (:func:`kuailive_analysis.data.clean.report_numbers`) the text
quotes."""

SENSITIVITY_NUMBERS = {"sens_click_half": 0.5, "sens_click_week": 7.0}
"""Glue key -> ``max_room_days`` threshold whose share of clicks dropped the text quotes."""

MODEL_METRICS = ("n_sessions", "share_sessions_click")
"""Registry KPIs of the data model section."""


@dataclass(frozen=True, eq=False)
class CleaningResult:
    """Chapter 1 (:func:`analyse`): the tables it shows and the numbers its text quotes."""

    source: DataSource
    params: dict
    """Cleaning parameters of the dataset (:class:`kuailive_analysis.data.clean.CleaningParams`)."""
    raw_files: pd.DataFrame
    """Rows and time range of each delivered file."""
    click_sample: pd.DataFrame
    """The first rows of click.csv exactly as read."""
    schema: pd.DataFrame
    """The data dictionary (one-hot feature columns left out)."""
    quality: pd.DataFrame
    """Key and data-quality checks on the raw files (one row per check and table)."""
    report: pd.DataFrame
    """The cleaning report: one row per (rule, table) with rows in, dropped, flagged, out."""
    room_sensitivity: pd.DataFrame
    """What each ``max_room_days`` threshold drops, in rooms and each event table."""
    room_durations: pd.DataFrame
    """Histogram of deduplicated room durations, ended and censored."""
    data_model: pd.DataFrame
    """Each table of the data model with its grain, key and joins."""
    metrics: dict[str, MetricValue]
    """Registry values of :data:`MODEL_METRICS`."""
    n_user_days: int

    @property
    def quality_findings(self) -> pd.DataFrame:
        """The quality checks that found something (count > 0)."""
        return self.quality[self.quality["count"] > 0]

    @property
    def max_room_days_label(self) -> str:
        """The long-room threshold in words (``'1 day'``, ``'2 days'``, ``'no limit'``)."""
        days = self.params.get("max_room_days")
        if days is None:
            return "no limit"
        return f"{days:g} day" + ("" if days == 1 else "s")

    def numbers(self) -> dict:
        """Plain Python values for the chapter's text: exactly the glue keys its prose uses."""
        rep = report_numbers(self.report)
        files = self.raw_files.set_index("file")
        q = self.quality.set_index(["check", "table"])["count"]
        sens = self.room_sensitivity.set_index("max_room_days")
        out: dict = {
            "source_label": self.source.label,
            "click_first": files.loc["click.csv", "first time"],
            "click_last": files.loc["click.csv", "last time"],
            "room_name_rule": self.params.get("room_name_rule"),
            "max_room_days_label": self.max_room_days_label,
        }
        out.update({key: rep[key] for key in REPORT_NUMBERS})
        out.update({key: int(q[check]) for key, check in QUALITY_NUMBERS.items()})
        out.update(
            {
                key: float(sens.loc[t, "click_dropped_share"])
                for key, t in SENSITIVITY_NUMBERS.items()
            }
        )
        out["long_click_share"] = rep["long_rooms_click_dropped"] / max(rep["click_in"], 1)
        out["long_gift_share"] = rep["long_rooms_gift_dropped"] / max(rep["gift_in"], 1)
        out.update({key: self.metrics[key].value for key in MODEL_METRICS})
        out["n_user_days"] = self.n_user_days
        return out


def analyse(ds) -> CleaningResult:
    """Chapter 1 from a loaded :class:`~kuailive_analysis.data.dataset.Dataset` (cleaned with the
    parameters given to ``load``)."""
    dictionary = schema.schema_table()
    dictionary = dictionary[~dictionary["column"].str.startswith("onehot_feat")]
    return CleaningResult(
        source=ds.source,
        params=dict(ds.params),
        raw_files=ds.raw_files,
        click_sample=ds.raw_sample("click"),
        schema=dictionary[SCHEMA_COLUMNS].reset_index(drop=True),
        quality=ds.quality,
        report=ds.report,
        room_sensitivity=ds.room_sensitivity,
        room_durations=ds.room_durations,
        data_model=data_model(),
        metrics=registry.compute_many(MODEL_METRICS, ds),
        n_user_days=len(ds.user_day),
    )
