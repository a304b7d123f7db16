"""Reading and validating the raw KuaiLive CSV files against :mod:`kuailive_analysis.data.schema`.

What this module guarantees for every file it returns (``read_table``):

* the columns are exactly the schema's columns, in schema order (extra columns are ignored and
  reported; a missing or renamed column, e.g. the old ``author_id``, is an error);
* ``ID`` columns are ``int32`` (>= 1, no nulls); ``INT``/``FLAG``/``PDATE``/``DURATION_MS``/
  ``PRICE`` columns have the schema's integer dtype and satisfy its bounds;
* ``EPOCH_MS`` columns are **int64 epoch milliseconds** under their file name (the tz-aware
  Asia/Shanghai views are added by :mod:`kuailive_analysis.dataset`); every value lies in the
  plausible range [2025-01-01, 2026-01-01) Beijing, which catches seconds-for-milliseconds;
* ``DATE`` columns are ``datetime64[s]`` (date at midnight, no zone);
* ``BIN`` columns are **ordered** categoricals, categories sorted by the bin's lower then upper
  bound (``'0' < '0-10' < '10-100' < '10000000+'``); ``CATEGORY`` columns are categoricals.

Unusable input raises :class:`DataError`, whose message is one paragraph naming the file, the
column and the row (1-based line number in the file, header = line 1) or value. Data-quality
problems (duplicate keys, orphan ids, streamer mismatches) are not errors: they are counted by
:func:`validate_folder` and handled by :mod:`kuailive_analysis.data.clean`.

``*.csv.gz`` files are read transparently when the plain ``.csv`` is absent; a folder holding
both ``X.csv`` and ``X.csv.gz`` is an error naming both (they may hold different data).

Whole-file checks made before parsing: the file must end with a newline (real and generated
KuaiLive files do; a last line without one is reported as truncated, with its line number,
since a cut field such as ``...,1876`` -> ``...,18`` would otherwise parse as a valid value), and
the header's column names must not carry spaces around them (diagnosed as such). Both hold on
every path that reads raw files (CLI, papermill, JupyterLab all go through :func:`read_table`).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kuailive_analysis.core.calendar import (
    CAPPED_END_MS,
    MS_PER_DAY,
    WINDOW_END_MS,
    WINDOW_START_MS,
    format_ms,
)
from kuailive_analysis.core.faults import excerpt
from kuailive_analysis.core.keys import lookup, lookup_table
from kuailive_analysis.data import schema as S

__all__ = [
    "DataError", "ValidationReport", "find_file", "read_header", "read_table", "read_tables",
    "validate_folder", "file_signature", "file_digest", "check_last_line",
]

HEADER_MAX_CHARS = 64 * 1024
"""A first line longer than this without a line break is not a CSV header (characters)."""

CHUNK = 1 << 20
"""Bytes per read when hashing or scanning a raw file (1 MiB)."""

INT_BITS = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2**31, 2**31 - 1)}


class DataError(Exception):
    """Unusable input. ``str(err)`` is one paragraph naming file, column and row or value."""

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None,
                 row: int | None = None, value: object = None):
        super().__init__(message)
        self.file, self.column, self.row, self.value = file, column, row, value


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
def find_file(data_dir: str | os.PathLike, filename: str) -> Path:
    """Path of ``filename`` in ``data_dir`` (``~`` expanded), or of ``filename + '.gz'`` if only
    that exists; DataError when both exist."""
    d = Path(os.path.expanduser(os.fspath(data_dir)))
    if not d.exists():
        raise DataError(
            f"Data folder {str(d)!r} does not exist. Pass the folder holding the eight KuaiLive "
            f"CSV files (user.csv, streamer.csv, room.csv, click.csv, comment.csv, like.csv, "
            f"gift.csv, negative.csv) or generate a synthetic twin with `kuailive sample`.",
            file=str(d))
    if not d.is_dir():
        raise DataError(f"Data folder {str(d)!r} is not a folder.", file=str(d))
    plain, gz = d / filename, d / (filename + ".gz")
    if plain.exists() and gz.exists():
        raise DataError(
            f"Both {filename} and {filename}.gz are in {str(d)!r}; they may hold different data "
            f"and no file is picked silently. Keep only one of {filename} and {filename}.gz and "
            f"retry.", file=f"{filename} and {filename}.gz")
    for cand in (plain, gz):
        if cand.exists():
            return cand
    present = sorted(p.name for p in d.iterdir() if p.name.endswith((".csv", ".csv.gz")))
    raise DataError(
        f"File {filename} is missing from {str(d)!r} (looked for {filename} and {filename}.gz). "
        f"CSV files present: {', '.join(present) or 'none'}. All eight KuaiLive files are "
        f"required.", file=filename)


def _unreadable(path: Path, exc: OSError) -> DataError:
    why = exc.strerror or type(exc).__name__
    return DataError(
        f"File {path.name} in {str(path.parent)!r} cannot be read ({why}); check its permissions. "
        f"Nothing was loaded: a cached result is never used for a file that cannot be read.",
        file=path.name)


GZIP_WORDS = ("zlib", "gzip", "inflate", "decompress", "crc check", "compressed file ended")
"""Lower-case words by which Python's gzip/zlib and pyarrow report a damaged .gz stream."""


