"""A hand-made KuaiLive folder with known answers (shared by the data-layer tests).

W = window start (2025-05-05 00:00 Beijing). Rooms (7 rows, 5 live_ids):

* 10 (streamer 1): W+1h .. W+3h.
* 11 (streamer 2): crosses midnight, two p_date rows identical except live_name_id 5 / 6.
* 12 (streamer 3): 7 days long (type -124) -> dropped by the 1-day rule.
* 13 (streamer 1): end capped at 2025-05-27 -> censored; observed W+20d20h .. window end = 4 h.
* 14 (streamer 2): two rows whose start differs by 10 min (titles -1 / 7) -> one flagged row.

Clicks (10 rows): c2 exact duplicate of c1; c4 in the long room; c5 orphan live_id 99; c6
streamer mismatch (room 10 belongs to streamer 1); c8 one hour before the window; c9 orphan
user 5; c10 shares c1's millisecond with another watch time (kept). Clean clicks: 5.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kuailive_analysis.data import schema as S

W = S.WINDOW_START_MS
H = 3_600_000
D = S.MS_PER_DAY
MIN = 60_000


def _users() -> pd.DataFrame:
    rows = []
    for uid, age, dev, reg, fw in [
        (1, "18-23", "1000-2000", "2025-04-05", "2025-05-01"),
        (2, "50+", "5000+", "2020-05-05", "2021-01-01"),
        (3, "24-30", "0", "2023-05-03", "2023-05-03"),
        (4, "31-40", "2000-4000", "2019-01-01", "2019-06-01"),
    ]:
        r = {
            "user_id": uid,
            "age": age,
            "gender": "M" if uid % 2 else "F",
            "country": "China",
            "device_brand": "APPLE",
            "device_price": dev,
            "reg_timestamp": reg,
            "fans_num": "0-10",
            "follow_num": "10-100",
            "first_watch_live_timestamp": fw,
            "accu_watch_live_cnt": "0-50000",
            "accu_watch_live_duration": "0-1000000000",
            "is_live_streamer": 0,
            "is_photo_author": uid % 2,
        }
        r.update({f"onehot_feat{i}": 0 for i in range(7)})
        rows.append(r)
    return pd.DataFrame(rows)[S.USER.column_names]


def _streamers() -> pd.DataFrame:
    rows = []
    for sid in (1, 2, 3):
        r = {
            "streamer_id": sid,
            "gender": "F",
            "age": "24-30",
            "country": "China",
            "device_brand": "HUAWEI",
            "device_price": "2000-4000",
            "live_operation_tag": "Chat",
            "fans_user_num": "100-1000",
            "fans_group_fans_num": "0-10",
            "follow_user_num": "10-100",
            "first_live_timestamp": "2020-01-01",
            "accu_live_cnt": "0-50",
            "accu_live_duration": "0-100000000",
            "accu_play_cnt": "0-50000",
            "accu_play_duration": "0-1000000000",
            "reg_timestamp": "2018-01-01",
        }
        r.update({f"onehot_feat{i}": 1 if i == 0 else 0 for i in range(7)})
        rows.append(r)
    return pd.DataFrame(rows)[S.STREAMER.column_names]


def _rooms() -> pd.DataFrame:
    cols = S.ROOM.column_names
    rows = [
        (20250505, 10, 1, 1, W + 1 * H, W + 3 * H, "other", 0),
        (20250505, 11, 2, 1, W + 23 * H, W + 25 * H, "shop", 5),
        (20250506, 11, 2, 1, W + 23 * H, W + 25 * H, "shop", 6),
        (20250514, 12, 3, -124, W + 2 * D, W + 9 * D, "other", 3),
        (20250525, 13, 1, 2, W + 20 * D + 20 * H, S.CAPPED_END_MS, "other", 4),
        (20250510, 14, 2, 1, W + 5 * D - 10 * MIN, W + 5 * D + 2 * H, "other", -1),
        (20250510, 14, 2, 1, W + 5 * D, W + 5 * D + 2 * H, "other", 7),
    ]
    return pd.DataFrame(rows, columns=cols)


def _events():
    click = pd.DataFrame(
        [
            (1, 10, 1, W + H + 1000, 5000),  # c1
            (1, 10, 1, W + H + 1000, 5000),  # c2 exact duplicate
            (1, 11, 2, W + 23 * H + 5 * MIN, 60000),  # c3
            (2, 12, 3, W + 2 * D + H, 1000),  # c4 long room
            (2, 99, 1, W + 3 * H, 100),  # c5 orphan live
            (3, 10, 2, W + 2 * H, 2000),  # c6 streamer mismatch
            (3, 13, 1, W + 20 * D + 21 * H, 3000),  # c7
            (4, 14, 2, W - H, 100),  # c8 before the window
            (5, 10, 1, W + H + 2000, 100),  # c9 orphan user
            (1, 10, 1, W + H + 1000, 7000),  # c10 same ms as c1, other watch time
        ],
        columns=S.CLICK.column_names,
    )
    comment = pd.DataFrame(
        [(1, 10, 1, W + H + 3000), (2, 14, 2, W + 5 * D + 30 * MIN)], columns=S.COMMENT.column_names
    )
    like = pd.DataFrame([(1, 11, 2, W + D + 10 * MIN)], columns=S.LIKE.column_names)
    gift = pd.DataFrame(
        [
            (1, 10, 1, W + H + 1000, 2),
            (1, 10, 1, W + H + 5000, 10),
            (3, 12, 3, W + 2 * D + 2 * H, 5),
        ],
        columns=S.GIFT.column_names,
    )
    negative = pd.DataFrame(
        [
            (1, 13, 1, W + 20 * D + 20 * H + MIN),
            (2, 10, 1, W + 4 * H),
            (4, 11, 2, W + 23 * H + 10 * MIN),
        ],
        columns=S.NEGATIVE.column_names,
    )
    return {"click": click, "comment": comment, "like": like, "gift": gift, "negative": negative}


def tiny_frames() -> dict[str, pd.DataFrame]:
    """The eight raw tables as written to CSV (strings for profiles, ints elsewhere)."""
    return {"user": _users(), "streamer": _streamers(), "room": _rooms(), **_events()}


def write_tiny(
    folder: Path, frames: dict[str, pd.DataFrame] | None = None, gz: tuple[str, ...] = ()
) -> Path:
    """Write the tiny folder (or ``frames``) as CSV; tables named in ``gz`` as ``.csv.gz``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (frames or tiny_frames()).items():
        fn = S.SCHEMAS[name].filename
        if name in gz:
            df.to_csv(folder / (fn + ".gz"), index=False, compression="gzip")
        else:
            df.to_csv(folder / fn, index=False)
    return folder


