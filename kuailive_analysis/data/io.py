"""The one reader of the raw KuaiLive CSV files: :func:`read_batches`.

Every path that reads a raw file goes through it: the cache build and ``kuailive validate``
(:mod:`kuailive_analysis.engine.ingest`, on DuckDB and on Spark), :func:`read_table` (the same
batches as one pandas frame, for the small profile files and the fidelity measurement).

What a file must satisfy, checked before a batch is handed out:

* the file exists as ``X.csv`` or ``X.csv.gz`` (not both: they may hold different data), is
  readable, is not empty, and ends with a newline (a last line without one is reported as
  truncated, with its line number, since a cut field such as ``...,1876`` -> ``...,18`` would
  otherwise parse as a valid value);
* the header names every schema column (extra columns are ignored; a missing or renamed
  column, e.g. the old ``author_id``, is an error), with no spaces around the names;
* every line has the header's number of fields and every integer column parses as integers;
* the rules of :mod:`kuailive_analysis.data.checks`: no empty value where the schema forbids
  one, integer bounds (``EPOCH_MS`` within [2025-01-01, 2026-01-01) Beijing, which catches
  seconds-for-milliseconds) and widths, ``YYYY-MM-DD`` dates.

Unusable input raises :class:`DataError`, one paragraph naming the file, the column, the
1-based line of the file (header = line 1) and the value. Data-quality problems (duplicate
keys, orphan ids, streamer mismatches) are not errors: the cleaning rules of
:mod:`kuailive_analysis.engine.queries.cleaning` count them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import time
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kuailive_analysis.core.faults import excerpt
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.checks import (
    DataError,
    check_values,
    first_row,
    null_error,
    parse_error,
    read_type,
    stage_type,
)

__all__ = [
    "DataError",
    "check_columns",
    "check_last_line",
    "file_digest",
    "file_signature",
    "find_file",
    "read_batches",
    "read_error",
    "read_header",
    "read_table",
    "to_frame",
]

HEADER_MAX_CHARS = 64 * 1024
"""A first line longer than this without a line break is not a CSV header (characters)."""

CHUNK = 1 << 20
"""Bytes per read when hashing or scanning a raw file (1 MiB)."""

BLOCK_SIZE = 16 << 20
"""Bytes of CSV per batch of :func:`read_batches` (about 200 000 room rows)."""

GZIP_WORDS = ("zlib", "gzip", "inflate", "decompress", "crc check", "compressed file ended")
"""Lower-case words by which Python's gzip/zlib and pyarrow report a damaged .gz stream."""

READ_ERRORS = (OSError, EOFError, zlib.error, pa.ArrowException)
"""What reading a raw file may raise besides a parse error: I/O, a cut or damaged stream."""


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
            file=str(d),
        )
    if not d.is_dir():
        raise DataError(f"Data folder {str(d)!r} is not a folder.", file=str(d))
    plain, gz = d / filename, d / (filename + ".gz")
    if plain.exists() and gz.exists():
        raise DataError(
            f"Both {filename} and {filename}.gz are in {str(d)!r}; they may hold different data "
            f"and no file is picked silently. Keep only one of {filename} and {filename}.gz and "
            f"retry.",
            file=f"{filename} and {filename}.gz",
        )
    for cand in (plain, gz):
        if cand.exists():
            return cand
    present = sorted(p.name for p in d.iterdir() if p.name.endswith((".csv", ".csv.gz")))
    raise DataError(
        f"File {filename} is missing from {str(d)!r} (looked for {filename} and {filename}.gz). "
        f"CSV files present: {', '.join(present) or 'none'}. All eight KuaiLive files are "
        f"required.",
        file=filename,
    )


def _unreadable(path: Path, exc: OSError) -> DataError:
    why = exc.strerror or type(exc).__name__
    return DataError(
        f"File {path.name} in {str(path.parent)!r} cannot be read ({why}); check its permissions. "
        f"Nothing was loaded: a cached result is never used for a file that cannot be read.",
        file=path.name,
    )


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


