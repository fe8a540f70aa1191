"""Memory of an upload read whole: estimated before parsing, refused in one line past CINELENS_MAX_UPLOAD_MEMORY
(inside ``limits.bounded_memory()``, as the app reads uploads), and big or dense CSV/TSV read in parts instead."""

from __future__ import annotations

import io
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recsys_core.data import ingest, limits, readers
from recsys_core.data.readers import MEM_FIXED, memory_cost, read_upload, text_memory
from recsys_core.errors import UserError
from tests.data_io.test_stream_ingest import _both, _report, _same_versions, messy_csv

MB = 1024**2


def _one_line(e) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def _parquet(rows: int) -> bytes:
    t = pa.table({"user": pa.array([k % 97 for k in range(rows)]), "film": pa.array([k % 89 for k in range(rows)]),
                  "rating": pa.array([k % 5 + 1 for k in range(rows)])})  # fmt: skip
    buf = io.BytesIO()
    pq.write_table(t, buf)
    return buf.getvalue()


def test_defaults_and_the_environment(monkeypatch):
    assert limits.current().max_memory == 1536 * MB
    assert ingest.stream_min_bytes() == 64 * MB
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_MEMORY", "200_000_000")
    assert limits.current().max_memory == 200_000_000
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_MEMORY", "much")
    with pytest.raises(UserError, match="CINELENS_MAX_UPLOAD_MEMORY='much' is not a number"):
        limits.current()


def test_text_estimate_by_hand():
    # 3 lines (header + 2 rows) of 3 columns, read whole: 9 cells and 18 bytes
    data = b"u,f,r\n1,2,3\n4,5,6\n"
    assert text_memory(data, len(data)) == MEM_FIXED + 80 * 9 + 3 * 18
    # from the first bytes only: 3 lines in 18 bytes, so 1,800 bytes hold 301 lines of 3 columns
    assert text_memory(data, 1800) == MEM_FIXED + 80 * 301 * 3 + 3 * 1800
    tab = b"u\tf\tr\tt\n1\t2\t3\t4\n"
    assert text_memory(tab, len(tab)) == MEM_FIXED + 80 * 2 * 4 + 3 * len(tab)
    assert memory_cost("parquet", 1000, 500) == MEM_FIXED + 80 * 1000 + 500


def test_long_text_estimate_by_hand():
    """Reviews cost several times their bytes in memory: bytes in cells of 64 bytes or more count 8 more (text)."""
    review = "好" * 100  # 300 bytes of UTF-8
    data = ("u,f,r,review\n" + "".join(f"1,2,3,{review}\n" for _ in range(200))).encode()
    assert len(data) == 13 + 200 * 307 and readers.LONG_CELL == 64
    assert readers.long_text_bytes(data, ",", len(data)) == 200 * 300
    # read whole: 201 lines x 4 columns, 61,413 bytes, 60,000 of them in long cells
    assert text_memory(data, len(data)) == MEM_FIXED + 80 * 804 + 3 * 61_413 + 8 * 60_000
    # the first bytes of a file 10 times as long: lines and long bytes scaled from them
    assert text_memory(data, 10 * len(data)) == MEM_FIXED + 80 * 2011 * 4 + 3 * 614_130 + 8 * 600_000
    # a ratings file has no long cells: the estimate is as before
    short = b"u,f,r\n" + b"1,2,3\n" * 100
    assert readers.long_text_bytes(short, ",", len(short)) == 0
    # JSON Lines: one cell per key, the review's 300 bytes as long text (5 more a byte)
    lines = "".join(json.dumps({"u": k, "review": review}, ensure_ascii=False) + "\n" for k in range(100)).encode()
    assert readers.json_memory(lines) == MEM_FIXED + 100 * 200 + 6 * len(lines) + 5 * 100 * 300
    # Parquet: the unpacked bytes of a text column whose values average 64 bytes or more
    buf = io.BytesIO()
    pq.write_table(pa.table({"u": list(range(100)), "review": [review + str(k) for k in range(100)]}), buf)
    meta = pq.ParquetFile(io.BytesIO(buf.getvalue())).metadata
    text_col = meta.row_group(0).column(1).total_uncompressed_size
    assert text_col > 100 * 300
    encoded = meta.row_group(0).total_byte_size
    assert readers.parquet_memory("r.parquet", buf.getvalue()) == memory_cost("parquet", 200, encoded, text_col)
    assert memory_cost("parquet", 200, encoded, text_col) == MEM_FIXED + 80 * 200 + encoded + 10 * text_col