def read_error(path: Path, exc: BaseException) -> DataError:
    """The one-line error for a file that cannot be read: a damaged ``.gz`` is named "a corrupt
    gzip file", a permission problem says so, anything else "could not be read"; the detail is
    the first line of the library's message, cut to a readable excerpt."""
    first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
    detail = excerpt(first)
    if isinstance(exc, PermissionError):
        return _unreadable(path, exc)
    if path.name.endswith(".gz") and (
        isinstance(exc, (zlib.error, gzip.BadGzipFile, EOFError))
        or any(w in str(exc).lower() for w in GZIP_WORDS)
    ):
        return DataError(
            f"File {path.name} is a corrupt gzip file ({detail}): it cannot be decompressed to "
            f"the end. Re-extract or re-download it.",
            file=path.name,
        )
    return DataError(
        f"File {path.name} could not be read ({type(exc).__name__}: {detail}). The file may be "
        f"truncated or corrupt; re-extract it.",
        file=path.name,
    )


READ_ERRORS = (OSError, EOFError, zlib.error, pa.ArrowException)
"""What reading a raw file may raise besides a parse error: I/O, a cut or damaged stream."""


def file_digest(path: Path) -> str:
    """Streaming BLAKE2b (128-bit, hex) of the file's bytes as stored (a ``.gz`` is hashed
    compressed), read in 1 MiB chunks. An unreadable file raises :class:`DataError`."""
    h = hashlib.blake2b(digest_size=16)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return h.hexdigest()


def file_signature(path: Path) -> dict:
    """Identity of a raw file's content for fingerprints and cache keys: name, size in bytes
    and :func:`file_digest` (the mtime is not used: a same-size edit with the timestamp
    restored changes the digest, a plain ``touch`` changes nothing)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return {"name": path.name, "size": size, "blake2b": file_digest(path)}


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_header(path: Path) -> list[str]:
    """Column names from the first line of ``path``; DataError if the file is empty."""
    if path.stat().st_size == 0:
        raise DataError(f"File {path.name} is empty (0 bytes); expected a header line and rows.",
                        file=path.name)
    try:
        with _open_text(path) as fh:
            line = fh.readline(HEADER_MAX_CHARS)
    except UnicodeDecodeError as exc:
        raise DataError(f"File {path.name} cannot be read as UTF-8 text ({excerpt(exc)}).",
                        file=path.name) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise read_error(path, exc) from exc
    if len(line) >= HEADER_MAX_CHARS and not line.endswith("\n"):
        raise DataError(
            f"File {path.name}: the first line is longer than {HEADER_MAX_CHARS:,} characters "
            f"without a line break ({excerpt(line)}), so it is not a CSV header; is the file a "
            f"KuaiLive CSV with one record per line?", file=path.name, row=1)
    line = line.lstrip("\ufeff").rstrip("\r\n")
    if not line.strip():
        raise DataError(f"File {path.name} is empty: its first line holds no column names.",
                        file=path.name)
    fields = line.split(",")
    spaced = [f for f in fields if f != f.strip()]
    if spaced:
        shown = excerpt(", ".join(repr(f) for f in spaced[:4]) + (", ..." if len(spaced) > 4 else ""))
        raise DataError(
            f"File {path.name}: header has spaces around column names: {shown} (line 1). "
            f"Column names must be separated by bare commas, e.g. 'user_id,live_id'; remove the "
            f"spaces in the header (and after the commas in the rows, if any) and retry.",
            file=path.name, row=1, value=spaced[0])
    return [f.strip('"') for f in fields]


def _last_bytes(path: Path) -> tuple[bytes, int | None]:
    """The (decompressed) file's last byte and, for a plain file, its size; streams a ``.gz``."""
    if path.name.endswith(".gz"):
        last = b""
        try:
            with gzip.open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    last = chunk[-1:]
        except (OSError, EOFError, zlib.error) as exc:
            raise read_error(path, exc) from exc
        return last, None
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return b"", 0
        fh.seek(size - 1)
        return fh.read(1), size