DIGEST_SETTLED_S = 5.0
"""A file whose inode last changed at least this many seconds ago has its digest remembered
(:func:`file_digest`); a younger one is hashed every time. Timestamps tick coarsely (a few
milliseconds), so an edit right after a hash could keep the change time it had: the "racy
clean" case that git handles the same way."""


def _digest_memo(path: Path, st: os.stat_result) -> Path:
    """Where the digest of ``path`` in the state ``st`` is remembered: a file named by the
    SHA-256 of the absolute path, size, inode, device and the modification and change times
    (ns) under ``<cache root>/digests``. The change time moves on every write, ``chmod`` or
    ``touch`` and cannot be set back, so an edited file never finds an old digest."""
    from kuailive_analysis import config

    key = f"{path.resolve()}|{st.st_size}|{st.st_ino}|{st.st_dev}|{st.st_mtime_ns}|{st.st_ctime_ns}"
    return config.cache_root() / "digests" / hashlib.sha256(key.encode()).hexdigest()


def file_digest(path: Path) -> str:
    """Streaming BLAKE2b (128-bit, hex) of the file's bytes as stored (a ``.gz`` is hashed
    compressed), read in 1 MiB chunks. An unreadable file raises :class:`DataError`.

    Every chapter's ``load`` and the book runner identify the data by these digests; reading
    the files each time (1.5 GB at full scale, 2-3 s per reading) is done once: the digest of
    a settled file (:data:`DIGEST_SETTLED_S`) is remembered (:func:`_digest_memo`) and reused
    while the file's size, inode and times are unchanged."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    memo = _digest_memo(path, st)
    try:
        known = memo.read_text().strip()
        if len(known) == 32 and os.access(path, os.R_OK):
            return known
    except OSError:
        pass
    h = hashlib.blake2b(digest_size=16)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    digest = h.hexdigest()
    if time.time() - st.st_ctime >= DIGEST_SETTLED_S:
        try:  # written whole or not at all: a reader never sees half a digest
            memo.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo.with_name(f"{memo.name}.tmp-{os.getpid()}")
            tmp.write_text(digest)
            os.replace(tmp, memo)
        except OSError:
            pass  # a build folder we cannot write: hash again next time
    return digest


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


def read_header(path: Path) -> list[str]:
    """Column names from the first line of ``path``; DataError if the file is empty."""
    if path.stat().st_size == 0:
        raise DataError(
            f"File {path.name} is empty (0 bytes); expected a header line and rows.",
            file=path.name,
        )
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as fh:
            line = fh.readline(HEADER_MAX_CHARS)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"File {path.name} cannot be read as UTF-8 text ({excerpt(exc)}).", file=path.name
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise read_error(path, exc) from exc
    if len(line) >= HEADER_MAX_CHARS and not line.endswith("\n"):
        raise DataError(
            f"File {path.name}: the first line is longer than {HEADER_MAX_CHARS:,} characters "
            f"without a line break ({excerpt(line)}), so it is not a CSV header; is the file a "
            f"KuaiLive CSV with one record per line?",
            file=path.name,
            row=1,
        )
    line = line.lstrip("\ufeff").rstrip("\r\n")
    if not line.strip():
        raise DataError(
            f"File {path.name} is empty: its first line holds no column names.", file=path.name
        )
    fields = line.split(",")
    spaced = [f for f in fields if f != f.strip()]
    if spaced:
        more = ", ..." if len(spaced) > 4 else ""
        shown = excerpt(", ".join(repr(f) for f in spaced[:4]) + more)
        raise DataError(
            f"File {path.name}: header has spaces around column names: {shown} (line 1). "
            f"Column names must be separated by bare commas, e.g. 'user_id,live_id'; remove the "
            f"spaces in the header (and after the commas in the rows, if any) and retry.",
            file=path.name,
            row=1,
            value=spaced[0],
        )
    return [f.strip('"') for f in fields]


def _scan(path: Path):
    """The (decompressed) bytes of ``path`` in chunks; a read failure is a :class:`DataError`."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    except (OSError, EOFError, zlib.error) as exc:
        raise read_error(path, exc) from exc


