"""Write the funnel's reference results on a small twin (scale 0.01, seed 3):

* ``tests/data/funnel_numbers_scale0.01_seed3.json``: ``funnel.analyse(ds).numbers()``;
* ``tests/data/funnel_tables_scale0.01_seed3.pkl``: every aggregated table of the
  :class:`~kuailive_analysis.funnel.FunnelResult` (not the event-level tables).

They were produced by the pandas implementation of chapter 5 before the funnel moved into the
event engine (issue 16) and are kept as they were: ``tests/funnel/test_funnel_fixture.py``
requires the SQL path to give the same numbers and tables. Run from the repository root:
``.venv/bin/python tests/funnel/make_funnel_fixture.py`` (only to write new reference results).
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
SCALE, SEED = 0.01, 3
NUMBERS = HERE / "data" / f"funnel_numbers_scale{SCALE}_seed{SEED}.json"
TABLES = HERE / "data" / f"funnel_tables_scale{SCALE}_seed{SEED}.pkl"
ANALYSE = {"n_boot": 50}
"""Keyword arguments of ``funnel.analyse`` for the fixture (fewer replicates: a fast test)."""


def result_tables(r) -> dict:
    """The aggregated tables of a FunnelResult, by name (pandas objects)."""
    import pandas as pd

    out = {
        "unmatched": r.overview.unmatched,
        "status": r.engagements.status,
        "funnel": r.steps.funnel,
        "kpis": r.kpis.kpis,
        "units": r.steps.units,
        "session_kpis": r.kpis.session_kpis,
        "gift_values": r.kpis.gift_values,
        "clustered": r.kpis.clustered,
        "summary": r.kpis.summary,
        "daily": r.trends.daily,
        "weekly": r.trends.weekly,
        "by_screen": r.positions.by_screen,
        "by_index": r.positions.by_index,
        "positions": pd.Series({k: r.positions.numbers()[k] for k in POSITION_KEYS}),
        "watch": r.watch.table,
        "gift_trend": r.trends.gift_trend.table,
    }
    out.update({f"segments.{k}": v for k, v in r.segments.tables.items()})
    out.update({f"segment_funnels.{k}": v for k, v in r.segments.funnels.items()})
    return out


POSITION_KEYS = ("share_multi_screen", "ctr_single_screen", "ctr_multi_screen",
                 "share_repeat_exposure", "ctr_first_exposure", "ctr_repeat_exposure",
                 "median_screen_size")  # fmt: skip
"""The position summary (a Series in the fixture), in its order."""


def dataset(root: Path):
    """The small twin, generated and loaded under ``root``."""
    from kuailive_analysis.dataset import load
    from kuailive_analysis.twin import generate

    old = os.environ.get("KUAILIVE_BUILD_DIR")
    os.environ["KUAILIVE_BUILD_DIR"] = str(root / "build")
    try:
        data = generate(root / "twin", scale=SCALE, seed=SEED, progress=False)
        return load(data)
    finally:  # the caller's build folder again (the dataset keeps its cache path)
        if old is None:
            os.environ.pop("KUAILIVE_BUILD_DIR", None)
        else:
            os.environ["KUAILIVE_BUILD_DIR"] = old


def main() -> int:
    from kuailive_analysis import funnel

    with tempfile.TemporaryDirectory() as tmp:
        r = funnel.analyse(dataset(Path(tmp)), **ANALYSE)
        NUMBERS.write_text(json.dumps(r.numbers(), indent=1, sort_keys=True) + "\n")
        with open(TABLES, "wb") as f:
            pickle.dump(result_tables(r), f, protocol=4)
    print(f"wrote {NUMBERS} and {TABLES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
