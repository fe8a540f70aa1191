"""The streaming ingest (big files read in parts, global steps in DuckDB) gives the in-memory path's report and
rows on the same file; bad input gets the same one-line refusals; a failed ingest leaves the workspace as it was."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from recsys_core.app.lab import Lab
from recsys_core.data import ingest as I
from recsys_core.data import limits
from recsys_core.data.cleaning import CleaningOptions
from recsys_core.data.readers import read_upload
from recsys_core.errors import UserError
from recsys_core.store import Workspace

BLOCK = 20_000  # bytes per part: a few hundred rows, so small files take many parts


def messy_csv(n=3000, seed=0, *, stars=False, gbk_lines=0) -> bytes:
    """Ratings with every kind of mess the cleaning steps handle, exact duplicates, repeated pairs, a burst user
    and a constant user, shuffled (seeded)."""
    rng = np.random.default_rng(seed)
    users, items = rng.integers(1, 300, n), rng.integers(1, 500, n)
    ratings, ts = rng.integers(1, 6, n), 1_600_000_000 + rng.integers(0, 10_000_000, n)
    texts = ["good film", "<b>great</b> &amp; fun", "call 13812345678 now", "", "  spaced   out  ", "x" * 30]
    odd = {
        1: (0, lambda v: f" {v} "),
        2: (1, lambda v: f"{v}.0"),
        3: (0, lambda v: ""),
        4: (2, lambda v: "力荐" if stars else "abc"),
        5: (2, lambda v: "4分"),
        6: (2, lambda v: "99"),
        7: (2, lambda v: ""),
        8: (3, lambda v: "2021年3月31日 10:05"),
        9: (3, lambda v: "not a time"),
        10: (3, lambda v: "2021/3/31"),
        11: (0, lambda v: v + "\u200b"),
    }
    rows = []
    for i in range(n):
        row = [str(users[i]), str(items[i]), str(ratings[i]), str(ts[i]), texts[i % 6]]
        if i % 97 in odd:
            col, f = odd[i % 97]
            row[col] = f(row[col])
        rows.append(row)
    rows += [list(rows[i]) for i in range(0, n, 50)]  # exact duplicates
    rows += [[*rows[i][:2], "3", str(1_700_000_000 + i), rows[i][4]] for i in range(0, n, 70)]  # repeated pairs
    rows += [["burst1", str(j + 1), "5", str(1_650_000_000 + j), ""] for j in range(130)]
    rows += [["const1", str(j + 1), "4", "", ""] for j in range(110)]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    if stars:  # a 1-10 file with star labels among its numbers
        for r in rows:
            if r[2].isdigit() and r[2] != "99":
                r[2] = str(int(r[2]) * 2)
    lines = ["user,film,rating,time,review"]
    lines += [",".join(f'"{c}"' if "," in c else c for c in r) for r in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if gbk_lines:
        parts = data.split(b"\n")
        for j in range(1, gbk_lines + 1):
            k = j * (len(parts) // (gbk_lines + 2))
            parts[k] = f"gbk{j},{j},8,1600000000,很好看的电影".encode("gbk")
        data = b"\n".join(parts)
    return data


def _report(rep) -> dict:
    d = json.loads(json.dumps(rep.to_dict()))
    for s in d["steps"]:
        s.pop("examples")
    return d


def _both(tmp_path, name, data, opts=None, **kw):
    """(in-memory workspace, streaming workspace, in-memory report, streamed staging)."""
    opts = opts or CleaningOptions()
    ws_a, ws_b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    res = read_upload(name, data)
    raw_ds, ds, rep = Lab.clean_upload(res, None, opts)
    Lab(ws_a).save_upload([(name, data)], raw_ds, ds, rep)
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / name).write_bytes(data)
    sr = I.read_stream(I.source_for(name, spool / name), spool, **kw)
    assert sr.result.warnings == res.warnings
    assert sr.table.encoding == res.tables[0].encoding
    staged = I.ingest(sr, None, opts, block_bytes=BLOCK)
    Lab(ws_b).save_staged(staged)
    return ws_a, ws_b, rep, staged


def _same_versions(ws_a, ws_b):
    cols = ["version_id", "kind", "parent", "users", "items", "rows"]
    pd.testing.assert_frame_equal(ws_a.list_versions()[cols], ws_b.list_versions()[cols])
    for v in ws_a.list_versions()["version_id"]:
        a, b = ws_a.load_version(v), ws_b.load_version(v)
        assert a.rating_scale == b.rating_scale
        pd.testing.assert_frame_equal(a.interactions, b.interactions)
        assert _report_dict(a.meta["cleaning"]) == _report_dict(b.meta["cleaning"])
        assert a.meta["suspicious_users"] == b.meta["suspicious_users"]
    assert ws_a.version_summary("v2") == ws_b.version_summary("v2")


def _report_dict(d):
    d = json.loads(json.dumps(d))
    for s in d["steps"]:
        s.pop("examples")
    return d


OPTION_SETS = [
    {},
    {"duplicate_pairs": "mean", "drop_suspicious": True, "target_scale": [0, 10], "missing_ratings": "drop"},
    {"duplicate_pairs": "first", "exact_duplicates": False, "unparseable_ratings": "blank", "out_of_range": "clip"},
    {"duplicate_pairs": "keep", "mask_pii": False, "rating_step": 0.5, "target_scale": [1, 10], "text_max_len": 10},
]


@pytest.mark.parametrize("opts", OPTION_SETS)
def test_streamed_report_and_rows_match_in_memory(tmp_path, opts):
    data = messy_csv(3000, seed=1)
    ws_a, ws_b, rep, staged = _both(tmp_path, "ratings.csv", data, CleaningOptions.from_dict(opts))
    assert _report(staged.report) == _report(rep)
    # the steps really did something on this file
    counts = {s.name: s.rows_affected for s in rep.steps}
    assert counts["exact_duplicates"] == 60 and counts["duplicate_pairs"] > 0 or not opts == {}
    assert [u["user_id"] for u in rep.suspicious_users] == ["burst1", "const1"]
    _same_versions(ws_a, ws_b)
    # the stored upload is the file as uploaded
    name, stored = ws_b.upload_bytes(hashlib.sha256(data).hexdigest())
    assert (name, stored) == ("ratings.csv", data)


def test_star_labels_on_a_ten_point_file_and_gbk_lines(tmp_path):
    data = messy_csv(3000, seed=2, stars=True, gbk_lines=3)
    ws_a, ws_b, rep, staged = _both(tmp_path, "douban.csv", data)
    assert "3 line(s) were not UTF-8" in staged.report.warnings[0]
    assert "star labels" in rep.step("parse_ratings").detail
    assert _report(staged.report) == _report(rep)
    _same_versions(ws_a, ws_b)


@pytest.mark.parametrize("kind", ["gz", "zip"])
def test_compressed_streams(tmp_path, kind):
    data = messy_csv(1500, seed=3)
    if kind == "gz":
        packed, name = gzip.compress(data), "ratings.csv.gz"
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("ml/ratings.csv", data)
            z.writestr("ml/README.txt", "about")
        packed, name = buf.getvalue(), "ratings.zip"
    ws_a, ws_b, rep, staged = _both(tmp_path, name, packed)
    assert _report(staged.report) == _report(rep)
    _same_versions(ws_a, ws_b)


def test_too_many_rows_refused_and_workspace_unchanged(tmp_path):
    ws = Workspace(tmp_path / "ws")
    data = messy_csv(2000, seed=4)
    p = tmp_path / "spool" / "big.csv"
    p.parent.mkdir()
    p.write_bytes(data)
    sr = I.read_stream(I.source_for("big.csv", p), p.parent)
    rows = sr.table.n_rows
    assert rows == data.count(b"\n") - 1
    with limits.use(max_rows=rows // 2):  # the limit is passed halfway through the blocks
        with pytest.raises(
            UserError, match=r"big.csv: holds more than [\d,]+ rows \(limit [\d,]+\) - .*CINELENS_MAX_ROWS"
        ):
            I.ingest(sr, None, CleaningOptions(), block_bytes=BLOCK)
    assert ws.list_versions().empty
    assert not any((tmp_path / "ws" / "uploads").iterdir())
    assert not list(p.parent.glob("run-*"))  # the scratch database is gone too
    with limits.use(max_rows=rows // 2), pytest.raises(UserError, match="CINELENS_MAX_ROWS"):
        I.read_stream(I.source_for("big.csv", p), p.parent)  # and refused up front when read again


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("ragged.csv", b"u,i,r\n1,2,3\n4,5,6,7\n", r"ragged rows"),
        ("header.csv", b"u,i,r\n", r"no data rows"),
        ("bad.csv", b"u,i,r\n1,2,3\n" + "1,2,é\n".encode("latin-1") * 3, None),
    ],
)
def test_bad_input_one_line(tmp_path, name, data, message):
    p = tmp_path / name
    p.write_bytes(data)
    src = I.source_for(name, p)
    try:
        sr = I.read_stream(src, tmp_path)
        I.ingest(sr, {"user_id": "u", "item_id": "i", "rating": "r"}, CleaningOptions(), block_bytes=BLOCK)
    except UserError as e:
        assert "\n" not in str(e) and str(e).startswith(name)
        if message:
            assert re.search(message, str(e))
    else:
        assert message is None  # a Latin-1 file is read (as the in-memory reader does)


def test_unpacked_bytes_limit_on_a_gzip_bomb(tmp_path):
    p = tmp_path / "bomb.csv.gz"
    p.write_bytes(gzip.compress(b"u,i,r\n" + b"1,2,3\n" * 200_000))
    with limits.use(max_bytes=100_000), pytest.raises(UserError, match="CINELENS_MAX_UPLOAD_BYTES"):
        I.read_stream(I.source_for(p.name, p), tmp_path)


def test_not_streamable_files_are_left_to_the_in_memory_reader(tmp_path):
    p = tmp_path / "two.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.csv", "u,i,r\n1,2,3\n")
        z.writestr("b.csv", "u,i,r\n1,2,3\n")
    assert I.source_for("two.zip", p) is None
    (tmp_path / "empty.csv").write_bytes(b"")
    assert I.source_for("empty.csv", tmp_path / "empty.csv") is None  # and refused there in one line:
    with pytest.raises(UserError, match="empty.csv: the file is empty"):
        read_upload("empty.csv", b"")
    (tmp_path / "x.json").write_text("[]")
    assert I.source_for("x.json", tmp_path / "x.json") is None


def test_cli_clean_in_parts_gives_the_same_report_and_rows(tmp_path):
    """``clean`` of a file over CINELENS_STREAM_BYTES (lowered here) takes the streaming path: the same report and
    the same --out rows (pseudonymised, written part by part) as the in-memory path."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    src = tmp_path / "ratings.csv"
    src.write_bytes(messy_csv(2000, seed=5))
    env = {**os.environ, "CINELENS_WORKSPACE": str(tmp_path / "ws"), "CINELENS_SECRET": "test-secret-for-both"}
    out = {}
    for mode, threshold in (("memory", str(1 << 40)), ("parts", "1")):
        r = subprocess.run(
            [sys.executable, "-m", "recsys_core", "clean", str(src), "--out", str(tmp_path / f"{mode}.csv")],
            cwd=root, env={**env, "CINELENS_STREAM_BYTES": threshold}, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        out[mode] = (json.loads(r.stdout), pd.read_csv(tmp_path / f"{mode}.csv", dtype=str, keep_default_na=False))
    for rep in (out["memory"][0], out["parts"][0]):
        for s in rep["steps"]:
            s.pop("examples")
    assert out["parts"][0] == out["memory"][0]
    # the same rows; their order in the file is not part of the contract (the streaming export's order can differ)
    cols = list(out["memory"][1].columns)
    same = [f.sort_values(cols, kind="stable").reset_index(drop=True) for f in (out["parts"][1], out["memory"][1])]
    pd.testing.assert_frame_equal(*same)
    assert len(out["parts"][1]) == out["parts"][0]["rows_out"]


def test_every_scratch_connection_has_the_memory_limit_and_spills_beside_the_scratch_file(tmp_path):
    db = tmp_path / "run" / "stage.duckdb"
    db.parent.mkdir()
    I._connect(db).close()  # creates the file
    for read_only in (False, True):  # the ingest and the save write, the export reads
        con = I._connect(db, read_only=read_only)
        limit, spill, bar = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('enable_progress_bar')"
        ).fetchone()
        con.close()
        assert limit == "488.2 MiB" and spill == str(tmp_path / "run" / "spill")  # 512MB, not 80% of the machine
        assert bar is False  # a long COPY drew a progress bar on stdout (and filled a benchmark's pipe)


def test_a_tight_scratch_memory_limit_gives_the_same_report_and_versions(tmp_path, monkeypatch):
    monkeypatch.setattr(I, "DUCKDB_MEMORY", "24MB")  # the sort that writes the versions out spills beyond it
    data = messy_csv(3000, seed=5)
    ws_a, ws_b, rep, staged = _both(tmp_path, "ratings.csv", data)
    assert _report(staged.report) == _report(rep)
    _same_versions(ws_a, ws_b)
