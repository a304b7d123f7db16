"""The twin's own statistics test (``tests/test_twin.py``): the accepted ranges
(:data:`TWIN_TEST_BOUNDS`, :data:`TWIN_COUNT_NOISE`) and :func:`twin_check`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.constants import REAL_COUNTS, REAL_USERS
from kuailive_analysis.fidelity.facts import FACT_BY_KEY

TWIN_TEST_BOUNDS: dict[str, tuple[float, float]] = {
    "ctr": (0.25, 0.31),
    "comments_per_click": (0.030, 0.052),
    "likes_per_click": (0.027, 0.047),
    "gifts_per_click": (0.011, 0.019),
    "gift_session_share": (0.011, 0.021),
    "sessions_per_click": (0.82, 0.93),
    "watch_p50": (3.5, 6.0),
    "watch_lt5": (0.48, 0.60),
    "watch_5_30": (0.20, 0.29),
    "watch_30_300": (0.13, 0.20),
    "watch_ge300": (0.04, 0.075),
    "watch_p90": (100.0, 180.0),
    "watch_p99": (1400.0, 2600.0),
    "watch_max": (3600.0, 7200.0),
    "user_watch_p50": (1.3, 3.5),
    "user_watch_mean": (3.0, 7.0),
    "price_share_1": (0.38, 0.52),
    "price_p50": (1.0, 3.0),
    "price_mean": (30.0, 200.0),
    "price_p90": (52.0, 166.0),
    "price_le20": (0.77, 0.87),
    "gini_user_revenue": (0.85, 0.98),
    "gifted_streamer_share": (0.04, 0.12),
    "streamer_lt5": (0.62, 0.78),
    "streamer_gt40": (0.025, 0.07),
    "user_lt50": (0.36, 0.52),
    "n_long_room_ids": (0.0006 * REAL_COUNTS["room_ids"], 0.0025 * REAL_COUNTS["room_ids"]),
    "room_extra_rows": (0.013, 0.023),
    "long_room_click_share": (0.0015, 0.010),
    "shop_room_share": (0.07, 0.13),
    "shop_dur_p50": (115.0, 155.0),
    "gift_at_click_ms": (0.80, 0.92),
    "gift_without_click": (0.025, 0.075),
    "next_day_active": (0.75, 0.95),
    "interaction_peak_hour": (18.0, 23.0),
    "room_start_peak_hour": (18.0, 22.0),
    **{f"users_with_{b}": (1.0, 1.0) for b in ("click", "comment", "like", "gift")},
}
"""Range accepted by the twin's statistics test for a twin at scale >= 0.02 (about 480 users,
100k clicks, 1.5k gifts), in the fact's compared unit (counts scaled to full size). Wide enough
for the seed-to-seed noise of such a small twin; heavy-tailed statistics get the widest."""

TWIN_COUNT_NOISE = {
    "user": 0.0,
    "streamer": 3.0,
    "room_rows": 3.0,
    "click": 3.0,
    "negative": 3.0,
    "comment": 8.0,
    "like": 8.0,
    "gift": 8.0,
}
"""Count checks of the twin test: relative tolerance ``c / sqrt(n_users)`` (capped at 40%)
around ``real x scale``; users (set exactly, c = 0) within 1%. File totals vary with the
users' heterogeneous propensities, so their noise shrinks like one over the square root of the
number of users (c = 3: 13.8% at scale 0.02, 1.9% at scale 1; c = 8 for the rarer events).
Streamers are the ones the sampled users clicked, so their count is random too (c = 3)."""


def twin_check(stats: dict, scale: float) -> pd.DataFrame:
    """The twin statistics test: one row per checked statistic with ``statistic``, ``twin``
    (compared value), ``real``, ``low``, ``high`` and ``ok`` (``low <= twin <= high``).

    Counts are compared with ``real x scale`` (see :data:`TWIN_COUNT_NOISE`), the other
    statistics with :data:`TWIN_TEST_BOUNDS` (counts among them scaled by ``n_users / 23,772``);
    the price spikes at 10 and 20 coins must be at least twice their neighbours.
    """
    rows = []
    n_users = max(stats["n_user"], 1)
    for name, c in TWIN_COUNT_NOISE.items():
        real = FACT_BY_KEY[f"n_{name}"].real
        tol = 0.01 if c == 0 else min(0.40, c / np.sqrt(n_users))
        tgt = real * scale
        rows.append((f"n_{name}", stats[f"n_{name}"], tgt, (1 - tol) * tgt, (1 + tol) * tgt))
    per_user = n_users / REAL_USERS
    for key, (lo, hi) in TWIN_TEST_BOUNDS.items():
        f = FACT_BY_KEY[key]
        v = stats[key] / per_user if f.mode == "count" else stats[key]
        rows.append((key, v, f.real, lo, hi))
    s = {p: stats.get(f"price_share_{p}", 0.0) for p in (9, 10, 11, 19, 20)}
    rows.append(("price_spike_10", float(s[10] > 2 * max(s[9], s[11])), 1.0, 1.0, 1.0))
    rows.append(("price_spike_20", float(s[20] > 2 * s[19]), 1.0, 1.0, 1.0))
    df = pd.DataFrame(rows, columns=["statistic", "twin", "real", "low", "high"])
    df["ok"] = (df["twin"] >= df["low"]) & (df["twin"] <= df["high"])
    return df
