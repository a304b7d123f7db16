"""Integer keys of event tables: no string keys, no hashing where a lookup will do.

* :func:`dense_codes`: codes 0..k-1 of integer ids in sorted id order.
* :func:`pair_key` / :func:`unpack_pair_key`: one int64 per (a, b) pair of non-negative ids,
  ``a << bits | b`` (default 32 bits: a (user_id, live_id) session key).
* :func:`combined_key`: one int64 per tuple of integer columns that sorts and compares like
  the tuples (dense ranks packed into bits).
* :func:`lookup_table` / :func:`lookup`: a dense array indexed by id (ids are small
  non-negative integers) and reading it for many keys, with a fill value for unknown keys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def dense_codes(ids) -> tuple[np.ndarray, int]:
    """Codes 0..k-1 of integer ids in sorted id order (same as ``pd.factorize(ids, sort=True)``)
    and k, by a lookup array over ``min(ids)..max(ids)`` when that range is compact (O(n), no
    hashing), else by ``pd.factorize``."""
    ids = np.asarray(ids)
    if len(ids) == 0:
        return np.zeros(0, np.int64), 0
    lo, hi = int(ids.min()), int(ids.max())
    if hi - lo <= 4 * len(ids) + 1_000_000:
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[ids - lo] = True
        code_of = np.cumsum(present, dtype=np.int64) - 1
        return code_of[ids - lo], int(present.sum())
    codes, uniq = pd.factorize(ids, sort=True)
    return codes.astype(np.int64), len(uniq)


def pair_key(a, b, *, bits: int = 32) -> np.ndarray:
    """int64 key of an (a, b) pair of non-negative integer ids: ``a << bits | b``. Sorts like
    the pair (a first). Needs ``0 <= b < 2**bits`` and ``0 <= a < 2**(63 - bits)`` (checked);
    with the default 32 bits, ``pair_key(user_id, live_id)`` is the session key."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.size and (a.min() < 0 or a.max() >= 2 ** (63 - bits)):
        raise ValueError(f"pair_key: first ids must be in 0..2**{63 - bits}-1")
    if b.size and (b.min() < 0 or b.max() >= 2**bits):
        raise ValueError(f"pair_key: second ids must be in 0..2**{bits}-1")
    return (a << bits) | b


def unpack_pair_key(key, *, bits: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) ids of :func:`pair_key` keys (int64 arrays)."""
    key = np.asarray(key, dtype=np.int64)
    return key >> bits, key & ((1 << bits) - 1)


def combined_key(*cols) -> np.ndarray:
    """One int64 per row that sorts like the tuple of integer columns ``cols`` (lexicographic)
    and is equal exactly when the tuples are: each column is replaced by its dense rank code
    and the codes are packed into bits. Falls back to a rank of the ``np.lexsort`` order when
    the codes need more than 62 bits together."""
    codes, bits = [], []
    for c in cols:
        code, k = dense_codes(c)
        codes.append(code)
        bits.append(max(int(k - 1).bit_length(), 1))
    if sum(bits) <= 62:
        key = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
        for code, b in zip(codes, bits):
            key = (key << b) | code
        return key
    order = np.lexsort(tuple(reversed(codes)))
    diff = np.zeros(len(order), dtype=bool)
    if len(order):
        diff[0] = True
        for code in codes:
            cs = code[order]
            diff[1:] |= cs[1:] != cs[:-1]
    key = np.empty(len(order), dtype=np.int64)
    key[order] = np.cumsum(diff) - 1
    return key


def lookup_table(ids, values=None, fill=0) -> np.ndarray:
    """Dense lookup array indexed by id (ids are small non-negative integers):
    ``table[id] = value`` (the last value of a repeated id wins), ``fill`` elsewhere. Without
    ``values`` a boolean membership table (True for the ids present)."""
    ids = np.asarray(ids, dtype=np.int64)
    size = int(ids.max()) + 1 if ids.size else 1
    if values is None:
        t = np.zeros(size, dtype=bool)
        t[ids] = True
        return t
    t = np.full(size, fill, dtype=np.asarray(values).dtype)
    t[ids] = values
    return t


def lookup(table: np.ndarray, keys, fill=0) -> np.ndarray:
    """``table[keys]`` with ``fill`` for keys outside the table (negative or too large)."""
    keys = np.asarray(keys, dtype=np.int64)
    ok = (keys >= 0) & (keys < table.size)
    out = np.full(keys.size, fill, dtype=table.dtype)
    out[ok] = table[keys[ok]]
    return out
