"""The twin generator's two passes: memory that does not grow with the scale.

Everything that grows with the scale goes through scratch files
(:mod:`kuailive_analysis.twin.scratch`) inside the partial output folder:

1. **Population.** Streamers and users are drawn in memory (a few dozen bytes each); the rooms
   are drawn onto disk (:mod:`kuailive_analysis.twin.room_store`), ending in one partition of
   live rooms per Beijing day.
2. **Pass 1: the days.** Each day's events are drawn from that day's rooms
   (:func:`~kuailive_analysis.twin.events.generate_day`) and written to scratch files; only the
   click tally that the sample rule needs stays in memory
   (:class:`~kuailive_analysis.twin.sampling.ClickTally`).
3. **The sample rule.** Kept users and streamers (:class:`~kuailive_analysis.twin.sampling.
   SampleMaps`), and the kept rooms' new numbering (4 bytes per drawn room).
4. **Pass 2: conditioning and writing.** The day files are read back, day by day: the added
   first gift / comment / like (:class:`~kuailive_analysis.twin.sampling.FirstEvent`), the
   streamer-id quirk, then ``click.csv`` and ``negative.csv`` one day at a time (a day's events
   all fall inside that day, so sorting each day sorts the file). Comments, likes and gifts
   (a few percent of the clicks) are held in memory and written at once; then the rooms,
   profiles and the truth files.

Every random generator is consumed exactly as the one-table-in-memory version of the
generator consumed it, so the files are byte-identical to that version's for the same scale and
seed.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from kuailive_analysis.core.calendar import (
    N_WINDOW_DAYS,
    WINDOW_END_MS,
    WINDOW_START_MS,
    beijing_day,
)
from kuailive_analysis.core.constants import REAL_COUNTS
from kuailive_analysis.data import schema as S
from kuailive_analysis.twin.events import DaySlots, engagement_times, generate_day, gift_times
from kuailive_analysis.twin.gifts import draw_prices
from kuailive_analysis.twin.params import TwinParams, TwinSizes
from kuailive_analysis.twin.population import (
    calendar_factors,
    draw_streamers,
    draw_users,
    streamer_latent,
    user_latent,
)
from kuailive_analysis.twin.profiles import make_streamers, make_users
from kuailive_analysis.twin.room_store import RoomStore, draw_rooms
from kuailive_analysis.twin.rooms import write_rooms
from kuailive_analysis.twin.sampling import ClickTally, FirstEvent, SampleMaps, StreamerMismatch
from kuailive_analysis.twin.scratch import SCRATCH_DIR, Scratch
from kuailive_analysis.twin.writer import (
    WRITE_OPTS,
    EventCsv,
    write_events,
    write_frame,
    write_truth,
)

CLICK_COLUMNS = ("u", "r", "t", "w", "logged", "lam", "pc", "pl", "end")
"""Scratch columns of a day's clicks: drawn user (0-based), drawn room (live index), timestamp
(ms), watch (ms), logged (bool), expected gift count, comment and like probabilities, and the
latest ms of an engagement (see :func:`~kuailive_analysis.twin.events.generate_day`)."""
EVENT_COLUMNS = ("u", "r", "t")
"""Scratch columns of a day's negatives, comments, likes and gifts."""
_CHUNK = 4_000_000  # rooms per block when a statistic of all kept rooms is counted


