"""The provenance table every chapter ends with: parameters, data, versions, run time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from kuailive_analysis.core.constants import REPORTED_PACKAGES, package_versions
from kuailive_analysis.core.format import plain
from kuailive_analysis.data.data_source import DataSource

__all__ = ["data_rows", "provenance", "show_provenance"]


def _param_text(value) -> str:
    value = plain(value)
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def data_rows(source: DataSource | Mapping | None) -> list[tuple[str, str]]:
    """(item, value) rows describing the data (a :class:`DataSource` or its dict): kind,
    folder name, twin scale and seed, and the data fingerprint."""
    source = source.to_dict() if isinstance(source, DataSource) else dict(source or {})
    kind = source.get("kind", "unknown")
    rows = [
        (
            "kind",
            "synthetic twin"
            if kind == "twin"
            else "data folder"
            if kind == "folder"
            else str(kind),
        )
    ]
    if source.get("path"):
        rows.append(("folder", Path(str(source["path"])).name))
    if kind == "twin":
        rows += [
            ("twin scale", _param_text(source.get("scale"))),
            ("twin seed", _param_text(source.get("seed"))),
        ]
    if source.get("fingerprint"):
        rows.append(("fingerprint", str(source["fingerprint"])))
    if source.get("engine"):
        rows.append(("engine", str(source["engine"])))
    return rows


def provenance(
    ds=None, params=None, *, now: datetime | None = None, packages=REPORTED_PACKAGES, **more
) -> pd.DataFrame:
    """The chapter's provenance as a table with columns ``section``, ``item``, ``value``.

    Sections: ``parameter`` (each parameter of ``params``, a chapter's Params or a mapping,
    and each keyword argument, in the order given), ``data`` (from
    ``ds.source``: kind, folder name, twin scale and seed, and the data fingerprint),
    ``version`` (Python and the main packages) and ``run`` (UTC time of the run; varies between
    runs by design). ``ds`` may be a Dataset or anything with a ``source`` (a
    :class:`DataSource` or a dict), or None.
    All values are strings, so the table renders the same everywhere.
    """
    source = getattr(ds, "source", None) if ds is not None else None
    if hasattr(params, "values") and callable(params.values) and not isinstance(params, Mapping):
        params = params.values(with_data_dir=True)  # a chapter's Params
    params = {**dict(params or {}), **more}
    rows = [("parameter", k, _param_text(v)) for k, v in params.items()]
    rows += [("data", k, v) for k, v in data_rows(source)]
    rows += [("version", k, v) for k, v in package_versions(packages).items()]
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    rows.append(("run", "executed at", stamp.strftime("%Y-%m-%d %H:%M:%S UTC")))
    return pd.DataFrame(rows, columns=["section", "item", "value"])


def show_provenance(ds=None, params=None, **more):
    """The provenance table styled for the book (index hidden); for the last chapter cell.
    ``params``: the chapter's :class:`~kuailive_analysis.core.params.Params` (or a mapping)."""
    return provenance(ds, params, **more).style.set_uuid("provenance").hide(axis="index")
