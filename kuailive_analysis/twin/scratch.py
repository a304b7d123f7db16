"""Scratch files of one twin generation: flat column arrays on disk.

The generator keeps what grows with the scale (drawn rooms, each day's events) on disk between
its passes instead of in memory. A :class:`Scratch` is a folder of raw binary column files
(one numpy array per file, no header; the dtype and length are kept by the object). It lives
inside the partial output folder (``<out>.partial-<pid>``), so an interrupted or failed
generation removes it together with that folder; on success the generator deletes it before
the folder is renamed into place.

Columns are read with plain file reads (``numpy.fromfile``), never memory-mapped: a mapped file
counts towards the resident memory of the process as soon as its pages are touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

SCRATCH_DIR = "_scratch"
"""Name of the scratch folder inside the partial output folder."""


class Scratch:
    """A folder of named column files (``name`` -> one 1-D array of a fixed dtype).

    Use as a context manager: the folder is created on entry and removed, with every file in
    it, on exit (also after an error or an interrupt).
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self._dtype: dict[str, np.dtype] = {}
        self._rows: dict[str, int] = {}

    def __enter__(self) -> Scratch:
        self.folder.mkdir(parents=True, exist_ok=False)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Delete the folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._dtype.clear()
        self._rows.clear()

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.bin"

    def write(self, name: str, arr: np.ndarray) -> None:
        """Store ``arr`` (1-D) as column ``name``, replacing an earlier one."""
        arr = np.ascontiguousarray(arr)
        arr.tofile(self._path(name))
        self._dtype[name] = arr.dtype
        self._rows[name] = len(arr)

    def append(self, name: str, arr: np.ndarray) -> None:
        """Append ``arr`` to column ``name`` (created when missing; the dtype must match)."""
        arr = np.ascontiguousarray(arr)
        if name not in self._dtype:
            self.write(name, arr)
            return
        if arr.dtype != self._dtype[name]:
            raise TypeError(f"column {name} holds {self._dtype[name]}, not {arr.dtype}")
        with open(self._path(name), "ab") as f:
            arr.tofile(f)
        self._rows[name] += len(arr)

    def __contains__(self, name: str) -> bool:
        return name in self._dtype

    def rows(self, name: str) -> int:
        """Length of column ``name``."""
        return self._rows[name]

    def read(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``start:stop`` of column ``name`` as a new in-memory array."""
        dt, n = self._dtype[name], self._rows[name]
        stop = n if stop is None else min(stop, n)
        count = max(stop - start, 0)
        if count == 0:
            return np.zeros(0, dtype=dt)
        return np.fromfile(self._path(name), dtype=dt, count=count, offset=start * dt.itemsize)

    def remove(self, *names: str) -> None:
        """Delete columns (missing names are ignored)."""
        for name in names:
            if self._dtype.pop(name, None) is not None:
                self._rows.pop(name, None)
                self._path(name).unlink(missing_ok=True)