def generate_files(out: Path, scale: float, seed: int, progress: bool) -> None:
    """Write the twin's files into the existing folder ``out`` (``truth.json`` last); scratch
    files live in ``out / SCRATCH_DIR`` and are gone when this returns or raises."""
    prm = TwinParams()
    size = TwinSizes.of(scale, prm)
    prm = TwinParams(n_streamers=size.n_streamers_drawn)
    ss = np.random.SeedSequence([int(seed), int(round(scale * 1e6))])
    r_str, r_usr, r_room, r_prof, r_fix, r_cal, r_days = (
        np.random.default_rng(s) for s in ss.spawn(7)
    )
    day_seeds = r_days.bit_generator.seed_seq.spawn(N_WINDOW_DAYS)
    stream = draw_streamers(r_str, size.n_streamers_drawn, size.n_rooms_drawn, prm)
    target_exp = (
        (REAL_COUNTS["click"] + REAL_COUNTS["negative"])
        / REAL_COUNTS["user"]
        * size.n_users_drawn
        * prm.exposure_overdraw
    )
    usr = draw_users(r_usr, size.n_users_drawn, stream, target_exp, prm)
    with Scratch(out / SCRATCH_DIR) as scratch:
        rooms = draw_rooms(
            r_room,
            scratch,
            n_target=size.n_rooms_drawn,
            room_rate=stream["rate"],
            habit_hour=stream["habit"],
            shop_streamer=stream["shop"],
            prm=prm,
        )
        cal = calendar_factors(r_cal, prm)
        tally = ClickTally(size.n_users_drawn, size.n_streamers_drawn)
        _simulate_days(scratch, rooms, day_seeds, usr, stream, cal, prm, tally, progress)
        maps = SampleMaps.from_tally(tally, size.n_users)
        del tally
        for key in ("habit", "shop", "click_logit", "gift_mult"):  # not needed any more
            del stream[key]
        _write_sample(
            out, scratch, rooms, maps, usr, stream, r_room, r_prof, r_fix, prm, scale, seed
        )


def _simulate_days(scratch, rooms: RoomStore, day_seeds, usr, stream, cal, prm, tally, progress):
    """Pass 1: draw each day's events into scratch files and tally the logged clicks."""
    lat, strm = user_latent(usr, prm), streamer_latent(stream)
    days = range(N_WINDOW_DAYS)
    if progress:
        from tqdm import tqdm  # plain text bar (tqdm.auto may warn in kernels without widgets)

        # disable=None: the bar shows on a terminal only (not in notebooks, papermill or logs)
        days = tqdm(days, desc="twin: days", unit="day", disable=None)
    for d in days:
        rng = np.random.default_rng(day_seeds[d])
        day_rooms = rooms.day(d)
        slots = DaySlots(day_rooms, d, stream["pop"], prm.long_room_weight, prm.shop_weight)
        ev = generate_day(rng, d, lat, strm, day_rooms, slots, float(cal[d]), prm)
        del slots
        glob = day_rooms.index  # the day's rooms -> live index among all drawn rooms
        for name in ("negative", "comment", "like", "gift"):
            u, r, t = ev.pop(name)
            _save(scratch, d, name, EVENT_COLUMNS, (u.astype(np.int32), glob[r], t))
        click = list(ev.pop("click"))
        cu, cr, logged = click[0], click[1], click[4]
        tally.add(cu[logged], day_rooms.streamer[cr[logged]])
        click[0], click[1] = cu.astype(np.int32), glob[cr]
        _save(scratch, d, "click", CLICK_COLUMNS, click)
        del ev, click, day_rooms
    rooms.drop_days()


def _save(scratch: Scratch, d: int, name: str, cols, arrays) -> None:
    for c, a in zip(cols, arrays):
        scratch.write(f"day{d:02d}-{name}-{c}", a)


class _KeptEvents:
    """Reads the day files back with the sample rule applied: events of kept users in kept
    rooms, users and rooms renumbered (new 0-based user and room indices)."""

    def __init__(self, scratch: Scratch, maps: SampleMaps, room_map: np.ndarray):
        self.scratch, self.maps, self.room_map = scratch, maps, room_map

    def day(self, d: int, name: str, cols=()) -> dict[str, np.ndarray]:
        """Day ``d``'s kept ``name`` events: ``u``, ``r`` and the columns ``cols`` as stored."""
        read = self.scratch.read
        u, r = read(f"day{d:02d}-{name}-u"), read(f"day{d:02d}-{name}-r")
        k = np.flatnonzero((self.maps.user_map[u] >= 0) & (self.room_map[r] >= 0))
        out = {"u": self.maps.user_map[u[k]], "r": self.room_map[r[k]]}
        for c in cols:
            out[c] = read(f"day{d:02d}-{name}-{c}")[k]
        return out

    def days(self, name: str, cols=()):
        """:meth:`day` for every day, in order."""
        for d in range(N_WINDOW_DAYS):
            yield self.day(d, name, cols)

    def table(self, name: str) -> list[np.ndarray]:
        """All kept ``name`` events as [u, r, t] (for the small tables)."""
        parts = list(self.days(name, ("t",)))
        return [np.concatenate([p[c] for p in parts]) for c in EVENT_COLUMNS]


