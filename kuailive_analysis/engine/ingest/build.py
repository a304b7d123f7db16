"""The cache build: raw KuaiLive CSVs -> the Parquet cache tables, on DuckDB or Spark, without
ever holding a full event or room table in pandas.

1. Every raw file is read once by the one reader (:func:`~.stage.stage_files`): the profile
   tables in pandas (rule 0, tenure columns), room.csv and the five event logs into staging
   Parquet with a 0-based ``_row`` in file order (``<out>/../staging.tmp-<pid>-*``, deleted at
   the end), registered as ``raw_<name>``.
2. Cleaning rules 1-8 (:mod:`..queries.cleaning`) and the data model (:mod:`..queries.model`)
   run as SQL; intermediate results (``stage_*``) are DuckDB temporary tables (spilled to its
   temp folder beyond its memory limit) or, on Spark, Parquet parts in the staging folder.
   ``sessions`` is aggregated in user_id ranges of about :data:`SESSION_PIECE_EVENTS` events,
   so no aggregate grows with the data, from narrow staged copies of the clean events that
   carry their room's streamer (``stage_sess_*``, :data:`~..queries.model.SESSION_EVENTS`;
   cleaning joins the rooms for the mismatch rule anyway), so no piece joins the rooms.
3. Every output table is written as one ``<table>.parquet`` with the Arrow schema of
   :data:`~.write.TARGETS`, streaming the engine's result; the small book tables (cleaning
   report, quality checks, long-room sensitivity, duration histogram) from pandas.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.core.folders import owned_tmpdir
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.accounting import Step, check_report, report_frame
from kuailive_analysis.data.params import CleaningParams
from kuailive_analysis.engine.base import Engine
from kuailive_analysis.engine.ingest.stage import file_summary, stage_files
from kuailive_analysis.engine.ingest.validate import quality_frame, room_quality
from kuailive_analysis.engine.ingest.write import (
    drop,
    materialize,
    stream,
    table_schema,
    write_batches,
    write_frame,
)
from kuailive_analysis.engine.queries import cleaning as QC, model as QM

__all__ = ["SESSION_PIECE_EVENTS", "build_cache"]

SESSION_PIECE_EVENTS = 4_000_000
"""Clean events per piece of the sessions aggregate (about 0.5 GB of DuckDB hash table)."""

STAGES = (
    "users and streamers",
    "room.csv",
    *(f"{n}.csv" for n in S.EVENT_TABLES),
    "rooms",
    *(QM.EVENT_ATTRS[n] for n in S.EVENT_TABLES),
    "sessions",
    "user_day",
    "sensitivity",
)
"""The steps of the progress bar."""


def build_cache(
    data_dir, params: CleaningParams, out: Path, *, engine: Engine, progress: bool = False
) -> dict:
    """Build every cache table of raw folder ``data_dir`` under cleaning ``params`` into the
    folder ``out`` (created; ``<table>.parquet`` per table, no ``meta.json``) on ``engine``.

    Returns
    -------
    dict
        ``samples`` (first three rows of each raw file as read, for the cache's meta),
        ``rows`` (rows of each table written) and ``engine`` (``engine.describe()``).

    Raises
    ------
    DataError
        Unusable input. The staging folder ``out/../staging.tmp-<pid>-*`` is removed, also on
        failure.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = owned_tmpdir(out.parent, "staging")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(STAGES), desc="ingest", unit="stage")
        engine.set_progress(True)

    def done(stage):
        if bar:
            bar.set_postfix_str(stage)
            bar.update()

    try:
        return _build(data_dir, params, out, engine, staging, done)
    finally:
        if bar:
            bar.close()
            engine.set_progress(False)
        shutil.rmtree(staging, ignore_errors=True)


