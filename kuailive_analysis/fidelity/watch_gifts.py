"""Measuring the families watch time, gifting and revenue concentration (called by
:func:`kuailive_analysis.fidelity.measuring.measure`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR, MS_PER_SECOND, utc_day
from kuailive_analysis.core.keys import combined_key, dense_codes
from kuailive_analysis.core.stats import gini, top_share
from kuailive_analysis.fidelity.common import (
    FULL_UTC_DAYS,
    daily_gini,
    max_share_per_user,
    nan_if_empty,
    per_unit,
    quantiles,
    ratio,
    share,
)

WATCH_QUANTILES = {"watch_p50": 0.5, "watch_p90": 0.9, "watch_p99": 0.99}
PRICE_QUANTILES = {"price_p50": 0.5, "price_p90": 0.9, "price_p95": 0.95, "price_p99": 0.99}


def measure_watch(st, c, s_code: np.ndarray, n_sess: int, uid, sid) -> None:
    """Watch time: per click (bands, quantiles, the first 70% of clicks), per session, per user
    and per streamer, and the share of a user's watch on their top streamer."""
    x = c.watch.astype("float64") / MS_PER_SECOND
    bands = {"watch_lt5": x < 5, "watch_5_30": (x >= 5) & (x < 30)}
    bands.update(watch_30_300=(x >= 30) & (x < 300), watch_ge300=x >= 300)
    st.update({k: share(v) for k, v in bands.items()})
    st.update(zip(WATCH_QUANTILES, quantiles(x, list(WATCH_QUANTILES.values()))))
    st["watch_max"] = nan_if_empty(np.max, x)
    early = c.watch[np.argsort(c.ts, kind="stable")[: int(0.7 * len(c.ts))]] / MS_PER_SECOND
    st["watch70_p50"], st["watch70_p90"], st["watch70_p99"] = quantiles(early, [0.5, 0.9, 0.99])
    sess = np.bincount(s_code, weights=c.watch, minlength=n_sess) / MS_PER_SECOND
    st["session_watch_mean"] = float(sess.mean()) if n_sess else float("nan")
    (st["session_watch_p50"], st["session_watch_p90"], st["session_watch_p99"]) = quantiles(
        sess, [0.5, 0.9, 0.99]
    )
    uw = per_unit(uid, c.user, c.watch) / MS_PER_HOUR
    st["user_watch_mean"] = float(uw.mean()) if len(uw) else float("nan")
    st["user_watch_p50"], st["user_watch_p99"] = quantiles(uw, [0.5, 0.99])
    sw = per_unit(sid, c.streamer, c.watch) / MS_PER_SECOND
    st["streamer_watch_mean"] = float(sw.mean()) if len(sw) else float("nan")
    st["streamer_watch_p50"] = quantiles(sw, [0.5])[0]
    st["loyal_watch_top_p50"], st["loyal_watch_top_p90"] = quantiles(
        max_share_per_user(c.user, c.streamer, c.watch.astype("float64")), [0.5, 0.9]
    )


def measure_gifting(st, c, g, uid) -> None:
    """Gift prices, gifts per user, gifting sessions and how gifts line up with clicks."""
    n_g = len(g.price)
    p = g.price.astype("float64")
    st.update(zip(PRICE_QUANTILES, quantiles(p, list(PRICE_QUANTILES.values()))))
    st["price_mean"], st["price_max"] = nan_if_empty(np.mean, p), nan_if_empty(np.max, p)
    st.update({f"price_share_{i}": ratio(int((g.price == i).sum()), n_g) for i in range(1, 21)})
    st["price_le20"] = share(g.price <= 20)
    st["revenue_total"] = float(g.price.sum())
    per_user = per_unit(uid, g.user)
    st["gifts_per_user_mean"] = float(per_user.mean()) if len(uid) else float("nan")
    st["gifts_per_user_p50"] = quantiles(per_user, [0.5])[0]
    st["n_gifted_streamers"] = len(np.unique(g.streamer))
    st["n_gift_pairs"] = len(np.unique(combined_key(g.user, g.streamer))) if n_g else 0
    # gifting sessions: (user, live) groups of gift.csv
    gs_code, n_gs = dense_codes(g.sess)
    per_gs = np.bincount(gs_code, minlength=n_gs)
    st["multi_gift_sessions"] = share(per_gs > 1)
    order = np.lexsort((g.ts, g.sess))
    same = g.sess[order][1:] == g.sess[order][:-1]
    gap = np.diff(g.ts[order])
    st["n_subsecond_gifts"] = int((same & (gap < 1000)).sum())
    st["subsecond_gift_share"] = ratio(st["n_subsecond_gifts"], n_g)
    loyal = max_share_per_user(g.user, g.streamer, np.ones(n_g))
    st["loyal_gift_top_p50"] = quantiles(loyal, [0.5])[0]
    # gifts against the clicks of their (user, live): a small join
    sel = np.flatnonzero(np.isin(c.sess, g.sess))
    cl = pd.DataFrame(
        {"sess": c.sess[sel], "c_str": c.streamer[sel], "c_ts": c.ts[sel], "crow": sel}
    )
    gf = pd.DataFrame({"sess": g.sess, "g_str": g.streamer, "g_ts": g.ts, "grow": np.arange(n_g)})
    m = gf.merge(cl, on="sess")
    same_str = (m["g_str"] == m["c_str"]).to_numpy()
    at_ms = same_str & (m["g_ts"] == m["c_ts"]).to_numpy()
    st["gift_at_click_ms"] = ratio(len(np.unique(m["grow"].to_numpy()[at_ms])), n_g)
    st["gift_without_click"] = ratio(n_g - len(np.unique(m["grow"].to_numpy()[same_str])), n_g)
    zero_clicks = np.unique(m["crow"].to_numpy()[at_ms])
    st["gift_click_watch_p50"] = quantiles(c.watch[zero_clicks] / MS_PER_SECOND, [0.5])[0]
    lag = (m["g_ts"] - m["c_ts"]).to_numpy()
    in_hour = (lag >= 0) & (lag <= MS_PER_HOUR)
    hits = np.bincount(m["grow"].to_numpy()[in_hour], minlength=n_g)
    st["gift_multi_click_1h"] = share(hits >= 2)


def measure_concentration(st, c, g, uid, sid) -> None:
    """Revenue and clicks across users and streamers: Gini, top-1% shares (over every unit
    of the profile files, zeros included) and the daily-averaged Gini of the full UTC days."""
    urev = per_unit(uid, g.user, g.price.astype("float64"))
    srev = per_unit(sid, g.streamer, g.price.astype("float64"))
    sclk = per_unit(sid, c.streamer).astype("float64")
    st["gini_user_revenue"] = nan_if_empty(gini, urev)
    st["top1_user_revenue"] = nan_if_empty(top_share, urev, 0.01)
    st["gini_gifted_streamer_revenue"] = nan_if_empty(gini, srev[srev > 0])
    st["gini_streamer_clicks"] = nan_if_empty(gini, sclk)
    st["top1_streamer_revenue"] = nan_if_empty(top_share, srev, 0.01)
    st["top1_streamer_clicks"] = nan_if_empty(top_share, sclk, 0.01)
    st["gifted_streamer_share"] = share(srev > 0)
    st["daily_gini_revenue"] = daily_gini(utc_day(g.ts), g.streamer, g.price, FULL_UTC_DAYS)
    st["daily_gini_clicks"] = daily_gini(utc_day(c.ts), c.streamer, None, FULL_UTC_DAYS)