def test_parquet_refused_from_its_metadata_inside_the_server_bound():
    data = _parquet(30_000)
    need = memory_cost("parquet", 90_000, pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0).total_byte_size)
    with limits.use(max_memory=need - 1), limits.bounded_memory(), pytest.raises(UserError) as e:
        read_upload("many.parquet", data)
    msg = _one_line(e)
    assert msg.startswith(f"many.parquet: reading this Parquet file whole would take about {limits.human_bytes(need)}")
    assert f"(limit {limits.human_bytes(need - 1)})" in msg
    # read whole only beside other files or off the Data page: the Data page reads it alone in parts
    assert "upload it alone on the Data page, where a Parquet file too big to read whole is read in parts" in msg
    assert "CINELENS_MAX_UPLOAD_MEMORY" in msg
    with limits.use(max_memory=need), limits.bounded_memory():
        assert read_upload("many.parquet", data).tables[0].n_rows == 30_000
    # the command line and the library are not bounded: the caller's own memory
    with limits.use(max_memory=1):
        assert read_upload("many.parquet", data).tables[0].n_rows == 30_000


def test_xlsx_refused_from_its_dimensions():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["user", "film", "rating", "time"])
    for k in range(999):
        ws.append([k % 40, k % 60, k % 5 + 1, 1_600_000_000 + k])
    buf = io.BytesIO()
    wb.save(buf)
    need = memory_cost("xlsx", 1000 * 4, len(buf.getvalue()))
    with limits.use(max_memory=need - 1), limits.bounded_memory(), pytest.raises(UserError) as e:
        read_upload("big.xlsx", buf.getvalue())
    assert _one_line(e).startswith("big.xlsx: reading this Excel file whole would take about")
    with limits.use(max_memory=need), limits.bounded_memory():
        assert read_upload("big.xlsx", buf.getvalue()).tables[0].n_rows == 999


@pytest.mark.parametrize("lines", [False, True])
def test_json_refused_from_its_keys(lines):
    recs = [{"user": k % 40, "film": k % 60, "rating": k % 5 + 1} for k in range(2000)]
    text = "\n".join(json.dumps(r) for r in recs) if lines else json.dumps(recs)
    data = text.encode()
    need = memory_cost("json", 2000 * 3, len(data))
    name = "r.jsonl" if lines else "r.json"
    with limits.use(max_memory=need - 1), limits.bounded_memory(), pytest.raises(UserError) as e:
        read_upload(name, data)
    assert _one_line(e).startswith(f"{name}: reading this JSON file whole would take about")
    with limits.use(max_memory=need), limits.bounded_memory():
        assert read_upload(name, data).tables[0].n_rows == 2000


def test_several_files_count_together():
    a = b"user,film,rating\n" + b"".join(b"u%d,f%d,%d\n" % (k % 30, k % 50, k % 5 + 1) for k in range(3000))
    films = b"film,title\nf1,A\nf2,B\n"
    one, small = text_memory(a, len(a)), text_memory(films, len(films))
    # the fixed part of the estimate counts once per upload: the second file adds only its cells and bytes
    both = one + small - MEM_FIXED
    assert small - MEM_FIXED == 80 * 3 * 2 + 3 * len(films)
    with limits.use(max_memory=both - 1), limits.bounded_memory():
        read_upload("ratings.csv", a)
        with pytest.raises(UserError) as e:
            read_upload("films.csv", films)
    msg = _one_line(e)
    # the message names the upload's total and its biggest file, not the small file's own cost
    assert msg.startswith(
        f"films.csv: the 2 files of this upload read together would take about {limits.human_bytes(both)} of memory "
        f"(limit {limits.human_bytes(both - 1)}; ratings.csv alone about {limits.human_bytes(one)}) - upload "
        "ratings.csv on its own"
    )
    assert msg.endswith("raise the limit with the environment variable CINELENS_MAX_UPLOAD_MEMORY")
    with limits.use(max_memory=both), limits.bounded_memory():  # each upload starts from nothing
        read_upload("ratings.csv", a)
        read_upload("films.csv", films)
    # a CSV read whole (a zip member, another page's upload) is told where it would be read in parts
    with limits.use(max_memory=one - 1), limits.bounded_memory(), pytest.raises(UserError) as e:
        read_upload("ratings.csv", a)
    assert "upload it alone on the Data page, where a CSV / TSV file too big to read whole is read in parts" in str(
        e.value
    )
    # the members of one zip count together too
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", a)
        z.writestr("b.csv", a)
    with limits.use(max_memory=2 * one - MEM_FIXED - 1), limits.bounded_memory(), pytest.raises(UserError) as e:
        read_upload("two.zip", buf.getvalue())
    assert "the 2 files of this upload read together" in _one_line(e)


