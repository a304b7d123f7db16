"""The two-pass twin generator: the same bytes as the all-in-memory generator, whatever the
split, and no scratch file left behind.

``REFERENCE`` holds the sha256 of every file of the twin at scale 0.02, seed 7 (the session's
``small_twin``) as written by the all-in-memory generator before the two-pass rewrite (commit
bed50fe); the two-pass generator must reproduce them byte for byte. The building blocks that
replaced whole-table steps (first-event conditioning, streamer-id quirk, click tally, CSV
written in blocks, scratch files) are checked against the whole-table computation they
replaced, on random inputs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.core.calendar import beijing_date_int
from kuailive_analysis.data import schema as S
from kuailive_analysis.twin import TRUTH_FILE, TRUTH_USERS_FILE, generate, pipeline, room_store
from kuailive_analysis.twin.rooms import date_ints
from kuailive_analysis.twin.sampling import (
    ClickTally,
    FirstEvent,
    SampleMaps,
    StreamerMismatch,
    one_per_user,
)
from kuailive_analysis.twin.scratch import SCRATCH_DIR, Scratch
from kuailive_analysis.twin.writer import EventCsv, write_events

REFERENCE_VERSION = "0.1.0"
"""Package version written into the reference ``truth.json``."""

REFERENCE = {
    "click.csv": "24ab5e3111d4f4810eb42787b78ee8b660b5a8fbcdbaee184cf4fbccc5023e80",
    "comment.csv": "36d1772ace3dd4fb8b3d7788db18d45d29164ea92afefdee662848fad54297f2",
    "gift.csv": "6ad0026f2d849d29d9ab7b98e02edbd76e454eaa16347e53a8c846c1daa00db7",
    "like.csv": "9c482e633d40ae6f4cb3110868e1390c635c10c1eace88d629e32c9dbfc2d4d2",
    "negative.csv": "0d393ff66c9be79a3372e392d70ae3052246e9b7490b06551fc3193917743504",
    "room.csv": "46eb92b2762de39e2368fc003d960d00acc85f2bdc6ab8fd3118d6c9de3ea64b",
    "streamer.csv": "c59ca694e2085516821e7168701800d033502151e6035e2b0b4d8946cb59c4e3",
    "truth.json": "15ad3c063fa0d2ba2d0af57b631266f822fbe1577a60b87161b37c3066aa27cf",
    "truth_users.csv": "60bb7cd72697795990efe5945beddfc88c079a9e726f6fc36e08e964ffb6694e",
    "user.csv": "1a2bf1d514f688fc8152f7f3335885891c9de50f2103c7c7746ccd0c37498a6b",
}
"""sha256 per file of the twin at scale 0.02, seed 7, by the all-in-memory generator."""


def _digests(folder: Path) -> dict[str, str]:
    """sha256 per file; in truth.json the package version is set to the reference's first, so
    a version bump alone does not fail the comparison (every other byte counts)."""
    out = {}
    for p in sorted(folder.iterdir()):
        data = p.read_bytes()
        if p.name == TRUTH_FILE:
            version = json.loads(data)["version"]
            old = f'"version": "{version}"'.encode()
            assert data.count(old) == 1
            data = data.replace(old, f'"version": "{REFERENCE_VERSION}"'.encode())
        out[p.name] = hashlib.sha256(data).hexdigest()
    return out


# ---------------------------------------------------------------------------------------------
# The same bytes as the all-in-memory generator
# ---------------------------------------------------------------------------------------------
def test_two_pass_output_equals_the_all_in_memory_generators(small_twin):
    assert json.loads((Path(small_twin) / TRUTH_FILE).read_text())["scale"] == 0.02
    assert _digests(Path(small_twin)) == REFERENCE


def test_output_does_not_depend_on_bucket_and_chunk_sizes(tmp_path, monkeypatch):
    """Many small streamer buckets and room chunks (the memory knobs) give the same bytes."""
    monkeypatch.setattr(room_store, "BUCKET_ROWS", 20_000)  # about 20 buckets at this scale
    monkeypatch.setattr(room_store, "CHUNK_ROWS", 30_007)  # chunks not aligned with anything
    seen = {}
    resolve = room_store._resolve_overlaps

    def counting(rng, scratch, n_buckets, sizes):
        seen["buckets"] = int((sizes > 0).sum())
        return resolve(rng, scratch, n_buckets, sizes)

    monkeypatch.setattr(room_store, "_resolve_overlaps", counting)
    out = generate(tmp_path / "twin", scale=0.02, seed=7, progress=False)
    assert seen["buckets"] >= 10
    assert _digests(out) == REFERENCE


# ---------------------------------------------------------------------------------------------
# Scratch files live inside the partial folder and are gone afterwards
# ---------------------------------------------------------------------------------------------
EXPECTED_FILES = {s.filename for s in S.SCHEMAS.values()} | {TRUTH_FILE, TRUTH_USERS_FILE}


def test_no_scratch_files_after_a_successful_generation(small_twin):
    twin = Path(small_twin)
    assert {p.name for p in twin.iterdir()} == EXPECTED_FILES  # no _scratch folder
    assert [p.name for p in twin.parent.iterdir()] == [twin.name]  # no partial folder


def _fail_in_pass_two(monkeypatch, exc, where: dict):
    """Make pass 2 raise ``exc`` after checking that the day files exist inside the partial
    folder (recorded in ``where``)."""

    def failing(out, scratch, *args, **kwargs):
        where["out"], where["scratch"] = out, scratch.folder
        where["day_files"] = sorted(p.name for p in scratch.folder.glob("day*-click-*"))
        raise exc

    monkeypatch.setattr(pipeline, "_write_sample", failing)


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_no_scratch_files_after_a_failed_or_interrupted_generation(tmp_path, monkeypatch, exc):
    where = {}
    _fail_in_pass_two(monkeypatch, exc, where)
    target = tmp_path / "twin"
    with pytest.raises(type(exc)):
        generate(target, scale=0.01, seed=3, progress=False)
    # the scratch folder was inside the partial folder beside the target, and held day files
    assert where["scratch"].parent == where["out"] and where["scratch"].name == SCRATCH_DIR
    assert where["out"].name.startswith("twin.partial-") and where["out"].parent == tmp_path
    assert len(where["day_files"]) == 21 * len(pipeline.CLICK_COLUMNS)
    # ... and nothing is left: no target, no partial folder, no scratch files
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_during_the_days_removes_everything(tmp_path, monkeypatch):
    """Ctrl-C arrives as KeyboardInterrupt between two numpy steps; here inside day 3."""
    real = pipeline.generate_day

    def interrupted(rng, d, *args, **kwargs):
        if d == 3:
            raise KeyboardInterrupt
        return real(rng, d, *args, **kwargs)

    monkeypatch.setattr(pipeline, "generate_day", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate(tmp_path / "twin", scale=0.01, seed=3, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_scratch_columns_append_read_and_remove(tmp_path):
    with Scratch(tmp_path / "s") as s:
        s.append("a", np.arange(5, dtype=np.int32))
        s.append("a", np.arange(5, 12, dtype=np.int32))
        assert s.rows("a") == 12 and "a" in s
        assert s.read("a").tolist() == list(range(12))
        assert s.read("a", 3, 7).tolist() == [3, 4, 5, 6]
        assert s.read("a", 10, 99).tolist() == [10, 11] and len(s.read("a", 12)) == 0
        with pytest.raises(TypeError, match="int32"):
            s.append("a", np.zeros(2))
        s.write("a", np.array([True, False]))  # write replaces, dtype and all
        assert s.read("a").tolist() == [True, False]
        s.remove("a", "missing")
        assert "a" not in s and list((tmp_path / "s").iterdir()) == []
    assert not (tmp_path / "s").exists()


# ---------------------------------------------------------------------------------------------
# Blocks give what the whole table gave
# ---------------------------------------------------------------------------------------------
def _splits(n: int, cuts: list[int]) -> list[tuple[int, int]]:
    bounds = sorted({0, n, *(c % (n + 1) for c in cuts)})
    return list(zip(bounds[:-1], bounds[1:]))


def _one_per_user_whole_table(rng, users, weight, need):
    """The all-in-memory generator's version (before the two-pass rewrite)."""
    rows = np.flatnonzero(need[users] & (weight > 0))
    key = np.log(rng.random(len(rows))) / weight[rows]
    order = np.lexsort((-key, users[rows]))
    r = rows[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = users[r][1:] != users[r][:-1]
    return r[first]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    n_users=st.integers(1, 20),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    seed=st.integers(0, 2**16),
)
def test_first_event_in_blocks_equals_the_whole_table(n, n_users, cuts, seed):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n)
    weight = np.where(rng.random(n) < 0.2, 0.0, rng.exponential(1.0, n))
    need = rng.random(n_users) < 0.7
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    expected = _one_per_user_whole_table(a, users, weight, need)
    first = FirstEvent(need)
    for lo, hi in _splits(n, cuts):
        first.feed(b, users[lo:hi], weight[lo:hi], row=np.arange(lo, hi))
    chosen_users, values = first.chosen()
    got = values.get("row", np.zeros(0, dtype=np.int64))
    assert got.tolist() == expected.tolist()
    assert chosen_users.tolist() == users[expected].tolist()
    assert a.random() == b.random()  # the same number of draws
    c = np.random.default_rng(seed + 1)
    assert one_per_user(c, users, weight, need).tolist() == expected.tolist()


