"""The baseline for the benchmark: cleaning + interactions table as the earlier EDA notebook did it.

A faithful, condensed replay of ``shared/seeds/kuailive-eda-notebook.txt`` sections 1.1-1.4:
``pd.read_csv`` with default dtypes, timestamps shifted by +8 h, rooms longer than one day
removed from every table, ``live_name_id`` dropped and rooms deduplicated, string composite keys
per table, one concatenated interactions table (negatives included) sorted and ranked per
(user, live), string ``pk`` and ``session_id`` columns, and the user / streamer / room merges;
with ``out`` (``--out``) also its section 2, the CSV export of the eight cleaned tables and the
interactions table. It is only used to measure the package against (``run_all.py``'s
``baseline`` stage); nothing in the book depends on it.

    .venv/bin/python benchmarks/baseline_notebook.py DATA_DIR [--out FOLDER]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    path = data_dir / f"{name}.csv"
    return pd.read_csv(path if path.exists() else data_dir / f"{name}.csv.gz")


def _to_china_time(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    for col in cols:
        df[col] = pd.to_datetime(df[col], unit="ms") + pd.Timedelta(hours=8)
    return df


def _composite_key(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["user_id", "live_id", "timestamp"])
    df["comment_rank"] = df.groupby(["user_id", "live_id"]).cumcount() + 1
    df["composite_key"] = (
        df["user_id"].astype(str)
        + "_"
        + df["live_id"].astype(str)
        + "_"
        + df["comment_rank"].astype(str)
    )
    return df


def run(data_dir: Path, out: Path | None = None) -> pd.DataFrame:
    """The interactions table; with ``out``, every cleaned table and it are written as CSV."""
    data_dir = Path(data_dir)
    tables = {
        n: _read(data_dir, n)
        for n in ("click", "comment", "gift", "like", "negative", "room", "streamer", "user")
    }
    for n in ("click", "comment", "gift", "like", "negative"):
        tables[n] = _to_china_time(tables[n], "timestamp")
    room = _to_china_time(tables["room"], "start_timestamp", "end_timestamp")
    room["live_dur_day"] = room["end_timestamp"] - room["start_timestamp"]
    room["live_dur"] = room["live_dur_day"].dt.total_seconds() / 60
    bad = room["live_id"][room["live_dur_day"] > pd.Timedelta(days=1)].unique()
    cl = {
        n: tables[n][~tables[n]["live_id"].isin(bad)]
        for n in ("click", "comment", "gift", "like", "negative")
    }
    room_cl = room[~room["live_id"].isin(bad)]
    room_cl = room_cl.drop(columns=["live_name_id"]).drop_duplicates(subset="live_id")
    for n in cl:
        cl[n] = _composite_key(cl[n])
        cl[n]["p_date"] = cl[n]["timestamp"].dt.strftime("%Y%m%d").astype(int)
    user, streamer = tables["user"].copy(), tables["streamer"].copy()
    cutoff = pd.to_datetime("2025-05-26")
    user["tenure"] = (cutoff - pd.to_datetime(user["reg_timestamp"])).dt.days
    streamer["tenure"] = (cutoff - pd.to_datetime(streamer["reg_timestamp"])).dt.days
    user["active_time"] = (cutoff - pd.to_datetime(user["first_watch_live_timestamp"])).dt.days
    streamer["active_time"] = (cutoff - pd.to_datetime(streamer["first_live_timestamp"])).dt.days
    for n in cl:
        cl[n]["interaction_type"] = n
    inter = pd.concat(list(cl.values()), ignore_index=True)
    inter = inter.drop(columns=["comment_rank", "composite_key"], errors="ignore")
    inter = inter.sort_values(by=["user_id", "live_id", "timestamp"])
    inter["interaction_order"] = (
        inter.groupby(["user_id", "live_id"])["timestamp"].rank(method="first").astype(int)
    )
    inter["pk"] = (
        inter["user_id"].astype(str)
        + "_"
        + inter["live_id"].astype(str)
        + "_"
        + inter["interaction_order"].astype(str)
    )
    inter["session_id"] = inter["user_id"].astype(str) + "_" + inter["live_id"].astype(str)
    inter = inter.merge(
        user[["user_id", "age", "gender", "active_time", "accu_watch_live_cnt"]],
        on="user_id",
        how="left",
    )
    inter = inter.merge(
        streamer[
            [
                "streamer_id",
                "age",
                "gender",
                "live_operation_tag",
                "active_time",
                "accu_live_cnt",
                "fans_user_num",
            ]
        ],
        on="streamer_id",
        how="left",
        suffixes=("_user", "_streamer"),
    )
    inter = inter.merge(
        room_cl[["live_id", "live_dur", "live_content_category"]], on="live_id", how="left"
    )
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        cleaned = {**{f"{n}_cl": df for n, df in cl.items()}, "room_cl": room_cl}
        cleaned.update(streamer_cl=streamer, user_cl=user, interactions=inter)
        for name, df in cleaned.items():
            df.to_csv(out / f"{name}.csv", index=False)
    return inter


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--out", type=Path, help="write the cleaned tables as CSV here")
    args = ap.parse_args(argv)
    inter = run(args.data_dir, args.out)
    print(f"interactions: {len(inter):,} rows")


if __name__ == "__main__":
    main()
