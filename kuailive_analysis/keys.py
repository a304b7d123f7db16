"""Integer key helpers for event tables: no string keys, no hashing where a lookup will do."""

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