def _mismatch_whole_table(rng, strm, n_s, p):
    """The all-in-memory generator's streamer-id quirk (before the two-pass rewrite)."""
    strm = strm.copy()
    n_per = np.bincount(strm, minlength=n_s + 1)
    bad = np.flatnonzero((rng.random(len(strm)) < p) & (n_per[strm] >= 3))
    bad = bad[np.unique(strm[bad], return_index=True)[1]]
    shift = rng.integers(1, max(n_s, 2), len(bad))
    strm[bad] = (strm[bad] - 1 + shift) % n_s + 1
    return strm


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 400),
    n_s=st.integers(1, 30),
    cuts=st.lists(st.integers(0, 500), max_size=6),
    seed=st.integers(0, 2**16),
)
def test_streamer_mismatch_in_blocks_equals_the_whole_table(n, n_s, cuts, seed):
    strm = np.random.default_rng(seed).integers(1, n_s + 1, n)
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    expected = _mismatch_whole_table(a, strm, n_s, 0.2)
    mm = StreamerMismatch(n_s)
    blocks = _splits(n, cuts)
    for lo, hi in blocks:
        mm.count(strm[lo:hi])
    for lo, hi in blocks:
        mm.draw(b, strm[lo:hi], 0.2)
    got = strm.copy()
    for pos, new in mm.finish(b).items():
        got[pos] = new
    assert got.tolist() == expected.tolist()
    assert a.random() == b.random()


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    n_users=st.integers(1, 30),
    n_keep=st.integers(1, 30),
    cuts=st.lists(st.integers(0, 400), max_size=5),
    seed=st.integers(0, 2**16),
)
def test_click_tally_gives_the_whole_tables_sample(n, n_users, n_keep, cuts, seed):
    """Kept users = the first ``n_keep`` with a click; kept streamers = those they clicked."""
    rng = np.random.default_rng(seed)
    n_s = 25
    users = rng.integers(0, n_users, n)
    strm = rng.integers(1, n_s + 1, n)
    tally = ClickTally(n_users, n_s)
    for lo, hi in _splits(n, cuts):
        tally.add(users[lo:hi], strm[lo:hi])
    maps = SampleMaps.from_tally(tally, n_keep)
    kept_u = np.unique(users)[:n_keep]
    assert maps.kept_users.tolist() == kept_u.tolist()
    kept_s = np.unique(strm[np.isin(users, kept_u)])
    assert maps.kept_streamers.tolist() == kept_s.tolist()
    assert maps.user_map[kept_u].tolist() == list(range(len(kept_u)))
    assert maps.streamer_map[kept_s].tolist() == list(range(1, len(kept_s) + 1))
    assert (np.delete(maps.streamer_map, kept_s) == 0).all()