def _build(data_dir, p: CleaningParams, out: Path, engine: Engine, staging: Path, done) -> dict:
    # 1. every raw file, read once
    info, samples, steps = stage_files(data_dir, engine, staging, out, done)
    rows = {"users": info["user"]["rows"] - steps[0].rows_dropped}
    rows["streamers"] = info["streamer"]["rows"] - steps[1].rows_dropped
    # 2. rooms: rules 1-3
    drop_long = p.long_rooms == "drop"
    materialize(
        engine,
        QC.ROOMS_ALL,
        staging,
        name_first=p.room_name_rule == "first",
        has_long=p.max_room_days is not None,
        long_min=0.0 if p.max_room_days is None else float(p.max_room_days) * 1440.0,
    )
    rc = engine.frame(QC.ROOM_COUNTS).iloc[0]
    n_raw, n_rooms, n_long = int(rc["n_raw"]), int(rc["n_rooms"]), int(rc["n_long"])
    steps += [
        Step("duplicate_rooms", "room", n_raw, n_raw - n_rooms, int(rc["n_conflict"])),
        Step("censored_room_end", "room", n_rooms, 0, int(rc["n_censored"])),
        Step("long_rooms", "room", n_rooms, *((n_long, 0) if drop_long else (0, n_long))),
    ]
    room_q = room_quality(engine)
    categories = {"live_content_category": engine.frame(QC.ROOM_CATEGORIES)["category"].tolist()}
    rows["rooms"] = write_batches(
        stream(engine, QM.ROOMS, staging, drop_long=drop_long),
        out / "rooms.parquet",
        table_schema("rooms", categories),
        categories,
    )
    engine.register("rooms", out / "rooms.parquet")
    done("rooms")
    # 3. events: rules 4-8
    register_thresholds(engine, QC.SENSITIVITY_THRESHOLDS)
    event_q, event_sens = {}, {}
    for name in S.EVENT_TABLES:
        qs, attr = QC.EVENT_QUERIES[name], QM.EVENT_ATTRS[name]
        materialize(engine, qs["marks"], staging, drop_outside=p.drop_outside_window)
        event_q[name] = engine.frame(qs["quality"]).iloc[0]
        event_sens[name] = engine.frame(qs["sensitivity"]).set_index("i")["n"]
        materialize(
            engine,
            qs["clean"],
            staging,
            keep=p.streamer_mismatch == "fix",  # only 'fix' needs the costly copy search
            drop_dup=p.drop_duplicate_events,
            drop_orphans=p.drop_orphans,
            drop_long=drop_long,
            mismatch_drop=p.streamer_mismatch == "drop",
            mismatch_fix=p.streamer_mismatch == "fix",
        )
        c = {k: int(v) for k, v in engine.frame(qs["counts"]).iloc[0].items()}
        steps += event_steps(name, c, p)
        rows[attr] = write_batches(
            stream(engine, QM.CLEAN_EVENTS[name], staging),
            out / f"{attr}.parquet",
            table_schema(attr, {}),
            {},
        )
        engine.register(attr, out / f"{attr}.parquet")
        # what the sessions need, with the room's streamer cleaning joined: no join later
        materialize(engine, QM.SESSION_EVENTS[name], staging)
        drop(engine, qs["clean"].name)
        drop(engine, qs["marks"].name)
        done(attr)
    report = report_frame(steps)
    clean_rows = {n: rows[a] for n, a in (("user", "users"), ("streamer", "streamers"))}
    clean_rows |= {"room": rows["rooms"]} | {n: rows[QM.EVENT_ATTRS[n]] for n in S.EVENT_TABLES}
    check_report(report, {n: info[n]["rows"] for n in S.SCHEMAS}, clean_rows)
    # 4. sessions (in pieces of users, from the staged events) and user_day
    batches = (
        b
        for lo, hi in user_ranges(engine, SESSION_PIECE_EVENTS)
        for b in stream(engine, QM.SESSIONS_STAGED, staging, user_lo=lo, user_hi=hi)
    )
    schema = table_schema("sessions", {})
    rows["sessions"] = write_batches(batches, out / "sessions.parquet", schema, {})
    for q in QM.SESSION_EVENTS.values():
        drop(engine, q.name)
    done("sessions")
    schema = table_schema("user_day", {})
    rows["user_day"] = write_batches(
        stream(engine, QM.USER_DAY, staging), out / "user_day.parquet", schema, {}
    )
    done("user_day")
    # 5. the book's small tables
    book = {
        "report": report,
        "raw_files": file_summary(info),
        "quality": quality_frame(info, room_q, event_q),
        "room_sensitivity": sensitivity(engine, n_rooms, info, event_sens),
        "room_durations": histogram(engine),
    }
    done("sensitivity")
    for name, df in book.items():
        write_frame(df, out / f"{name}.parquet")
        rows[name] = len(df)
    return {"samples": samples, "rows": rows, "engine": engine.describe()}


