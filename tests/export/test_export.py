"""``kuailive export``: tables, data model, interactions, dictionary and manifest (DuckDB and
Spark) on a small twin."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from kuailive_analysis import export as E
from kuailive_analysis.app import cli
from kuailive_analysis.dataset import load
from kuailive_analysis.engine.queries import export as X
from kuailive_analysis.export import plan, write as W
from kuailive_analysis.export.guard import MANIFEST
from kuailive_analysis.ltv.summary import rfm_summary
from kuailive_analysis.twin import generate

KIND_ORDER = {k: i for i, (k, _) in enumerate(X.EVENT_KINDS)}
ISO_BEIJING = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KUAILIVE_BUILD_DIR", str(root / "build"))
        mp.delenv("KUAILIVE_ENGINE", raising=False)
        generate(root / "twin", scale=0.01, seed=1)
        ds = load(root / "twin")
        yield root, ds


@pytest.fixture(scope="module")
def pq_out(env):
    root, ds = env
    res = E.export(ds, root / "out-parquet", fmt="parquet", engine="duckdb", progress=False)
    return res.out


@pytest.fixture(scope="module")
def csv_out(env):
    root, ds = env
    res = E.export(ds, root / "out-csv", fmt="csv", engine="duckdb", progress=False)
    return res.out


@pytest.fixture(scope="module")
def dictionary(pq_out):
    return pd.read_csv(pq_out / E.DICTIONARY_CSV, keep_default_na=False)


def read(out: Path, table: str) -> pd.DataFrame:
    return pq.read_table(out / f"{table}.parquet").to_pandas()


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Comparable plain columns: instants as epoch ms, dates as ISO strings, categories as
    objects; rows sorted by every column."""
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ms]")
            s = s.astype("int64")
        elif pd.api.types.is_datetime64_dtype(s.dtype):
            s = s.dt.strftime("%Y-%m-%d")
        elif s.dtype == object and s.map(lambda v: hasattr(v, "isoformat")).any():
            s = s.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if s.dtype == object:
            s = s.where(s.notna(), None)
        out[c] = s.reset_index(drop=True)
    df = pd.DataFrame(out)
    return df.sort_values(list(df.columns), na_position="last").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
def test_layout_and_row_counts(env, pq_out):
    _, ds = env
    manifest = json.loads((pq_out / MANIFEST).read_text())
    assert set(manifest["rows"]) == set(E.TABLES)
    for t in E.TABLES:
        assert (pq_out / f"{t}.parquet").is_file()
        assert pq.read_metadata(pq_out / f"{t}.parquet").num_rows == manifest["rows"][t]
    for t in (*plan.CLEAN_TABLES, "sessions", "user_day"):
        assert manifest["rows"][t] == len(ds.table(t)), t
    events = sum(len(ds.table(t)) for t in plan.EVENT_TABLES)
    assert manifest["rows"]["interactions"] == events > 0
    assert manifest["rows"]["rfm"] == len(ds.users)
    assert not list(pq_out.parent.glob(f"{pq_out.name}.tmp-*"))


def test_manifest(env, pq_out):
    _, ds = env
    m = json.loads((pq_out / MANIFEST).read_text())
    assert m["source"] == json.loads(json.dumps(ds.source.to_dict()))
    assert m["source"]["fingerprint"] == ds.source.fingerprint
    assert m["engine"]["engine"] == "duckdb" and m["engine"]["version"]
    assert m["format"] == "parquet"
    from kuailive_analysis import __version__

    assert m["version"] == __version__


def test_clean_tables_equal_the_cache(env, pq_out):
    _, ds = env
    for t in (*plan.CLEAN_TABLES, "sessions", "user_day"):
        got, want = read(pq_out, t), ds.table(t)
        assert list(got.columns) == list(want.columns), t
        pd.testing.assert_frame_equal(normalise(got), normalise(want), check_dtype=False, obj=t)


