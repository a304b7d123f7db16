"""Segments of the exposures (room category and type, streamer and user deciles, the user's
profile) and the KPIs per segment level."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import dense_codes
from kuailive_analysis.funnel.common import HINT, MISSING
from kuailive_analysis.funnel.kpis import kpi_table


def weighted_decile(counts: pd.Series, weighted: bool = True) -> pd.Series:
    """Decile 1..10 of each unit by ``counts`` (ascending: 10 = most active / popular).

    ``weighted=True``: deciles of the *volume*: units sorted by count are cut where the
    cumulative share of the total crosses k/10, so each decile holds about 10% of the volume
    (a few heavy units fill the top deciles). ``weighted=False``: deciles of the units (each
    holds 10% of the units; ties broken by id order). Returns int8 indexed like ``counts``.
    """
    if len(counts) == 0:
        return pd.Series([], dtype=np.int8, index=counts.index)
    c = counts.astype(np.float64)
    order = np.lexsort((np.arange(len(c)), c.to_numpy()))
    sorted_c = c.to_numpy()[order]
    if weighted:
        cum = np.cumsum(sorted_c)
        total = cum[-1]
        # midpoint rule: a unit's share position is the middle of its own volume
        mid = (cum - sorted_c / 2) / (total if total > 0 else 1.0)
        dec = np.minimum((mid * 10).astype(np.int64) + 1, 10)
    else:
        dec = (np.arange(len(c)) * 10 // len(c)) + 1
    out = np.empty(len(c), dtype=np.int8)
    out[order] = dec
    return pd.Series(out, index=counts.index, name="decile")


def _lookup_codes(
    table: pd.DataFrame, key: str, column: str, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``table[column]`` for each id in ``ids`` (first row of a duplicated ``key`` wins) as
    codes into the returned distinct values; -1 where the id is absent or the value missing.
    Integer work only: the looked-up column is never materialised per row."""
    keys = table[key].to_numpy()
    codes, uniques = pd.factorize(table[column], use_na_sentinel=True)
    ids = np.asarray(ids)
    if (
        len(keys)
        and len(ids)
        and np.issubdtype(keys.dtype, np.integer)
        and np.issubdtype(ids.dtype, np.integer)
    ):
        lo = min(int(keys.min()), int(ids.min()))
        hi = max(int(keys.max()), int(ids.max()))
        if hi - lo <= 4 * (len(keys) + len(ids)) + 1_000_000:  # compact ids: lookup array
            lut = np.full(hi - lo + 1, -1, dtype=np.int32)
            lut[keys[::-1] - lo] = codes[::-1]  # reversed so the first row of a key wins
            out = lut[ids - lo]
            return out.astype(np.int64), np.asarray(uniques, dtype=object)
    first = ~pd.Series(keys).duplicated(keep="first").to_numpy()
    pos = pd.Index(keys[first]).get_indexer(ids)
    out = np.where(pos >= 0, codes[first][np.maximum(pos, 0)], -1)
    return out.astype(np.int64), np.asarray(uniques, dtype=object)


def _segment_categorical(
    codes: np.ndarray,
    uniques: np.ndarray,
    categories: list[str] | None = None,
    ordered: bool = False,
) -> pd.Categorical:
    """Looked-up codes (-1 = missing) -> Categorical of the values as strings, missing as
    ``"(missing)"``. Categories: ``categories`` (+ ``"(missing)"`` if any missing) when given,
    else the sorted distinct strings present."""
    labels = pd.Series(uniques, dtype=object).astype("string").to_numpy(dtype=object)
    labels = np.append(labels, MISSING)
    idx = np.where(codes >= 0, codes, len(labels) - 1)
    if categories is None:
        used = np.flatnonzero(np.bincount(idx, minlength=len(labels)))
        cats = sorted(set(labels[used]))
    else:
        cats = list(categories)
        if (codes < 0).any():
            cats = cats + [MISSING]
    where = {c: i for i, c in enumerate(cats)}
    remap = np.array([where.get(lab, -1) for lab in labels], dtype=np.int64)
    return pd.Categorical.from_codes(remap[idx], categories=cats, ordered=ordered)


