"""Writing the twin's files: CSV in the real files' format, and the ground truth.

CSV files are written with pyarrow's CSV writer (header, no quoting), column order and names
from :mod:`kuailive_analysis.data.schema`. Event files (``click.csv``, ``negative.csv``, ...)
are sorted by timestamp, then user, then live (stable), and may be written in blocks
(:class:`EventCsv`): when every block holds a later time range than the ones before (the
generator's days), the file is the same as one sort over all rows.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from scipy import special

from kuailive_analysis import __version__
from kuailive_analysis.core.calendar import CAPPED_END_MS, TZ, WINDOW_START_MS
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.data_source import TRUTH_FILE, TRUTH_USERS_FILE
from kuailive_analysis.twin.events import LOG_END_MS
from kuailive_analysis.twin.gifts import expected_price

WRITE_OPTS = pacsv.WriteOptions(
    include_header=True, quoting_style="none", quoting_header="none", batch_size=65_536
)
"""The CSV options of every file of the twin."""


def frame_table(df: pd.DataFrame, sch: S.FileSchema) -> pa.Table:
    """``df`` as an Arrow table in the schema's column order (object columns as strings, the
    rest as int64)."""
    cols = {}
    for c in sch.columns:
        v = df[c.name].to_numpy()
        cols[c.name] = pa.array(v, type=pa.string() if v.dtype == object else pa.int64())
    return pa.table(cols)


def write_frame(df: pd.DataFrame, path: Path, sch: S.FileSchema) -> None:
    """Write a profile table (``user.csv``, ``streamer.csv``) in the schema's column order."""
    pacsv.write_csv(frame_table(df, sch), str(path), WRITE_OPTS)


def event_table(sch: S.FileSchema, u, live, strm, ts, extra=None) -> pa.Table:
    """Event rows in file order: by timestamp, then user, then live (stable). ``u`` and ``live``
    are 0-based indices of the sample; ``strm`` is the 1-based streamer_id; ``ts`` epoch ms;
    ``extra`` the last column (watch_live_time in ms, gift_price in coins) if any."""
    order = np.lexsort((live, u, ts))
    cols = {
        "user_id": np.asarray(u, dtype=np.int64)[order] + 1,
        "live_id": np.asarray(live, dtype=np.int64)[order] + 1,
        "streamer_id": np.asarray(strm, dtype=np.int64)[order],
        "timestamp": np.asarray(ts, dtype=np.int64)[order],
    }
    if extra is not None:
        cols[sch.column_names[-1]] = np.asarray(extra, dtype=np.int64)[order]
    return pa.table({c: pa.array(cols[c], type=pa.int64()) for c in sch.column_names})


class EventCsv:
    """An event file written in blocks of rows (see the module docstring); ``rows`` counts
    what was written. Use as a context manager."""

    def __init__(self, path: Path, sch: S.FileSchema):
        self.sch = sch
        self.rows = 0
        schema = pa.schema([(c, pa.int64()) for c in sch.column_names])
        self._writer = pacsv.CSVWriter(str(path), schema, write_options=WRITE_OPTS)

    def __enter__(self) -> EventCsv:
        return self

    def __exit__(self, *exc) -> None:
        self._writer.close()

    def write(self, u, live, strm, ts, extra=None) -> None:
        """Sort one block (:func:`event_table`) and append it."""
        tbl = event_table(self.sch, u, live, strm, ts, extra)
        self._writer.write_table(tbl)
        self.rows += tbl.num_rows


def write_events(path: Path, sch: S.FileSchema, u, live, strm, ts, extra=None) -> int:
    """Write one whole event file; return its rows."""
    with EventCsv(path, sch) as f:
        f.write(u, live, strm, ts, extra)
        return f.rows


def write_truth(
    out: Path, scale, seed, prm, usr: dict, kept: np.ndarray, added: dict, counts: dict
) -> None:
    """Write ``truth_users.csv`` (planted quantities of the kept users ``kept``, drawn indices)
    and ``truth.json`` (version, scale, seed, parameters, row counts, constraints, time
    bounds); ``added`` flags per kept user which of gift / comment / like the rule added."""
    n_u = len(kept)
    theta = usr["theta"][kept]
    truth_users = pd.DataFrame(
        {
            "user_id": np.arange(1, n_u + 1),
            "entry_ms": usr["entry"][kept],
            "churn_ms": usr["churn"][kept],
            "churned_in_window": (usr["churn"][kept] < LOG_END_MS).astype(np.int8),
            "activity": np.round(usr["act"][kept], 6),
            "p_day": np.round(usr["p_day"][kept], 6),
            "ctr": np.round(special.expit(usr["ctr_logit"][kept]), 6),
            "fav_share": np.round(usr["fav_share"][kept], 6),
            "n_favourites": np.diff(usr["fav_ptr"])[kept],
            "gift_rate": usr["gift_rate"][kept],  # full precision (Gamma shape 0.2: tiny values)
            "gift_theta": np.round(theta, 6),
            "gift_whale": usr["whale"][kept].astype(np.int8),
            "gift_mean_price": np.round(expected_price(theta, prm.combo_rate, prm.combo_p), 4),
            "gift_added": added["gift"],
            "comment_added": added["comment"],
            "like_added": added["like"],
        }
    )
    truth_users.to_csv(out / TRUTH_USERS_FILE, index=False)
    truth = {
        "generator": "kuailive_analysis.twin",
        "version": __version__,
        "scale": scale,
        "seed": int(seed),
        "params": asdict(prm),
        "population": {
            "gift_rate_gamma": {
                "mean": prm.gift_mean,
                "shape": prm.gift_shape,
                "whale_multiplier": prm.whale_gift_mult,
                "note": "expected gifts per click with a 1-minute watch",
            },
            "gift_theta_normal": {
                "mu": prm.theta_mu,
                "sigma": prm.theta_sigma,
                "whale_share": prm.whale_share,
                "whale_shift": prm.whale_theta_shift,
            },
            "lifetime_weibull": {
                "shape": prm.life_shape,
                "scale_days": prm.life_scale,
                "scale_multiplier": f"exp({prm.life_act_exp} * z_activity)",
            },
            "bgnbd": "none: gifting is not a BG/NBD process in this twin; gifts follow clicks "
            "(see kuailive_analysis.twin.events), so there are no planted BG/NBD "
            "parameters to recover.",
        },
        "counts": counts,
        "constraints": {
            "sample": "Users: the first n of the drawn users with a logged click; streamers: "
            "those the kept users clicked (their rooms and events kept, the others "
            "dropped).",
            "gift_comment_like": "A kept user whose process produced no gift (comment, like) "
            "gets one on one of their own clicks, drawn with probability "
            "proportional to the click's expected gift count (comment / "
            "like probability); added for "
            f"{int(added['gift'].sum())} / {int(added['comment'].sum())} / "
            f"{int(added['like'].sum())} users (gift / comment / like).",
            "truncation": "Every event lies inside the user's planted lifetime [entry_ms, "
            "churn_ms) and before the end of the logs.",
        },
        "time": {
            "window_start_ms": WINDOW_START_MS,
            "log_end_ms": int(LOG_END_MS),
            "capped_end_ms": CAPPED_END_MS,
            "tz": TZ,
        },
    }
    with open(out / TRUTH_FILE, "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True)
        f.write("\n")
