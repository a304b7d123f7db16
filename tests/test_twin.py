"""Tests of the synthetic KuaiLive twin (kuailive_analysis.twin and its twin_* helpers).

Scales are small (0.01-0.02: about 240-480 users, 50-100k clicks) so the suite stays fast; the
statistics test's tolerances are documented in kuailive_analysis.twin_stats (TARGETS and
compare) and are set for a 2% twin: several standard deviations of the seed-to-seed spread
measured on seeds 7-10, and scale-aware for counts (c / sqrt(n_users)).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuailive_analysis import schema as S
from kuailive_analysis.twin import TRUTH_FILE, TRUTH_USERS_FILE, generate
from kuailive_analysis.twin_events import LOG_END_MS, watch_ms
from kuailive_analysis.twin_gifts import (PRICE_MENU, draw_prices, expected_price,
                                          gifting_days, simulate_bgnbd)
from kuailive_analysis.twin_profiles import to_bins
from kuailive_analysis.twin_stats import compare, gini, headline_stats

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
    from kuailive_analysis.io import validate_folder

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
    for col in ("churn_ms", "entry_ms", "gift_lambda", "gift_p", "gift_mean_value"):
        assert col in tu.columns
    assert (tu["churn_ms"] > tu["entry_ms"]).all()
    assert ((tu["churned_in_window"] == 1) == (tu["churn_ms"] < LOG_END_MS)).all()
    # the recorded value per gifting day is (sessions/day) x (gifts/session) x E[price | theta]
    mp = expected_price(tu["gift_theta"].to_numpy(), truth["params"]["combo_rate"],
                        truth["params"]["combo_p"])
    np.testing.assert_allclose(tu["gift_mean_price"], mp, rtol=1e-3)
    np.testing.assert_allclose(tu["gift_mean_value"], tu["gift_events_per_day"] * mp, rtol=1e-3)


def test_events_stay_inside_the_planted_lifetime(twin):
    tu = pd.read_csv(twin / TRUTH_USERS_FILE).set_index("user_id")
    for sch in (S.CLICK, S.NEGATIVE, S.COMMENT, S.LIKE, S.GIFT):
        ev = _read(twin, sch)
        t = tu.loc[ev["user_id"]]
        ts = ev["timestamp"].to_numpy()
        inside = (ts >= t["entry_ms"].to_numpy()) & (ts < t["churn_ms"].to_numpy())
        assert inside.all(), f"{sch.filename}: {(~inside).sum()} events outside the lifetime"
    # some users churn inside the window, and they are silent afterwards (checked above)
    assert 0 < tu["churned_in_window"].mean() < 0.3


def test_gifting_days_are_the_planted_bgnbd_days(twin):
    tu = pd.read_csv(twin / TRUTH_USERS_FILE).set_index("user_id")
    gift = _read(twin, S.GIFT)
    day = (gift["timestamp"] - S.WINDOW_START_MS) // S.MS_PER_DAY
    per_user = pd.DataFrame({"u": gift["user_id"], "d": day}).drop_duplicates()
    n_days = per_user.groupby("u").size().reindex(tu.index, fill_value=0)
    assert (n_days == tu["gift_days"]).all()
    first = per_user.groupby("u")["d"].min()
    birth_day = (tu["gift_birth_ms"] - S.WINDOW_START_MS) // S.MS_PER_DAY
    assert (first == birth_day.loc[first.index]).all()
    assert (tu["gift_days"] <= tu["gift_transactions"]).all()


def test_every_user_clicked_commented_liked_and_gifted(twin):
    n = len(pd.read_csv(twin / "user.csv", usecols=["user_id"]))
    for sch in (S.CLICK, S.COMMENT, S.LIKE, S.GIFT):
        assert _read(twin, sch)["user_id"].nunique() == n, sch.filename


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


def test_gini_known_answers():
    assert gini(np.ones(10)) == pytest.approx(0.0)
    x = np.zeros(100)
    x[-1] = 5.0
    assert gini(x) == pytest.approx(0.99)  # one holder of everything: (n-1)/n
    assert gini(np.array([1.0, 3.0])) == pytest.approx(0.25)


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


def test_bgnbd_without_stop_has_geometric_transaction_count():
    # with no observation end, the number of transactions (birth included) is Geometric(p):
    # mean 1/p; for p = 0.25, n = 20,000 users the standard error is 0.024
    rng = np.random.default_rng(1)
    n = 20_000
    u, t, drop = simulate_bgnbd(rng, np.full(n, 0.5), np.full(n, 0.25),
                                np.full(n, S.WINDOW_START_MS), np.full(n, np.inf))
    counts = np.bincount(u, minlength=n)
    assert counts.mean() == pytest.approx(4.0, abs=0.12)
    assert (drop >= 0).all()  # everyone eventually drops out
    # gaps are Exponential(lambda = 0.5 / day): mean 2 days
    order = np.lexsort((t, u))
    gaps = np.diff(t[order])[np.diff(u[order]) == 0] / S.MS_PER_DAY
    assert gaps.mean() == pytest.approx(2.0, rel=0.05)


def test_bgnbd_textbook_variant_never_drops_at_birth():
    # textbook BG/NBD: dropout only after repeat transactions, so with p = 1 every user makes
    # exactly two transactions (birth + one repeat, then drops) when the horizon is long
    rng = np.random.default_rng(4)
    n = 5_000
    birth = np.full(n, S.WINDOW_START_MS)
    u, _, _ = simulate_bgnbd(rng, np.full(n, 1.0), np.ones(n), birth, np.full(n, np.inf),
                             dropout_at_birth=False)
    assert (np.bincount(u, minlength=n) == 2).all()
    u, _, _ = simulate_bgnbd(rng, np.full(n, 1.0), np.ones(n), birth, np.full(n, np.inf))
    assert (np.bincount(u, minlength=n) == 1).all()  # the twin's default: may leave at once


def test_bgnbd_with_no_dropout_is_poisson_until_stop():
    rng = np.random.default_rng(2)
    n = 20_000
    stop = S.WINDOW_START_MS + 10 * S.MS_PER_DAY
    u, t, drop = simulate_bgnbd(rng, np.full(n, 0.3), np.zeros(n),
                                np.full(n, S.WINDOW_START_MS), np.full(n, stop))
    repeats = np.bincount(u, minlength=n) - 1
    assert repeats.mean() == pytest.approx(3.0, abs=0.06)  # Poisson(0.3 x 10), se 0.012
    assert (t < stop).all() and (drop == -1).all()


def test_gifting_days_merge_same_day_transactions():
    d = S.MS_PER_DAY
    w = S.WINDOW_START_MS
    u = np.array([0, 0, 0, 1])
    t = np.array([w + 10, w + d - 1, w + d, w + 5 * d])
    gu, gd = gifting_days(u, t)
    assert gu.tolist() == [0, 0, 1] and gd.tolist() == [0, 1, 5]


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
    from kuailive_analysis.twin_rooms import Rooms

    h = 3_600_000
    a = np.array(spec, dtype=float)
    return Rooms(streamer=a[:, 0].astype(np.int32),
                 start_ms=(S.WINDOW_START_MS + a[:, 1] * h).astype(np.int64),
                 end_ms=(S.WINDOW_START_MS + a[:, 2] * h).astype(np.int64),
                 live_type=np.ones(len(a), dtype=np.int16), shop=a[:, 3].astype(bool),
                 title=a[:, 4].astype(np.int32))


def test_write_rooms_dates_duplicates_and_titles(tmp_path):
    from types import SimpleNamespace

    from kuailive_analysis.twin import _WRITE_OPTS
    from kuailive_analysis.twin_rooms import write_rooms

    rooms = _rooms([
        (1, 20.0, 21.0, 0, 7),      # day 0 only
        (2, 23.0, 25.0, 1, 3),      # crosses midnight into day 1
        (3, 30.0, 40.0, 0, -1),     # day 1, no title
    ])
    rooms.end_ms[0] = S.CAPPED_END_MS  # still live at extraction
    prm = SimpleNamespace(q_cross=1.0, q_same=0.0)  # every midnight-crossing room is duplicated
    n = write_rooms(np.random.default_rng(0), rooms, prm, tmp_path / "room.csv", _WRITE_OPTS)
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
    from kuailive_analysis.twin_events import N_SLOTS, SLOT_MS, DaySlots, RoomIndex

    rooms = _rooms([
        (1, 0.0, 24.0, 0, 0),    # live all day
        (2, 18.0, 19.0, 0, 1),   # live 18:00-19:00 only
        (3, -30.0, 200.0, 0, 2),  # a long room (over a day) spanning the whole window
    ])
    pop = np.array([1.0, 50.0, 1.0])
    slots = DaySlots(rooms, RoomIndex(rooms), 0, pop, 1.0)
    rng = np.random.default_rng(0)
    slot = rng.integers(0, N_SLOTS, 5_000)
    ent = slots.pick(rng, slot, np.full(5_000, -1))
    assert (ent >= 0).all()
    d0 = S.WINDOW_START_MS
    room = slots.room[ent]
    # every pick is live in its slot
    assert (slots.lo[ent] >= d0 + slot * SLOT_MS).all()
    assert (slots.hi[ent] <= d0 + (slot + 1) * SLOT_MS).all()
    assert (rooms.start_ms[room] <= slots.lo[ent]).all() and (rooms.end_ms[room] >= slots.hi[ent]).all()
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
