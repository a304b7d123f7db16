"""Drawing the twin's rooms out of core: the drawn rooms live on disk, not in memory.

The room model is in :mod:`kuailive_analysis.twin.rooms`; this module runs it so that memory
does not grow with the scale (about 18M rooms are drawn at scale 1, 90M at scale 5), and
consumes the random stream exactly as drawing everything in memory would (same draws, same
order), so the files do not depend on how the work is split:

1. **Candidates.** Blocks of ``ROOM_CHUNK`` candidate rooms are drawn in order and appended to
   *streamer buckets* (contiguous ranges of streamer ids, about ``BUCKET_ROWS`` candidates each)
   on disk, keeping the draw order inside each bucket.
2. **One live room per streamer.** Overlaps concern one streamer's rooms only, so steps 1-2 of
   :func:`~kuailive_analysis.twin.rooms.resolve_overlaps` run bucket by bucket; the breaks of
   step 3 are one draw over all clashes in (streamer, start) order, as in memory.
3. **Titles.** Three passes over the buckets, one per uniform draw over all rooms (title, generic
   title, no title), with the generic titles' draw between the second and the third.
4. **live_id order.** A random permutation of all rooms (the only array over all rooms held in
   memory, 4 bytes per room, with one output column at a time) gives the live_id order; each
   column is written in that order.
5. **Days.** Room click effects (``room_logit``) are drawn in live_id order, chunk by chunk, and
   every room is copied into the partition of each Beijing day it is live on
   (:class:`~kuailive_analysis.twin.events.DayRooms`), which is what the day-by-day event
   process reads.
"""

from __future__ import annotations

import numpy as np

from kuailive_analysis.core.calendar import MS_PER_DAY, N_WINDOW_DAYS, day_start_ms
from kuailive_analysis.twin.events import DayRooms
from kuailive_analysis.twin.rooms import (
    ROOM_CHUNK,
    Rooms,
    _room_block,
    clash_rows,
    cut_clashes,
    drop_overlapped,
)
from kuailive_analysis.twin.scratch import Scratch

BUCKET_ROWS = 2_000_000
"""Candidate rooms per streamer bucket (a memory knob: the output does not depend on it)."""

CHUNK_ROWS = 4_000_000
"""Rooms per chunk when columns in live_id order are streamed (a memory knob as well)."""

_CANDIDATE = ("streamer", "start", "end", "live_type", "shop", "long")
_SORTED = ("streamer", "start", "end", "live_type", "shop")
COLUMNS = ("streamer", "start_ms", "end_ms", "live_type", "shop", "title")
"""Columns of the drawn rooms in live_id order (as in :class:`~kuailive_analysis.twin.rooms.Rooms`;
``streamer`` is the 1-based drawn streamer id)."""
_DAY = ("index", "streamer", "start_ms", "end_ms", "shop", "room_logit")