def _write_sample(out, scratch, rooms, maps, usr, stream, r_room, r_prof, r_fix, prm, scale, seed):
    """Pass 2 (the sample rule applied to the day files) and every file of the twin."""
    room_map, n_rooms = rooms.keep(maps.streamer_map)
    # new streamer_id of each kept room (index = new live_id - 1)
    kept_strm = maps.streamer_map[rooms.kept_column("streamer", room_map, n_rooms)].astype(np.int32)
    ev = _KeptEvents(scratch, maps, room_map)
    tables, added = _condition(ev, len(maps.kept_users), r_fix, prm)
    changed = _streamer_quirk(ev, kept_strm, len(maps.kept_streamers), r_fix, prm)
    theta = usr["theta"][maps.kept_users]
    counts = _write_events(out, ev, tables, kept_strm, changed, theta, r_fix, prm)
    del tables, kept_strm, ev
    kept = rooms.kept_rooms(room_map, n_rooms, maps.streamer_map)
    room_map = None  # 4 bytes per drawn room, not needed any more
    scratch.close()  # nothing on disk is needed any more
    prm, counts["room_rows"] = _write_room_file(out, kept, r_room, prm, len(maps.kept_streamers))
    del kept
    _write_profiles(out, usr, stream, maps, r_prof)
    counts.update(user=len(maps.kept_users), streamer=len(maps.kept_streamers), rooms=n_rooms)
    write_truth(out, scale, seed, prm, usr, maps.kept_users, added, counts)


def _condition(ev: _KeptEvents, n_u: int, rng, prm) -> tuple[dict, dict]:
    """Conditioning on "at least one gift, comment and like": the kept gift / comment / like
    tables ([u, r, t], the added events last) and the per-user flags of the added ones."""
    tables, added = {}, {}
    for name, weight in (("gift", "lam"), ("comment", "pc"), ("like", "pl")):
        u, r, t = ev.table(name)
        first = FirstEvent(np.bincount(u, minlength=n_u) == 0)
        for c in ev.days("click", ("t", "w", "end", weight)):
            first.feed(rng, c["u"], c[weight], r=c["r"], t=c["t"], w=c["w"], end=c["end"])
        users, v = first.chosen()
        if name == "gift":
            i, ts = gift_times(rng, prm, v["t"], v["w"], v["end"], np.ones(len(users), np.int64))
        else:
            i, ts = engagement_times(rng, prm, v["t"], v["w"], v["end"], np.arange(len(users)), 0.0)
        tables[name] = [
            np.concatenate([u, users[i]]),
            np.concatenate([r, v["r"][i]]),
            np.concatenate([t, ts]),
        ]
        flag = np.zeros(n_u, dtype=np.int8)
        flag[users[i]] = 1
        added[name] = flag
    return tables, added


def _streamer_quirk(ev: _KeptEvents, kept_strm, n_s: int, rng, prm) -> dict[int, int]:
    """Quirk 5: ``{row of click.csv before sorting: wrong streamer_id}``."""
    mismatch = StreamerMismatch(n_s)
    for c in ev.days("click", ("logged",)):
        mismatch.count(kept_strm[c["r"][c["logged"]]])
    for c in ev.days("click", ("logged",)):
        mismatch.draw(rng, kept_strm[c["r"][c["logged"]]], prm.p_streamer_mismatch)
    return mismatch.finish(rng)