def test_event_csv_in_time_ordered_blocks_equals_one_sorted_write(tmp_path):
    rng = np.random.default_rng(0)
    n = 5_000
    day = np.sort(rng.integers(0, 5, n))
    ts = day * 86_400_000 + rng.integers(0, 86_400_000, n) // 1_000_000 * 1_000_000  # ties
    u, live = rng.integers(0, 30, n), rng.integers(0, 40, n)
    strm, w = rng.integers(1, 9, n), rng.integers(5, 9_999, n)
    perm = rng.permutation(n)  # input rows in any time order; each block keeps that order
    n_whole = write_events(
        tmp_path / "whole.csv", S.CLICK, u[perm], live[perm], strm[perm], ts[perm], w[perm]
    )
    with EventCsv(tmp_path / "blocks.csv", S.CLICK) as f:
        for d in range(5):
            k = perm[day[perm] == d]
            f.write(u[k], live[k], strm[k], ts[k], w[k])
        assert f.rows == n_whole == n
    assert (tmp_path / "blocks.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    df = pd.read_csv(tmp_path / "whole.csv")
    assert list(df.columns) == S.CLICK.column_names and df["timestamp"].is_monotonic_increasing


def test_date_ints_equal_beijing_date_int():
    ms = np.random.default_rng(1).integers(
        S.WINDOW_START_MS - 9 * 86_400_000, S.CAPPED_END_MS + 1, 10_000
    )
    assert date_ints(ms).tolist() == beijing_date_int(ms).tolist()
    assert date_ints(ms).dtype == np.int32 and len(date_ints(ms[:0])) == 0


def test_int32_shuffle_is_numpys_permutation():
    """The live_id order shuffles a 4-byte arange; numpy's permutation(n) shuffles an int64 one
    with the same draws (the room file depends on it)."""
    for n in (0, 1, 7, 100_003):
        a = np.random.default_rng(n).permutation(n)
        b = np.arange(n, dtype=np.int32)
        rng = np.random.default_rng(n)
        rng.shuffle(b)
        assert a.tolist() == b.tolist()
        assert rng.random() == _after_permutation(n)  # and the same number of draws


def _after_permutation(n: int) -> float:
    rng = np.random.default_rng(n)
    rng.permutation(n)
    return rng.random()