def quirk_frames() -> dict[str, pd.DataFrame]:
    """The tiny folder plus a row for every quirk it lacks (the engine tests' hand-computed
    fixture, ``tests/engine/test_ingest_fixture.py``):

    * user.csv: user 2 listed twice (the copy with another device brand; rule 0 keeps the first);
    * room 15 (streamer 1): three p_date rows 20250506 (title 9, W+100 ms .. W+900 ms),
      20250505 (title 4, W+50 .. W+800), 20250507 (untitled, W+50 .. W+800): one room from
      W+50 to W+900 with p_date 20250505 and title 9 ('last') or 4 ('first'), flagged;
    * clicks c11 (5 ms after the window), c12 (user 4, room 11, unknown streamer 9: flagged as
      an orphan streamer and as a mismatch), c13 / c14 (user 3, room 11, W+7h, 500 ms; c14
      with streamer 1: a mismatch that 'fix' turns into a copy of c13);
    * negative n4: an exact copy of n2 (user 2, room 10, W+4h).
    """
    f = tiny_frames()
    dup_user = f["user"].iloc[[1]].assign(device_brand="HUAWEI")
    f["user"] = pd.concat([f["user"], dup_user], ignore_index=True)
    room15 = pd.DataFrame(
        [
            (20250506, 15, 1, 1, W + 100, W + 900, "other", 9),
            (20250505, 15, 1, 1, W + 50, W + 800, "other", 4),
            (20250507, 15, 1, 1, W + 50, W + 800, "other", -1),
        ],
        columns=S.ROOM.column_names,
    )
    f["room"] = pd.concat([f["room"], room15], ignore_index=True)
    clicks = pd.DataFrame(
        [
            (2, 10, 1, S.WINDOW_END_MS + 5, 100),  # c11
            (4, 11, 9, W + 6 * H, 300),  # c12
            (3, 11, 2, W + 7 * H, 500),  # c13
            (3, 11, 1, W + 7 * H, 500),  # c14
        ],
        columns=S.CLICK.column_names,
    )
    f["click"] = pd.concat([f["click"], clicks], ignore_index=True)
    f["negative"] = pd.concat([f["negative"], f["negative"].iloc[[1]]], ignore_index=True)
    return f