def _write_events(out, ev: _KeptEvents, tables, kept_strm, changed, theta, rng, prm) -> dict:
    """Write the five event files (clicks and negatives day by day); return their rows."""
    counts = {}
    with EventCsv(out / S.CLICK.filename, S.CLICK) as f:
        for c in ev.days("click", ("t", "w", "logged")):
            lg = c["logged"]
            strm = kept_strm[c["r"][lg]].astype(np.int64)
            for pos in [p for p in changed if f.rows <= p < f.rows + len(strm)]:
                strm[pos - f.rows] = changed[pos]
            f.write(c["u"][lg], c["r"][lg], strm, c["t"][lg], c["w"][lg])
        counts["click"] = f.rows
    with EventCsv(out / S.NEGATIVE.filename, S.NEGATIVE) as f:
        for c in ev.days("negative", ("t",)):
            f.write(c["u"], c["r"], kept_strm[c["r"]], c["t"])
        counts["negative"] = f.rows
    for name, sch in (("comment", S.COMMENT), ("like", S.LIKE)):
        u, r, t = tables[name]
        counts[name] = write_events(out / sch.filename, sch, u, r, kept_strm[r], t)
    u, r, t = tables["gift"]
    price = draw_prices(rng, theta[u], prm.combo_rate, prm.combo_p)
    counts["gift"] = write_events(out / S.GIFT.filename, S.GIFT, u, r, kept_strm[r], t, price)
    return counts


def _write_room_file(out, kept, rng, prm, n_s: int) -> tuple[TwinParams, int]:
    """Write room.csv; the duplicate-row rates are set so that the file has the real share of
    extra rows. Returns the final parameters (with those rates) and the file's rows."""
    n = len(kept)
    n_cross = 0  # rooms that start in the window and end on a later Beijing day
    for a in range(0, n, _CHUNK):
        st, en = kept.start_ms[a : a + _CHUNK], kept.end_ms[a : a + _CHUNK]
        sd = beijing_day(np.maximum(st, WINDOW_START_MS))
        ed = beijing_day(np.minimum(en, WINDOW_END_MS) - 1)
        n_cross += int(np.count_nonzero((sd != ed) & (st >= WINDOW_START_MS)))
    cross = n_cross / n  # the share (float64), as np.mean of the flags gives it
    q_cross = min(prm.q_cross, 0.8 * prm.dup_rate / max(cross, 1e-9))
    q_same = max(prm.dup_rate - q_cross * cross, 0.0) / max(1 - cross, 1e-9)
    prm = TwinParams(**{**asdict(prm), "q_cross": q_cross, "q_same": q_same, "n_streamers": n_s})
    return prm, write_rooms(rng, kept, prm, out / S.ROOM.filename, WRITE_OPTS)


def _write_profiles(out, usr, stream, maps: SampleMaps, rng) -> None:
    """Write user.csv (rows in a fixed random order, as the real file is not ordered by
    user_id) and streamer.csv (ordered by registration date, as the real file)."""
    uk = maps.kept_users
    users = make_users(
        rng,
        activity=usr["act"][uk],
        watch_age_days=usr["watch_age"][uk],
        tenure_days=usr["tenure"][uk],
    )
    users = users.iloc[rng.permutation(len(users))]
    write_frame(users, out / S.USER.filename, S.USER)
    sk = maps.kept_streamers - 1
    strm_df = make_streamers(
        rng,
        popularity=stream["pop"][sk],
        room_rate=stream["rate"][sk],
        live_age_days=stream["live_age"][sk],
        tenure_days=stream["tenure"][sk],
    )
    strm_df = strm_df.iloc[
        np.lexsort(
            (strm_df["streamer_id"].to_numpy(), strm_df["reg_timestamp"].to_numpy().astype(str))
        )
    ]
    write_frame(strm_df, out / S.STREAMER.filename, S.STREAMER)