def _last_line(path: Path) -> tuple[int, str]:
    """(1-based number, text) of the file's last line (error path only: reads the file)."""
    n, tail = 0, b""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                n += chunk.count(b"\n")
                tail = (tail + chunk)[-4096:]
    except (OSError, EOFError, zlib.error) as exc:
        raise read_error(path, exc) from exc
    return n + 1, tail.rsplit(b"\n", 1)[-1].decode("utf-8", "replace").rstrip("\r")


def check_last_line(path: Path) -> None:
    """DataError unless ``path`` ends with a newline: the last line of a KuaiLive file is checked
    like any other, and one without its newline may have been cut mid-field (a truncated
    download: ``...,1876`` -> ``...,18`` still parses), so it is reported, with its line number."""
    last, _ = _last_bytes(path)
    if last in (b"", b"\n"):
        return
    row, text = _last_line(path)
    if row == 1:
        raise DataError(f"File {path.name} has a header but no data rows (and no newline after "
                        f"the header).", file=path.name, row=1)
    raise DataError(
        f"File {path.name} is truncated: the last line (line {row}, {excerpt(text[-80:])!r}) has no "
        f"newline at the end. Real and generated KuaiLive files end with a newline, so its last "
        f"field may be cut (an interrupted download or copy); re-extract or re-download the "
        f"file.", file=path.name, row=row, value=text)


def _check_columns(sch: S.FileSchema, header: list[str], path: Path) -> list[str]:
    """DataError for missing/renamed columns; returns the extra columns (ignored)."""
    missing = [c for c in sch.column_names if c not in header]
    if missing:
        col = missing[0]
        renamed = [old for old, new in S.RENAMED_COLUMNS.items() if new == col and old in header]
        if renamed:
            msg = (f"File {path.name}: column {col!r} is missing but the file has the old column "
                   f"name {renamed[0]!r}. This looks like an earlier release or a third-party "
                   f"copy of KuaiLive; rename {renamed[0]!r} to {col!r} in the header and retry.")
        else:
            if len(missing) == len(sch.column_names):  # no header (e.g. one long line)
                also = " (none of the expected columns is in the header)"
            else:
                also = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
            msg = (f"File {path.name}: required column {col!r} is missing{also}"
                   + f". Expected columns: {', '.join(sch.column_names)}; found: "
                   f"{excerpt(', '.join(header), 300)}.")
        raise DataError(msg, file=path.name, column=col)
    return [c for c in header if c not in sch.column_names]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def _arrow_type(col: S.Column) -> pa.DataType:
    if col.kind in (S.ID, S.EPOCH_MS, S.INT, S.FLAG, S.DURATION_MS, S.PRICE, S.PDATE):
        return pa.int64()
    if col.kind == S.DATE:
        return pa.string()
    return pa.dictionary(pa.int32(), pa.string())


def _locate_bad_value(path: Path, sch: S.FileSchema, col: str, value: str) -> int | None:
    """1-based line number of the first row whose ``col`` equals ``value`` (error path only)."""
    try:
        t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            include_columns=[col], column_types={col: pa.string()}))
        arr = t.column(col).to_numpy(zero_copy_only=False)
        hit = np.flatnonzero(arr == value)
        return int(hit[0]) + 2 if hit.size else None
    except Exception:  # noqa: BLE001 - best effort on an already failing file
        return None


def _locate_line(path: Path, text: str) -> int | None:
    """1-based line number of the first line equal to ``text`` (error path only)."""
    with _open_text(path) as fh:
        for i, line in enumerate(fh, start=1):
            if line.rstrip("\r\n") == text:
                return i
    return None


