"""Measuring: :func:`measure` reads a folder's delivered files once, through the engine, and
computes every statistic of :data:`~kuailive_analysis.fidelity.facts.FACTS` (counts, engagement
rates, streamers, users and demographics here; the other families in :mod:`.watch_gifts` and
:mod:`.calendar_rooms`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR, WINDOW_START_MS
from kuailive_analysis.core.constants import REAL_STREAMERS
from kuailive_analysis.core.keys import combined_key, dense_codes, pair_key
from kuailive_analysis.core.stats import top_share
from kuailive_analysis.engine import get_engine
from kuailive_analysis.engine.queries import fidelity as Q
from kuailive_analysis.fidelity.calendar_rooms import (
    measure_active_days,
    measure_calendar,
    measure_rooms,
)
from kuailive_analysis.fidelity.common import (
    AGE_18_40,
    OVER_40,
    UNDER_18,
    nan_if_empty,
    per_unit,
    ratio,
    share,
)
from kuailive_analysis.fidelity.watch_gifts import (
    measure_concentration,
    measure_gifting,
    measure_watch,
)


def measure(data_dir) -> dict[str, float]:
    """Every statistic of :data:`FACTS` on the delivered files of ``data_dir``.

    Parameters
    ----------
    data_dir : path
        A KuaiLive folder (``.csv`` or ``.csv.gz`` files).

    Returns
    -------
    dict
        ``{fact key: value}``, counts raw (not scaled); NaN where the folder does not allow
        the statistic.

    The files are read once, as DuckDB views (:mod:`kuailive_analysis.engine.queries.fidelity`,
    rows in file order); :func:`kuailive_analysis.dataset.load` has validated them already.
    """
    with get_engine("duckdb") as eng:
        Q.register_raw(eng, Path(data_dir))
        return measure_on(eng)


def measure_on(eng) -> dict[str, float]:
    """:func:`measure` on an engine holding the raw views (:func:`register_raw`)."""
    users, strm = eng.frame(Q.USERS), eng.frame(Q.STREAMERS)
    click, gift = eng.frame(Q.CLICKS), eng.frame(Q.GIFTS)
    com, like = eng.frame(Q.COMMENTS), eng.frame(Q.LIKES)
    neg = eng.frame(Q.NEGATIVES).iloc[0]
    st: dict[str, float] = {}
    demographics(st, users, strm)
    uid = users["user_id"].to_numpy(np.int64)
    sid = strm["streamer_id"].to_numpy(np.int64)
    del users, strm
    n_u, n_s = len(uid), len(sid)
    n_c, n_g, n_neg = len(click), len(gift), int(neg["n"])
    st.update(
        n_user=n_u,
        n_streamer=n_s,
        n_click=n_c,
        n_comment=len(com),
        n_like=len(like),
        n_gift=n_g,
        n_negative=n_neg,
        n_interactions=n_c + len(com) + len(like) + n_g,
    )
    st["first_negative_h"] = (
        (float(neg["first_ms"]) - WINDOW_START_MS) / MS_PER_HOUR if n_neg else float("nan")
    )
    st["ctr"] = ratio(n_c, n_c + n_neg)
    st["neg_per_click"] = ratio(n_neg, n_c)
    st["comments_per_click"] = ratio(len(com), n_c)
    st["likes_per_click"] = ratio(len(like), n_c)
    st["gifts_per_click"] = ratio(n_g, n_c)

    c_user = click["user_id"].to_numpy(np.int64)
    c_str = click["streamer_id"].to_numpy(np.int64)
    c_live = click["live_id"].to_numpy(np.int64)
    c_ts = click["timestamp"].to_numpy(np.int64)
    c_watch = click["watch_live_time"].to_numpy(np.int64)
    del click
    g_user = gift["user_id"].to_numpy(np.int64)
    g_str = gift["streamer_id"].to_numpy(np.int64)
    g_live = gift["live_id"].to_numpy(np.int64)
    g_ts = gift["timestamp"].to_numpy(np.int64)
    g_price = gift["gift_price"].to_numpy(np.int64)
    del gift

    # sessions and per-session / per-unit watch
    c_sess = pair_key(c_user, c_live)
    g_sess = pair_key(g_user, g_live)
    s_code, n_sess = dense_codes(c_sess)
    st["n_sessions"] = n_sess
    st["sessions_per_click"] = ratio(n_sess, n_c)
    sess_keys = np.empty(n_sess, dtype=np.int64)
    sess_keys[s_code] = c_sess
    st["gift_session_share"] = share(np.isin(sess_keys, g_sess))
    measure_watch(st, c_watch, c_ts, s_code, n_sess, c_user, c_str, uid, sid)
    measure_gifting(
        st,
        uid,
        g_user,
        g_str,
        g_live,
        g_ts,
        g_price,
        c_user,
        c_str,
        c_live,
        c_ts,
        c_watch,
        c_sess,
        g_sess,
    )
    measure_concentration(st, uid, sid, g_user, g_str, g_price, c_str, c_ts, g_ts)

    # streamers and users: interactions (clicks + comments + likes + gifts)
    others = [
        (
            t["user_id"].to_numpy(np.int64),
            t["streamer_id"].to_numpy(np.int64),
            t["timestamp"].to_numpy(np.int64),
        )
        for t in (com, like)
    ]
    del com, like
    s_inter = per_unit(sid, c_str) + per_unit(sid, g_str)
    u_inter = per_unit(uid, c_user) + per_unit(uid, g_user)
    for u, s, _ in others:
        s_inter += per_unit(sid, s)
        u_inter += per_unit(uid, u)
    st["streamer_lt5"] = share(s_inter < 5)
    st["streamer_gt40"] = share(s_inter > 40)
    st["top10_streamer_share"] = nan_if_empty(top_share, s_inter, 10 / REAL_STREAMERS)
    st["user_lt50"] = share(u_inter < 50)
    for name, ids in (
        ("click", c_user),
        ("gift", g_user),
        ("comment", others[0][0]),
        ("like", others[1][0]),
    ):
        st[f"users_with_{name}"] = share(per_unit(uid, ids) > 0)
    st["streamer_in_clicks"] = share(per_unit(sid, c_str) > 0)

    all_user = np.concatenate([c_user, g_user, others[0][0], others[1][0]])
    all_ts = np.concatenate([c_ts, g_ts, others[0][2], others[1][2]])
    del others
    measure_calendar(st, c_user, c_str, c_ts, c_live, g_ts, g_user, g_live, c_watch, all_ts, sid)
    measure_active_days(st, all_user, all_ts, uid)
    del all_user, all_ts
    last = last_click_per_user(c_user, c_ts)
    train = np.ones(n_c, dtype=bool)
    train[last] = False
    st["n_click_pairs_train"] = (
        len(np.unique(combined_key(c_user[train], c_str[train]))) if train.any() else 0
    )
    measure_rooms(st, eng.frame(Q.ROOMS), c_live, c_user, c_ts[last], uid)
    return st


def last_click_per_user(c_user: np.ndarray, c_ts: np.ndarray) -> np.ndarray:
    """Row of each user's last click (the leave-one-out test click; file order on ties)."""
    if not len(c_user):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((c_ts, c_user))
    return order[np.r_[c_user[order][1:] != c_user[order][:-1], True]]


