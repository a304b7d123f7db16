"""Benchmark of the LTV models: fit time of BG/NBD and Gamma-Gamma, and the RFM summary.

Data: ``--users`` customers (default 25,000, about the real KuaiLive user count) simulated from
BG/NBD with known parameters on the 21-day window, as a daily event log (several events a day,
first transaction days spread over the calibration period), with Gamma-Gamma values. We time

* ``rfm_summary`` on the event log (``--events-per-day`` events per transaction day),
* ``BetaGeo.fit_summary`` on the summary, the chapter's path (day-level data pool into a
  few hundred distinct rows; one transaction a day pushes this simulated BG/NBD to the
  no-dropout boundary, so this includes the failed plain fit and the penalised refit),
* ``BetaGeo().fit(..., penalizer=1e-4)`` alone on the same summary,
* ``GammaGamma().fit`` on the repeat customers,
* ``BetaGeo().fit`` on *continuous* (x, t_x, T) of the same size, where every row is distinct,
  the worst case for the pooling,
* ``scoring.score`` of the holdout comparison: eight value forecasts of the cohort scored with
  ``--boot`` Poisson-bootstrap replicates (one weight matrix, no loop over replicates),

each as the median of ``--repeat`` runs. The issue's target: well under a second for 25k users.

Usage::

    .venv/bin/python benchmarks/bench_ltv.py [--users 25000] [--repeat 5] [--boot 1000]

Results are printed and written to ``benchmarks/results/bench_ltv-<users>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis import ltv
from kuailive_analysis.ltv.gamma_gamma import simulate_gamma_gamma
from kuailive_analysis.ltv.scoring import score

PARAMS = {"r": 0.4, "alpha": 3.0, "a": 0.8, "b": 3.0}
GG = {"p": 4.0, "q": 3.0, "gamma": 30.0}


def simulate_events(params: dict, birth, end: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(customer, time)`` of every transaction of BG/NBD customers born at ``birth`` (their
    first transaction) and observed until ``end``, sorted by customer and time."""
    n = birth.size
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    idx, times, t = [np.arange(n)], [birth.copy()], birth.copy()
    alive = birth < end
    while alive.any():
        t = t + rng.exponential(1.0, n) / lam
        alive &= t < end
        idx.append(np.flatnonzero(alive))
        times.append(t[alive])
        alive &= rng.random(n) >= p  # dropout after a repeat transaction
    ci, tt = np.concatenate(idx), np.concatenate(times)
    order = np.lexsort((tt, ci))
    return ci[order], tt[order]


def make_events(n: int, events_per_day: int, seed: int) -> pd.DataFrame:
    """A daily event log simulated from BG/NBD (see the module docstring)."""
    rng = np.random.default_rng(seed)
    birth = rng.uniform(0, 14, n)
    ci, t = simulate_events(PARAMS, birth, 21.0, rng)
    day = np.floor(t).astype(np.int8)
    reps = rng.integers(1, 2 * events_per_day, ci.size)
    user = np.repeat(ci + 1, reps).astype(np.int32)
    return pd.DataFrame(
        {
            "user_id": user,
            "day": np.repeat(day, reps),
            "gift_price": rng.integers(1, 100, user.size).astype(np.int32),
        }
    )


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=25_000)
    ap.add_argument("--events-per-day", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--boot", type=int, default=1000)
    args = ap.parse_args()

    ev = make_events(args.users, args.events_per_day, args.seed)
    s = ltv.rfm_summary(ev, calibration_days=14, value_col="gift_price")
    x, tx, T, m = (
        s[c].to_numpy(float) for c in ("frequency_cal", "recency_cal", "T_cal", "monetary_cal")
    )
    rng = np.random.default_rng(args.seed)
    m = np.where(x > 0, simulate_gamma_gamma(GG, x, rng=rng), 0.0)
    cont = ltv.BetaGeo.simulate(PARAMS, rng.uniform(0, 14, args.users), rng=rng)
    act = s["value_holdout"].astype(float)
    forecasts = pd.DataFrame(
        {f"method {k}": act * rng.lognormal(0, 1, act.size) + k for k in range(8)}, index=s.index
    )

    res = {
        "users": args.users,
        "events": len(ev),
        "cohort": len(s),
        "distinct_xtT": int(np.unique(np.c_[x, tx, T], axis=0).shape[0]),
        "rfm_summary_s": timed(
            lambda: ltv.rfm_summary(ev, calibration_days=14, value_col="gift_price"), args.repeat
        ),
        "bgnbd_try_fit_s": timed(lambda: ltv.BetaGeo.fit_summary(s), args.repeat),
        "bgnbd_fit_penalised_s": timed(
            lambda: ltv.BetaGeo().fit(x, tx, T, penalizer=1e-4), args.repeat
        ),
        "gamma_gamma_fit_s": timed(lambda: ltv.GammaGamma().fit(x, m), args.repeat),
        "bgnbd_fit_continuous_s": timed(
            lambda: ltv.BetaGeo().fit(cont["frequency"], cont["recency"], cont["T"]), args.repeat
        ),
        "n_boot": args.boot,
        "score_8_methods_s": timed(lambda: score(forecasts, act, n_boot=args.boot), args.repeat),
        "machine": platform.platform(),
        "python": platform.python_version(),
    }
    for k, v in res.items():
        print(f"{k:>24}: {v:.4f}" if isinstance(v, float) else f"{k:>24}: {v}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench_ltv-{args.users}.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
