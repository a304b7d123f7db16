"""Profile tables of the synthetic twin: ``user.csv`` and ``streamer.csv``.

Profiles are drawn from the same latent variables that drive behaviour (so that profile columns
correlate with behaviour where it is plausible) and then binned into the real label ladders:

* users: ``accu_watch_live_cnt`` / ``accu_watch_live_duration`` grow with the user's latent
  activity and watch-age (assumption); ``device_price`` and ``device_brand`` are independent of
  behaviour (nothing is known about device price vs spending, so nothing is planted);
  age bands follow the paper's mix (under 18: 16.93%, 18-40: 43.93%);
* streamers: ``fans_user_num``, ``fans_group_fans_num`` and ``accu_play_*`` grow with the latent
  popularity; ``accu_live_*`` with the broadcast rate and live-age (assumptions); age bands
  follow the paper's mix (under 18: 0.93%, 18-40: 62.01%); ``live_operation_tag`` is
  independent of the shop category (no evidence links them).

Every binned column is written as the real string labels (``0-10``, ``10000-100000``,
``10000000+``, ``0``); dates as ``YYYY-MM-DD`` strings. The functions are pure: arrays and a
``numpy.random.Generator`` in, a DataFrame in file column order out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.data import schema as S

WINDOW_START_DATE = np.datetime64("2025-05-05", "D")


def bin_labels(edges: list[int], top_open: bool = True) -> np.ndarray:
    """Labels ``'e0-e1', 'e1-e2', ..., 'ek+'`` for a ladder of integer edges."""
    labs = [f"{a}-{b}" for a, b in zip(edges[:-1], edges[1:])]
    if top_open:
        labs.append(f"{edges[-1]}+")
    return np.array(labs, dtype=object)


def to_bins(values: np.ndarray, edges: list[int]) -> np.ndarray:
    """Bin non-negative ``values`` into the ladder ``edges`` (open top bin); labels as objects.

    A value v falls in ``'a-b'`` when ``a <= v < b`` and in ``'ek+'`` when ``v >= ek``.
    """
    labels = bin_labels(edges)
    idx = np.searchsorted(np.asarray(edges[1:], dtype=float), values, side="right")
    return labels[np.clip(idx, 0, len(labels) - 1)]


def _choice(rng: np.random.Generator, labels, probs, n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), size=n, p=p / p.sum())]


def _dates(days_before_window: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' strings for integer days before 2025-05-05 (negative = inside the window)."""
    d = WINDOW_START_DATE - days_before_window.astype("timedelta64[D]")
    return np.datetime_as_string(d, unit="D").astype(object)


