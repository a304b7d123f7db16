"""The sample rule of the twin, in the two passes of the generator.

The real sample holds users who clicked, commented, liked and gifted at least once, and the
streamers that at least one of them clicked (see the package docstring). The generator
simulates more users and streamers than it needs and imposes the rule afterwards:

* **Pass 1** (while the days are drawn): :class:`ClickTally` keeps, per drawn user, whether a
  logged click exists, and per drawn streamer the smallest user index with a logged click on
  it - all that the rule needs, a few bytes per user and streamer, instead of every event.
* Between the passes :class:`SampleMaps` keeps the first ``n_users`` users with a logged click
  and the streamers they clicked, and renumbers both.
* **Pass 2** (reading the days back): :class:`FirstEvent` draws, for each kept user without a
  gift (comment, like), the one click that gets it, with probability proportional to the
  click's weight (Efraimidis-Spirakis keys ``log(U) / w``, the largest per user wins), one day
  at a time; :class:`StreamerMismatch` picks the click rows that carry a wrong streamer_id
  (quirk 5).

Each step draws from its generator exactly as the whole-table version would (same number of
uniforms, in the same row order), so the output does not depend on the split into days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ClickTally:
    """Pass-1 counts of logged clicks: ``has_click[u]`` per drawn user (0-based) and
    ``min_user[s]`` = smallest drawn user index with a logged click on drawn streamer ``s``
    (1-based; int64 max when none)."""

    def __init__(self, n_users: int, n_streamers: int):
        self.has_click = np.zeros(n_users, dtype=bool)
        self.min_user = np.full(n_streamers + 1, np.iinfo(np.int64).max, dtype=np.int64)

    def add(self, users: np.ndarray, streamers: np.ndarray) -> None:
        """Add logged clicks: 0-based drawn users and the 1-based drawn streamer of their room."""
        if len(users) == 0:
            return
        self.has_click[users] = True
        o = np.lexsort((users, streamers))
        s, u = streamers[o], users[o].astype(np.int64)
        first = np.ones(len(s), dtype=bool)
        first[1:] = s[1:] != s[:-1]
        s, u = s[first], u[first]
        self.min_user[s] = np.minimum(self.min_user[s], u)


@dataclass
class SampleMaps:
    """Who is kept. ``kept_users``: drawn user indices kept, ascending (new user_id - 1 =
    position); ``user_map``: drawn user -> new 0-based index or -1; ``kept_streamers``: drawn
    streamer ids kept (1-based, ascending); ``streamer_map``: drawn streamer id -> new 1-based
    id, 0 = dropped (index 0 unused)."""

    kept_users: np.ndarray
    user_map: np.ndarray
    kept_streamers: np.ndarray
    streamer_map: np.ndarray

    @classmethod
    def from_tally(cls, tally: ClickTally, n_users: int) -> SampleMaps:
        """The first ``n_users`` drawn users with a logged click, and the streamers that they
        clicked (a logged click by a user up to the last kept one)."""
        kept_u = np.flatnonzero(tally.has_click)[:n_users]
        umap = np.full(len(tally.has_click), -1, dtype=np.int64)
        umap[kept_u] = np.arange(len(kept_u))
        last = kept_u[-1] if len(kept_u) else -1
        kept_s = np.flatnonzero(tally.min_user <= last)
        smap = np.zeros(len(tally.min_user), dtype=np.int64)
        smap[kept_s] = np.arange(1, len(kept_s) + 1)
        return cls(kept_users=kept_u, user_map=umap, kept_streamers=kept_s, streamer_map=smap)


class FirstEvent:
    """One row per needing user, drawn with probability proportional to a weight, from rows fed
    in blocks (the days, in order).

    A row of a user with ``need[user]`` and ``weight > 0`` gets the key ``log(U) / weight``
    (``U`` uniform, one per such row, drawn in row order); each user keeps the row with the
    largest key (ties: the earliest row). The values passed to :meth:`feed` for the winning
    row are kept.
    """

    def __init__(self, need: np.ndarray):
        self.need = need
        self.key = np.full(len(need), -np.inf)
        self.has = np.zeros(len(need), dtype=bool)
        self.values: dict[str, np.ndarray] = {}

    def feed(self, rng: np.random.Generator, users: np.ndarray, weight: np.ndarray, **values):
        """One block of rows: ``users`` (0-based), ``weight``, and arrays of per-row values."""
        rows = np.flatnonzero(self.need[users] & (weight > 0))
        key = np.log(rng.random(len(rows))) / weight[rows]
        order = np.lexsort((-key, users[rows]))
        r, k = rows[order], key[order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = users[r][1:] != users[r][:-1]
        r, k = r[first], k[first]
        u = users[r]
        better = ~self.has[u] | (k > self.key[u])
        u, r, k = u[better], r[better], k[better]
        self.has[u] = True
        self.key[u] = k
        for name, v in values.items():
            if name not in self.values:
                self.values[name] = np.zeros(len(self.need), dtype=v.dtype)
            self.values[name][u] = v[r]

    def chosen(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The users that got a row (ascending) and the kept values of their rows."""
        users = np.flatnonzero(self.has)
        return users, {name: v[users] for name, v in self.values.items()}