def demographics(st: dict, users: pd.DataFrame, strm: pd.DataFrame) -> None:
    """Shares of male users, female streamers, age bands and China (missing = not)."""
    ua, sa = users["age"].astype("string"), strm["age"].astype("string")
    st["user_male"] = share((users["gender"].astype("string") == "M").fillna(False))
    st["streamer_female"] = share((strm["gender"].astype("string") == "F").fillna(False))
    for who, age in (("user", ua), ("streamer", sa)):
        st[f"{who}_under18"] = share(age.isin(UNDER_18))
        st[f"{who}_18_40"] = share(age.isin(AGE_18_40))
        st[f"{who}_over40"] = share(age.isin(OVER_40))
    st["user_china"] = share((users["country"].astype("string") == "China").fillna(False))
    st["streamer_china"] = share((strm["country"].astype("string") == "China").fillna(False))


def measure_cached(data_dir, fingerprint: str | None = None) -> dict[str, float]:
    """:func:`measure`, stored once per data folder content and package version.

    Chapter 2 (its calibration table) and the fidelity appendix both need every statistic of
    the raw files; measuring reads every file (about 16 s at full scale), so the result is kept
    as JSON in ``<cache root>/fidelity/<key>.json`` with key = SHA-256 of (data fingerprint,
    package version). Two chapters running at once wait for one measurement (``fcntl`` lock)
    instead of measuring twice. NaN values survive the round trip (JSON ``NaN``).
    """
    import fcntl
    import hashlib
    import json
    import os

    from kuailive_analysis import __version__, config
    from kuailive_analysis.data.data_source import fingerprint as data_fingerprint

    fp = fingerprint or data_fingerprint(Path(data_dir))
    key = hashlib.sha256(json.dumps([fp, __version__]).encode()).hexdigest()[:16]
    folder = config.cache_root() / "fidelity"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.json"
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.exists():
                return {k: float(v) for k, v in json.loads(path.read_text()).items()}
            stats = measure(data_dir)
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(json.dumps({k: float(v) for k, v in stats.items()}))
            os.replace(tmp, path)
            return stats
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
