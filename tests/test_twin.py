"""Tests of the synthetic KuaiLive twin (kuailive_analysis.twin and its twin_* helpers).

Scales are small (0.01-0.02: about 240-480 users, 50-100k clicks) so the suite stays fast. The
statistics test uses the tolerances of :func:`kuailive_analysis.fidelity.twin_check` (owned by
the fidelity module, not by this file). The statistical artefacts of the generator (gift
timing, rooms, calendar, returns, ages, leaks) are checked on a 10% twin in
``tests/test_twin_artefacts.py``; this file checks the format, determinism, ground truth,
sample rule and the generator's building blocks on hand-made inputs with known answers.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.data import schema as S
from kuailive_analysis.twin import (
    TRUTH_FILE,
    TRUTH_USERS_FILE,
    TwinParams,
    calendar_factors,
    generate,
)
from kuailive_analysis.twin.events import LOG_END_MS, gift_times, watch_ms
from kuailive_analysis.twin.gifts import PRICE_MENU, draw_prices, expected_price
from kuailive_analysis.twin.profiles import make_streamers, make_users, to_bins
from kuailive_analysis.twin.rooms import MIN_GAP_MS, resolve_overlaps
from kuailive_analysis.twin.sampling import one_per_user

SCALE = 0.02  # the conftest's small_twin scale (TEST_SCALE)


@pytest.fixture(scope="module")
def twin(small_twin) -> Path:
    return Path(small_twin)


def _read(path: Path, sch: S.FileSchema) -> pd.DataFrame:
    return pd.read_csv(path / sch.filename, engine="pyarrow")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Format, determinism, validation
# ---------------------------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    a = generate(tmp_path / "a", scale=0.01, seed=3, progress=False)
    b = generate(tmp_path / "b", scale=0.01, seed=3, progress=False)
    c = generate(tmp_path / "c", scale=0.01, seed=4, progress=False)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    expected = {s.filename for s in S.SCHEMAS.values()} | {TRUTH_FILE, TRUTH_USERS_FILE}
    assert expected <= set(names)
    for n in names:
        assert _digest(a / n) == _digest(b / n), f"{n} differs between two runs with one seed"
    assert _digest(a / "click.csv") != _digest(c / "click.csv")


def test_headers_match_schema_exactly(twin):
    for sch in S.SCHEMAS.values():
        with open(twin / sch.filename) as f:
            header = f.readline().rstrip("\n").split(",")
        assert header == sch.column_names, sch.filename


def test_every_file_passes_package_validation(twin):
    from kuailive_analysis.engine.ingest import validate_folder

    report = validate_folder(twin)
    assert report.ok, report.to_text()


def test_encodings_are_the_real_ones(twin):
    user = pd.read_csv(twin / "user.csv", dtype=str)
    assert user["reg_timestamp"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert user["age"].isin(S.AGE_BANDS).all()
    assert set(user["device_price"]) <= set(S.DEVICE_PRICE_BANDS)
    assert (user.loc[user["device_brand"] == "DESKTOP", "device_price"] == "0").all()
    for col in ("fans_num", "accu_watch_live_duration"):
        assert user[col].map(lambda v: S.parse_bin(v) is not None).all()
    assert user["user_id"].astype(int).sort_values().tolist() == list(range(1, len(user) + 1))
    strm = pd.read_csv(twin / "streamer.csv", dtype=str)
    ids = strm["streamer_id"].astype(int)
    assert sorted(ids) == list(range(1, len(strm) + 1))
    room = _read(twin, S.ROOM)
    ids = np.unique(room["live_id"])
    assert ids[0] == 1 and ids[-1] == len(ids)  # contiguous 1..n
    click = _read(twin, S.CLICK)
    ts = click["timestamp"].to_numpy()
    assert ts.min() >= S.WINDOW_START_MS and ts.max() < LOG_END_MS
    assert (np.diff(ts) >= 0).all(), "click.csv is sorted by time, as the real file"
    assert click["watch_live_time"].dtype.kind == "i"
    gift = _read(twin, S.GIFT)
    assert gift["gift_price"].min() >= 1 and gift["gift_price"].dtype.kind == "i"


# ---------------------------------------------------------------------------------------------
# Statistics against the real targets
# ---------------------------------------------------------------------------------------------
def test_headline_statistics_match_the_real_data(twin):
    from kuailive_analysis import fidelity

    table = fidelity.twin_check(fidelity.measure(twin), SCALE)
    bad = table[~table["ok"]]
    assert bad.empty, "twin statistics outside tolerance:\n" + bad.to_string()


def test_quirks_are_present(twin):
    room = _read(twin, S.ROOM)
    dup = room[room.duplicated("live_id", keep=False)]
    assert len(dup) > 0
    # duplicates differ in live_name_id
    assert (dup.groupby("live_id")["live_name_id"].nunique() > 1).all()
    first = room.drop_duplicates("live_id")
    dur = first["end_timestamp"] - first["start_timestamp"]
    week = first[(dur >= 7 * S.MS_PER_DAY) & (dur < 7 * S.MS_PER_DAY + 20_000)]
    assert len(week) > 0 and (week["live_type"] == -124).any()
    assert (first["end_timestamp"] == S.CAPPED_END_MS).sum() > 0
    assert set(first["live_content_category"]) == {"shop", "other"}
    assert (first["live_name_id"] == -1).any()
    click = _read(twin, S.CLICK)
    assert click.duplicated(["user_id", "timestamp"]).any(), "tied ms within a screen"
    rs = first.set_index("live_id")["streamer_id"]
    mismatch = (click["streamer_id"].to_numpy() != rs.loc[click["live_id"]].to_numpy()).sum()
    assert 0 < mismatch < 0.001 * len(click)


def test_events_happen_while_their_room_is_live(twin):
    room = _read(twin, S.ROOM)
    span = room.groupby("live_id").agg(lo=("start_timestamp", "min"), hi=("end_timestamp", "max"))
    for sch in (S.CLICK, S.NEGATIVE, S.COMMENT, S.LIKE, S.GIFT):
        ev = _read(twin, sch)
        s = span.loc[ev["live_id"]]
        ts = ev["timestamp"].to_numpy()
        assert ((ts >= s["lo"].to_numpy()) & (ts <= s["hi"].to_numpy())).all(), sch.filename


# ---------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------
def test_truth_files_describe_the_users(twin):
    truth = json.loads((twin / TRUTH_FILE).read_text())
    assert truth["scale"] == SCALE and "params" in truth and "constraints" in truth
    tu = pd.read_csv(twin / TRUTH_USERS_FILE)
    users = pd.read_csv(twin / "user.csv", usecols=["user_id"])
    assert sorted(tu["user_id"]) == sorted(users["user_id"])
    expected_cols = {
        "user_id",
        "entry_ms",
        "churn_ms",
        "churned_in_window",
        "activity",
        "p_day",
        "ctr",
        "fav_share",
        "n_favourites",
        "gift_rate",
        "gift_theta",
        "gift_whale",
        "gift_mean_price",
        "gift_added",
        "comment_added",
        "like_added",
    }
    assert expected_cols <= set(tu.columns)
    gone = {
        "gift_lambda",
        "gift_p",
        "gift_birth_ms",
        "gift_dropout_ms",
        "gift_days",
        "gift_mean_value",
    }
    assert not gone & set(tu.columns), "BG/NBD columns are gone with the BG/NBD simulation"
    assert (tu["churn_ms"] > tu["entry_ms"]).all()
    assert ((tu["churned_in_window"] == 1) == (tu["churn_ms"] < LOG_END_MS)).all()
    assert (tu["gift_rate"] >= 0).all() and tu["gift_whale"].isin([0, 1]).all()
    assert ((tu["ctr"] > 0) & (tu["ctr"] < 1)).all() and (tu["n_favourites"] >= 1).all()
    # the recorded mean price per gift is E[price | theta] of the price menu
    mp = expected_price(
        tu["gift_theta"].to_numpy(), truth["params"]["combo_rate"], truth["params"]["combo_p"]
    )
    np.testing.assert_allclose(tu["gift_mean_price"], mp, rtol=1e-3)
    # whales carry the planted price-tilt shift (theta is Normal(mu, sigma) + shift x whale)
    prm = truth["params"]
    ordinary = tu.loc[tu["gift_whale"] == 0, "gift_theta"]
    assert ordinary.mean() == pytest.approx(
        prm["theta_mu"], abs=4 * prm["theta_sigma"] / np.sqrt(len(ordinary))
    )


def test_truth_gift_rate_is_recorded_for_every_user(twin):
    tu = pd.read_csv(twin / TRUTH_USERS_FILE)
    assert (tu["gift_rate"] > 0).all(), f"{(tu['gift_rate'] == 0).sum()} users recorded as 0"


def test_truth_counts_equal_the_files_row_counts(twin):
    counts = json.loads((twin / TRUTH_FILE).read_text())["counts"]
    assert set(counts) == {
        "user",
        "streamer",
        "rooms",
        "room_rows",
        "click",
        "negative",
        "comment",
        "like",
        "gift",
    }
    for sch in S.SCHEMAS.values():
        key = "room_rows" if sch is S.ROOM else sch.filename.removesuffix(".csv")
        assert counts[key] == len(_read(twin, sch)), sch.filename
    assert counts["rooms"] == _read(twin, S.ROOM)["live_id"].nunique()
    assert counts["rooms"] < counts["room_rows"]  # duplicate rows (quirk 1)


def test_sample_rule_conditioning_adds_exactly_one_event(twin):
    """A user flagged ``<event>_added`` had none of their own, so the conditioning gave them
    exactly one; every other user has at least one of their own."""
    truth = json.loads((twin / TRUTH_FILE).read_text())
    tu = pd.read_csv(twin / TRUTH_USERS_FILE).set_index("user_id")
    n_added = {}
    for name, sch in (("gift", S.GIFT), ("comment", S.COMMENT), ("like", S.LIKE)):
        n = _read(twin, sch).groupby("user_id").size().reindex(tu.index, fill_value=0)
        flag = tu[f"{name}_added"]
        assert flag.isin([0, 1]).all()
        assert (n[flag == 1] == 1).all(), f"{name}: a flagged user has != 1 {name} rows"
        assert (n[flag == 0] >= 1).all(), f"{name}: an unflagged user has no {name}"
        n_added[name] = int(flag.sum())
    m = re.search(
        r"added for (\d+) / (\d+) / (\d+) users", truth["constraints"]["gift_comment_like"]
    )
    assert m is not None
    assert [int(x) for x in m.groups()] == [n_added["gift"], n_added["comment"], n_added["like"]]


def test_events_stay_inside_the_planted_lifetime(twin):
    tu = pd.read_csv(twin / TRUTH_USERS_FILE).set_index("user_id")
    for sch in (S.CLICK, S.NEGATIVE, S.COMMENT, S.LIKE, S.GIFT):
        ev = _read(twin, sch)
        t = tu.loc[ev["user_id"]]
        ts = ev["timestamp"].to_numpy()
        inside = (ts >= t["entry_ms"].to_numpy()) & (ts < t["churn_ms"].to_numpy())
        assert inside.all(), f"{sch.filename}: {(~inside).sum()} events outside the lifetime"
        assert ts.max() < LOG_END_MS, sch.filename
    # some users churn inside the window, and they are silent afterwards (checked above)
    assert 0 < tu["churned_in_window"].mean() < 0.3


def test_every_user_clicked_commented_liked_and_gifted(twin):
    n = len(pd.read_csv(twin / "user.csv", usecols=["user_id"]))
    for sch in (S.CLICK, S.COMMENT, S.LIKE, S.GIFT):
        assert _read(twin, sch)["user_id"].nunique() == n, sch.filename


def test_every_streamer_was_clicked(twin):
    n = len(pd.read_csv(twin / "streamer.csv", usecols=["streamer_id"]))
    click = _read(twin, S.CLICK)
    # the streamer-mismatch quirk never removes a streamer's last click row with its id
    assert click["streamer_id"].nunique() == n
    room = _read(twin, S.ROOM).drop_duplicates("live_id")
    assert sorted(room["streamer_id"].unique()) == list(range(1, n + 1))
    clicked_rooms = room.set_index("live_id").loc[click["live_id"].unique(), "streamer_id"]
    assert clicked_rooms.nunique() == n  # through the rooms as well, not only the quirky column


def test_one_live_room_per_streamer_in_the_room_file(twin):
    room = _read(twin, S.ROOM)
    span = (
        room.groupby("live_id")
        .agg(s=("streamer_id", "first"), lo=("start_timestamp", "min"), hi=("end_timestamp", "max"))
        .sort_values(["s", "lo"])
    )
    same = span["s"].to_numpy()[1:] == span["s"].to_numpy()[:-1]
    overlap = same & (span["hi"].to_numpy()[:-1] > span["lo"].to_numpy()[1:])
    assert not overlap.any(), f"{overlap.sum()} rooms start while the streamer is live"


# ---------------------------------------------------------------------------------------------
# Unit tests of the building blocks (hand-made inputs, known answers)
# ---------------------------------------------------------------------------------------------
def test_to_bins_known_values():
    out = to_bins(np.array([0, 9.99, 10, 99, 100, 5000, 1e9]), [0, 10, 100, 1000])
    assert out.tolist() == ["0-10", "0-10", "10-100", "10-100", "100-1000", "1000+", "1000+"]


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=1e13, allow_nan=False))
def test_to_bins_label_contains_value(v):
    edges = [0, 10, 100, 1000, 10_000, 100_000, 1_000_000_000]
    lo, hi = S.parse_bin(to_bins(np.array([v]), edges)[0])
    assert lo <= v and (v < hi or hi == float("inf"))


def test_expected_price_matches_monte_carlo():
    rng = np.random.default_rng(0)
    theta = np.full(200_000, -0.05)
    draws = draw_prices(rng, theta, combo_rate=0.08, combo_p=0.3)
    exact = expected_price(np.array([-0.05]), 0.08, 0.3)[0]
    # heavy tail: standard error of the mean is about 0.5-1 coin here; allow 6%
    assert draws.mean() == pytest.approx(exact, rel=0.06)
    assert set(np.unique(draws[draws <= 20])) <= set(range(1, 21))
    assert (draws == 1).mean() > 0.35 and np.median(draws) == 2
    assert set(PRICE_MENU) >= {1, 10, 20}


def test_watch_time_mixture_has_the_measured_shape():
    rng = np.random.default_rng(3)
    w = watch_ms(rng, 400_000, np.full(400_000, 0.5), np.ones(400_000)) / 1000
    # fitted to: 53.9% < 5 s, 24.3% in 5-30 s, 5.6% > 300 s, max about 2 h
    assert (w < 5).mean() == pytest.approx(0.53, abs=0.03)
    assert ((w >= 5) & (w < 30)).mean() == pytest.approx(0.24, abs=0.03)
    assert (w >= 300).mean() == pytest.approx(0.065, abs=0.02)
    assert w.max() < 7200


def test_bad_scale_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0, progress=False)


# ---------------------------------------------------------------------------------------------
# Rooms: hand-made schedules
# ---------------------------------------------------------------------------------------------
def _rooms(spec):
    """Rooms from (streamer_id, start offset h, end offset h, shop, title) relative to day 0."""
    from kuailive_analysis.twin.rooms import Rooms

    h = 3_600_000
    a = np.array(spec, dtype=float)
    return Rooms(
        streamer=a[:, 0].astype(np.int32),
        start_ms=(S.WINDOW_START_MS + a[:, 1] * h).astype(np.int64),
        end_ms=(S.WINDOW_START_MS + a[:, 2] * h).astype(np.int64),
        live_type=np.ones(len(a), dtype=np.int16),
        shop=a[:, 3].astype(bool),
        title=a[:, 4].astype(np.int32),
    )


def test_write_rooms_dates_duplicates_and_titles(tmp_path):
    from types import SimpleNamespace

    from kuailive_analysis.twin.rooms import write_rooms
    from kuailive_analysis.twin.writer import WRITE_OPTS

    rooms = _rooms(
        [
            (1, 20.0, 21.0, 0, 7),  # day 0 only
            (2, 23.0, 25.0, 1, 3),  # crosses midnight into day 1
            (3, 30.0, 40.0, 0, -1),  # day 1, no title
        ]
    )
    rooms.end_ms[0] = S.CAPPED_END_MS  # still live at extraction
    prm = SimpleNamespace(q_cross=1.0, q_same=0.0)  # every midnight-crossing room is duplicated
    n = write_rooms(np.random.default_rng(0), rooms, prm, tmp_path / "room.csv", WRITE_OPTS)
    df = pd.read_csv(tmp_path / "room.csv")
    # rooms 1 (capped, started on day 0) and 2 cross midnight: one extra row each
    assert n == len(df) == 5 and list(df.columns) == S.ROOM.column_names
    assert (df.loc[:1, "live_id"] == 1).all()  # still-live (capped) rows come first
    assert (df.loc[:1, "end_timestamp"] == S.CAPPED_END_MS).all()
    assert sorted(df.loc[:1, "p_date"]) == [20250505, 20250525]  # capped: last partition
    two = df[df["live_id"] == 2].sort_values("p_date")
    assert two["p_date"].tolist() == [20250505, 20250506]  # one row per p_date
    assert two["live_name_id"].nunique() == 2  # duplicates differ in live_name_id
    assert (df.loc[df["live_id"] == 3, "live_name_id"] == -1).all()
    titled = df.loc[df["live_name_id"] >= 0, "live_name_id"].tolist()
    assert titled == list(range(len(titled)))  # renumbered by first appearance in file order
    assert df.loc[df["live_id"] == 2, "live_content_category"].eq("shop").all()


def test_day_slots_pick_live_rooms_and_favourites():
    from kuailive_analysis.twin.events import N_SLOTS, SLOT_MS, DaySlots

    rooms = _rooms(
        [
            (1, 0.0, 24.0, 0, 0),  # live all day
            (2, 18.0, 19.0, 0, 1),  # live 18:00-19:00 only
            (3, -30.0, 200.0, 0, 2),  # a long room (over a day) spanning the whole window
        ]
    )
    pop = np.array([1.0, 50.0, 1.0])
    slots = DaySlots(rooms, 0, pop, 1.0)
    rng = np.random.default_rng(0)
    slot = rng.integers(0, N_SLOTS, 5_000)
    ent = slots.pick(rng, slot, np.full(5_000, -1))
    assert (ent >= 0).all()
    d0 = S.WINDOW_START_MS
    room = slots.room[ent]
    # every pick is live in its slot
    assert (slots.lo[ent] >= d0 + slot * SLOT_MS).all()
    assert (slots.hi[ent] <= d0 + (slot + 1) * SLOT_MS).all()
    assert (rooms.start_ms[room] <= slots.lo[ent]).all() and (
        rooms.end_ms[room] >= slots.hi[ent]
    ).all()
    # weights: in the 18:00 slot the popular room 2 gets 50 / 52 of the picks
    s36 = slot == 36
    assert (room[s36] == 1).mean() == pytest.approx(50 / 52, abs=0.06)
    assert not (room[slot < 36] == 1).any()
    # a favourite is honoured when live, else the weighted pick is used
    fav = np.full(200, 0)  # streamer 1 (0-based 0)
    ent = slots.pick(rng, np.full(200, 3), fav)
    assert (slots.room[ent] == 0).all()
    ent = slots.pick(rng, np.full(200, 3), np.full(200, 1))  # streamer 2 is off at 01:30
    assert set(slots.room[ent]) <= {0, 2}
    # shop rooms draw ``shop_weight`` times the traffic per live minute
    shop = _rooms([(1, 0.0, 24.0, 0, 0), (2, 0.0, 24.0, 1, 1)])
    slots = DaySlots(shop, 0, np.array([1.0, 1.0]), 1.0, 0.25)
    ent = slots.pick(rng, rng.integers(0, N_SLOTS, 20_000), np.full(20_000, -1))
    assert (slots.room[ent] == 1).mean() == pytest.approx(0.25 / 1.25, abs=0.015)
    # rooms of a day or more draw ``long_room_weight`` times the traffic
    mixed = _rooms([(1, 0.0, 20.0, 0, 0), (2, -30.0, 200.0, 0, 1)])  # short, long
    slots = DaySlots(mixed, 0, np.array([1.0, 1.0]), 0.5)
    ent = slots.pick(rng, np.full(20_000, 3), np.full(20_000, -1))
    assert (slots.room[ent] == 1).mean() == pytest.approx(0.5 / 1.5, abs=0.015)


def test_profiles_have_the_schema_columns():
    rng = np.random.default_rng(5)
    n = 300
    users = make_users(
        rng,
        activity=np.exp(rng.normal(size=n)),
        watch_age_days=rng.integers(-10, 3_000, n),
        tenure_days=rng.integers(0, 4_000, n),
    )
    assert list(users.columns) == S.USER.column_names
    assert users["user_id"].tolist() == list(range(1, n + 1))
    strm = make_streamers(
        rng,
        popularity=np.exp(rng.normal(size=n)),
        room_rate=rng.gamma(0.7, 1.0, n),
        live_age_days=rng.integers(1, 3_000, n),
        tenure_days=rng.integers(30, 4_000, n),
    )
    assert list(strm.columns) == S.STREAMER.column_names
    assert strm["streamer_id"].tolist() == list(range(1, n + 1))


# ---------------------------------------------------------------------------------------------
# One live room per streamer (twin_rooms.resolve_overlaps)
# ---------------------------------------------------------------------------------------------
_H = 3_600_000


def _check_resolved(streamer, start, end, is_long, keep, new_end):
    assert len(np.unique(keep)) == len(keep) and len(new_end) == len(keep)
    assert (new_end <= end[keep]).all(), "a kept room ends later than it was drawn"
    assert (new_end > start[keep]).all()
    # every streamer keeps a room (its first), so no streamer loses all its rooms
    assert set(streamer[keep]) == set(streamer)
    o = np.lexsort((start[keep], streamer[keep]))
    s, st, en = streamer[keep][o], start[keep][o], new_end[o]
    same = s[1:] == s[:-1]
    assert not (same & (en[:-1] > st[1:])).any(), "two kept rooms of one streamer overlap"
    # a long room is never cut, and no kept room of its streamer starts inside it
    lg = is_long[keep]
    assert (new_end[lg] == end[keep][lg]).all(), "a long room was cut"
    for r in keep[lg]:
        inside = (streamer[keep] == streamer[r]) & (start[keep] > start[r]) & (start[keep] < end[r])
        assert not inside.any(), "a room starting inside a long room was kept"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # streamer
            st.integers(0, 72 * 60),  # start (minutes)
            st.integers(0, 8 * 60),  # duration (minutes; 0 = 5 s)
            st.booleans(),
        ),  # a room of a day or more
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 2**32 - 1),
)
def test_resolve_overlaps_leaves_one_live_room_per_streamer(spec, seed):
    a = np.array(spec, dtype=np.int64)
    streamer = a[:, 0].astype(np.int32)
    start = S.WINDOW_START_MS + a[:, 1] * 60_000
    is_long = a[:, 3].astype(bool)
    dur = np.where(is_long, 24 * _H + a[:, 2] * 600_000, np.maximum(a[:, 2] * 60_000, 5_000))
    end = start + dur
    keep, new_end = resolve_overlaps(
        np.random.default_rng(seed), streamer, start, end.copy(), is_long
    )
    _check_resolved(streamer, start, end, is_long, keep, new_end)
    # rooms that overlap no other room of their streamer are kept unchanged
    for i in range(len(a)):
        mine = np.flatnonzero((streamer == streamer[i]) & (np.arange(len(a)) != i))
        if not ((start[mine] < end[i]) & (end[mine] > start[i])).any():
            j = np.flatnonzero(keep == i)
            assert len(j) == 1 and new_end[j[0]] == end[i]


def test_resolve_overlaps_hand_made_cases():
    w = S.WINDOW_START_MS
    #            streamer  start (h)   end (h)  long
    spec = [
        (1, 0.0, 48.0, True),  # a 2-day room
        (1, 10.0, 11.0, False),  # inside it: dropped
        (2, 0.0, 5.0, False),  # cut by the next room (starts 1 h later)
        (2, 1.0, 2.0, False),  # kept as drawn
        (3, 0.0, 5.0, False),
        (3, 0.05, 1.0, False),  # starts 3 min after the previous start: dropped
        (4, 0.0, 5.0, False),  # a long room starting inside a short one ends it
        (4, 2.0, 30.0, True),
    ]
    streamer = np.array([r[0] for r in spec], dtype=np.int32)
    start = (w + np.array([r[1] for r in spec]) * _H).astype(np.int64)
    end = (w + np.array([r[2] for r in spec]) * _H).astype(np.int64)
    is_long = np.array([r[3] for r in spec])
    keep, new_end = resolve_overlaps(np.random.default_rng(0), streamer, start, end, is_long)
    got = dict(zip(keep.tolist(), new_end.tolist()))
    assert sorted(got) == [0, 2, 3, 4, 6, 7]
    assert got[0] == end[0] and got[3] == end[3] and got[4] == end[4] and got[7] == end[7]
    for cut, nxt in ((2, 3), (6, 7)):  # a break of 30 s to 5 min before the next start
        assert 30_000 <= start[nxt] - got[cut] <= 300_000
    assert MIN_GAP_MS == 10 * 60_000


# ---------------------------------------------------------------------------------------------
# Sample-rule conditioning (twin.sampling.one_per_user)
# ---------------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from([0.0, 1e-9, 0.01, 0.5, 1.0, 7.0])),
        min_size=0,
        max_size=60,
    ),
    st.lists(st.booleans(), min_size=10, max_size=10),
    st.integers(0, 2**32 - 1),
)
def test_one_per_user_gives_each_needing_user_one_of_their_rows(rows, need, seed):
    users = np.array([r[0] for r in rows], dtype=np.int64)
    weight = np.array([r[1] for r in rows], dtype=float)
    need = np.array(need)
    got = one_per_user(np.random.default_rng(seed), users, weight, need)
    assert len(np.unique(got)) == len(got)
    assert need[users[got]].all(), "a row for a user that does not need one"
    assert (weight[got] > 0).all(), "a row with zero weight was chosen"
    assert len(np.unique(users[got])) == len(got), "two rows for one user"
    eligible = {int(u) for u, wt in zip(users, weight) if need[u] and wt > 0}
    assert set(users[got].tolist()) == eligible  # exactly one per needing user with a row


def test_one_per_user_draws_proportionally_to_weight():
    rng = np.random.default_rng(11)
    n = 20_000
    users = np.repeat(np.arange(n), 3)
    need = np.ones(n, dtype=bool)
    # one row weighs 1,000 times the others: chosen with probability 1000 / 1002
    weight = np.tile([1.0, 1000.0, 1.0], n)
    got = one_per_user(rng, users, weight, need)
    assert len(got) == n and (users[got] == np.arange(n)).all()
    assert (got % 3 == 1).mean() > 0.995
    # weights 1 : 2 : 5 give shares 1/8, 2/8, 5/8 (standard error about 0.003)
    weight = np.tile([1.0, 2.0, 5.0], n)
    share = np.bincount(one_per_user(rng, users, weight, need) % 3, minlength=3) / n
    np.testing.assert_allclose(share, [1 / 8, 2 / 8, 5 / 8], atol=0.015)


# ---------------------------------------------------------------------------------------------
# Gift timing (twin_events.gift_times)
# ---------------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10 * S.MS_PER_DAY),  # click ms into the window
            st.integers(0, 2 * _H),  # watch beyond the (n + 1) s it needs
            st.integers(0, 4),  # gifts of the click
            st.integers(0, _H),
        ),  # end of the room beyond the watch
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 2**32 - 1),
)
def test_gift_times_first_at_click_then_spaced_during_the_watch(spec, seed):
    a = np.array(spec, dtype=np.int64)
    t = S.WINDOW_START_MS + a[:, 0]
    n_gift = a[:, 2]
    watch = 1_000 * (n_gift + 1) + a[:, 1]
    end = t + watch + a[:, 3]
    prm = SimpleNamespace(p_gift_at_click=1.0)
    idx, ts = gift_times(np.random.default_rng(seed), prm, t, watch, end, n_gift)
    assert (np.bincount(idx, minlength=len(a)) == n_gift).all()
    assert (np.diff(idx) >= 0).all()  # grouped by click, in click order
    first = np.ones(len(idx), dtype=bool)
    first[1:] = idx[1:] != idx[:-1]
    assert (ts[first] == t[idx[first]]).all(), "first gift not at the click's ms"
    later = ~first
    gap = np.diff(ts)[later[1:]]
    assert (gap >= 1_000).all(), "further gifts of a click less than 1 s apart"
    assert (ts >= t[idx]).all() and (ts < t[idx] + watch[idx]).all() and (ts < end[idx]).all()


def test_gift_times_off_click_and_log_end():
    rng = np.random.default_rng(2)
    n = 10_000
    t = np.full(n, S.WINDOW_START_MS + 5 * S.MS_PER_DAY)
    watch = np.full(n, 600_000)
    prm = SimpleNamespace(p_gift_at_click=0.3)
    idx, ts = gift_times(rng, prm, t, watch, t + watch, np.ones(n, dtype=np.int64))
    at = ts == t[idx]
    assert at.mean() == pytest.approx(0.3, abs=0.02)
    assert ((ts[~at] >= t[~at] + 1_000) & (ts[~at] < t[~at] + watch[~at])).all()
    # nothing is logged at or after the end of the logs (2025-05-25 23:00): gifts of an hour's
    # watch that starts shortly before it are dropped, the gift at the click's ms is kept
    t = np.array([LOG_END_MS - 5_000, LOG_END_MS - 600_000])
    idx, ts = gift_times(
        rng,
        SimpleNamespace(p_gift_at_click=1.0),
        t,
        np.full(2, 3_600_000),
        np.full(2, LOG_END_MS + _H),
        np.array([3, 3]),
    )
    assert (ts < LOG_END_MS).all() and set(idx.tolist()) == {0, 1}
    assert (ts[np.r_[True, idx[1:] != idx[:-1]]] == t).all()


def test_gift_times_keep_1s_spacing_when_the_room_ends_soon():
    t = np.array([S.WINDOW_START_MS + _H])
    watch = np.array([1_500])
    end = t + watch  # the room ends with the (short) watch
    idx, ts = gift_times(
        np.random.default_rng(0), SimpleNamespace(p_gift_at_click=1.0), t, watch, end, np.array([3])
    )
    assert (np.diff(ts) >= 1_000).all(), ts - t[0]


# ---------------------------------------------------------------------------------------------
# Calendar (twin.calendar_factors)
# ---------------------------------------------------------------------------------------------
def test_calendar_day_zero_is_a_monday():
    assert datetime.date(2025, 5, 5).weekday() == 0  # so days d % 7 in {5, 6} are weekends


def test_calendar_factors_without_noise_follow_trend_and_weekend():
    prm = TwinParams(day_noise_sigma=0.0, week_trend=(1.0, 0.8, 0.5), weekend_boost=1.3)
    f = calendar_factors(np.random.default_rng(0), prm)
    assert f.shape == (S.N_WINDOW_DAYS,) and f.mean() == pytest.approx(1.0)
    wk = f.reshape(3, 7)
    # within a week: weekend days are the boost times the weekdays, weekdays are flat
    np.testing.assert_allclose(wk[:, 5:] / wk[:, :1], 1.3)
    np.testing.assert_allclose(wk[:, :5] / wk[:, :1], 1.0)
    # across weeks: the configured trend ratios
    np.testing.assert_allclose(wk.mean(axis=1)[1:] / wk.mean(axis=1)[:-1], [0.8, 0.625])
    # the default parameters: weekends above weekdays, weeks as configured
    d = TwinParams()
    f = calendar_factors(np.random.default_rng(0), TwinParams(day_noise_sigma=0.0)).reshape(3, 7)
    assert (f[:, 5:].min(axis=1) > f[:, :5].max(axis=1)).all()
    np.testing.assert_allclose(
        f.mean(axis=1) / f.mean(axis=1)[0], np.array(d.week_trend) / d.week_trend[0]
    )


def test_calendar_factors_with_noise_keep_the_pattern_in_expectation():
    prm = TwinParams(day_noise_sigma=0.2, week_trend=(1.0, 0.9, 0.7), weekend_boost=1.2)
    rng = np.random.default_rng(9)
    f = np.array([calendar_factors(rng, prm) for _ in range(4_000)])
    assert f.mean() == pytest.approx(1.0, abs=0.005)  # the noise has mean 1
    wk = f.mean(axis=0).reshape(3, 7)
    np.testing.assert_allclose(wk[:, 5:].mean(axis=1) / wk[:, :5].mean(axis=1), 1.2, rtol=0.02)
    np.testing.assert_allclose(
        wk.mean(axis=1)[1:] / wk.mean(axis=1)[:-1], [0.9, 0.7 / 0.9], rtol=0.02
    )
    days = f.reshape(len(f), 3, 7)
    assert days[:, :, 5:].mean() > days[:, :, :5].mean()
