"""The KuaiLive files: one declaration per file, used by loading, validation, the twin and docs.

Every fact here comes from the real dataset (see ``shared/kuailive-facts.md``):

* ids are 1-based contiguous integers (users 1..23,772, streamers 1..452,621);
* every ``*timestamp`` column of the logs and of ``room.csv`` is **epoch milliseconds** (UTC
  epoch). Calendar days and hours of day are always taken in **Beijing time**
  (``Asia/Shanghai``, UTC+8), the zone the collection window lines up with;
* profile columns are **binned strings** (``18-23``, ``5000+``, ``0``), registration-like
  columns are **date strings** (``2023-05-03``), 0/1 flags are integers;
* ``watch_live_time`` is in milliseconds, ``gift_price`` a positive integer (platform coins).

A :class:`FileSchema` lists the columns in file order with their kind, in-memory dtype, unit and
value rules, the unique key (if any) and the foreign keys. Nothing else in the package hard-codes
a column list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# The window and time units live in the Beijing calendar (re-exported here for the schema's
# readers); real row counts in core.constants.
from kuailive_analysis.core.calendar import (  # noqa: F401 (re-exported)
    CAPPED_END_MS,
    MS_PER_DAY,
    N_WINDOW_DAYS,
    TZ,
    WINDOW_END_MS,
    WINDOW_START_MS,
)
from kuailive_analysis.core.constants import REAL_COUNTS

PLAUSIBLE_MIN_MS = 1_735_660_800_000
"""2025-01-01 00:00 Beijing. A timestamp before this is not a plausible KuaiLive log time
(e.g. seconds instead of milliseconds)."""

PLAUSIBLE_MAX_MS = 1_767_196_800_000
"""2026-01-01 00:00 Beijing. Later timestamps are rejected as implausible."""

# ---------------------------------------------------------------------------------------------
# Column kinds
# ---------------------------------------------------------------------------------------------
ID = "id"  # positive integer key
INT = "int"  # plain integer
EPOCH_MS = "epoch_ms"  # epoch milliseconds, loaded as tz-aware Asia/Shanghai datetime64[ms]
DATE = "date"  # 'YYYY-MM-DD' string, loaded as datetime64 (date, no zone)
BIN = "bin"  # binned numeric range string: '1000-2000', '5000+', '0'
CATEGORY = "category"  # free categorical string
FLAG = "flag"  # 0/1 integer
DURATION_MS = "duration_ms"  # non-negative integer milliseconds
PRICE = "price"  # positive integer platform coins
PDATE = "pdate"  # integer YYYYMMDD partition date

KINDS = (ID, INT, EPOCH_MS, DATE, BIN, CATEGORY, FLAG, DURATION_MS, PRICE, PDATE)


@dataclass(frozen=True)
class Column:
    """One column of a KuaiLive file.

    ``dtype`` is the in-memory dtype after :mod:`kuailive_analysis.data.io` loads it; ``unit`` is
    the unit of the raw values; ``min_value`` / ``max_value`` are hard validity bounds on raw
    values (violations make the file unusable, not merely dirty).
    """

    name: str
    kind: str
    dtype: str
    unit: str = ""
    nullable: bool = False
    description: str = ""
    min_value: float | None = None
    max_value: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.name}")


@dataclass(frozen=True)
class FileSchema:
    """One KuaiLive file: columns in file order, unique key, foreign keys."""

    name: str
    filename: str
    columns: tuple[Column, ...]
    description: str
    key: tuple[str, ...] | None = None
    foreign_keys: dict[str, str] = field(default_factory=dict)
    real_rows: int | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.filename} has no column {name!r}")

    @property
    def is_event_log(self) -> bool:
        return self.name in EVENT_TABLES


def _onehots() -> tuple[Column, ...]:
    return tuple(
        Column(f"onehot_feat{i}", FLAG, "int8", description=f"encrypted 0/1 feature {i}",
               min_value=0, max_value=1)
        for i in range(7)
    )


def _id(name: str, what: str, nullable: bool = False) -> Column:
    return Column(name, ID, "int32", unit="id", nullable=nullable,
                  description=f"{what} id, 1-based", min_value=1)


def _ts(name: str, what: str) -> Column:
    return Column(name, EPOCH_MS, f"datetime64[ms, {TZ}]", unit="epoch ms",
                  description=what, min_value=PLAUSIBLE_MIN_MS, max_value=PLAUSIBLE_MAX_MS)


def _bin(name: str, what: str, nullable: bool = True) -> Column:
    return Column(name, BIN, "category", unit="binned range", nullable=nullable, description=what)


def _cat(name: str, what: str, nullable: bool = True) -> Column:
    return Column(name, CATEGORY, "category", nullable=nullable, description=what)


def _date(name: str, what: str) -> Column:
    return Column(name, DATE, "datetime64[s]", unit="date (YYYY-MM-DD)", nullable=True,
                  description=what)


USER = FileSchema(
    name="user",
    filename="user.csv",
    description="User profiles: one row per user, snapshot at the end of the window.",
    key=("user_id",),
    real_rows=REAL_COUNTS["user"],
    columns=(
        _id("user_id", "user"),
        _bin("age", "age band, e.g. 18-23, 50+"),
        _cat("gender", "M / F"),
        _cat("country", "country, >99% China"),
        _cat("device_brand", "device brand, e.g. APPLE, HUAWEI, DESKTOP"),
        _bin("device_price", "device price band in CNY; 0 = desktop; 5000+ open top"),
        _date("reg_timestamp", "account registration date"),
        _bin("fans_num", "number of followers (binned)"),
        _bin("follow_num", "number of accounts followed (binned)"),
        _date("first_watch_live_timestamp", "date of the first live watched on the platform"),
        _bin("accu_watch_live_cnt", "lifetime number of lives watched (binned)"),
        _bin("accu_watch_live_duration", "lifetime live watch time, ms (binned)"),
        Column("is_live_streamer", FLAG, "int8", description="user also streams",
               min_value=0, max_value=1),
        Column("is_photo_author", FLAG, "int8", description="user also posts videos",
               min_value=0, max_value=1),
        *_onehots(),
    ),
)

STREAMER = FileSchema(
    name="streamer",
    filename="streamer.csv",
    description="Streamer profiles: one row per streamer, snapshot at the end of the window.",
    key=("streamer_id",),
    real_rows=REAL_COUNTS["streamer"],
    columns=(
        _id("streamer_id", "streamer"),
        _cat("gender", "M / F"),
        _bin("age", "age band"),
        _cat("country", "country"),
        _cat("device_brand", "device brand"),
        _bin("device_price", "device price band in CNY"),
        _cat("live_operation_tag", "operation tag: Relationship, Chat, Beauty, Talent, Other"),
        _bin("fans_user_num", "number of followers (binned)"),
        _bin("fans_group_fans_num", "fan-group members (binned)"),
        _bin("follow_user_num", "accounts followed (binned)"),
        _date("first_live_timestamp", "date of the first broadcast"),
        _bin("accu_live_cnt", "lifetime number of broadcasts (binned)"),
        _bin("accu_live_duration", "lifetime broadcast time, ms (binned)"),
        _bin("accu_play_cnt", "lifetime plays (binned)"),
        _bin("accu_play_duration", "lifetime play time, ms (binned)"),
        _date("reg_timestamp", "account registration date"),
        *_onehots(),
    ),
)

ROOM = FileSchema(
    name="room",
    filename="room.csv",
    description=(
        "Live rooms (broadcasts). Not unique by live_id: a room crossing midnight appears once "
        "per p_date, duplicates differing in live_name_id (and sometimes start_timestamp)."
    ),
    key=None,  # cleaning makes live_id unique
    foreign_keys={"streamer_id": "streamer"},
    real_rows=REAL_COUNTS["room"],
    columns=(
        Column("p_date", PDATE, "int32", unit="YYYYMMDD", description="partition date",
               min_value=20250101, max_value=20251231),
        _id("live_id", "room"),
        _id("streamer_id", "streamer"),
        Column("live_type", INT, "int16", description="room type code: 1, 2, -124, ..."),
        _ts("start_timestamp", "room start"),
        _ts("end_timestamp", "room end; 2025-05-27 00:00 Beijing = still live at extraction"),
        _cat("live_content_category", "content category, e.g. shop, other", nullable=True),
        Column("live_name_id", INT, "int32", description="title id (row of title_embeddings); -1 = no title",
               min_value=-1),
    ),
)


def _event(name: str, filename: str, description: str, real_rows: int,
           extra: tuple[Column, ...] = ()) -> FileSchema:
    return FileSchema(
        name=name,
        filename=filename,
        description=description,
        key=None,  # events are not unique: repeats and tied milliseconds are real
        foreign_keys={"user_id": "user", "live_id": "room", "streamer_id": "streamer"},
        real_rows=real_rows,
        columns=(
            _id("user_id", "user"),
            _id("live_id", "room"),
            _id("streamer_id", "streamer"),
            _ts("timestamp", "event time"),
            *extra,
        ),
    )


CLICK = _event(
    "click", "click.csv", "A user entered a room from an exposure; watch_live_time is how long.",
    REAL_COUNTS["click"],
    extra=(Column("watch_live_time", DURATION_MS, "int32", unit="ms", min_value=0,
                  description="watch time of this click"),),
)
COMMENT = _event("comment", "comment.csv", "A user commented in a room.",
                 REAL_COUNTS["comment"])
LIKE = _event("like", "like.csv", "A user liked a room.", REAL_COUNTS["like"])
GIFT = _event(
    "gift", "gift.csv", "A user sent gifts in a room; gift_price is their total value.",
    REAL_COUNTS["gift"],
    extra=(Column("gift_price", PRICE, "int32", unit="platform coins", min_value=1,
                  description="total value of the gifts in this event"),),
)
NEGATIVE = _event(
    "negative", "negative.csv", "An exposure the user did not click.", REAL_COUNTS["negative"],
)

SCHEMAS: dict[str, FileSchema] = {
    s.name: s for s in (USER, STREAMER, ROOM, CLICK, COMMENT, LIKE, GIFT, NEGATIVE)
}
"""All eight CSV files, by table name, in a stable order."""

EVENT_TABLES = ("click", "comment", "like", "gift", "negative")
ENGAGEMENT_TABLES = ("comment", "like", "gift")
DIMENSION_TABLES = ("user", "streamer", "room")

TITLE_EMBEDDINGS_FILE = "title_embeddings.npy"
"""Optional: float array, row k = live_name_id k (PCA-128 of title text embeddings)."""

RENAMED_COLUMNS = {"author_id": "streamer_id"}
"""Old column names seen in earlier releases and third-party copies -> current name."""

# Known category levels (others are accepted: profile values are open sets)
AGE_BANDS = ("12-17", "18-23", "24-30", "31-40", "41-49", "50+")
DEVICE_PRICE_BANDS = ("0", "0-1000", "1000-2000", "2000-4000", "4000-5000", "5000+")


# ---------------------------------------------------------------------------------------------
# Binned ranges
# ---------------------------------------------------------------------------------------------
def parse_bin(value: str) -> tuple[float, float]:
    """Parse one binned string into ``(lower, upper)`` bounds.

    ``'1000-2000'`` -> (1000, 2000); ``'5000+'`` -> (5000, inf); ``'0'`` -> (0, 0).
    Raises ValueError for anything else (the caller adds file/column context).
    """
    s = str(value).strip()
    if s.endswith("+"):
        lo = float(s[:-1])
        return lo, float("inf")
    if "-" in s[1:]:
        i = s.index("-", 1)
        lo, hi = float(s[:i]), float(s[i + 1:])
        if hi < lo:
            raise ValueError(f"bin {value!r} has upper bound below lower bound")
        return lo, hi
    x = float(s)
    return x, x


def ordered_bins(values) -> list[str]:
    """Sort distinct bin labels by (lower, upper) bound; unparseable labels go last, sorted."""
    labels = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    good, bad = [], []
    for v in labels:
        try:
            good.append((parse_bin(v), v))
        except ValueError:
            bad.append(v)
    return [v for _, v in sorted(good)] + bad


def schema_table() -> pd.DataFrame:
    """All files and columns as one frame (for the book's data dictionary)."""
    rows = []
    for s in SCHEMAS.values():
        for c in s.columns:
            rows.append({
                "file": s.filename, "column": c.name, "kind": c.kind, "dtype": c.dtype,
                "unit": c.unit, "nullable": c.nullable, "description": c.description,
                "key": bool(s.key and c.name in s.key),
                "references": s.foreign_keys.get(c.name, ""),
            })
    return pd.DataFrame(rows)
