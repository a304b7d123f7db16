"""The value rules of the raw KuaiLive files and the one-line message of each violation.

:func:`kuailive_analysis.data.io.read_batches` applies them batch by batch: a non-nullable
column holds no empty value, an integer column the schema's bounds
(:attr:`~kuailive_analysis.data.schema.Column.min_value` / ``max_value``) and its dtype's width,
a ``DATE`` column ``YYYY-MM-DD`` strings. Every message is one paragraph naming the file, the
column, the 1-based line of the file (header = line 1) and the value.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kuailive_analysis.core.calendar import format_ms
from kuailive_analysis.core.faults import excerpt
from kuailive_analysis.data import schema as S

__all__ = [
    "INT_BITS",
    "INT_KINDS",
    "DataError",
    "check_values",
    "null_error",
    "parse_error",
    "read_type",
    "stage_type",
]

INT_KINDS = (S.ID, S.EPOCH_MS, S.INT, S.FLAG, S.DURATION_MS, S.PRICE, S.PDATE)
"""Column kinds held as integers."""

INT_BITS = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-(2**31), 2**31 - 1)}
"""Value range of each narrow integer dtype of the schema."""


class DataError(Exception):
    """Unusable input. ``str(err)`` is one paragraph naming file, column and row or value."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
    ):
        super().__init__(message)
        self.file, self.column, self.row, self.value = file, column, row, value


def read_type(col: S.Column) -> pa.DataType:
    """The Arrow type a raw column is parsed as (integers wide, so bounds can be checked)."""
    if col.kind in INT_KINDS:
        return pa.int64()
    if col.kind == S.DATE:
        return pa.string()
    return pa.dictionary(pa.int32(), pa.string())


def stage_type(col: S.Column) -> pa.DataType:
    """The Arrow type of a checked raw column: the schema's integer dtype (epoch ms int64),
    else the read type."""
    if col.kind == S.EPOCH_MS:
        return pa.int64()
    if col.kind in INT_KINDS:
        return pa.from_numpy_dtype(np.dtype(col.dtype))
    return read_type(col)


def first_row(mask: np.ndarray, offset: int = 0) -> int:
    """1-based file line of the first True in ``mask`` (header = line 1; ``offset``: rows of
    the file before the batch)."""
    return int(np.flatnonzero(mask)[0]) + 2 + offset


def null_error(col: S.Column, path: Path, n_null: int, line: int) -> DataError:
    """``n_null`` empty values in a column that may not have any, the first on ``line``."""
    return DataError(
        f"File {path.name}, column {col.name!r}: {n_null:,} empty value(s), first on line "
        f"{line}; {col.name} may not be empty.",
        file=path.name,
        column=col.name,
        row=line,
    )


def _needs_check(col: S.Column, arr: pa.Array) -> bool:
    """True when ``arr`` may break a bound or the width of an integer column (or is a date)."""
    if col.kind == S.DATE:
        return True
    if col.kind not in INT_KINDS or len(arr) == arr.null_count:
        return False
    mm = pc.min_max(arr)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if col.min_value is not None and lo < col.min_value:
        return True
    if col.max_value is not None and hi > col.max_value:
        return True
    if col.kind != S.EPOCH_MS and col.dtype in INT_BITS:
        a, b = INT_BITS[col.dtype]
        return lo < a or hi > b
    return False


def check_values(col: S.Column, arr: pa.Array, path: Path, offset: int) -> None:
    """Raise :class:`DataError` for the first value of ``arr`` (a batch of column ``col``,
    read as :func:`read_type`, ``offset`` rows after the header) that breaks a date format, a
    bound or the integer width; nulls are checked by the caller."""
    if not _needs_check(col, arr):
        return
    if col.kind == S.DATE:
        s = arr.to_pandas()
        d = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
        bad = d.isna().to_numpy() & s.notna().to_numpy()
        if bad.any():
            row = first_row(bad, offset)
            raise DataError(
                f"File {path.name}, column {col.name!r}, line {row}: value "
                f"{s[bad].iloc[0]!r} is not a YYYY-MM-DD date.",
                file=path.name,
                column=col.name,
                row=row,
                value=s[bad].iloc[0],
            )
        return
    vals = arr.to_numpy(zero_copy_only=False)  # float with NaN where a value is empty
    _check_bounds(col, vals, path, offset)
    if col.kind != S.EPOCH_MS and col.dtype in INT_BITS:
        lo, hi = INT_BITS[col.dtype]
        bad = (vals < lo) | (vals > hi)
        if bad.any():
            row = first_row(bad, offset)
            raise DataError(
                f"File {path.name}, column {col.name!r}, line {row}: value "
                f"{vals[bad][0]:.0f} does not fit {col.dtype}.",
                file=path.name,
                column=col.name,
                row=row,
                value=vals[bad][0],
            )


