"""Write chapter 2's reference results on a small twin (scale 0.01, seed 3):

* ``tests/data/eda_numbers_scale0.01_seed3.json``: ``eda.analyse(ds).numbers()``;
* ``tests/data/eda_tables_scale0.01_seed3.pkl.gz``: the frames of the event-level aggregations
  (the pandas functions of :mod:`kuailive_analysis.eda` called on the dataset's tables, with
  several argument combinations) and the aggregated tables of the
  :class:`~kuailive_analysis.eda.EDAResult`.

They were produced by the pandas implementation of chapter 2 before its aggregations moved
into the event engine (issue 16); ``tests/test_eda_engine.py`` requires the engine path and
the thin pandas wrappers to give exactly the same results (index, columns, dtypes, values).
Run from the repository root: ``.venv/bin/python tests/make_eda_fixture.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCALE, SEED = 0.01, 3
NUMBERS = HERE / "data" / f"eda_numbers_scale{SCALE}_seed{SEED}.json"
TABLES = HERE / "data" / f"eda_tables_scale{SCALE}_seed{SEED}.pkl.gz"


def dataset(root: Path):
    """The small twin, generated and loaded under ``root``."""
    from kuailive_analysis.dataset import load
    from kuailive_analysis.twin import generate

    os.environ["KUAILIVE_BUILD_DIR"] = str(root / "build")
    data = generate(root / "twin", scale=SCALE, seed=SEED, progress=False)
    return load(data)


def function_tables(ds) -> dict:
    """The pandas functions of chapter 2 on the dataset's tables, by a readable name."""
    from kuailive_analysis import eda

    rooms, clicks = ds.rooms, ds.clicks
    out = {
        "streamer_activity": eda.streamer_activity(ds.sessions, rooms, ds.streamers),
        "streamer_activity.sessions": eda.streamer_activity(ds.sessions),
        "streamer_activity.rooms": eda.streamer_activity(ds.sessions, rooms),
        "user_activity": eda.user_activity(ds.sessions, ds.user_day, ds.users),
        "user_activity.sessions": eda.user_activity(ds.sessions),
        "user_activity.users": eda.user_activity(ds.sessions, users=ds.users),
        "durations.all": eda.room_duration_summary(rooms, None),
        "durations.all_rooms": eda.room_duration_summary(rooms, None, ended_only=False),
        "durations.category": eda.room_duration_summary(rooms, "live_content_category"),
        "durations.live_type": eda.room_duration_summary(rooms, "live_type"),
        "durations.two": eda.room_duration_summary(rooms, ["live_type", "live_content_category"]),
        "durations.shop": eda.room_duration_summary(
            rooms.assign(shop=eda.shop_flag(rooms)), "shop"
        ),
        "room_start_hours": eda.room_start_hours(rooms),
        "room_start_hours.all": eda.room_start_hours(rooms, within_window=False),
        "rooms_live": eda.rooms_live_over_time(rooms),
        "rooms_live.60": eda.rooms_live_over_time(rooms, step_min=60),
        "visits": eda.visits(clicks),
        "repeat_summary": eda.repeat_summary(clicks).to_frame("value"),
        "repeat_summary.3": eda.repeat_summary(clicks, min_rooms=3).to_frame("value"),
    }
    return out


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
        "published.comparison": r.published.comparison,
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
        tables["uncertainty"] = r.uncertainty
        with gzip.GzipFile(TABLES, "wb", mtime=0) as f:
            pickle.dump(tables, f, protocol=4)
    print(f"wrote {NUMBERS.name} and {TABLES.name} ({TABLES.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
