"""Measuring: :func:`measure` reads a folder's delivered files once, through the engine, and
computes every statistic of :data:`~kuailive_analysis.fidelity.facts.FACTS` (counts, engagement
rates, streamers, users and demographics here; the other families in :mod:`.watch_gifts` and
:mod:`.calendar_rooms`)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

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


def arrays(frame: pd.DataFrame) -> SimpleNamespace:
    """The columns of a read as int64 arrays by name (``c.user``, ``c.ts``, ...)."""
    return SimpleNamespace(**{k: frame[k].to_numpy(np.int64) for k in frame.columns})


def measure_on(eng) -> dict[str, float]:
    """:func:`measure` on an engine holding the raw views (:func:`register_raw`)."""
    users, strm = eng.frame(Q.USERS), eng.frame(Q.STREAMERS)
    c, g = arrays(eng.frame(Q.CLICKS)), arrays(eng.frame(Q.GIFTS))
    com, like = arrays(eng.frame(Q.COMMENTS)), arrays(eng.frame(Q.LIKES))
    neg = eng.frame(Q.NEGATIVES).iloc[0]
    st: dict[str, float] = {}
    demographics(st, users, strm)
    uid = users["user_id"].to_numpy(np.int64)
    sid = strm["streamer_id"].to_numpy(np.int64)
    n_c, n_g, n_neg = len(c.ts), len(g.ts), int(neg["n"])
    st.update(n_user=len(uid), n_streamer=len(sid), n_click=n_c, n_comment=len(com.ts))
    st.update(n_like=len(like.ts), n_gift=n_g, n_negative=n_neg)
    st["n_interactions"] = n_c + len(com.ts) + len(like.ts) + n_g
    st["first_negative_h"] = (
        (float(neg["first_ms"]) - WINDOW_START_MS) / MS_PER_HOUR if n_neg else float("nan")
    )
    st["ctr"] = ratio(n_c, n_c + n_neg)
    st["neg_per_click"] = ratio(n_neg, n_c)
    st["comments_per_click"] = ratio(len(com.ts), n_c)
    st["likes_per_click"] = ratio(len(like.ts), n_c)
    st["gifts_per_click"] = ratio(n_g, n_c)
    # sessions: distinct (user, live) among the clicks
    c.sess, g.sess = pair_key(c.user, c.live), pair_key(g.user, g.live)
    s_code, n_sess = dense_codes(c.sess)
    st["n_sessions"] = n_sess
    st["sessions_per_click"] = ratio(n_sess, n_c)
    sess_keys = np.empty(n_sess, dtype=np.int64)
    sess_keys[s_code] = c.sess
    st["gift_session_share"] = share(np.isin(sess_keys, g.sess))
    measure_watch(st, c, s_code, n_sess, uid, sid)
    measure_gifting(st, c, g, uid)
    measure_concentration(st, c, g, uid, sid)
    # streamers and users: interactions (clicks + comments + likes + gifts)
    events = {"click": c, "gift": g, "comment": com, "like": like}
    s_inter = sum(per_unit(sid, e.streamer) for e in events.values())
    u_inter = sum(per_unit(uid, e.user) for e in events.values())
    st["streamer_lt5"] = share(s_inter < 5)
    st["streamer_gt40"] = share(s_inter > 40)
    st["top10_streamer_share"] = nan_if_empty(top_share, s_inter, 10 / REAL_STREAMERS)
    st["user_lt50"] = share(u_inter < 50)
    for name, e in events.items():
        st[f"users_with_{name}"] = share(per_unit(uid, e.user) > 0)
    st["streamer_in_clicks"] = share(per_unit(sid, c.streamer) > 0)
    all_ts = np.concatenate([e.ts for e in events.values()])
    measure_calendar(st, c, g, all_ts, sid)
    measure_active_days(st, np.concatenate([e.user for e in events.values()]), all_ts, uid)
    last = last_click_per_user(c.user, c.ts)
    train = np.ones(n_c, dtype=bool)
    train[last] = False
    st["n_click_pairs_train"] = (
        len(np.unique(combined_key(c.user[train], c.streamer[train]))) if train.any() else 0
    )
    measure_rooms(st, eng.frame(Q.ROOMS), c, c.ts[last], uid)
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