def _check_bounds(col: S.Column, vals: np.ndarray, path: Path, offset: int) -> None:
    with np.errstate(invalid="ignore"):
        for bound, op, word in (
            (col.min_value, np.less, "below"),
            (col.max_value, np.greater, "above"),
        ):
            if bound is None:
                continue
            bad = op(vals, bound)
            if not bad.any():
                continue
            v = vals[bad][0]
            row = first_row(bad, offset)
            where = f"File {path.name}, column {col.name!r}, line {row}"
            if col.kind == S.EPOCH_MS:
                msg = (
                    f"{where}: timestamp {v:.0f} ({format_ms(v)} Beijing) is outside any "
                    f"plausible KuaiLive window (2025-01-01 .. 2026-01-01). Timestamps must be "
                    f"epoch milliseconds; seconds or microseconds give this error."
                )
            elif col.kind == S.DURATION_MS:
                msg = f"{where}: negative watch time {v:.0f} ms; durations must be >= 0."
            elif col.kind == S.PRICE:
                msg = (
                    f"{where}: price {v:.0f} is {word} the minimum {bound:g}; gift prices are "
                    f"positive integers."
                )
            else:
                msg = (
                    f"{where}: value {v:.0f} is {word} the allowed "
                    f"{'minimum' if word == 'below' else 'maximum'} {bound:g} for {col.kind} "
                    f"column {col.name}."
                )
            raise DataError(msg, file=path.name, column=col.name, row=row, value=v)


def _locate_bad_value(path: Path, col: str, value: str) -> int | None:
    """1-based line number of the first row whose ``col`` equals ``value`` (error path only)."""
    try:
        t = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=[col], column_types={col: pa.string()}
            ),
        )
        arr = t.column(col).to_numpy(zero_copy_only=False)
        hit = np.flatnonzero(arr == value)
        return int(hit[0]) + 2 if hit.size else None
    except Exception:  # noqa: BLE001 - best effort on an already failing file
        return None


def _locate_line(path: Path, text: str) -> int | None:
    """1-based line number of the first line equal to ``text`` (error path only)."""
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for i, line in enumerate(fh, start=1):
            if line.rstrip("\r\n") == text:
                return i
    return None


def parse_error(exc: Exception, path: Path, sch: S.FileSchema, names: list[str]) -> DataError:
    """The :class:`DataError` for a CSV parse failure of pyarrow (``exc``) on file ``path``
    with header ``names``: a value that is not an integer, a line with the wrong number of
    fields (both with their line), or the parser's first line of message."""
    msg = str(exc)
    m = re.search(r"column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'", msg)
    if m:
        idx, val = int(m.group(1)), m.group(3)
        col = names[idx] if idx < len(names) else f"#{idx}"
        row = _locate_bad_value(path, col, val)
        kind = sch.column(col).kind if col in sch.column_names else "?"
        where = f" on line {row}" if row else ""
        return DataError(
            f"File {path.name}, column {col!r}{where}: value {excerpt(val)!r} is not an integer, "
            f"but {col} is a {kind} column holding integers"
            + (" (epoch milliseconds)" if kind == S.EPOCH_MS else "")
            + ". Check that the file is a KuaiLive export and that the columns are not shifted.",
            file=path.name,
            column=col,
            row=row,
            value=val,
        )
    m = re.search(r"Expected (\d+) columns, got (\d+): (.*)", msg, re.S)
    if m:
        text = m.group(3).strip()
        row = _locate_line(path, text)
        where = f" line {row}" if row else " a line"
        return DataError(
            f"File {path.name} is malformed:{where} has {m.group(2)} fields where the header has "
            f"{m.group(1)} ({excerpt(text, 80)!r}). The file may be truncated or have an unquoted "
            f"comma; fix or re-extract it.",
            file=path.name,
            row=row,
            value=text,
        )
    first = msg.splitlines()[0] if msg.strip() else type(exc).__name__
    return DataError(
        f"File {path.name} could not be parsed as CSV: {excerpt(first)}", file=path.name
    )