def test_types_match_the_dictionary(pq_out, dictionary):
    assert list(dictionary["table"].unique()) == list(E.TABLES)
    for t, cols in dictionary.groupby("table", sort=False):
        schema = pq.read_schema(pq_out / f"{t}.parquet")
        assert schema.names == list(cols["column"]), t
        got = [str(schema.field(c).type) for c in cols["column"]]
        assert got == list(cols["arrow_type"]), t
    types = dict(
        zip(dictionary["table"] + "." + dictionary["column"], dictionary["arrow_type"], strict=True)
    )
    assert types["interactions.timestamp"] == "timestamp[us, tz=UTC]"
    assert types["users.reg_timestamp"] == "date32[day]"
    assert types["clicks.day"] == "int8"
    assert types["interactions.event_index"] == "int32"
    assert types["rfm.frequency"] == "int32"


def test_dictionary_is_generated_from_the_sources(pq_out, dictionary):
    assert (dictionary["meaning"] != "").all(), dictionary[dictionary["meaning"] == ""]
    assert (dictionary["source"] != "").all()
    row = dictionary.set_index(["table", "column"])
    from kuailive_analysis.data import schema as S

    assert (
        row.loc[("clicks", "watch_live_time"), "meaning"]
        == S.CLICK.column("watch_live_time").description
    )
    assert row.loc[("clicks", "watch_live_time"), "unit"] == "ms"
    assert row.loc[("gifts", "gift_price"), "unit"] == "platform coins"
    assert "data/schema.py" in row.loc[("users", "age"), "source"]
    assert "engine/queries/model.py" in row.loc[("sessions", "n_exposures"), "source"]
    assert row.loc[("sessions", "n_exposures"), "meaning"].startswith("exposures = n_clicks")
    assert row.loc[("clicks", "flag_long_room"), "unit"] == "boolean"
    assert row.loc[("users", "tenure_days"), "unit"] == "days"
    assert "export_rfm" in row.loc[("rfm", "frequency"), "source"]
    assert row.loc[("rfm", "frequency"), "registry"].startswith("definition rfm")
    assert row.loc[("sessions", "n_clicks"), "registry"].startswith("metric n_clicks")
    assert "user.csv" in row.loc[("interactions", "user_age"), "source"]
    md = (pq_out / E.DICTIONARY_MD).read_text()
    for t in E.TABLES:
        assert f"\n## {t}\n" in md
    assert md.count("\n| `") == len(dictionary)


def test_event_index(env, pq_out):
    _, ds = env
    it = read(pq_out, "interactions")
    g = it.groupby(["user_id", "live_id"])["event_index"]
    assert (it["event_index"] >= 1).all()
    assert (g.transform("max") == g.transform("size")).all()  # 1..n, no gaps or repeats
    assert not it.duplicated(["user_id", "live_id", "event_index"]).any()
    # expected: ts_ms, then kind order, then file order, from the cache with pandas
    parts = []
    for kind, t in X.EVENT_KINDS:
        ev = ds.table(t)[["user_id", "live_id", "ts_ms"]].copy()
        ev["event"], ev["kind"], ev["pos"] = kind, KIND_ORDER[kind], np.arange(len(ev))
        ev["watch_live_time"] = ds.table(t)["watch_live_time"] if kind == "click" else np.nan
        ev["gift_price"] = ds.table(t)["gift_price"] if kind == "gift" else np.nan
        ev["flag_duplicate"] = ds.table(t)["flag_duplicate"]
        parts.append(ev)
    ev = pd.concat(parts, ignore_index=True).sort_values(
        ["user_id", "live_id", "ts_ms", "kind", "pos"], kind="stable"
    )
    ev["event_index"] = ev.groupby(["user_id", "live_id"]).cumcount() + 1
    cols = [
        "event",
        "user_id",
        "live_id",
        "ts_ms",
        "watch_live_time",
        "gift_price",
        "flag_duplicate",
        "event_index",
    ]
    pd.testing.assert_frame_equal(
        normalise(it[cols].astype({"watch_live_time": float, "gift_price": float})),
        normalise(ev[cols]),
        check_dtype=False,
    )


