"""The delivered files as the fidelity page reads them (:func:`kuailive_analysis.fidelity.measure`).

The published facts are statistics of the files *as delivered*, before cleaning, so the
fidelity page reads the raw CSV (or ``.csv.gz``) files, not the Parquet cache: each file is a
view ``raw_<file>`` of an engine (:func:`register_raw`, with the column types of
:mod:`kuailive_analysis.data.schema`), and the queries below read the columns the facts need.
Some facts depend on the order of the rows in a file (the first row of ``negative.csv``, the
first row of each ``live_id`` in ``room.csv``, which of two clicks at one millisecond is a
user's last): the rows come back in file order when the engine preserves insertion order
(DuckDB's ``preserve_insertion_order``, which :func:`register_raw` switches on).
"""

from __future__ import annotations

from kuailive_analysis.data import io as IO, schema as S
from kuailive_analysis.engine.sql import Query

_INTEGER_KINDS = (S.ID, S.INT, S.EPOCH_MS, S.FLAG, S.DURATION_MS, S.PRICE, S.PDATE)


def raw_columns(name: str) -> dict[str, str]:
    """Every column of raw file ``name`` (schema order) with its SQL type: integers (ids, epoch
    ms, flags, durations, prices) as BIGINT, binned, categorical and date strings as VARCHAR."""
    return {
        c.name: "BIGINT" if c.kind in _INTEGER_KINDS else "VARCHAR" for c in S.SCHEMAS[name].columns
    }


def register_raw(engine, data_dir, names=tuple(S.SCHEMAS)) -> None:
    """Make each raw file ``names`` of ``data_dir`` the view ``raw_<name>`` of a DuckDB
    ``engine``, rows in file order (``.csv`` or ``.csv.gz``, found by
    :func:`kuailive_analysis.data.io.find_file`)."""
    engine.execute("SET preserve_insertion_order = true")
    for name in names:
        path = IO.find_file(data_dir, S.SCHEMAS[name].filename)
        engine.register(f"raw_{name}", path, fmt="csv", columns=raw_columns(name))


def _read(name: str, columns: str, what: str) -> Query:
    return Query(
        name=f"fidelity_{name}",
        inputs=(f"raw_{name}",),
        doc=f"{what} of the delivered {name}.csv, one row per file row in file order.",
        sql=f"SELECT {columns} FROM raw_{name}",
    )


USERS = _read("user", "user_id, age, gender, country", "The id, age, gender and country")
STREAMERS = _read(
    "streamer", "streamer_id, gender, age, country", "The id, gender, age and country"
)
_EVENT = "user_id AS user, live_id AS live, streamer_id AS streamer, timestamp AS ts"
CLICKS = _read("click", f"{_EVENT}, watch_live_time AS watch", "The clicks")
GIFTS = _read("gift", f"{_EVENT}, gift_price AS price", "The gifts")
COMMENTS = _read("comment", "user_id AS user, streamer_id AS streamer, timestamp AS ts", "Comments")
LIKES = _read("like", "user_id AS user, streamer_id AS streamer, timestamp AS ts", "Likes")
ROOMS = _read(
    "room",
    "live_id, start_timestamp, end_timestamp, "
    "COALESCE(live_content_category = 'shop', FALSE) AS is_shop",
    "Room ids, start and end (epoch ms) and whether the content category is shop",
)
NEGATIVES = Query(
    name="fidelity_negative",
    inputs=("raw_negative",),
    doc="One row: n (rows of negative.csv) and first_ms (timestamp of its first row).",
    sql="""
SELECT (SELECT COUNT(*) FROM raw_negative) AS n,
  (SELECT timestamp FROM raw_negative LIMIT 1) AS first_ms
""",
)

QUERIES = (USERS, STREAMERS, CLICKS, GIFTS, COMMENTS, LIKES, ROOMS, NEGATIVES)