def _arrow_error(exc: Exception, path: Path, sch: S.FileSchema, names: list[str]) -> DataError:
    msg = str(exc)
    m = re.search(r"column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'", msg)
    if m:
        idx, typ, val = int(m.group(1)), m.group(2), m.group(3)
        col = names[idx] if idx < len(names) else f"#{idx}"
        row = _locate_bad_value(path, sch, col, val)
        kind = sch.column(col).kind if col in sch.column_names else "?"
        where = f" on line {row}" if row else ""
        return DataError(
            f"File {path.name}, column {col!r}{where}: value {excerpt(val)!r} is not an integer, but "
            f"{col} is a {kind} column holding integers"
            + (" (epoch milliseconds)" if kind == S.EPOCH_MS else "")
            + ". Check that the file is a KuaiLive export and that the columns are not shifted.",
            file=path.name, column=col, row=row, value=val)
    m = re.search(r"Expected (\d+) columns, got (\d+): (.*)", msg, re.S)
    if m:
        text = m.group(3).strip()
        row = _locate_line(path, text)
        where = f" line {row}" if row else " a line"
        return DataError(
            f"File {path.name} is malformed:{where} has {m.group(2)} fields where the header has "
            f"{m.group(1)} ({excerpt(text, 80)!r}). The file may be truncated or have an unquoted comma; "
            f"fix or re-extract it.", file=path.name, row=row, value=text)
    return DataError(f"File {path.name} could not be parsed as CSV: "
                     f"{excerpt(msg.splitlines()[0] if msg.strip() else type(exc).__name__)}",
                     file=path.name)


def _first_row(mask: np.ndarray) -> int:
    """1-based file line number of the first True in ``mask`` (header is line 1)."""
    return int(np.flatnonzero(mask)[0]) + 2


