"""What chapter 1 shows: the delivered files, the quality checks, the cleaning report, the
long-room sensitivity and the data model, as one :class:`CleaningResult`.

Everything here was computed once by :func:`kuailive_analysis.dataset.load` (and cached with the
clean tables): :func:`analyse` gathers it from a :class:`~kuailive_analysis.dataset.Dataset`,
adds the two registry KPIs of the data model (sessions, the share of sessions with a click) and
states the numbers the chapter's text quotes (:meth:`CleaningResult.numbers`). The cleaning
choices are the dataset's (``ds.params``; arguments of ``load``), so a chapter run with other
parameters reloads rather than passing them here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis import metrics as registry
from kuailive_analysis.chapter.findings import Finding
from kuailive_analysis.core.params import ParamError
from kuailive_analysis.data import schema
from kuailive_analysis.data.clean import KEEPS_REAL_EVENTS, check_report, report_numbers
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.data.features import data_model
from kuailive_analysis.data.params import CleaningParams
from kuailive_analysis.data.schema import EVENT_TABLES
from kuailive_analysis.metrics.defs import MetricValue

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
    "long_rooms_room_flagged",
    "events_outside_window_click_dropped",
    "duplicate_events_click_dropped",
    "duplicate_events_click_flagged",
    "duplicate_events_gift_flagged",
    "duplicate_events_negative_dropped",
    "duplicate_events_negative_flagged",
    "orphan_events_click_dropped",
    "streamer_mismatch_click_flagged",
    "click_kept_share",
    "gift_kept_share",
    "negative_kept_share",
    "click_out",
    "gift_out",
)
"""Numbers of the cleaning report (:func:`kuailive_analysis.data.clean.report_numbers`) the text
quotes."""

SENSITIVITY_NUMBERS = {"sens_click_half": 0.5, "sens_click_week": 7.0}
"""Glue key -> ``max_room_days`` threshold whose share of clicks dropped the text quotes."""

MODEL_METRICS = ("n_sessions", "share_sessions_click")
"""Registry KPIs of the data model section."""

TRUTH_TABLES = (*EVENT_TABLES, "rooms")
"""Tables whose clean row count the twin's ground truth (``truth.json`` counts) gives."""

TRUTH_COLUMNS = {
    "table": "Table",
    "written": "Rows the generator wrote (truth)",
    "in_file": "Rows in the file",
    "kept": "Rows kept by cleaning",
    "dropped": "Real rows lost",
    "flagged": "Rows kept but flagged",
}