class RoomStore:
    """The drawn rooms on disk: ``n`` rooms in live_id order (index = live_id - 1 among the
    drawn rooms), column by column, and the rooms live on each Beijing day."""

    def __init__(self, scratch: Scratch, n: int):
        self.scratch = scratch
        self.n = n

    def __len__(self) -> int:
        return self.n

    def chunks(self):
        """``(start, stop)`` row ranges of at most ``CHUNK_ROWS`` rooms, in live_id order."""
        for a in range(0, self.n, CHUNK_ROWS):
            yield a, min(a + CHUNK_ROWS, self.n)

    def column(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``start:stop`` of column ``name`` (one of :data:`COLUMNS`)."""
        return self.scratch.read(f"room-{name}", start, stop)

    def day(self, d: int) -> DayRooms:
        """The rooms live during Beijing day ``d`` (0..20)."""
        cols = {c: self.scratch.read(f"day{d:02d}-{c}") for c in _DAY}
        return DayRooms(**cols)

    def drop_days(self) -> None:
        """Delete the day partitions (once the events are drawn)."""
        self.scratch.remove(*(f"day{d:02d}-{c}" for d in range(N_WINDOW_DAYS) for c in _DAY))

    def keep(self, streamer_map: np.ndarray) -> tuple[np.ndarray, int]:
        """Rooms of the streamers that ``streamer_map`` keeps (drawn id -> new 1-based id, 0 =
        dropped): ``(room_map, n_kept)``, where ``room_map`` (int32) maps each drawn room's
        live index to its new index (0-based, in live_id order) or -1."""
        room_map = np.full(self.n, -1, dtype=np.int32)
        n_kept = 0
        for a, b in self.chunks():
            kept = streamer_map[self.column("streamer", a, b)] > 0
            k = np.flatnonzero(kept)
            room_map[a + k] = n_kept + np.arange(len(k), dtype=np.int32)
            n_kept += len(k)
        return room_map, n_kept

    def kept_column(self, name: str, room_map: np.ndarray, n_kept: int) -> np.ndarray:
        """Column ``name`` of the kept rooms (new index order)."""
        out = None
        for a, b in self.chunks():
            col = self.column(name, a, b)
            if out is None:
                out = np.empty(n_kept, dtype=col.dtype)
            k = room_map[a:b]
            out[k[k >= 0]] = col[k >= 0]
        return out if out is not None else np.zeros(0)

    def kept_rooms(self, room_map: np.ndarray, n_kept: int, streamer_map: np.ndarray) -> Rooms:
        """The kept rooms as :class:`~kuailive_analysis.twin.rooms.Rooms`, streamer ids renumbered
        by ``streamer_map``."""
        cols = {c: self.kept_column(c, room_map, n_kept) for c in COLUMNS}
        cols["streamer"] = streamer_map[cols["streamer"]].astype(np.int32)
        return Rooms(**cols)


def draw_rooms(
    rng: np.random.Generator,
    scratch: Scratch,
    *,
    n_target: int,
    room_rate: np.ndarray,
    habit_hour: np.ndarray,
    shop_streamer: np.ndarray,
    prm,
) -> RoomStore:
    """Draw the distinct rooms (about ``n_target`` of them overlap the window; every streamer
    gets at least one; no streamer has two rooms live at once) and their click effects, onto
    disk. ``room_rate`` is rooms per day per streamer (index = streamer_id - 1)."""
    n_buckets, sizes = _draw_candidates(
        rng, scratch, n_target, room_rate, habit_hour, shop_streamer, prm
    )
    sizes = _resolve_overlaps(rng, scratch, n_buckets, sizes)
    _draw_titles(rng, scratch, len(room_rate), sizes, prm)
    n = int(sum(sizes))
    if n >= 2**31:  # live indices are stored as int32 (about 90M rooms at scale 5)
        raise ValueError(f"{n} rooms: too many for int32 room indices")
    _to_live_order(rng, scratch, sizes)
    store = RoomStore(scratch, n)
    _partition_days(rng, store, prm.click_room_sigma)
    return store


def _bucket(j: int, col: str) -> str:
    return f"bucket{j:04d}-{col}"


def _draw_candidates(rng, scratch, n_target, room_rate, habit_hour, shop_streamer, prm):
    """Step 1: candidate rooms into streamer buckets; returns (buckets, candidates per bucket)."""
    n_s = len(room_rate)
    w = room_rate / room_rate.sum()
    # rooms that start on days 0..20, plus day -1 rooms that may cross into the window
    n_main = int(round(n_target * (1 - prm.carry_in_share)))
    n_prev = int(round(n_target / N_WINDOW_DAYS))
    n = max(n_main + n_prev, n_s + n_prev)
    n_buckets = max(1, -(-n // BUCKET_ROWS))
    per = -(-n_s // n_buckets)  # streamers per bucket
    sizes = np.zeros(n_buckets, dtype=np.int64)
    for lo in range(0, n, ROOM_CHUNK):
        k = min(ROOM_CHUNK, n - lo)
        idx = np.arange(lo, lo + k)
        # the first n_s rooms: one per streamer; the rest by room rate
        streamer = np.where(idx < n_s, idx, -1)
        rest = streamer < 0
        streamer[rest] = rng.choice(n_s, size=int(rest.sum()), p=w)
        day = np.where(idx < n - n_prev, rng.integers(0, N_WINDOW_DAYS, k), -1)
        block = _room_block(rng, streamer.astype(np.int32), day, habit_hour, shop_streamer, prm)
        b = block[0] // per
        order = np.argsort(b, kind="stable")  # keeps the draw order inside each bucket
        bounds = np.searchsorted(b[order], np.arange(n_buckets + 1))
        for j in np.flatnonzero(np.diff(bounds)):
            rows = order[bounds[j] : bounds[j + 1]]
            for name, col in zip(_CANDIDATE, block):
                scratch.append(_bucket(j, name), col[rows])
            sizes[j] += len(rows)
    return n_buckets, sizes


def _read_bucket(scratch, j, cols, prefix="") -> list[np.ndarray]:
    return [scratch.read(_bucket(j, prefix + c)) for c in cols]


def _resolve_overlaps(rng, scratch, n_buckets, sizes) -> np.ndarray:
    """Step 2: one live room per streamer; returns the rooms kept per bucket (in (streamer,
    start) order on disk)."""
    n_clash = np.zeros(n_buckets, dtype=np.int64)
    for j in np.flatnonzero(sizes):
        streamer, start, end, live_type, shop, long_ = _read_bucket(scratch, j, _CANDIDATE)
        scratch.remove(*(_bucket(j, c) for c in _CANDIDATE))
        idx, s, st, en = drop_overlapped(streamer, start, end, long_)
        del streamer, start, end, long_
        for name, col in zip(_SORTED, (s, st, en, live_type[idx], shop[idx])):
            scratch.write(_bucket(j, "s-" + name), col)
        n_clash[j] = len(clash_rows(s, st, en))
    brk = rng.integers(30_000, 300_000, int(n_clash.sum()))  # one draw, as in memory
    kept = np.zeros(n_buckets, dtype=np.int64)
    off = 0
    for j in np.flatnonzero(sizes):
        s, st, en, live_type, shop = _read_bucket(scratch, j, _SORTED, "s-")
        scratch.remove(*(_bucket(j, "s-" + c) for c in _SORTED))
        c = clash_rows(s, st, en)
        ok, en = cut_clashes(s, st, en, c, brk[off : off + len(c)])
        off += len(c)
        for name, col in zip(_SORTED, (s, st, en, live_type, shop)):
            scratch.write(_bucket(j, "k-" + name), col[ok])
        kept[j] = int(ok.sum())
    return kept


def _draw_titles(rng, scratch, n_s, sizes, prm) -> None:
    """Step 3: provisional titles. Each streamer owns ``1 + Poisson(title_pool)`` titles; a share
    ``p_generic_title`` of rooms carries one of 50 generic titles, ``p_no_title`` none (-1)."""
    pool = 1 + rng.poisson(prm.title_pool, n_s)
    offset = np.concatenate([[0], np.cumsum(pool)[:-1]])
    buckets = np.flatnonzero(sizes)
    for j in buckets:
        s = scratch.read(_bucket(j, "k-streamer"))
        title = (offset[s] + (rng.random(len(s)) * pool[s]).astype(np.int64)).astype(np.int32)
        scratch.write(_bucket(j, "k-title"), title)
    n_generic = 0
    for j in buckets:
        generic = rng.random(int(sizes[j])) < prm.p_generic_title
        scratch.write(_bucket(j, "k-generic"), generic)
        n_generic += int(generic.sum())
    generic_title = pool.sum() + rng.integers(0, 50, n_generic)
    off = 0
    for j in buckets:
        title = scratch.read(_bucket(j, "k-title"))
        generic = scratch.read(_bucket(j, "k-generic"))
        k = int(generic.sum())
        title[generic] = generic_title[off : off + k]
        off += k
        title[rng.random(len(title)) < prm.p_no_title] = -1
        scratch.write(_bucket(j, "k-title"), title)
        scratch.remove(_bucket(j, "k-generic"))


def _to_live_order(rng, scratch, sizes) -> None:
    """Step 4: live_id order is a random permutation (ids are not chronological in the real
    file); write each column in that order (``streamer`` becomes 1-based)."""
    n = int(sizes.sum())
    perm = np.arange(n, dtype=np.int32)
    rng.shuffle(perm)  # the same draws and result as rng.permutation(n), in 4 bytes per room
    inv = np.empty(n, dtype=np.int32)  # position in live_id order of each sorted room
    inv[perm] = np.arange(n, dtype=np.int32)
    del perm
    buckets = np.flatnonzero(sizes)
    for src, dst in zip(_SORTED + ("title",), COLUMNS):
        out = None
        off = 0
        for j in buckets:
            col = scratch.read(_bucket(j, "k-" + src))
            if src == "streamer":
                col = (col + 1).astype(np.int32)
            if out is None:
                out = np.empty(n, dtype=col.dtype)
            out[inv[off : off + len(col)]] = col
            off += len(col)
            scratch.remove(_bucket(j, "k-" + src))
        scratch.write(f"room-{dst}", out if out is not None else np.zeros(0))
        del out


def _partition_days(rng, store: RoomStore, room_sigma: float) -> None:
    """Step 5: room click effects (Normal(0, ``room_sigma``) in live_id order) and the rooms
    live on each Beijing day (end > day start and start < day start + 24 h)."""
    scratch = store.scratch
    for a, b in store.chunks():
        cols = {c: store.column(c, a, b) for c in ("streamer", "start_ms", "end_ms", "shop")}
        cols["room_logit"] = rng.normal(0, room_sigma, b - a)
        cols["index"] = np.arange(a, b, dtype=np.int32)
        for d in range(N_WINDOW_DAYS):
            d0 = day_start_ms(d)
            k = np.flatnonzero((cols["end_ms"] > d0) & (cols["start_ms"] < d0 + MS_PER_DAY))
            for c in _DAY:
                scratch.append(f"day{d:02d}-{c}", cols[c][k])