def user_ranges(engine: Engine, per_piece: int) -> list[tuple[int, int]]:
    """Consecutive user_id ranges ``[lo, hi)`` covering every id, each holding about
    ``per_piece`` clean events (a single user with more is a piece of its own): sessions are
    built piece by piece so that the engine's aggregate never holds more than that."""
    per_user = engine.frame(QM.EVENTS_PER_USER)
    ids, n = per_user["user_id"].to_numpy(np.int64), per_user["n"].to_numpy(np.int64)
    cuts, acc = [], 0
    for uid, k in zip(ids, n, strict=True):
        if acc and acc + k > per_piece:
            cuts.append(int(uid))
            acc = 0
        acc += k
    bounds = [0, *cuts, 2**31]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def event_steps(name: str, c: dict, p: CleaningParams) -> list[Step]:
    """The report steps of rules 4-8 on event file ``name`` from its ``counts`` query ``c``:
    a rule that drops counts its rows as dropped, else as flagged."""

    def step(rule, rows_in, k, drop, extra=0):
        return (
            Step(rule, name, rows_in, k, extra) if drop else Step(rule, name, rows_in, 0, k + extra)
        )

    mismatch = (
        step("streamer_mismatch", c["k7"], c["mism"], True)
        if p.streamer_mismatch == "drop"
        else Step(
            "streamer_mismatch",
            name,
            c["k7"],
            c["new_dup"] if p.streamer_mismatch == "fix" else 0,
            c["mism"],
        )
    )
    return [
        step("events_outside_window", c["n"], c["w_out"], p.drop_outside_window),
        step("duplicate_events", c["k4"], c["dup"], p.drop_duplicate_events),
        step("orphan_events", c["k5"], c["bad"], p.drop_orphans, c["unknown_streamer"]),
        step("long_rooms", c["k6"], c["in_long"], p.long_rooms == "drop"),
        mismatch,
    ]


def register_thresholds(engine: Engine, thresholds) -> None:
    """``stage_thresholds(i, lim)``: the long-room thresholds in minutes (None: never)."""
    lims = [1e300 if t is None else float(t) * 1440.0 for t in thresholds]
    frame = pd.DataFrame(
        {"i": np.arange(len(lims), dtype=np.int64), "lim": np.array(lims, dtype=np.float64)}
    )
    engine.register_frame("stage_thresholds", frame)


def sensitivity(engine: Engine, n_rooms: int, info: dict, ev: dict) -> pd.DataFrame:
    """What each threshold of :data:`~..queries.cleaning.SENSITIVITY_THRESHOLDS` would drop:
    rooms (``ROOM_SENSITIVITY``) and raw events of each file (``ev``: its ``sensitivity``
    query), as counts and as shares of the rooms and of the raw rows."""
    rooms = engine.frame(QC.ROOM_SENSITIVITY).set_index("i")["n"]
    out = []
    for i, t in enumerate(QC.SENSITIVITY_THRESHOLDS):
        k = int(rooms.get(i, 0))
        row = {
            "max_room_days": np.inf if t is None else float(t),
            "rooms_dropped": k,
            "rooms_dropped_share": float(k / n_rooms) if n_rooms else 0.0,
        }
        for n in S.EVENT_TABLES:
            kn = int(ev[n].get(i, 0))
            row[f"{n}_dropped"] = kn
            row[f"{n}_dropped_share"] = kn / max(info[n]["rows"], 1)
        out.append(row)
    return pd.DataFrame(out)


def histogram(engine: Engine) -> pd.DataFrame:
    """Rooms per duration bin (:data:`~..queries.cleaning.DURATION_EDGES_MIN`), ended and
    censored: columns lo_min, hi_min, real, censored."""
    edges = QC.DURATION_EDGES_MIN
    bins = np.arange(len(edges) - 1)
    frame = pd.DataFrame(
        {"i": bins.astype(np.int64), "lo": edges[:-1], "hi": edges[1:], "is_last": bins == bins[-1]}
    )
    engine.register_frame("stage_duration_edges", frame)
    h = engine.frame(QC.DURATION_HISTOGRAM).set_index("i").reindex(bins, fill_value=0)
    return pd.DataFrame(
        {
            "lo_min": edges[:-1],
            "hi_min": edges[1:],
            "real": h["real"].to_numpy().astype(np.int64),
            "censored": h["censored"].to_numpy().astype(np.int64),
        }
    )
