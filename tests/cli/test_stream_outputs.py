"""Batch outputs written in chunks: the writer, ``recommend --all-users --out`` and ``audience --out``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from recsys_core.__main__ import main
from recsys_core.data.stream import ChunkedTableWriter
from recsys_core.errors import UserError
from recsys_core.profiling.audience import pseudonymise, target_audience, write_audience
from recsys_core.store import open_workspace

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny_ratings.csv"  # 6 users x 6 films, 24 ratings


def test_csv_writer_one_header_bom_and_neutralised_cells(tmp_path):
    path = tmp_path / "t.csv"
    with ChunkedTableWriter(path) as w:
        w.write(pd.DataFrame({"user_id": ["a", "=cmd()"], "score": [1.5, -2.0]}))
        w.write(pd.DataFrame({"user_id": ["c"], "score": [3.0]}))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert raw.decode("utf-8-sig").splitlines() == ["user_id,score", "a,1.5", "'=cmd(),-2.0", "c,3.0"]
    assert (w.rows, w.chunks) == (3, 2)
    assert not (tmp_path / "t.csv.part").exists()


def test_parquet_writer_one_row_group_per_chunk(tmp_path):
    path = tmp_path / "t.parquet"
    with ChunkedTableWriter(path) as w:
        for k in range(3):
            w.write(pd.DataFrame({"user_id": [f"u{k}", f"v{k}"], "rank": [1, 2], "score": [0.5, 0.25]}))
    f = pq.ParquetFile(path)
    assert f.metadata.num_rows == 6 and f.metadata.num_row_groups == 3
    assert pd.read_parquet(path)["user_id"].tolist() == ["u0", "v0", "u1", "v1", "u2", "v2"]


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with ChunkedTableWriter(path) as w:
            w.write(pd.DataFrame({"a": [1]}))
            raise RuntimeError("stopped half way")
    assert path.read_text() == "old\n"
    assert not (tmp_path / "t.csv.part").exists()
    with pytest.raises(UserError, match=r"\.csv or \.parquet"):
        ChunkedTableWriter(tmp_path / "t.xlsx")


def test_recommend_all_users_streams_the_same_lists_as_json(tmp_path, capsys):
    js = tmp_path / "lists.json"
    assert main(["recommend", str(TINY), "--model", "popularity", "--all-users", "--n", "2", "--json", str(js)]) == 0
    expected = json.loads(js.read_text())["recommendations"]
    out = tmp_path / "lists.parquet"
    code = main(
        ["recommend", str(TINY), "--model", "popularity", "--all-users", "--n", "2", "--out", str(out)]
        + ["--chunk-users", "4"]
    )
    assert code == 0
    assert "in 2 chunks" in capsys.readouterr().out  # 6 users, 4 per chunk
    assert pq.ParquetFile(out).metadata.num_row_groups == 2
    got = pd.read_parquet(out)
    assert list(got.columns) == ["user_id", "rank", "item_id", "score"]
    for u, lst in expected.items():
        rows = got[got["user_id"] == u].sort_values("rank")
        assert rows["rank"].tolist() == list(range(1, len(lst) + 1))
        assert rows["item_id"].tolist() == [x[0] for x in lst]
        assert rows["score"].tolist() == pytest.approx([x[1] for x in lst])
    assert len(got) == sum(len(v) for v in expected.values())


def test_recommend_out_errors_are_one_line(tmp_path, capsys):
    code = main(["recommend", str(TINY), "--model", "popularity", "--all-users", "--out", str(tmp_path / "x.xlsx")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ".csv or .parquet" in err and len(err.strip().splitlines()) == 1


def test_audience_written_in_chunks_with_the_same_pseudonyms(tmp_path):
    from tests.profiling.conftest import planted_dataset

    ds, _ = planted_dataset()
    res = target_audience(ds, item_id="F25", model="neighbour")
    secret = open_workspace(tmp_path / "ws").secret("pseudonym")
    path = tmp_path / "aud.parquet"
    n = write_audience(res.table, path, secret, chunk=7)
    assert n == len(res.table) > 7
    got = pd.read_parquet(path)
    assert got["user_pseudonym"].tolist() == pseudonymise(res.table["user_id"], secret)
    assert got["score"].tolist() == pytest.approx(res.table["score"].tolist())
    assert pq.ParquetFile(path).metadata.num_row_groups == -(-len(res.table) // 7)
    raw = tmp_path / "aud.csv"
    write_audience(res.table, raw, pseudonymise_ids=False, chunk=5)
    back = pd.read_csv(raw, encoding="utf-8-sig", dtype={"user_id": str})
    assert back["user_id"].tolist() == res.table["user_id"].tolist()
