"""The cleaning report's row accounting: one :class:`Step` per (rule, table).

Each rule of :mod:`kuailive_analysis.engine.queries.cleaning` reports, per table, the rows it
received, dropped and flagged (kept but marked or counted); the rows it passes on are

.. math::

    \\text{rows\\_out} = \\text{rows\\_in} - \\text{rows\\_dropped},

and per table each rule's ``rows_in`` is the previous rule's ``rows_out``, from the raw file's
rows to the clean table's (:func:`check_report`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["REPORT_COLUMNS", "Step", "check_report", "report_frame", "report_numbers"]

REPORT_COLUMNS = ["rule", "table", "rows_in", "rows_dropped", "rows_flagged", "rows_out"]
"""Columns of the cleaning report (``Dataset.report``)."""


@dataclass(frozen=True)
class Step:
    """Row accounting of one rule on one table."""

    rule: str
    table: str
    rows_in: int
    rows_dropped: int
    rows_flagged: int = 0

    @property
    def rows_out(self) -> int:
        return self.rows_in - self.rows_dropped

    def as_row(self) -> dict:
        return {
            "rule": self.rule,
            "table": self.table,
            "rows_in": self.rows_in,
            "rows_dropped": self.rows_dropped,
            "rows_flagged": self.rows_flagged,
            "rows_out": self.rows_out,
        }


def report_frame(steps: list[Step]) -> pd.DataFrame:
    """The cleaning report of ``steps``: :data:`REPORT_COLUMNS`, counts as int64."""
    report = pd.DataFrame([s.as_row() for s in steps], columns=REPORT_COLUMNS)
    return report.astype({c: "int64" for c in REPORT_COLUMNS[2:]})


def check_report(
    report: pd.DataFrame,
    raw_rows: dict[str, int] | None = None,
    clean_rows: dict[str, int] | None = None,
) -> None:
    """Raise AssertionError unless the report adds up: ``rows_out = rows_in - rows_dropped``
    for every rule, chained per table, and (if given) each table's first ``rows_in`` equals its
    raw row count and its last ``rows_out`` its clean row count.

    Parameters
    ----------
    report : pandas.DataFrame
        A cleaning report (:data:`REPORT_COLUMNS`).
    raw_rows, clean_rows : dict of str to int, optional
        Rows of each raw file and of each clean table, by raw table name.
    """
    for table, g in report.groupby("table", sort=False):
        r_in, r_drop, r_out = (g[c].to_numpy() for c in ("rows_in", "rows_dropped", "rows_out"))
        if not (r_out == r_in - r_drop).all() or not (r_in[1:] == r_out[:-1]).all():
            raise AssertionError(f"cleaning report does not add up for table {table}")
        if raw_rows and table in raw_rows and r_in[0] != raw_rows[table]:
            raise AssertionError(f"{table}: report starts at {r_in[0]}, raw has {raw_rows[table]}")
        if clean_rows and table in clean_rows and r_out[-1] != clean_rows[table]:
            raise AssertionError(
                f"{table}: report ends at {r_out[-1]}, clean has {clean_rows[table]}"
            )


def report_numbers(report: pd.DataFrame) -> dict[str, float]:
    """Flat numbers of a cleaning report, by name.

    Returns
    -------
    dict
        ``<rule>_<table>_dropped`` / ``_flagged`` (counts), ``<table>_in`` / ``<table>_out``
        (raw and clean rows) and ``<table>_kept_share`` (out / in) for every table.
    """
    out: dict[str, float] = {}
    for r in report.itertuples(index=False):  # a few dozen report rows, not events
        out[f"{r.rule}_{r.table}_dropped"] = int(r.rows_dropped)
        out[f"{r.rule}_{r.table}_flagged"] = int(r.rows_flagged)
    for table, g in report.groupby("table", sort=False):
        out[f"{table}_in"] = int(g["rows_in"].iloc[0])
        out[f"{table}_out"] = int(g["rows_out"].iloc[-1])
        out[f"{table}_kept_share"] = out[f"{table}_out"] / max(out[f"{table}_in"], 1)
    return out
