"""A Parquet upload too big to read whole is read by batches through the streaming ingest, and gives the in-memory
path's report and rows on the same file (the stream threshold lowered for the test)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recsys_core.data import ingest as I
from recsys_core.data import limits, readers
from recsys_core.data.cleaning import CleaningOptions
from recsys_core.errors import UserError
from tests.data_io.test_stream_ingest import OPTION_SETS, _both, _report, _same_versions, messy_csv


def _as_parquet(table: pa.Table, row_group_size: int | None = None) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group_size)
    return buf.getvalue()


def text_parquet(n=3000, seed=1, **kw) -> bytes:
    """The messy ratings of the CSV tests as a Parquet file of text columns."""
    df = pd.read_csv(io.BytesIO(messy_csv(n, seed=seed)), dtype=str, keep_default_na=False)
    df = df.replace("", None)
    return _as_parquet(pa.Table.from_pandas(df, preserve_index=False), **kw)


def typed_parquet(n=4000, seed=5, **kw) -> bytes:
    """Integer ids and times, float ratings, a flag; nulls in a few rows of one part only; exact duplicates and
    repeated pairs spread over the parts."""
    rng = np.random.default_rng(seed)
    users = rng.integers(1, 200, n).astype(object)
    users[[17, 18]] = None  # nulls in the first part only: every part must give the same values
    items = rng.integers(1, 300, n)
    ratings = rng.integers(1, 11, n) / 2
    ratings[5::301] = np.nan
    ratings = [None if np.isnan(r) else r for r in ratings]
    times = list(1_600_000_000 + rng.integers(0, 10**7, n))
    times[40] = None
    flag = [bool(k % 3) for k in range(n)]
    flag[9] = None
    idx = rng.integers(0, n, n // 20)  # exact duplicates
    t = pa.table(
        {
            "userId": pa.array(list(users) + [users[i] for i in idx], pa.int64()),
            "movieId": pa.array(list(items) + [items[i] for i in idx], pa.int64()),
            "rating": pa.array(list(ratings) + [ratings[i] for i in idx], pa.float64()),
            "timestamp": pa.array(list(times) + [times[i] for i in idx], pa.int64()),
            "liked": pa.array(flag + [flag[i] for i in idx], pa.bool_()),
        }
    )
    return _as_parquet(t, **kw)


def _parts(name, data) -> bool:
    return I.read_in_parts(name, io.BytesIO(data))


def test_parquet_over_the_memory_check_is_read_in_parts():
    data = typed_parquet()
    need = readers.parquet_memory("r.parquet", data)
    with limits.use(max_memory=need - 1):
        assert _parts("r.parquet", data)
        assert not _parts("r.json", data)  # only .parquet files stream
    with limits.use(max_memory=need):
        assert not _parts("r.parquet", data)


@pytest.mark.parametrize("opts", OPTION_SETS[:3])
def test_streamed_parquet_matches_in_memory(tmp_path, opts):
    data = text_parquet(3000, seed=1)
    ws_a, ws_b, rep, staged = _both(tmp_path, "ratings.parquet", data, CleaningOptions.from_dict(opts))
    assert staged.rows == rep.rows_out > 2500
    assert _report(staged.report) == _report(rep)
    _same_versions(ws_a, ws_b)


def test_typed_parquet_in_one_row_group_and_nulls_in_one_part(tmp_path):
    data = typed_parquet(row_group_size=1_000_000)
    assert pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups == 1
    ws_a, ws_b, rep, staged = _both(tmp_path, "ratings.parquet", data)
    exact = next(s for s in rep.steps if s.name == "exact_duplicates")
    assert exact.rows_affected >= 150  # 200 copies of earlier rows, fewer where a copy repeats a copy
    assert _report(staged.report) == _report(rep)
    _same_versions(ws_a, ws_b)


def test_parquet_batches_are_bounded_even_in_one_row_group(tmp_path):
    data = typed_parquet(n=4000, row_group_size=1_000_000)
    (tmp_path / "r.parquet").write_bytes(data)
    sr = I.read_stream(I.source_for("r.parquet", tmp_path / "r.parquet"), tmp_path)
    assert sr.table.n_rows == 4200 and sr.result.format == "parquet"
    parts = list(I._batches(sr, 20_000))
    # 5 columns of at least 8 bytes: 20,000 bytes hold 500 rows
    assert [len(f) for _, f, _ in parts] == [500] * 8 + [200]
    assert [rn for rn, _, _ in parts] == list(range(0, 4200, 500))
    # nulls only in the first part, yet every part has the dtypes of the file read whole
    whole = pd.read_parquet(io.BytesIO(data))
    assert str(whole["userId"].dtype) == "float64" and str(whole["liked"].dtype) == "object"
    for _, f, _ in parts:
        assert f.dtypes.astype(str).tolist() == whole.dtypes.astype(str).tolist()
    assert sum(len(f) for _, f, _ in I._batches(sr, 10**9)) == 4200


def test_parquet_limits_from_the_metadata_before_reading(tmp_path):
    data = typed_parquet(n=1000)
    (tmp_path / "r.parquet").write_bytes(data)
    src = I.source_for("r.parquet", tmp_path / "r.parquet")
    with limits.use(max_rows=1049), pytest.raises(UserError, match=r"r.parquet: holds 1,050 rows \(limit 1,049\)"):
        I.read_stream(src, tmp_path)
    with limits.use(max_bytes=1050 * 5 * 8 - 1), pytest.raises(UserError, match="CINELENS_MAX_UPLOAD_BYTES"):
        I.read_stream(src, tmp_path)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1" + b"\0" * 100)
    with pytest.raises(UserError, match="bad.parquet: the Parquet file cannot be read"):
        I.read_stream(I.source_for("bad.parquet", tmp_path / "bad.parquet"), tmp_path)