def _parts(name: str, data: bytes) -> bool:
    return ingest.read_in_parts(name, io.BytesIO(data))


def test_stream_threshold_and_dense_text_go_in_parts(monkeypatch):
    small = messy_csv(300, seed=2)
    assert not _parts("r.csv", small)
    monkeypatch.setenv("CINELENS_STREAM_BYTES", str(len(small)))  # from the threshold on, by size alone
    assert _parts("r.csv", small) and _parts("r.tsv", small.replace(b",", b"\t"))
    # other formats are read whole, their expected memory checked there
    monkeypatch.setenv("CINELENS_STREAM_BYTES", "100")
    assert not _parts("r.json", b"[" + b",".join([b'{"u": 1, "f": 2, "r": 3}'] * 500) + b"]")
    monkeypatch.setenv("CINELENS_STREAM_BYTES", str(len(small) + 1))
    assert not _parts("r.csv", small)
    # under the threshold, a text that would pass the memory limit read whole is read in parts
    need = text_memory(small, len(small))
    with limits.use(max_memory=need - 1):
        assert _parts("r.csv", small)
        assert not _parts("r.json", small)  # only delimited text streams
    with limits.use(max_memory=need):
        assert not _parts("r.csv", small)


def test_gzip_and_zip_are_judged_by_their_unpacked_size(monkeypatch):
    import gzip
    import zipfile

    data = b"user,film,rating\n" + b"".join(b"u%d,f%d,%d\n" % (k % 300, k % 500, k % 5 + 1) for k in range(20_000))
    gz = gzip.compress(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ratings.csv", data)
    one = buf.getvalue()
    assert len(gz) < len(data) // 3 and len(one) < len(data) // 3
    monkeypatch.setenv("CINELENS_STREAM_BYTES", str(len(data)))
    assert _parts("r.csv.gz", gz) and _parts("r.zip", one) and _parts("r.csv", data)
    monkeypatch.setenv("CINELENS_STREAM_BYTES", str(len(data) + 1))
    assert not (_parts("r.csv.gz", gz) or _parts("r.zip", one) or _parts("r.csv", data))
    need = text_memory(data, len(data))
    with limits.use(max_memory=need - 1):
        assert _parts("r.csv.gz", gz) and _parts("r.zip", one)
    buf = io.BytesIO()
    with zipfile.ZipFile(
        buf, "w", compression=zipfile.ZIP_DEFLATED
    ) as z:  # several tables: read whole (the in-memory reader checks each)
        z.writestr("ratings.csv", data)
        z.writestr("movies.csv", b"movieId,title\n1,A\n")
    with limits.use(max_memory=need - 1):
        assert not _parts("two.zip", buf.getvalue())


def test_dense_text_read_in_parts_gives_the_same_report_and_rows(tmp_path):
    """What :func:`ingest.read_in_parts` sends to the streaming path comes out as the in-memory path would have."""
    data = messy_csv(2500, seed=3)
    with limits.use(max_memory=text_memory(data, len(data)) - 1):
        assert _parts("ratings.csv", data)
    ws_a, ws_b, rep, staged = _both(tmp_path, "ratings.csv", data)
    assert _report(staged.report) == _report(rep)
    _same_versions(ws_a, ws_b)


def test_xlsx_without_dimensions_is_judged_by_its_unpacked_size():
    import re
    import zipfile

    wb = openpyxl.Workbook()
    ws = wb.active
    for k in range(500):
        ws.append([k % 40, k % 60, k % 5 + 1])
    src = io.BytesIO()
    wb.save(src)
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            body = zin.read(i.filename)
            if i.filename.startswith("xl/worksheets/"):
                body = re.sub(rb"<dimension[^>]*/>", b"", body)
            zout.writestr(i.filename, body)
        unpacked = sum(zout.getinfo(n).file_size for n in zout.namelist())
    data = out.getvalue()
    assert openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.max_row is None
    need = memory_cost("xlsx", unpacked // readers._XLSX_CELL_XML, len(data))
    with limits.use(max_memory=need - 1), limits.bounded_memory(), pytest.raises(UserError) as e:
        read_upload("nodim.xlsx", data)
    assert f"would take about {limits.human_bytes(need)}" in _one_line(e)