def one_per_user(rng, users: np.ndarray, weight: np.ndarray, need: np.ndarray) -> np.ndarray:
    """For each user with ``need[user]``, one row index among that user's rows, drawn with
    probability proportional to ``weight``; rows ordered by user (:class:`FirstEvent` on one
    block)."""
    first = FirstEvent(need)
    first.feed(rng, users, weight, row=np.arange(len(users)))
    return first.chosen()[1].get("row", np.zeros(0, dtype=np.int64))


class StreamerMismatch:
    """Quirk 5: a share of click rows carries a wrong streamer_id.

    Each logged click is a candidate with probability ``p`` (one uniform per click, in file
    order) if its streamer has at least 3 click rows, so that every streamer keeps a row with
    its own id; only the first candidate of each streamer is changed, to the id ``shift``
    (uniform in 1..n-1) further, modulo the n kept streamers. Feed the days' click streamers
    to :meth:`count` (all days), then to :meth:`draw` (all days, in order), then call
    :meth:`finish`.
    """

    def __init__(self, n_streamers: int):
        self.n = n_streamers
        self.n_per = np.zeros(n_streamers + 1, dtype=np.int64)
        self.seen = np.zeros(n_streamers + 1, dtype=bool)
        self._pos: list[np.ndarray] = []
        self._strm: list[np.ndarray] = []
        self._offset = 0

    def count(self, streamers: np.ndarray) -> None:
        """Count click rows per streamer (1-based ids)."""
        self.n_per += np.bincount(streamers, minlength=len(self.n_per))

    def draw(self, rng: np.random.Generator, streamers: np.ndarray, p: float) -> None:
        """Candidates among the next block of click rows (file order)."""
        cand = np.flatnonzero((rng.random(len(streamers)) < p) & (self.n_per[streamers] >= 3))
        s, first = np.unique(streamers[cand], return_index=True)
        new = ~self.seen[s]
        self.seen[s[new]] = True
        self._pos.append(self._offset + cand[first[new]])
        self._strm.append(s[new])
        self._offset += len(streamers)

    def finish(self, rng: np.random.Generator) -> dict[int, int]:
        """``{row position in the click file order: new streamer_id}``."""
        pos = np.concatenate(self._pos) if self._pos else np.zeros(0, dtype=np.int64)
        strm = np.concatenate(self._strm) if self._strm else np.zeros(0, dtype=np.int64)
        o = np.argsort(strm, kind="stable")  # the shifts are drawn in streamer order
        pos, strm = pos[o], strm[o].astype(np.int64)
        shift = rng.integers(1, max(self.n, 2), len(pos))
        new = (strm - 1 + shift) % self.n + 1
        return dict(zip(pos.tolist(), new.tolist()))