def add_segments(
    exposures: pd.DataFrame,
    rooms: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    *,
    streamer_weighted: bool = True,
    user_weighted: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add segment columns to an exposure (or click) table; returns ``(table, unmatched)``.

    Added: ``live_content_category``, ``live_type`` (from ``rooms`` by live_id),
    ``streamer_decile`` (popularity = exposures of the streamer in the window;
    exposure-weighted deciles by default), ``user_decile`` (activity = the user's exposures;
    user deciles by default), ``age``, ``gender``, ``device_price`` (from ``users``).
    Categorical columns; an id absent from the dimension table becomes ``"(missing)"`` and is
    counted in ``unmatched`` (one row per added column: n_missing, share), never dropped.
    The input frame is not modified (the output shares its columns, no deep copy).
    """
    ex = exposures.copy(deep=False)
    missing = []
    if rooms is not None:
        for col in ("live_content_category", "live_type"):
            require_columns(rooms, ["live_id", col], "funnel: table 'rooms'", hint=HINT)
            codes, uniques = _lookup_codes(rooms, "live_id", col, ex["live_id"].to_numpy())
            missing.append((col, int((codes < 0).sum())))
            ex[col] = _segment_categorical(codes, uniques)
    sid = ex["streamer_id"].to_numpy()
    scode, n_s = dense_codes(sid)
    pop = pd.Series(
        np.bincount(scode, minlength=n_s), index=np.unique(sid) if n_s else np.zeros(0, sid.dtype)
    )
    dec = weighted_decile(pop, weighted=streamer_weighted).to_numpy(np.int8)
    ex["streamer_decile"] = dec[scode]
    uid = ex["user_id"].to_numpy()
    ucode, n_u = dense_codes(uid)
    act = pd.Series(
        np.bincount(ucode, minlength=n_u), index=np.unique(uid) if n_u else np.zeros(0, uid.dtype)
    )
    dec = weighted_decile(act, weighted=user_weighted).to_numpy(np.int8)
    ex["user_decile"] = dec[ucode]
    if users is not None:
        for col in ("age", "gender", "device_price"):
            require_columns(users, ["user_id", col], "funnel: table 'users'", hint=HINT)
            codes, uniques = _lookup_codes(users, "user_id", col, ex["user_id"].to_numpy())
            missing.append((col, int((codes < 0).sum())))
            src = users[col]
            is_cat = isinstance(src.dtype, pd.CategoricalDtype)
            cats = (
                list(src.cat.categories.astype(str))
                if is_cat
                else sorted(src.dropna().astype(str).unique())
            )
            ordered = is_cat and src.cat.ordered
            ex[col] = _segment_categorical(codes, uniques, cats, ordered)
    un = pd.DataFrame(missing, columns=["column", "n_missing"]).set_index("column")
    un["share"] = un["n_missing"] / max(len(ex), 1)
    return ex, un


def segment_kpis(
    exposures: pd.DataFrame,
    segments: Iterable[str],
    conf: float = 0.95,
    min_exposures: int = 0,
    **kw,
) -> dict[str, pd.DataFrame]:
    """:func:`kpi_table` for each segment column; a dict keyed by column name."""
    return {
        s: kpi_table(exposures, by=s, conf=conf, min_exposures=min_exposures, **kw)
        for s in segments
    }


@dataclass(frozen=True)
class Extremes:
    """The lowest and highest level of a segment KPI and whether their intervals separate."""

    lo_level: str
    lo: float
    hi_level: str
    hi: float
    separated: bool
    """True when the lowest level's upper bound is below the highest level's lower bound
    (False = the gap may be noise)."""

    @property
    def separated_text(self) -> str:
        """``'do not overlap'`` or ``'overlap'`` (how the prose says it)."""
        return "do not overlap" if self.separated else "overlap"


def extremes(table: pd.DataFrame | None, rate: str, min_exposures: int = 0) -> Extremes:
    """Lowest and highest level of ``rate`` in a segment KPI table (levels with at least
    ``min_exposures`` exposures); levels ``'n/a'`` and NaN rates when there is none (or no
    table)."""
    t = None if table is None else table[table["exposures"] >= min_exposures].dropna(subset=[rate])
    if t is None or t.empty:
        return Extremes("n/a", float("nan"), "n/a", float("nan"), False)
    lo_i, hi_i = t[rate].idxmin(), t[rate].idxmax()
    return Extremes(
        str(lo_i),
        float(t.loc[lo_i, rate]),
        str(hi_i),
        float(t.loc[hi_i, rate]),
        bool(t.loc[lo_i, f"{rate}_hi"] < t.loc[hi_i, f"{rate}_lo"]),
    )