def _last_byte(path: Path) -> bytes:
    """The (decompressed) file's last byte; streams a ``.gz``."""
    if path.name.endswith(".gz"):
        last = b""
        for chunk in _scan(path):
            last = chunk[-1:]
        return last
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return b""
        fh.seek(size - 1)
        return fh.read(1)


def check_last_line(path: Path) -> None:
    """DataError unless ``path`` ends with a newline: the last line of a KuaiLive file is checked
    like any other, and one without its newline may have been cut mid-field (a truncated
    download: ``...,1876`` -> ``...,18`` still parses), so it is reported, with its line number."""
    if _last_byte(path) in (b"", b"\n"):
        return
    n, tail = 0, b""
    for chunk in _scan(path):  # error path only: count the lines
        n += chunk.count(b"\n")
        tail = (tail + chunk)[-4096:]
    row, text = n + 1, tail.rsplit(b"\n", 1)[-1].decode("utf-8", "replace").rstrip("\r")
    if row == 1:
        raise DataError(
            f"File {path.name} has a header but no data rows (and no newline after the header).",
            file=path.name,
            row=1,
        )
    raise DataError(
        f"File {path.name} is truncated: the last line (line {row}, {excerpt(text[-80:])!r}) has "
        f"no newline at the end. Real and generated KuaiLive files end with a newline, so its last "
        f"field may be cut (an interrupted download or copy); re-extract or re-download the "
        f"file.",
        file=path.name,
        row=row,
        value=text,
    )


def check_columns(sch: S.FileSchema, header: list[str], path: Path) -> list[str]:
    """DataError for missing/renamed columns; returns the extra columns (ignored)."""
    missing = [c for c in sch.column_names if c not in header]
    if missing:
        col = missing[0]
        renamed = [old for old, new in S.RENAMED_COLUMNS.items() if new == col and old in header]
        if renamed:
            msg = (
                f"File {path.name}: column {col!r} is missing but the file has the old column "
                f"name {renamed[0]!r}. This looks like an earlier release or a third-party "
                f"copy of KuaiLive; rename {renamed[0]!r} to {col!r} in the header and retry."
            )
        else:
            if len(missing) == len(sch.column_names):  # no header (e.g. one long line)
                also = " (none of the expected columns is in the header)"
            else:
                also = f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""
            msg = (
                f"File {path.name}: required column {col!r} is missing{also}. Expected columns: "
                f"{', '.join(sch.column_names)}; found: {excerpt(', '.join(header), 300)}."
            )
        raise DataError(msg, file=path.name, column=col)
    return [c for c in header if c not in sch.column_names]