def test_interactions_joins(env, pq_out):
    _, ds = env
    it = read(pq_out, "interactions")
    counts = it["event"].value_counts()
    for kind, t in X.EVENT_KINDS:
        assert counts.get(kind, 0) == len(ds.table(t)), kind
    assert it.loc[it["event"] != "click", "watch_live_time"].isna().all()
    assert it.loc[it["event"] == "click", "watch_live_time"].notna().all()
    assert it.loc[it["event"] == "gift", "gift_price"].notna().all()
    for table, _, key, prefix, cols in X.JOINED:
        dim = ds.table(table).set_index(key)
        assert dim.index.is_unique
        for c in cols:
            want = it[key].map(dim[c].astype(object) if dim[c].dtype.name == "category" else dim[c])
            got = it[f"{prefix}{c}"]
            if isinstance(want.dtype, pd.DatetimeTZDtype):
                want, got = want.dt.tz_convert("UTC"), got.dt.tz_convert("UTC")
                assert (want.dt.as_unit("ms") == got.dt.as_unit("ms")).all()
                continue
            both_na = want.isna() & got.isna()
            assert ((want == got) | both_na).all(), f"{prefix}{c}"
    # the timestamp is the event's instant
    assert (it["timestamp"].dt.as_unit("ms").astype("int64") == it["ts_ms"]).all()


def test_rfm_matches_ltv_summary(env, pq_out):
    _, ds = env
    n_days = 21
    rfm = read(pq_out, "rfm").set_index("user_id")
    assert rfm.index.is_unique and set(rfm.index) == set(ds.users["user_id"])
    # the ltv definitions with the calibration window = the whole window (empty holdout)
    ref = rfm_summary(ds.gifts, calibration_days=n_days, n_days=n_days + 1, value_col="gift_price")
    assert len(ref) > 10
    gifters = rfm[rfm["gift_days"] > 0]
    assert set(gifters.index) == set(ref.index)
    got = gifters.loc[ref.index]
    np.testing.assert_array_equal(got["first_gift_day"], ref["first_day"])
    np.testing.assert_array_equal(got["frequency"], ref["frequency_cal"])
    np.testing.assert_allclose(got["recency"], ref["recency_cal"])
    np.testing.assert_allclose(got["T"], ref["T_cal"])
    np.testing.assert_allclose(got["monetary_value"], ref["monetary_cal"])
    np.testing.assert_allclose(got["gift_value"], ref["value_cal"])
    assert (got["frequency"] > 0).any()
    non = rfm[rfm["gift_days"] == 0]
    assert non[["frequency", "recency", "T", "monetary_value"]].isna().all().all()
    # activity totals
    clicks = ds.clicks.groupby("user_id")
    n_clicks = clicks.size().reindex(rfm.index, fill_value=0)
    np.testing.assert_array_equal(rfm["n_clicks"], n_clicks)
    watch = clicks["watch_live_time"].sum().reindex(rfm.index, fill_value=0) / 3.6e6
    np.testing.assert_allclose(rfm["watch_hours"], watch)
    n_gifts = ds.gifts.groupby("user_id").size().reindex(rfm.index, fill_value=0)
    np.testing.assert_array_equal(rfm["n_gifts"], n_gifts)
    active = ds.user_day[ds.user_day["active"]].groupby("user_id").size()
    np.testing.assert_array_equal(rfm["active_days"], active.reindex(rfm.index, fill_value=0))


def test_csv_export(env, pq_out, csv_out, dictionary):
    _, ds = env
    m = json.loads((csv_out / MANIFEST).read_text())
    assert m["format"] == "csv"
    for t, cols in dictionary.groupby("table", sort=False):
        df = pd.read_csv(csv_out / f"{t}.csv", dtype=str, keep_default_na=False)
        assert list(df.columns) == list(cols["column"]), t  # header row, no index column
        assert len(df) == m["rows"][t] == pq.read_metadata(pq_out / f"{t}.parquet").num_rows
        for c in cols.loc[cols["arrow_type"].str.startswith("timestamp[us, tz"), "column"]:
            vals = df[c][df[c] != ""]
            assert vals.str.match(ISO_BEIJING).all(), (t, c, vals.head(3).tolist())
        for c in cols.loc[cols["arrow_type"] == "date32[day]", "column"]:
            vals = df[c][df[c] != ""]
            assert vals.str.fullmatch(r"\d{4}-\d\d-\d\d").all(), (t, c)
    # the ISO string is the event's Beijing time
    it = pd.read_csv(csv_out / "interactions.csv", usecols=["ts_ms", "timestamp"])
    want = (
        pd.to_datetime(it["ts_ms"], unit="ms", utc=True)
        .dt.tz_convert("Asia/Shanghai")
        .dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
        .str[:-3]
        + "+08:00"
    )
    assert (it["timestamp"] == want).all()