def truth_check(report: pd.DataFrame, truth: dict | None) -> pd.DataFrame | None:
    """Each table's clean rows against the rows the twin's generator wrote (its ground truth;
    every row it wrote is a real event, and each room id a real room), or None without truth.

    Columns :data:`TRUTH_COLUMNS` (raw names); ``dropped`` = written - kept (real events lost,
    0 when cleaning keeps every real event), ``flagged`` = rows kept but flagged by any rule.
    """
    counts = ((truth or {}).get("params") or {}).get("counts")
    if not counts:
        return None
    rows = []
    for table, g in report.groupby("table", sort=False):
        key = "rooms" if table == "room" else table
        if key not in TRUTH_TABLES or key not in counts:
            continue
        written = int(counts[key])
        kept = int(g["rows_out"].iloc[-1])
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
    truth: pd.DataFrame | None = None
    """:func:`truth_check` on a twin (clean rows vs rows the generator wrote), else None."""

    @property
    def quality_findings(self) -> pd.DataFrame:
        """The quality checks that found something (count > 0)."""
        return self.quality[self.quality["count"] > 0]

    def report_display(self) -> pd.DataFrame:
        """The cleaning report as the book shows it (readable headers)."""
        return self.report.rename(
            columns={
                "rule": "Rule",
                "table": "Table",
                "rows_in": "Rows in",
                "rows_dropped": "Rows dropped",
                "rows_flagged": "Rows flagged (kept)",
                "rows_out": "Rows out",
            }
        )

    def room_sensitivity_display(self) -> pd.DataFrame:
        """What each long-room threshold would drop, with readable headers (counts and shares
        of the raw rows)."""
        t = self.room_sensitivity.copy()
        cols = {"max_room_days": "Rooms longer than (days)"}
        for c in t.columns:
            if c == "max_room_days":
                continue
            what = c.removesuffix("_share").removesuffix("_dropped")
            what = {"rooms": "rooms", "negative": "exposures"}.get(what, what + "s")
            cols[c] = f"{what.capitalize()} dropped" + (" (share)" if c.endswith("_share") else "")
        cols = {k: v.replace(" (share)", ", share") for k, v in cols.items()}
        return t.rename(columns=cols)

    def truth_display(self) -> pd.DataFrame:
        """:func:`truth_check` with readable headers (empty without ground truth)."""
        t = self.truth if self.truth is not None else pd.DataFrame(columns=list(TRUTH_COLUMNS))
        return t.rename(columns=TRUTH_COLUMNS)

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
        out["long_rooms_mode"] = self.params.get("long_rooms", "drop")
        for t in ("click", "gift"):
            n_long = rep[f"long_rooms_{t}_dropped"] + rep[f"long_rooms_{t}_flagged"]
            out[f"long_{t}_n"] = n_long
            out[f"long_{t}_share"] = n_long / max(rep[f"{t}_in"], 1)
        out.update({key: self.metrics[key].value for key in MODEL_METRICS})
        out["n_user_days"] = self.n_user_days
        return out

    # --- findings ---------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """The chapter's Key findings as records (see :mod:`kuailive_analysis.findings`)."""
        n = self.numbers()
        twin = self.source.is_twin
        out = [self._keeps_real_events(n), self._accounting(n)]
        out.append(
            Finding(
                chapter="cleaning",
                key="duplicate_rooms",
                statement=(
                    f"{n['duplicate_rooms_room_dropped']:,} extra room rows are the same "
                    "broadcast listed once per partition day; they are merged into one row per "
                    "live_id, so joins on live_id no longer multiply events."
                ),
                check="after merging, live_id is unique in the room table and no event is "
                "lost by the merge",
                status="validated",
                value=float(n["duplicate_rooms_room_dropped"]),
                unit="rows",
                evidence={
                    "room_rows": n["room_in"],
                    "rooms": self._rooms_out(),
                    "rows_merged": n["duplicate_rooms_room_dropped"],
                },
                origin="planted" if twin else "data",
            )
        )
        mode = n["long_rooms_mode"]
        kept = mode == "flag"
        out.append(
            Finding(
                chapter="cleaning",
                key="long_rooms",
                statement=(
                    f"Rooms longer than {n['max_room_days_label']} hold "
                    f"{n['long_click_share']:.2%} of clicks and {n['long_gift_share']:.2%} of "
                    "gift events; "
                    + (
                        "they are kept and flagged (flag_long_room), not dropped."
                        if kept
                        else "they are dropped with their events (long_rooms='drop')."
                    )
                ),
                check="the long-room events are counted in the cleaning report (flagged or "
                "dropped) and equal the sensitivity table's count at this threshold",
                status="validated" if self._long_rooms_agree(n) else "failed",
                value=float(n["long_click_share"]),
                unit="share",
                evidence={
                    "long_rooms": n["long_rooms_room_dropped"] + n["long_rooms_room_flagged"],
                    "clicks": n["long_click_n"],
                    "gifts": n["long_gift_n"],
                },
                origin="planted" if twin else "data",
                reason=""
                if self._long_rooms_agree(n)
                else "the report and the sensitivity table disagree on the long-room events",
            )
        )
        return out

    def _rooms_out(self) -> int:
        g = self.report[self.report["table"] == "room"]
        return int(g["rows_out"].iloc[-1]) if len(g) else 0

    def _long_rooms_agree(self, n) -> bool:
        days = self.params.get("max_room_days")
        sens = self.room_sensitivity.set_index("max_room_days")
        key = float("inf") if days is None else float(days)
        if key not in sens.index:
            return True
        return int(sens.loc[key, "click_dropped"]) == n["long_click_n"]

    def _accounting(self, n) -> Finding:
        try:
            check_report(self.report)
            ok, reason = True, ""
        except AssertionError as e:
            ok, reason = False, str(e)
        dropped = int(self.report["rows_dropped"].sum())
        flagged = int(self.report["rows_flagged"].sum())
        return Finding(
            chapter="cleaning",
            key="row_accounting",
            statement=(
                f"Nothing is lost silently: {n['click_kept_share']:.2%} of clicks, "
                f"{n['gift_kept_share']:.2%} of gift events and {n['negative_kept_share']:.2%} "
                f"of unclicked exposures are kept; {dropped:,} dropped and {flagged:,} flagged "
                "rows are each counted by rule."
            ),
            check="per table, rows in = rows out + rows dropped for every rule, chained from "
            "the raw file to the clean table",
            status="validated" if ok else "failed",
            value=float(n["click_kept_share"]),
            unit="share",
            evidence={"rows_dropped": dropped, "rows_flagged": flagged},
            origin="data",
            reason=reason,
        )

    def _keeps_real_events(self, n) -> Finding:
        base = dict(chapter="cleaning", key="keeps_real_events", origin="method", headline=True)
        if self.truth is None or not len(self.truth):
            return Finding(
                **base,
                statement="Cleaning keeps every real event.",
                check="clean rows = rows the generator wrote, per table (twin ground truth)",
                status="not checkable",
                reason="no ground truth on this data: which rows are real events is unknown; "
                "the rules that may remove real events flag them by default",
            )
        t = self.truth
        lost = int(t["dropped"].abs().sum())
        ok = lost == 0
        ev = {f"{r.table}_written": int(r.written) for r in t.itertuples()}
        ev.update({f"{r.table}_kept": int(r.kept) for r in t.itertuples()})
        gifts = t.set_index("table").loc["gift"] if "gift" in set(t["table"]) else None
        what = (
            f"{int(gifts.kept):,} of the {int(gifts.written):,} gift events the generator "
            "wrote are kept"
            if gifts is not None
            else "every table keeps the rows the generator wrote"
        )
        return Finding(
            **base,
            statement=(
                f"Cleaning keeps every real event: {what}, and so are all clicks, comments, "
                "likes, exposures and rooms; rows that may be real but look odd are flagged, "
                "not dropped."
                if ok
                else f"Cleaning loses {lost:,} real rows the generator wrote ({what})."
            ),
            check="clean rows = rows the generator wrote, for every event table and the rooms "
            "(twin ground truth)",
            status="validated" if ok else "failed",
            value=float(lost),
            unit="rows lost",
            evidence=ev,
            reason=""
            if ok
            else "a cleaning rule drops rows the twin's ground truth counts as "
            "real events; set it to flag",
            action=(
                f"Data team: build every KPI on the flagged, not dropped, tables; dropping the "
                f"long rooms would lose {n['long_click_share']:.2%} of clicks and "
                f"{n['long_gift_share']:.2%} of gift events that the ground truth counts as "
                "real. Exclude flagged rows only where a statistic needs it (room durations)."
                if ok
                else ""
            ),
        )


def analyse(ds, params: CleaningParams | None = None, **overrides) -> CleaningResult:
    """Chapter 1 from a loaded :class:`~kuailive_analysis.dataset.Dataset`. Cleaning happens
    when the data is loaded (``load(data_dir, **params)``, the choices are part of the cache
    key), so ``params`` / ``overrides`` must be the ones ``ds`` was loaded with
    (:class:`ParamError` otherwise); by default they are."""
    if params is not None or overrides:
        p = CleaningParams.resolve(params, overrides)
        if p.to_dict() != dict(ds.params):
            raise ParamError(
                f"Chapter 01_cleaning: the dataset was cleaned with {dict(ds.params)}, not "
                f"{p.to_dict()}; load it with those choices: load(data_dir, **params)."
            )
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
        truth=truth_check(ds.report, ds.truth),
    )
