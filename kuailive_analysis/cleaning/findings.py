"""Chapter 1's findings, each with the check that supports it (:func:`build_findings`).

Every finding of this chapter is an **edition check** (``check_type="qa"``): it says whether
the pipeline did what it should with these files (cleaning keeps the twin's real events, every
row is accounted for by rule, rooms are unique, long-room events are counted), not something
about users, streamers, money or the product; the landing page shows them in its edition
checks box, never as headlines."""

from __future__ import annotations

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.cleaning.sections import Accounting, Decisions, Delivered, Model
from kuailive_analysis.data.accounting import check_report
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.data.params import CleaningParams

__all__ = ["build_findings"]

CHAPTER = ChapterId.CLEANING


def build_findings(
    source: DataSource,
    params: CleaningParams,
    delivered: Delivered,
    decisions: Decisions,
    accounting: Accounting,
    model: Model,
) -> list[Finding]:
    """The four findings of chapter 1 from its sections: cleaning keeps every real event (twin
    ground truth), the row accounting adds up, duplicate room rows are merged into unique
    rooms, and the long-room events are counted."""
    planted = "planted" if source.is_twin else "data"
    return [
        _keeps_real_events(decisions, accounting.truth),
        _accounting(accounting),
        _duplicate_rooms(delivered, decisions, accounting, model, planted),
        _long_rooms(params, decisions, planted),
    ]


def _keeps_real_events(d: Decisions, t) -> Finding:
    """Checked on a twin: every table keeps the rows the generator wrote (its ground truth)."""
    if t is None or not len(t):
        return finding(
            CHAPTER,
            "keeps_real_events",
            "Cleaning keeps every real event.",
            check="clean rows = rows the generator wrote, per table (twin ground truth)",
            passed=None,
            reason="no ground truth on this data: which rows are real events is unknown; the "
            "rules that may remove real events flag them by default",
            origin="method",
            kind="edition check",
            check_type="qa",
            question="Does cleaning keep every real event (and which rows that look odd are real)?",
        )
    lost = int(t["dropped"].abs().sum())
    evidence = {f"{r.table}_written": int(r.written) for r in t.itertuples()}
    evidence |= {f"{r.table}_kept": int(r.kept) for r in t.itertuples()}
    gifts = t.set_index("table").loc["gift"] if "gift" in set(t["table"]) else None
    what = (
        f"{int(gifts.kept):,} of the {int(gifts.written):,} gift events the generator wrote "
        "are kept"
        if gifts is not None
        else "every table keeps the rows the generator wrote"
    )
    return finding(
        CHAPTER,
        "keeps_real_events",
        f"Cleaning keeps every real event: {what}, and so are all clicks, comments, likes, "
        "exposures and rooms; rows that may be real but look odd are flagged, not dropped."
        if lost == 0
        else f"Cleaning loses {lost:,} real rows the generator wrote ({what}).",
        check="clean rows = rows the generator wrote, for every event table and the rooms "
        "(twin ground truth)",
        passed=lost == 0,
        reason="a cleaning rule drops rows the twin's ground truth counts as real events; set "
        "it to flag",
        action=f"Data team: build every KPI on the flagged, not dropped, tables; dropping the "
        f"long rooms would lose {d.long_click_share:.2%} of clicks and {d.long_gift_share:.2%} "
        "of gift events that the ground truth counts as real. Exclude flagged rows only where "
        "a statistic needs it (room durations).",
        value=float(lost),
        unit="rows lost",
        evidence=evidence,
        origin="method",
        kind="edition check",
        check_type="qa",
        question="Does cleaning keep every real event (and which rows that look odd are real)?",
    )


def _accounting(a: Accounting) -> Finding:
    report = a.report
    try:
        check_report(report)
        ok, reason = True, ""
    except AssertionError as e:
        ok, reason = False, str(e)
    dropped = int(report["rows_dropped"].sum())
    flagged = int(report["rows_flagged"].sum())
    return finding(
        CHAPTER,
        "row_accounting",
        f"Nothing is lost silently: {a.click_kept_share:.2%} of clicks, {a.gift_kept_share:.2%} "
        f"of gift events and {a.negative_kept_share:.2%} of unclicked exposures are kept; "
        f"{dropped:,} dropped and {flagged:,} flagged rows are each counted by rule.",
        check="per table, rows in = rows out + rows dropped for every rule, chained from the "
        "raw file to the clean table",
        passed=ok,
        reason=reason,
        value=float(a.click_kept_share),
        unit="share",
        evidence={"rows_dropped": dropped, "rows_flagged": flagged},
        origin="data",
        kind="edition check",
        check_type="qa",
        question="Where do rows go between the raw files and the clean tables?",
    )


def _duplicate_rooms(
    delivered: Delivered, d: Decisions, a: Accounting, m: Model, origin: str
) -> Finding:
    """Checked on the clean rooms table: live_id unique (rows = distinct live_ids) and its rows
    equal the report's rooms out, so every merged room's events find exactly one room."""
    report = a.report
    rooms_out = int(report.loc[report["table"] == "room", "rows_out"].iloc[-1])
    unique = m.n_rooms == m.n_room_ids == rooms_out
    return finding(
        CHAPTER,
        "duplicate_rooms",
        f"{d.duplicate_rooms_room_dropped:,} extra room rows are the same broadcast listed "
        "once per partition day; they are merged into one row per live_id, so joins on live_id "
        "no longer multiply events.",
        check="after merging, live_id is unique in the room table and no event is lost by the "
        "merge",
        passed=unique,
        reason=f"the clean room table has {m.n_rooms:,} rows, {m.n_room_ids:,} distinct "
        f"live_ids and the report says {rooms_out:,} rooms",
        value=float(d.duplicate_rooms_room_dropped),
        unit="rows",
        evidence={
            "room_rows": delivered.room_in,
            "rooms": rooms_out,
            "rows_merged": d.duplicate_rooms_room_dropped,
        },
        origin=origin,
        kind="edition check",
        check_type="qa",
        question="Are the rooms unique per live_id after merging the partition-day copies?",
    )


def _long_rooms(params: CleaningParams, d: Decisions, origin: str) -> Finding:
    """Checked: the long-room clicks of the report (dropped + flagged) equal the sensitivity
    table's clicks at the chapter's threshold."""
    days = params.max_room_days
    sens = d.room_sensitivity.set_index("max_room_days")
    key = float("inf") if days is None else float(days)
    agree = key not in sens.index or int(sens.loc[key, "click_dropped"]) == d.long_click_n
    kept = d.long_rooms_mode == "flag"
    return finding(
        CHAPTER,
        "long_rooms",
        f"Rooms longer than {d.max_room_days_label} hold {d.long_click_share:.2%} of clicks and "
        f"{d.long_gift_share:.2%} of gift events; "
        + (
            "they are kept and flagged (flag_long_room), not dropped."
            if kept
            else "they are dropped with their events (long_rooms='drop')."
        ),
        check="the long-room events are counted in the cleaning report (flagged or dropped) "
        "and equal the sensitivity table's count at this threshold",
        passed=agree,
        reason="the report and the sensitivity table disagree on the long-room events",
        value=float(d.long_click_share),
        unit="share",
        evidence={
            "long_rooms": d.long_rooms_room_dropped + d.long_rooms_room_flagged,
            "clicks": d.long_click_n,
            "gifts": d.long_gift_n,
        },
        origin=origin,
        kind="edition check",
        check_type="qa",
        question="How many events lie in long rooms, and are they all counted?",
    )
