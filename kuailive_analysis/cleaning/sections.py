"""The sections of chapter 1's result, one per part of the chapter, each declaring the values
its text glues (:func:`~kuailive_analysis.chapter.glued` fields) and the tables it shows, and
the figure titles (:class:`Titles`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.chapter import Section, glued

__all__ = [
    "Accounting",
    "Checks",
    "Decisions",
    "Delivered",
    "Model",
    "Titles",
    "TRUTH_COLUMNS",
]

TRUTH_COLUMNS = {
    "table": "Table",
    "written": "Rows the generator wrote (truth)",
    "in_file": "Rows in the file",
    "kept": "Rows kept by cleaning",
    "dropped": "Real rows lost",
    "flagged": "Rows kept but flagged",
}
"""Columns of :func:`~kuailive_analysis.cleaning.truth_check` -> the headers the book shows."""

REPORT_HEADERS = {
    "rule": "Rule",
    "table": "Table",
    "rows_in": "Rows in",
    "rows_dropped": "Rows dropped",
    "rows_flagged": "Rows flagged (kept)",
    "rows_out": "Rows out",
}


@dataclass(frozen=True)
class Titles:
    """What each figure of chapter 1 shows."""

    room_durations: str
    room_sensitivity: str
    report: str


@dataclass(frozen=True, eq=False)
class Delivered(Section):
    """1.1: the files as delivered (rows, time range), the first click rows as read and the
    schema every file is checked against."""

    raw_files: pd.DataFrame
    click_sample: pd.DataFrame
    schema: pd.DataFrame
    user_in: int = glued()
    streamer_in: int = glued()
    room_in: int = glued()
    click_in: int = glued()
    comment_in: int = glued()
    like_in: int = glued()
    gift_in: int = glued()
    negative_in: int = glued()
    click_first: str = glued()
    click_last: str = glued()


@dataclass(frozen=True, eq=False)
class Checks(Section):
    """1.2: the key and data-quality checks of the raw files (one row per check and table)."""

    quality: pd.DataFrame
    q_dup_rooms: int = glued()
    q_long_rooms: int = glued()
    q_capped: int = glued()
    q_dup_neg: int = glued()
    q_mismatch_click: int = glued()

    @property
    def found(self) -> pd.DataFrame:
        """The checks that found something (count > 0)."""
        return self.quality[self.quality["count"] > 0]


@dataclass(frozen=True, eq=False)
class Decisions(Section):
    """1.3: what each cleaning rule did, the room-duration histogram and what each long-room
    threshold would drop (counts and shares of the raw rows)."""

    room_durations: pd.DataFrame
    room_sensitivity: pd.DataFrame
    room_name_rule: str = glued()
    max_room_days_label: str = glued()
    long_rooms_mode: str = glued()
    duplicate_rooms_room_dropped: int = glued()
    duplicate_rooms_room_flagged: int = glued()
    censored_room_end_room_flagged: int = glued()
    long_rooms_room_dropped: int = glued()
    long_rooms_room_flagged: int = glued()
    long_click_n: int = glued()
    long_click_share: float = glued()
    long_gift_n: int = glued()
    long_gift_share: float = glued()
    sens_click_half: float = glued()
    sens_click_week: float = glued()
    events_outside_window_click_dropped: int = glued()
    duplicate_events_click_dropped: int = glued()
    duplicate_events_click_flagged: int = glued()
    duplicate_events_gift_flagged: int = glued()
    duplicate_events_negative_dropped: int = glued()
    duplicate_events_negative_flagged: int = glued()
    orphan_events_click_dropped: int = glued()
    streamer_mismatch_click_flagged: int = glued()

    def sensitivity_display(self) -> pd.DataFrame:
        """:attr:`room_sensitivity` with readable headers."""
        cols = {"max_room_days": "Rooms longer than (days)"}
        for c in self.room_sensitivity.columns[1:]:
            what = c.removesuffix("_share").removesuffix("_dropped")
            what = {"rooms": "rooms", "negative": "exposures"}.get(what, what + "s")
            cols[c] = f"{what.capitalize()} dropped" + (", share" if c.endswith("_share") else "")
        return self.room_sensitivity.rename(columns=cols)


@dataclass(frozen=True, eq=False)
class Accounting(Section):
    """1.4: the cleaning report (one row per rule and table) and, on a twin, its check against
    the rows the generator wrote (:attr:`truth`, None without ground truth)."""

    report: pd.DataFrame
    truth: pd.DataFrame | None
    click_kept_share: float = glued()
    gift_kept_share: float = glued()
    negative_kept_share: float = glued()
    click_out: int = glued()
    gift_out: int = glued()

    def report_display(self) -> pd.DataFrame:
        """The cleaning report with readable headers."""
        return self.report.rename(columns=REPORT_HEADERS)

    def truth_display(self) -> pd.DataFrame:
        """:attr:`truth` with readable headers (empty without ground truth)."""
        t = self.truth if self.truth is not None else pd.DataFrame(columns=list(TRUTH_COLUMNS))
        return t.rename(columns=TRUTH_COLUMNS)


@dataclass(frozen=True, eq=False)
class Model(Section):
    """1.5: the data model (each table's grain, key and joins) and the size of its derived
    tables; ``n_rooms`` / ``n_room_ids`` are the rows and distinct live_ids of ``rooms``."""

    data_model: pd.DataFrame
    n_rooms: int
    n_room_ids: int
    n_sessions: int = glued()
    share_sessions_click: float = glued()
    n_user_days: int = glued()