# ---------------------------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------------------------
def read_batches(
    data_dir: str | os.PathLike, name: str, *, columns: Iterable[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """Read raw file ``name`` (a key of :data:`~kuailive_analysis.data.schema.SCHEMAS`) of
    ``data_dir`` in checked Arrow record batches of about :data:`BLOCK_SIZE` bytes of CSV, in
    file order.

    Parameters
    ----------
    data_dir : path
        The folder of the eight files (``~`` expanded); ``X.csv`` or ``X.csv.gz``.
    name : str
        ``"user"``, ``"streamer"``, ``"room"``, ``"click"``, ``"comment"``, ``"like"``,
        ``"gift"`` or ``"negative"``.
    columns : iterable of str, optional
        Only these schema columns (in schema order); all by default.

    Returns
    -------
    iterator of pyarrow.RecordBatch
        The schema's columns: integers in the schema's dtype (``EPOCH_MS`` as int64 epoch
        milliseconds), ``DATE`` as checked ``YYYY-MM-DD`` strings, ``BIN`` and ``CATEGORY`` as
        dictionary-encoded strings (empty = null).

    Raises
    ------
    DataError
        Unusable input (see the module docstring): the whole-file checks fail before the first
        batch, a value check when its batch is read.
    """
    sch = S.SCHEMAS[name]
    path = find_file(data_dir, sch.filename)
    header = read_header(path)
    check_columns(sch, header, path)
    check_last_line(path)
    want = [c for c in sch.columns if columns is None or c.name in set(columns)]
    types = {c.name: read_type(c) for c in want}
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(types),
                column_types=types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise parse_error(exc, path, sch, header) from exc
    except READ_ERRORS as exc:
        raise read_error(path, exc) from exc
    out_schema = pa.schema([(c.name, stage_type(c)) for c in want])
    batches = _next_batches(reader, path, sch, header)
    rows = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        for i, col in enumerate(want):
            arr = batch.column(i)
            if arr.null_count and not col.nullable:
                n_null = arr.null_count + sum(b.column(i).null_count for b in batches)
                mask = arr.is_null().to_numpy(zero_copy_only=False)
                raise null_error(col, path, n_null, first_row(mask, rows))
            check_values(col, arr, path, rows)
        cols = [batch.column(i).cast(f.type) for i, f in enumerate(out_schema)]
        yield pa.RecordBatch.from_arrays(cols, schema=out_schema)
        rows += batch.num_rows
    if rows == 0:
        raise DataError(f"File {path.name} has a header but no data rows.", file=path.name)


def _next_batches(reader, path: Path, sch: S.FileSchema, header: list[str]):
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            raise parse_error(exc, path, sch, header) from exc
        except READ_ERRORS as exc:
            raise read_error(path, exc) from exc


def to_frame(sch: S.FileSchema, table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """Checked batches of :func:`read_batches` (a table or one batch) as a pandas frame:
    integers in the schema's dtype (``EPOCH_MS`` as int64 epoch milliseconds), ``DATE`` as
    ``datetime64[s]``, ``CATEGORY`` as categoricals and ``BIN`` as **ordered** categoricals
    (categories by lower then upper bound: ``'0' < '0-10' < '10-100' < '10000000+'``)."""
    out = {}
    for name in table.column_names:  # column by column, each Arrow column let go when done
        out[name] = _series(sch.column(name), table.column(name))
        if isinstance(table, pa.Table):
            table = table.drop_columns([name])
    return pd.DataFrame(out, copy=False)


def _series(col: S.Column, arr) -> pd.Series:
    if col.kind == S.DATE:
        s = pd.to_datetime(arr.to_pandas(), format="%Y-%m-%d")
        return s.astype("datetime64[s]").rename(col.name)
    if col.kind not in (S.BIN, S.CATEGORY):
        dtype = "int64" if col.kind == S.EPOCH_MS else col.dtype
        if arr.null_count:  # a nullable integer column: a nullable integer dtype
            return pd.Series(arr.to_pandas().astype(dtype.capitalize()), name=col.name)
        return pd.Series(arr.to_numpy().astype(dtype, copy=False), name=col.name)
    s = arr.to_pandas()
    if not isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("category")
    s = s.cat.remove_unused_categories()
    if col.kind == S.BIN:
        s = s.cat.reorder_categories(S.ordered_bins(s.cat.categories), ordered=True)
    return s.rename(col.name)


def read_table(
    data_dir: str | os.PathLike, name: str, *, columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """Raw file ``name`` as one checked pandas frame.

    Parameters
    ----------
    data_dir, name, columns
        As :func:`read_batches`.

    Returns
    -------
    pandas.DataFrame
        The batches of :func:`read_batches` through :func:`to_frame`.
    """
    sch = S.SCHEMAS[name]
    return to_frame(sch, pa.Table.from_batches(list(read_batches(data_dir, name, columns=columns))))
