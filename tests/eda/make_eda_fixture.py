"""Chapter 2's reference results on a small twin (scale 0.01, seed 3):

* ``tests/data/eda_numbers_scale0.01_seed3.json``: ``eda.analyse(ds).numbers()``;
* ``tests/data/eda_tables_scale0.01_seed3.pkl.gz``: the frames of the event-level aggregations
  and the aggregated tables of the :class:`~kuailive_analysis.eda.EDAResult`.

The committed files were written by the pandas implementation of chapter 2, before its
aggregations moved into the event engine (issue 16); ``tests/eda/test_engine_fixture.py``
requires the SQL definitions run on the dataset's engine to give the same values. :func:`main`
writes the files again from the current code (``.venv/bin/python -m tests.eda.make_eda_fixture``
from the repository root): only for a deliberate change of a number, since it replaces the
pre-engine reference.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
SCALE, SEED = 0.01, 3
NUMBERS = DATA / f"eda_numbers_scale{SCALE}_seed{SEED}.json"
TABLES = DATA / f"eda_tables_scale{SCALE}_seed{SEED}.pkl.gz"


def dataset(root: Path):
    """The small twin, generated and loaded under ``root``."""
    from kuailive_analysis.dataset import load
    from kuailive_analysis.twin import generate

    os.environ["KUAILIVE_BUILD_DIR"] = str(root / "build")
    return load(generate(root / "twin", scale=SCALE, seed=SEED, progress=False))


def function_tables(ds) -> dict:
    """The event-level aggregations of chapter 2 on the dataset, by a readable name."""
    from kuailive_analysis import eda
    from kuailive_analysis.eda.rooms import duration_frame
    from kuailive_analysis.engine.queries import eda as EQ

    return {
        "streamer_activity": ds.query(EQ.STREAMER_ACTIVITY),
        "user_activity": ds.query(EQ.USER_ACTIVITY),
        "durations.all": eda.room_duration_summary(ds, None),
        "durations.all_rooms": eda.room_duration_summary(ds, None, ended_only=False),
        "durations.category": eda.room_duration_summary(ds, "live_content_category"),
        "durations.live_type": eda.room_duration_summary(ds, "live_type"),
        "durations.two": eda.room_duration_summary(ds, ["live_type", "live_content_category"]),
        "durations.shop": duration_frame(ds.query(EQ.ROOM_DURATIONS["shop"]), ["shop"]),
        "room_start_hours": eda.room_start_hours(ds),
        "room_start_hours.all": eda.room_start_hours(ds, within_window=False),
        "rooms_live": eda.rooms_live_over_time(ds),
        "rooms_live.60": eda.rooms_live_over_time(ds, step_min=60),
        "repeat_summary": eda.repeat_summary(eda.returns_rows(ds)).to_frame("value"),
        "repeat_summary.3": eda.repeat_summary(eda.returns_rows(ds, 3)).to_frame("value"),
    }


def result_tables(r) -> dict:
    """The aggregated tables of an EDAResult, by name (pandas objects)."""
    out = {
        "streamers.activity": r.streamers.activity,
        "streamers.histogram": r.streamers.histogram,
        "concentration.table": r.concentration.table,
        "rooms.start_hours": r.rooms.start_hours,
        "rooms.live": r.rooms.live,
        "rooms.shop": r.rooms.shop,
        "users.activity": r.users.activity,
        "users.active_days": r.users.active_days,
        "timing.matrix": r.timing.matrix,
        "timing.daily": r.timing.daily,
        "timing.profile": r.timing.profile,
        "returns.summary": r.returns.summary,
        "returns.intervals": r.returns.intervals,
        "returns.rhythm": r.returns.rhythm,
        "returns.top_streamer": r.returns.top_streamer,
        "behaviour.summary": r.behaviour.summary,
        "behaviour.histogram": r.behaviour.histogram,
        "gifts.summary": r.gifts.summary,
        "gifts.price_counts": r.gifts.price_counts,
        "gifts.histogram": r.gifts.histogram,
    }
    out.update({f"rooms.durations.{k}": v for k, v in r.rooms.durations.items()})
    out.update({f"streamers.ccdfs.{k}": v[0] for k, v in r.streamers.ccdfs.items()})
    out.update({f"users.ccdfs.{k}": v[0] for k, v in r.users.ccdfs.items()})
    out.update({f"concentration.curves.{k}": v for k, v in r.concentration.curves.items()})
    return out


def main() -> int:
    from kuailive_analysis import eda

    with tempfile.TemporaryDirectory() as tmp:
        ds = dataset(Path(tmp))
        r = eda.analyse(ds)
        NUMBERS.write_text(json.dumps(r.numbers(), indent=1, sort_keys=True) + "\n")
        tables = {**function_tables(ds), **{f"result.{k}": v for k, v in result_tables(r).items()}}
        with gzip.GzipFile(TABLES, "wb", mtime=0) as f:
            pickle.dump(tables, f, protocol=4)
    print(f"wrote {NUMBERS.name} and {TABLES.name} ({TABLES.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
