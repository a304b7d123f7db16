"""Facts about the real KuaiLive files used in several modules, and the provenance package list.

:data:`REAL_COUNTS` is the one place the real row counts are written (the dataset page and its
files table, see ``shared/kuailive-facts.md``): the schema declares them per file, the twin
scales its targets from them and the fidelity page compares against them.
"""

from __future__ import annotations

import sys
from importlib import metadata

REAL_COUNTS = {
    "user": 23_772,  # rows of user.csv (= users, ids 1..23,772)
    "streamer": 452_621,  # rows of streamer.csv (= streamers, ids 1..452,621)
    "room": 11_819_964,  # rows of room.csv (a room crossing midnight has one row per p_date)
    "room_ids": 11_613_708,  # distinct live_id in room.csv (= rooms)
    "click": 4_909_515,
    "comment": 196_526,
    "like": 179_311,
    "gift": 72_646,
    "negative": 12_705_835,  # unclicked exposures
}
"""Rows of each real file (keyed by file name without ``.csv``) plus ``room_ids``, the
number of distinct rooms."""

REAL_USERS = REAL_COUNTS["user"]
"""Users in the real files: a twin's scale is ``n_users / REAL_USERS``."""
REAL_STREAMERS = REAL_COUNTS["streamer"]

REPORTED_PACKAGES = (
    "kuailive-analysis",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "duckdb",
    "sqlglot",
    "pyspark",
    "lifelines",
    "scikit-learn",
    "matplotlib",
    "papermill",
    "jupyter-book",
    "myst-nb",
)
"""Packages whose versions the book records (run manifest, chapter provenance)."""

# fmt: off
REAL_PRICE_COUNTS: tuple[int, ...] = (
    31_882, 7_858, 3_176, 1_967, 2_499, 1_150, 886, 630, 627, 4_654,
    868, 583, 318, 307, 231, 209, 155, 132, 143, 1_506,
)
# fmt: on
"""Gifts at gift_price 1, 2, ..., 20 on the real files (third-party count over all 72,646
gifts; kuailive-facts): the fidelity appendix compares with them and the twin's price menu is
built from them."""


def package_versions(packages=REPORTED_PACKAGES) -> dict[str, str]:
    """``{"python": ..., package: version}`` for the installed ``packages`` (missing ones are
    left out)."""
    out = {"python": sys.version.split()[0]}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
