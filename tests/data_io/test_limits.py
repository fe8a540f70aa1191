"""Bounded ingest: small generated bombs under lowered limits are refused with one line naming the limit."""

from __future__ import annotations

import gzip
import io
import json
import struct
import zipfile
import zlib

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recsys_core.data import limits
from recsys_core.data.readers import read_upload
from recsys_core.errors import UserError

ROWS = "user,film,rating\n" + "".join(f"u{k % 50},f{k % 70},{k % 5 + 1}\n" for k in range(4000))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _one_line(e) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_small_files_read_as_before_under_the_defaults():
    assert limits.current() == limits.Limits(2 * 1024**3, 50_000_000, 10_000, 64)
    r = read_upload("r.csv.gz", gzip.compress(ROWS.encode()))
    assert r.tables[0].n_rows == 4000
    r = read_upload("r.zip", _zip({"r.csv": ROWS.encode()}))
    assert r.tables[0].n_rows == 4000


def test_zip_bomb_is_refused_before_unpacking():
    bomb = _zip({"ratings.csv": b"u,f,5\n" * 2_000_000})  # 12 MB of text from ~12 KB
    assert len(bomb) < 40_000
    with limits.use(max_bytes=1_000_000), pytest.raises(UserError) as e:
        read_upload("bomb.zip", bomb)
    msg = _one_line(e)
    assert msg.startswith("bomb.zip: unpacks to more data") and "limit 976.6 KB" in msg
    assert "CINELENS_MAX_UPLOAD_BYTES" in msg


def test_zip_member_that_unpacks_past_its_declared_size_is_refused_while_streaming():
    payload = b"u,f,5\n" * 200_000
    data = bytearray(_zip({"r.csv": payload}))
    # lie about the unpacked size in both headers: the reader must not trust it to stay within budget
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 100)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    with limits.use(max_bytes=50_000), pytest.raises(UserError) as e:
        read_upload("liar.zip", bytes(data))
    assert "liar.zip" in _one_line(e)


def test_gzip_bomb_is_refused_while_streaming():
    bomb = gzip.compress(b"u,f,5\n" * 2_000_000)
    with limits.use(max_bytes=1_000_000), pytest.raises(UserError) as e:
        read_upload("bomb.csv.gz", bomb)
    assert _one_line(e).startswith("bomb.csv.gz: unpacks to more data") and "CINELENS_MAX_UPLOAD_BYTES" in str(e.value)


def test_parquet_rows_are_checked_from_metadata_before_reading():
    t = pa.table({"user": pa.array([1] * 300_000), "film": pa.array([2] * 300_000), "rating": pa.array([5] * 300_000)})
    buf = io.BytesIO()
    pq.write_table(t, buf, compression="zstd")
    assert len(buf.getvalue()) < 20_000
    with limits.use(max_rows=100_000), pytest.raises(UserError) as e:
        read_upload("many.parquet", buf.getvalue())
    msg = _one_line(e)
    assert "holds 300,000 rows (limit 100,000)" in msg and "CINELENS_MAX_ROWS" in msg
    with limits.use(max_bytes=100_000), pytest.raises(UserError) as e:
        read_upload("many.parquet", buf.getvalue())
    assert "unpacks to more data" in _one_line(e)


def test_xlsx_dimensions_are_checked_before_the_cells():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["user", "film", "rating"])
    for k in range(3000):
        ws.append([f"u{k % 40}", f"f{k % 60}", k % 5 + 1])
    buf = io.BytesIO()
    wb.save(buf)
    with limits.use(max_rows=1000), pytest.raises(UserError) as e:
        read_upload("big.xlsx", buf.getvalue())
    assert "holds 3,001 rows (limit 1,000)" in _one_line(e)
    with limits.use(max_bytes=20_000), pytest.raises(UserError) as e:
        read_upload("big.xlsx", buf.getvalue())
    assert "big.xlsx: unpacks to more data" in _one_line(e)
    assert read_upload("big.xlsx", buf.getvalue()).tables[0].n_rows == 3000


def test_wide_header_is_refused_before_parsing():
    header = ",".join(f"c{k}" for k in range(20_001)) + "\n"
    with pytest.raises(UserError) as e:
        read_upload("wide.csv", (header + "1," * 20_000 + "1\n").encode())
    msg = _one_line(e)
    assert "the header has 20,001 columns (limit 10,000)" in msg and "CINELENS_MAX_COLUMNS" in msg


def test_text_rows_are_counted_before_parsing():
    with limits.use(max_rows=1000), pytest.raises(UserError) as e:
        read_upload("r.csv", ROWS.encode())
    assert "holds 4,000 rows (limit 1,000)" in _one_line(e)


@pytest.mark.parametrize("depth", [65, 5000, 200_000])
def test_deeply_nested_json_is_one_line_not_a_recursion_error(depth):
    doc = '[{"user": 1, "film": 2, "rating": 3, "x": ' + "[" * depth + "]" * depth + "}]"
    with pytest.raises(UserError) as e:
        read_upload("deep.json", doc.encode())
    msg = _one_line(e)
    assert "nested more than 64 levels deep" in msg and "CINELENS_MAX_JSON_DEPTH" in msg
    lines = (json.dumps({"user": 1, "film": 2, "rating": 3}) + "\n") + '{"a": ' + "[" * depth + "]" * depth + "}\n"
    with pytest.raises(UserError) as e:
        read_upload("deep.jsonl", lines.encode())
    assert "nested more than 64 levels deep" in _one_line(e)


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CINELENS_MAX_ROWS", "1_000")
    assert limits.current().max_rows == 1000
    with pytest.raises(UserError, match="holds 4,000 rows"):
        read_upload("r.csv", ROWS.encode())
    monkeypatch.setenv("CINELENS_MAX_ROWS", "lots")
    with pytest.raises(UserError, match="CINELENS_MAX_ROWS='lots' is not a number"):
        limits.current()


def test_input_bytes_are_untouched():
    data = gzip.compress(ROWS.encode())
    before = bytes(data)
    with limits.use(max_bytes=1000), pytest.raises(UserError):
        read_upload("r.csv.gz", data)
    assert data == before and zlib.crc32(data) == zlib.crc32(before)
    assert isinstance(pd.DataFrame, type)