def test_refuses_non_empty_out_and_fails_atomically(env, pq_out, monkeypatch):
    root, ds = env
    with pytest.raises(E.ExportError, match="not empty; pass --overwrite"):
        E.export(ds, pq_out, progress=False)
    before = sorted(p.name for p in pq_out.iterdir())

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(W, "written_rows", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        E.export(ds, pq_out, overwrite=True, progress=False)
    assert sorted(p.name for p in pq_out.iterdir()) == before  # the old export is intact
    fresh = root / "never"
    with pytest.raises(RuntimeError):
        E.export(ds, fresh, progress=False)
    assert not fresh.exists()
    assert not list(root.glob("*.tmp-*"))
    monkeypatch.undo()
    empty = root / "empty"
    empty.mkdir()
    res = E.export(ds, empty, progress=False)  # an empty folder is fine
    assert (res.out / MANIFEST).exists()
    res = E.export(ds, empty, overwrite=True, progress=False)
    assert (res.out / MANIFEST).exists() and not list(root.glob("empty.old-*"))


def test_cli(env, capsys):
    root, _ = env
    twin = str(root / "twin")

    def run(*args):
        code = cli.main(["export", "--data-dir", twin, *args])
        return code, capsys.readouterr()

    for args, msg in [
        (["--out", str(root / "c1"), "--format", "xml"], "unknown format 'xml'"),
        (["--out", str(root / "c1"), "--engine", "flink"], "unknown engine 'flink'"),
    ]:
        code, cap = run(*args)
        assert code == 2
        assert cap.err.startswith(f"kuailive export: error: {msg}")
        assert cap.err.count("\n") == 1
        assert not (root / "c1").exists()
    code = cli.main(["export", "--data-dir", str(root / "nope"), "--out", str(root / "c1")])
    cap = capsys.readouterr()
    assert code == 2 and cap.err.count("\n") == 1 and "does not exist" in cap.err
    code, cap = run("--out", str(root / "c1"), "--quiet")
    assert code == 0, cap.err
    assert "Exported 12 tables" in cap.out and cap.err == ""
    assert (root / "c1" / "interactions.parquet").exists()
    code, cap = run("--out", str(root / "c1"), "--quiet")
    assert code == 2 and "--overwrite" in cap.err and cap.err.count("\n") == 1
    code, cap = run("--out", str(root / "c1"), "--overwrite", "--format", "csv")
    assert code == 0, cap.err
    assert "export interactions" in cap.err  # a progress bar per table on stderr
    assert (root / "c1" / "interactions.csv").exists()
    assert not (root / "c1" / "interactions.parquet").exists()


# ---------------------------------------------------------------------------------------------
# Spark
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark_out(env):
    if shutil.which("java") is None and not os.environ.get("CI"):
        pytest.skip("no java on PATH (Spark needs Java 17+); CI runs this")
    pytest.importorskip("pyspark") if not os.environ.get("CI") else None
    root, ds = env
    res = E.export(ds, root / "out-spark", fmt="parquet", engine="spark", progress=False)
    return res.out


@pytest.mark.spark
def test_spark_export_equals_duckdb(spark_out, pq_out, dictionary):
    m = json.loads((spark_out / MANIFEST).read_text())
    assert m["engine"]["engine"] == "spark"
    dm = json.loads((pq_out / MANIFEST).read_text())
    assert m["rows"] == dm["rows"]
    for t, cols in dictionary.groupby("table", sort=False):
        path = spark_out / f"{t}.parquet"
        assert path.is_dir()  # a folder of part files
        table = pq.read_table(path)
        assert table.schema.names == list(cols["column"]), t
        assert [str(f.type) for f in table.schema] == list(cols["arrow_type"]), t
        pd.testing.assert_frame_equal(
            normalise(table.to_pandas()), normalise(read(pq_out, t)), check_dtype=False, obj=t
        )