def read_table(data_dir: str | os.PathLike, name: str, *,
               columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read one KuaiLive file (``name`` as in :data:`schema.SCHEMAS`), checked and typed.

    ``columns`` restricts to a subset (schema order kept). See the module docstring for the
    guarantees; any violation raises :class:`DataError`.
    """
    sch = S.SCHEMAS[name]
    path = find_file(data_dir, sch.filename)
    header = read_header(path)
    _check_columns(sch, header, path)
    check_last_line(path)
    want = [c for c in sch.column_names if columns is None or c in set(columns)]
    types = {c: _arrow_type(sch.column(c)) for c in want}
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=want, column_types=types, strings_can_be_null=True,
                quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise _arrow_error(exc, path, sch, header) from exc
    except READ_ERRORS as exc:  # e.g. a truncated or corrupt .gz
        raise read_error(path, exc) from exc
    if table.num_rows == 0:
        raise DataError(f"File {path.name} has a header but no data rows.", file=path.name)
    out = {}
    for cname in want:  # convert column by column, releasing each Arrow column when done
        out[cname] = _convert_column(sch.column(cname), table.column(cname), path)
        table = table.drop_columns([cname])
    return pd.DataFrame(out, copy=False)


def _convert_column(col: S.Column, arr: pa.ChunkedArray, path: Path) -> pd.Series:
    n_null = arr.null_count
    if n_null and not col.nullable:
        mask = arr.is_null().to_numpy(zero_copy_only=False)
        raise DataError(
            f"File {path.name}, column {col.name!r}: {n_null:,} empty value(s), first on line "
            f"{_first_row(mask)}; {col.name} may not be empty.",
            file=path.name, column=col.name, row=_first_row(mask))
    if col.kind in (S.ID, S.EPOCH_MS, S.INT, S.FLAG, S.DURATION_MS, S.PRICE, S.PDATE):
        if n_null:  # nullable integer column: keep a nullable integer dtype
            values = arr.to_pandas().astype("Int64")
            vals = values.to_numpy(dtype="float64", na_value=np.nan)
        else:
            vals = arr.to_numpy()
        _check_bounds(col, vals, path)
        if col.kind == S.EPOCH_MS:
            return pd.Series(vals.astype("int64", copy=False), name=col.name)
        dtype = col.dtype
        if dtype in INT_BITS:
            lo, hi = INT_BITS[dtype]
            bad = (vals < lo) | (vals > hi)
            if bad.any():
                raise DataError(
                    f"File {path.name}, column {col.name!r}, line {_first_row(bad)}: value "
                    f"{vals[bad][0]:.0f} does not fit {dtype}.", file=path.name,
                    column=col.name, row=_first_row(bad), value=vals[bad][0])
        if n_null:
            return pd.Series(values.astype(dtype.capitalize()), name=col.name)
        return pd.Series(vals.astype(dtype), name=col.name)
    if col.kind == S.DATE:
        s = arr.to_pandas()
        d = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
        bad = d.isna().to_numpy() & s.notna().to_numpy()
        if bad.any():
            raise DataError(
                f"File {path.name}, column {col.name!r}, line {_first_row(bad)}: value "
                f"{s[bad].iloc[0]!r} is not a YYYY-MM-DD date.", file=path.name,
                column=col.name, row=_first_row(bad), value=s[bad].iloc[0])
        return d.astype("datetime64[s]").rename(col.name)
    # BIN / CATEGORY: dictionary-encoded strings -> categorical
    s = arr.to_pandas()
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    s = s.cat.remove_unused_categories()
    if col.kind == S.BIN:
        s = s.cat.reorder_categories(S.ordered_bins(s.cat.categories), ordered=True)
    return s.rename(col.name)


def _check_bounds(col: S.Column, vals: np.ndarray, path: Path) -> None:
    with np.errstate(invalid="ignore"):
        for bound, op, word in ((col.min_value, np.less, "below"),
                                (col.max_value, np.greater, "above")):
            if bound is None:
                continue
            bad = op(vals, bound)
            if not bad.any():
                continue
            v = vals[bad][0]
            row = _first_row(bad)
            if col.kind == S.EPOCH_MS:
                when = format_ms(v)
                msg = (f"File {path.name}, column {col.name!r}, line {row}: timestamp {v:.0f} "
                       f"({when} Beijing) is outside any plausible KuaiLive window "
                       f"(2025-01-01 .. 2026-01-01). Timestamps must be epoch milliseconds; "
                       f"seconds or microseconds give this error.")
            elif col.kind == S.DURATION_MS:
                msg = (f"File {path.name}, column {col.name!r}, line {row}: negative watch time "
                       f"{v:.0f} ms; durations must be >= 0.")
            elif col.kind == S.PRICE:
                msg = (f"File {path.name}, column {col.name!r}, line {row}: price {v:.0f} is "
                       f"{word} the minimum {bound:g}; gift prices are positive integers.")
            else:
                msg = (f"File {path.name}, column {col.name!r}, line {row}: value {v:.0f} is "
                       f"{word} the allowed {'minimum' if word == 'below' else 'maximum'} "
                       f"{bound:g} for {col.kind} column {col.name}.")
            raise DataError(msg, file=path.name, column=col.name, row=row, value=v)


def read_tables(data_dir: str | os.PathLike, names: Iterable[str] | None = None, *,
                progress: bool = False) -> dict[str, pd.DataFrame]:
    """Read several files (default all eight) with :func:`read_table`; tqdm bar if ``progress``."""
    names = list(names or S.SCHEMAS)
    it = names
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(names, desc="read csv", unit="file")
    return {n: read_table(data_dir, n) for n in it}


# ---------------------------------------------------------------------------------------------
# Validation report
# ---------------------------------------------------------------------------------------------
@dataclass
class ValidationReport:
    """Result of :func:`validate_folder`.

    ``files``: one row per file (rows, columns, first/last time in Beijing time);
    ``checks``: one row per key or quality check (check, table, count, severity, detail).
    ``ok`` is True when every file could be read; quality findings never make it False.
    """

    data_dir: Path
    files: pd.DataFrame
    checks: pd.DataFrame
    extra_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.checks["severity"] == "error").any()

    def to_text(self) -> str:
        lines = [f"KuaiLive data folder: {self.data_dir}", "", "Files (times in Beijing time):"]
        f = self.files.copy()
        lines.append(f.to_string(index=False))
        lines += ["", "Checks:"]
        c = self.checks.copy()
        c["count"] = c["count"].map(lambda v: f"{v:,}")
        lines.append(c.to_string(index=False))
        for k, v in self.extra_columns.items():
            if v:
                lines.append(f"note: {k} has extra columns ignored: {', '.join(v)}")
        lines += ["", "Usable: yes" if self.ok else "Usable: NO"]
        return "\n".join(lines)


def quality_checks(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Key and data-quality counts on raw tables (vectorised; nothing is dropped).

    Returns rows (check, table, count, severity, detail); severity is 'ok' when count is 0,
    else 'warning' (data quality, handled by cleaning).
    """
    from kuailive_analysis.data.clean import duplicate_rows  # clean does not import io

    rows = []

    def add(check, table, count, detail):
        rows.append({"check": check, "table": table, "count": int(count),
                     "severity": "ok" if count == 0 else "warning", "detail": detail})

    for name, key in (("user", "user_id"), ("streamer", "streamer_id")):
        if name in tables:
            add("duplicate key", name, tables[name][key].duplicated().sum(),
                f"rows sharing a {key} (must be unique)")
    room = tables.get("room")
    if room is not None:
        n_dup = room["live_id"].duplicated().sum()
        add("duplicate live_id rows", "room", n_dup,
            "extra rows per live_id (rooms crossing midnight appear once per p_date)")
        dur = room["end_timestamp"].to_numpy() - room["start_timestamp"].to_numpy()
        add("end before start", "room", (dur < 0).sum(), "rooms whose end precedes the start")
        add("longer than 1 day", "room", (dur > MS_PER_DAY).sum(), "room rows over 24 h")
        add("end capped (still live)", "room",
            (room["end_timestamp"].to_numpy() >= CAPPED_END_MS).sum(),
            "end_timestamp at the 2025-05-27 cap = right-censored")
        if "streamer" in tables:
            add("orphan streamer_id", "room",
                (~lookup(lookup_table(tables["streamer"]["streamer_id"].to_numpy()),
                               room["streamer_id"].to_numpy())).sum(),
                "streamer_id not in streamer.csv")
        room_streamer = lookup_table(room["live_id"].to_numpy(), room["streamer_id"].to_numpy())
    user_known = lookup_table(tables["user"]["user_id"].to_numpy()) if "user" in tables else None
    streamer_known = (lookup_table(tables["streamer"]["streamer_id"].to_numpy())
                      if "streamer" in tables else None)
    for name in S.EVENT_TABLES:
        ev = tables.get(name)
        if ev is None:
            continue
        add("exact duplicate rows", name, duplicate_rows(ev).sum(), "identical rows")
        ts = ev["timestamp"].to_numpy()
        add("outside window", name, ((ts < WINDOW_START_MS) | (ts >= WINDOW_END_MS)).sum(),
            "timestamp outside 2025-05-05 .. 2025-05-25 Beijing")
        if room is not None:
            rs = lookup(room_streamer, ev["live_id"].to_numpy())
            add("orphan live_id", name, (rs == 0).sum(), "live_id not in room.csv")
            add("streamer mismatch", name, ((rs != 0) & (rs != ev["streamer_id"].to_numpy())).sum(),
                "streamer_id differs from the room's streamer_id")
        if user_known is not None:
            add("orphan user_id", name, (~lookup(user_known, ev["user_id"].to_numpy())).sum(),
                "user_id not in user.csv")
        if streamer_known is not None:
            add("orphan streamer_id", name,
                (~lookup(streamer_known, ev["streamer_id"].to_numpy())).sum(),
                "streamer_id not in streamer.csv")
    return pd.DataFrame(rows, columns=["check", "table", "count", "severity", "detail"])


def file_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows, columns and time range (Beijing time) per raw table."""
    out = []
    for name, df in tables.items():
        sch = S.SCHEMAS[name]
        tcols = [c.name for c in sch.columns if c.kind == S.EPOCH_MS and c.name in df]
        first = last = ""
        if tcols:
            lo = min(int(df[c].min()) for c in tcols)
            hi = max(int(df[c].max()) for c in tcols)
            first, last = format_ms(lo), format_ms(hi)
        out.append({"file": sch.filename, "rows": len(df), "columns": df.shape[1],
                    "first time": first, "last time": last})
    return pd.DataFrame(out)


def validate_folder(data_dir: str | os.PathLike, *, progress: bool = False) -> ValidationReport:
    """Check a KuaiLive folder against the schema.

    Raises :class:`DataError` for unusable input (see :func:`read_table`). Otherwise returns a
    :class:`ValidationReport` with rows per file, time range in Beijing time and the key and
    data-quality counts of :func:`quality_checks`.
    """
    data_dir = Path(os.path.abspath(os.path.expanduser(os.fspath(data_dir))))
    extras = {}
    for sch in S.SCHEMAS.values():  # fail fast on headers before reading any body
        path = find_file(data_dir, sch.filename)
        extras[sch.filename] = _check_columns(sch, read_header(path), path)
    tables = read_tables(data_dir, progress=progress)
    return ValidationReport(data_dir=data_dir, files=file_summary(tables),
                            checks=quality_checks(tables), extra_columns=extras)
