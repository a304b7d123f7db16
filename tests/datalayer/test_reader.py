"""The one reader (``data.io.read_batches`` / ``read_table``) and ``kuailive validate``
(``engine.ingest.validate_folder``, which reads through it): typed columns, the validation
report, and a clear one-line DataError for every kind of bad input."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from _tiny import tiny_frames, write_tiny

from kuailive_analysis.data import io, schema as S
from kuailive_analysis.engine.ingest import validate_folder


@pytest.fixture
def folder(tmp_path):
    return write_tiny(tmp_path / "data")


def _rewrite(folder, filename, text):
    (folder / filename).write_text(text)


def _err(folder, match_file, match_col=None) -> io.DataError:
    with pytest.raises(io.DataError) as ei:
        validate_folder(folder)
    msg = str(ei.value)
    assert match_file in msg
    if match_col:
        assert repr(match_col) in msg or match_col in msg
    assert "\n" not in msg  # one paragraph
    return ei.value


# ---------------------------------------------------------------------------------------------
# Good input
# ---------------------------------------------------------------------------------------------
def test_read_types(folder):
    users = io.read_table(folder, "user")
    assert users["user_id"].dtype == np.int32
    assert isinstance(users["age"].dtype, pd.CategoricalDtype) and users["age"].cat.ordered
    assert list(users["device_price"].cat.categories) == ["0", "1000-2000", "2000-4000", "5000+"]
    assert users["reg_timestamp"].dtype == "datetime64[s]"
    assert users.loc[0, "reg_timestamp"] == pd.Timestamp("2025-04-05")
    assert users["is_photo_author"].dtype == np.int8
    clicks = io.read_table(folder, "click")
    assert clicks["timestamp"].dtype == np.int64  # epoch ms kept as int64 at this layer
    assert clicks["watch_live_time"].dtype == np.int32
    assert len(clicks) == 10
    room = io.read_table(folder, "room", columns=["live_id", "live_type"])
    assert list(room.columns) == ["live_id", "live_type"] and room["live_type"].dtype == np.int16


def test_validate_report_counts(folder):
    rep = validate_folder(folder)
    assert rep.ok
    files = rep.files.set_index("file")
    assert files.loc["click.csv", "rows"] == 10 and files.loc["room.csv", "rows"] == 7
    assert files.loc["click.csv", "first time"].startswith("2025-05-04 23:00:00")  # Beijing
    c = rep.checks.set_index(["check", "table"])["count"]
    assert c[("duplicate live_id rows", "room")] == 2
    assert c[("exact duplicate rows", "click")] == 1
    assert c[("orphan live_id", "click")] == 1
    assert c[("orphan user_id", "click")] == 1
    assert c[("streamer mismatch", "click")] == 1
    assert c[("outside window", "click")] == 1
    assert c[("end capped (still live)", "room")] == 1
    text = rep.to_text()
    assert "click.csv" in text and "Usable: yes" in text and "Beijing" in text


def test_gzip_transparent(tmp_path):
    d = write_tiny(tmp_path / "gz", gz=("click", "user"))
    assert not (d / "click.csv").exists() and (d / "click.csv.gz").exists()
    clicks = io.read_table(d, "click")
    assert len(clicks) == 10
    assert validate_folder(d).ok


def test_extra_columns_ignored_and_noted(tmp_path):
    frames = tiny_frames()
    frames["like"] = frames["like"].assign(note="x")
    d = write_tiny(tmp_path / "x", frames)
    rep = validate_folder(d)
    assert rep.extra_columns["like.csv"] == ["note"]
    assert "note" in rep.to_text()


# ---------------------------------------------------------------------------------------------
# Bad input: each names the file and the column
# ---------------------------------------------------------------------------------------------
def test_missing_folder(tmp_path):
    with pytest.raises(io.DataError, match="does not exist"):
        validate_folder(tmp_path / "nope")


def test_missing_file(folder):
    (folder / "gift.csv").unlink()
    e = _err(folder, "gift.csv")
    assert "missing" in str(e)


def test_empty_file(folder):
    _rewrite(folder, "comment.csv", "")
    e = _err(folder, "comment.csv")
    assert "empty" in str(e)


def test_header_only_file(folder):
    _rewrite(folder, "like.csv", "user_id,live_id,streamer_id,timestamp\n")
    e = _err(folder, "like.csv")
    assert "no data rows" in str(e)


def test_renamed_column_author_id(folder):
    text = (folder / "click.csv").read_text().replace("streamer_id", "author_id", 1)
    _rewrite(folder, "click.csv", text)
    e = _err(folder, "click.csv", "streamer_id")
    assert "author_id" in str(e) and e.column == "streamer_id"


def test_missing_column(folder):
    df = tiny_frames()["gift"].drop(columns="gift_price")
    df.to_csv(folder / "gift.csv", index=False)
    e = _err(folder, "gift.csv", "gift_price")
    assert e.column == "gift_price"


def test_text_in_id_column(folder):
    df = tiny_frames()["click"].astype({"user_id": object})
    df.loc[3, "user_id"] = "abc"
    df.to_csv(folder / "click.csv", index=False)
    e = _err(folder, "click.csv", "user_id")
    assert "'abc'" in str(e) and e.row == 5  # header line 1, data row index 3 -> line 5


def test_text_in_timestamp_column(folder):
    df = tiny_frames()["comment"].astype({"timestamp": object})
    df.loc[1, "timestamp"] = "2025-05-05 10:00:00"
    df.to_csv(folder / "comment.csv", index=False)
    e = _err(folder, "comment.csv", "timestamp")
    assert "epoch milliseconds" in str(e) and e.row == 3


def test_malformed_line(folder):
    text = (folder / "like.csv").read_text() + "1,2,3\n"
    _rewrite(folder, "like.csv", text)
    e = _err(folder, "like.csv")
    assert "malformed" in str(e) and e.row == 3


def test_timestamp_in_seconds_is_implausible(folder):
    df = tiny_frames()["negative"]
    df.loc[2, "timestamp"] = df.loc[2, "timestamp"] // 1000
    df.to_csv(folder / "negative.csv", index=False)
    e = _err(folder, "negative.csv", "timestamp")
    assert "plausible" in str(e) and e.row == 4


def test_room_timestamp_far_future(folder):
    df = tiny_frames()["room"]
    df.loc[0, "end_timestamp"] = S.PLAUSIBLE_MAX_MS + 10
    df.to_csv(folder / "room.csv", index=False)
    _err(folder, "room.csv", "end_timestamp")


def test_negative_watch_time(folder):
    df = tiny_frames()["click"]
    df.loc[0, "watch_live_time"] = -5
    df.to_csv(folder / "click.csv", index=False)
    e = _err(folder, "click.csv", "watch_live_time")
    assert "negative watch time" in str(e) and e.row == 2


def test_negative_price(folder):
    df = tiny_frames()["gift"]
    df.loc[1, "gift_price"] = -3
    df.to_csv(folder / "gift.csv", index=False)
    e = _err(folder, "gift.csv", "gift_price")
    assert "-3" in str(e)


def test_empty_id_value(folder):
    text = (folder / "like.csv").read_text().splitlines()
    text[1] = "," + text[1].split(",", 1)[1]
    _rewrite(folder, "like.csv", "\n".join(text) + "\n")
    e = _err(folder, "like.csv", "user_id")
    assert "empty" in str(e)


def test_bad_date(folder):
    df = tiny_frames()["user"]
    df.loc[2, "reg_timestamp"] = "yesterday"
    df.to_csv(folder / "user.csv", index=False)
    e = _err(folder, "user.csv", "reg_timestamp")
    assert "'yesterday'" in str(e)


def test_corrupt_gzip(folder):
    (folder / "like.csv").unlink()
    (folder / "like.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(io.DataError) as ei:
        validate_folder(folder)
    assert "like.csv.gz" in str(ei.value)


def test_gzip_with_bad_value(tmp_path):
    frames = tiny_frames()
    frames["gift"].loc[0, "gift_price"] = -1
    d = write_tiny(tmp_path / "g", frames, gz=("gift",))
    e = _err(d, "gift.csv.gz", "gift_price")
    assert e.file == "gift.csv.gz"
    with gzip.open(d / "gift.csv.gz", "rt") as fh:
        assert fh.readline().startswith("user_id")


def test_truncated_gzip(tmp_path):
    d = write_tiny(tmp_path / "t", gz=("negative",))
    data = (d / "negative.csv.gz").read_bytes()
    (d / "negative.csv.gz").write_bytes(data[: len(data) - 12])  # cut the gzip trailer
    with pytest.raises(io.DataError) as ei:
        io.read_table(d, "negative")
    assert "negative.csv.gz" in str(ei.value)


# ---------------------------------------------------------------------------------------------
# Robust reading (issue 17, item 4)
# ---------------------------------------------------------------------------------------------
def test_cut_last_field_without_newline_is_an_error(folder):
    text = (folder / "click.csv").read_text()
    assert text.endswith("\n")
    lines = text.rstrip("\n").split("\n")
    n = len(lines)
    cut = text.rstrip("\n")[:-2]  # '...,7000' -> '...,70', no trailing newline
    _rewrite(folder, "click.csv", cut)
    e = _err(folder, "click.csv")
    assert "truncated" in str(e) and "no newline" in str(e)
    assert e.row == n and e.file == "click.csv" and e.value == cut.split("\n")[-1]
    with pytest.raises(io.DataError, match="line 11"):
        io.read_table(folder, "click")


def test_complete_last_line_without_newline_is_reported_too(folder):
    # the file cannot tell a cut field from a complete one: any missing final newline is reported
    _rewrite(folder, "like.csv", (folder / "like.csv").read_text().rstrip("\n"))
    e = _err(folder, "like.csv")
    assert "truncated" in str(e) and e.row == 2


def test_header_only_without_newline(folder):
    _rewrite(folder, "like.csv", "user_id,live_id,streamer_id,timestamp")
    e = _err(folder, "like.csv")
    assert "no data rows" in str(e)


def test_crlf_file_is_fine(folder):
    text = (folder / "gift.csv").read_text()
    (folder / "gift.csv").write_bytes(text.replace("\n", "\r\n").encode())
    assert len(io.read_table(folder, "gift")) == 3


def test_gzip_without_final_newline(tmp_path):
    d = write_tiny(tmp_path / "g", gz=("comment",))
    with gzip.open(d / "comment.csv.gz", "rt") as fh:
        text = fh.read()
    with gzip.open(d / "comment.csv.gz", "wt") as fh:
        fh.write(text.rstrip("\n")[:-3])
    e = _err(d, "comment.csv.gz")
    assert "truncated" in str(e) and e.row == 3


def test_csv_and_gz_side_by_side_is_an_error_naming_both(folder):
    data = (folder / "like.csv").read_bytes()
    with gzip.open(folder / "like.csv.gz", "wb") as fh:
        fh.write(data)
    e = _err(folder, "like.csv")
    assert "like.csv and like.csv.gz" in str(e) and "like.csv.gz" in str(e)
    with pytest.raises(io.DataError, match="Both like.csv and like.csv.gz"):
        io.read_table(folder, "like")


def test_header_with_spaces_after_commas(folder):
    text = (folder / "gift.csv").read_text().split("\n", 1)
    _rewrite(folder, "gift.csv", text[0].replace(",", ", ") + "\n" + text[1])
    e = _err(folder, "gift.csv")
    msg = str(e)
    assert "header has spaces around column names" in msg and "' live_id'" in msg
    assert "truncated" not in msg and "corrupt" not in msg and e.row == 1


def test_quoted_header_still_fine(folder):
    text = (folder / "like.csv").read_text().split("\n", 1)
    quoted = ",".join(f'"{c}"' for c in text[0].split(","))
    _rewrite(folder, "like.csv", quoted + "\n" + text[1])
    assert len(io.read_table(folder, "like")) == 1


def test_file_digest_streams_content(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"x" * (io.CHUNK * 2 + 5))
    import hashlib

    assert io.file_digest(p) == hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()


def test_tilde_and_relative_folder(tmp_path, monkeypatch):
    write_tiny(tmp_path / "kl")
    monkeypatch.setenv("HOME", str(tmp_path))
    rep = validate_folder("~/kl")
    assert rep.ok and rep.data_dir == tmp_path / "kl"
    monkeypatch.chdir(tmp_path)
    assert len(io.read_table("kl", "click")) == 10
    assert validate_folder("kl").data_dir == tmp_path / "kl"


# ---------------------------------------------------------------------------------------------
# read_batches: the one reader
# ---------------------------------------------------------------------------------------------
def test_read_batches_types_and_file_order(folder, monkeypatch):
    import pyarrow as pa

    monkeypatch.setattr(io, "BLOCK_SIZE", 256)  # a few rows per batch
    batches = list(io.read_batches(folder, "click"))
    assert len(batches) > 1
    table = pa.Table.from_batches(batches)
    assert table.schema.types == [pa.int32(), pa.int32(), pa.int32(), pa.int64(), pa.int32()]
    raw = tiny_frames()["click"]
    assert table.column("watch_live_time").to_pylist() == raw["watch_live_time"].tolist()
    monkeypatch.undo()
    rooms = pa.Table.from_batches(list(io.read_batches(folder, "room", columns=["live_type"])))
    assert rooms.schema.names == ["live_type"] and rooms.schema.types == [pa.int16()]
    users = pa.Table.from_batches(list(io.read_batches(folder, "user")))
    assert pa.types.is_dictionary(users.schema.field("age").type)
    assert users.schema.field("reg_timestamp").type == pa.string()


def test_read_table_equals_to_frame_of_the_batches(folder):
    import pyarrow as pa

    table = pa.Table.from_batches(list(io.read_batches(folder, "user")))
    pd.testing.assert_frame_equal(io.to_frame(S.USER, table), io.read_table(folder, "user"))