def _onehots(rng: np.random.Generator, n: int, rates, latent: np.ndarray) -> dict[str, np.ndarray]:
    """Seven 0/1 'encrypted' features; feature 0 and 1 lean on the latent score."""
    out = {}
    for i, r in enumerate(rates):
        logit = np.log(r / (1 - r)) + (0.6 * latent if i < 2 else 0.0)
        out[f"onehot_feat{i}"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return out


DEVICE_BRANDS = ("APPLE", "HUAWEI", "OPPO", "VIVO", "XIAOMI", "HONOR", "OTHER", "DESKTOP")
PRICE_BANDS = ("0-1000", "1000-2000", "2000-4000", "4000-5000", "5000+")


def _devices(rng: np.random.Generator, n: int, wealth: np.ndarray, p_desktop: float):
    """Device brand and price band; price band rises with ``wealth`` (standard normal score)."""
    z = wealth + rng.normal(0, 0.8, n)
    cuts = np.quantile(z, [0.10, 0.33, 0.68, 0.78])
    band = np.searchsorted(cuts, z)
    price = np.array(PRICE_BANDS, dtype=object)[band]
    apple = (band >= 3) & (rng.random(n) < 0.75)
    android = np.array(["HUAWEI", "OPPO", "VIVO", "XIAOMI", "HONOR", "OTHER"], dtype=object)
    brand = android[rng.choice(6, size=n, p=[0.27, 0.2, 0.2, 0.15, 0.13, 0.05])]
    brand[apple] = "APPLE"
    desktop = rng.random(n) < p_desktop
    brand[desktop] = "DESKTOP"
    price[desktop] = "0"
    return brand, price


def _country(rng: np.random.Generator, n: int) -> np.ndarray:
    return _choice(
        rng, ["China", "Malaysia", "Singapore", "Unknown"], [0.994, 0.002, 0.001, 0.003], n
    )


USER_AGE_MIX = (0.1693, 0.12, 0.14, 0.1793, 0.17, 0.2214)
"""Users by band 12-17 .. 50+: the paper's 16.93% under 18 and 43.93% aged 18-40; the split
inside 18-40 and over 40 is an assumption."""

STREAMER_AGE_MIX = (0.0093, 0.17, 0.22, 0.2301, 0.20, 0.1706)
"""Streamers by band: the paper's 0.93% under 18 and 62.01% aged 18-40 (split assumed)."""


def make_users(
    rng: np.random.Generator,
    *,
    activity: np.ndarray,
    watch_age_days: np.ndarray,
    tenure_days: np.ndarray,
) -> pd.DataFrame:
    """``user.csv`` rows (user_id 1..n in id order) from the users' latent draws.

    ``activity``: expected screens per active day;
    ``watch_age_days`` / ``tenure_days``: days from first live watch / registration to the
    window start (negative = inside the window, a new user).
    """
    n = len(activity)
    la = np.log(activity)
    la = (la - la.mean()) / (la.std() + 1e-9)
    brand, price = _devices(rng, n, np.zeros(n), p_desktop=0.02)
    fans = np.exp(rng.normal(2.3, 1.6, n) + 0.2 * la)
    follow = np.exp(rng.normal(4.0, 1.3, n) + 0.2 * la)
    # lifetime lives watched ~ activity x watch age (days) with noise
    age_d = np.maximum(watch_age_days, 1)
    cnt = np.exp(np.log(age_d) + 2.2 + 1.0 * la + rng.normal(0, 0.7, n))
    dur = cnt * np.exp(rng.normal(np.log(9e4), 0.8, n) + 0.4 * la)  # ~90 s per live, ms
    cols = {
        "user_id": np.arange(1, n + 1, dtype=np.int64),
        "age": _choice(rng, S.AGE_BANDS, USER_AGE_MIX, n),
        "gender": np.where(rng.random(n) < 0.619, "M", "F").astype(object),
        "country": _country(rng, n),
        "device_brand": brand,
        "device_price": price,
        "reg_timestamp": _dates(tenure_days),
        "fans_num": to_bins(fans, [0, 10, 100, 1000, 10000, 100000]),
        "follow_num": to_bins(follow, [0, 10, 100, 1000, 10000]),
        "first_watch_live_timestamp": _dates(watch_age_days),
        "accu_watch_live_cnt": to_bins(cnt, [0, 50000, 100000, 500000, 1000000]),
        "accu_watch_live_duration": to_bins(
            dur, [0, 1_000_000_000, 5_000_000_000, 10_000_000_000, 50_000_000_000]
        ),
        "is_live_streamer": (rng.random(n) < 0.12 + 0.05 * (la > 1)).astype(np.int8),
        "is_photo_author": (rng.random(n) < 0.45).astype(np.int8),
        **_onehots(rng, n, [0.45, 0.2, 0.1, 0.15, 0.05, 0.08, 0.03], la),
    }
    df = pd.DataFrame(cols)
    return df[S.USER.column_names]


def make_streamers(
    rng: np.random.Generator,
    *,
    popularity: np.ndarray,
    room_rate: np.ndarray,
    live_age_days: np.ndarray,
    tenure_days: np.ndarray,
) -> pd.DataFrame:
    """``streamer.csv`` rows (streamer_id 1..n in id order) from the streamers' latent draws.

    ``popularity``: exposure weight (mean 1); ``room_rate``: rooms per day; ``live_age_days``
    / ``tenure_days``: days from first broadcast / registration to the window start.
    """
    n = len(popularity)
    lp = np.log(popularity)
    lp = (lp - lp.mean()) / (lp.std() + 1e-9)
    brand, price = _devices(rng, n, 0.3 * lp, p_desktop=0.05)
    fans = np.exp(7.0 + 2.0 * lp + rng.normal(0, 1.0, n))
    group = fans * np.exp(rng.normal(-4.0, 1.0, n))
    follow = np.exp(rng.normal(4.5, 1.4, n))
    age_d = np.maximum(live_age_days, 1)
    live_cnt = age_d * room_rate * np.exp(rng.normal(-0.5, 0.6, n))
    live_dur = live_cnt * np.exp(rng.normal(np.log(5.4e6), 0.7, n))  # ~90 min per live, ms
    play_cnt = np.exp(10.0 + 2.0 * lp + rng.normal(0, 1.0, n))
    play_dur = play_cnt * np.exp(rng.normal(np.log(6e4), 0.8, n))
    tag = _choice(
        rng, ["Chat", "Other", "Relationship", "Beauty", "Talent"], [0.3, 0.28, 0.15, 0.14, 0.13], n
    )
    cols = {
        "streamer_id": np.arange(1, n + 1, dtype=np.int64),
        "gender": np.where(rng.random(n) < 0.628, "F", "M").astype(object),
        "age": _choice(rng, S.AGE_BANDS, STREAMER_AGE_MIX, n),
        "country": _country(rng, n),
        "device_brand": brand,
        "device_price": price,
        "live_operation_tag": tag,
        "fans_user_num": to_bins(
            fans,
            [
                0,
                10,
                100,
                1000,
                10000,
                100000,
                1000000,
                2000000,
                3000000,
                4000000,
                5000000,
                10000000,
            ],
        ),
        "fans_group_fans_num": to_bins(group, [0, 10, 50, 100, 500, 1000, 5000, 10000]),
        "follow_user_num": to_bins(follow, [0, 10, 100, 1000, 10000]),
        "first_live_timestamp": _dates(live_age_days),
        "accu_live_cnt": to_bins(live_cnt, [0, 50, 100, 500, 1000, 5000, 10000]),
        "accu_live_duration": to_bins(
            live_dur,
            [
                0,
                100_000_000,
                500_000_000,
                1_000_000_000,
                3_000_000_000,
                10_000_000_000,
                50_000_000_000,
            ],
        ),
        "accu_play_cnt": to_bins(play_cnt, [0, 50000, 100000, 500000, 1000000, 5000000, 10000000]),
        "accu_play_duration": to_bins(
            play_dur,
            [
                0,
                1_000_000_000,
                10_000_000_000,
                50_000_000_000,
                100_000_000_000,
                500_000_000_000,
                1_000_000_000_000,
                5_000_000_000_000,
            ],
        ),
        "reg_timestamp": _dates(tenure_days),
        **_onehots(rng, n, [0.5, 0.25, 0.1, 0.1, 0.05, 0.05, 0.02], lp),
    }
    df = pd.DataFrame(cols)
    return df[S.STREAMER.column_names]
