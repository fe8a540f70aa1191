"""Honest decoding and scales: mixed encodings per line, the dominant rating scale, -0, control characters,
star labels on the file's own scale, and header-less numeric files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.__main__ import build_parser
from recsys_core.data.cleaning import CleaningOptions, clean
from recsys_core.data.io import load_path_with_report
from recsys_core.data.readers import read_upload
from recsys_core.errors import UserError

REVIEWS = ["这部电影很好看", "剧情拖沓", "演员演技在线", "配乐动人", "结局出人意料", "节奏太慢了"]


def _utf8_file_with_one_gbk_line(n: int = 120) -> tuple[bytes, list[str]]:
    lines, texts = [b"user,film,rating,review"], []
    for k in range(n):
        text = f"{REVIEWS[k % len(REVIEWS)]}{k}"
        texts.append(text)
        enc = "gbk" if k == 57 else "utf-8"
        lines.append(f"u{k % 30},f{k % 40},{k % 5 + 1},{text}".encode(enc))
    return b"\n".join(lines) + b"\n", texts


def test_one_gbk_line_in_a_utf8_file_is_decoded_on_its_own_with_a_warning():
    data, texts = _utf8_file_with_one_gbk_line()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    r = read_upload("mixed.csv", data)
    t = r.tables[0]
    assert t.frame["review"].tolist() == texts  # 120 of 120 reviews read right, the GBK one included
    assert t.encoding == "UTF-8 + GB18030 (1 lines)"
    assert r.warnings == [
        "mixed.csv: 1 line(s) were not UTF-8 and were read as GB18030 (line 59); the rest is UTF-8 - check those "
        "lines, or re-save the file as UTF-8"
    ]
    ds, rep, _ = load_path_with_report_bytes(data)
    assert any("were not UTF-8" in w for w in rep.warnings)


def load_path_with_report_bytes(data: bytes):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "mixed.csv"
        p.write_bytes(data)
        return load_path_with_report(p)


def test_a_line_in_no_known_encoding_is_refused_in_one_line():
    data = "user,film,rating,review\nu1,f1,4,好看\nu3,f3,5,配乐动人\n".encode() + b"u2,f2,3,\xff\xfe\xff\n"
    with pytest.raises(UserError) as e:
        read_upload("bad.csv", data)
    assert str(e.value) == (
        "bad.csv: line 4 is neither UTF-8 nor GBK/Big5 (mixed encodings) - re-save the file as UTF-8"
    )


def test_a_whole_gbk_file_is_still_read_as_gbk():
    data = "user,film,rating,review\n" + "".join(f"u{k},f{k},4,{REVIEWS[k % 6]}\n" for k in range(40))
    r = read_upload("gbk.csv", data.encode("gbk"))
    assert r.tables[0].encoding == "GBK" and r.warnings == []
    assert r.tables[0].frame["review"].iloc[1] == REVIEWS[1]


def _ratings(values) -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": [f"u{k % 37}" for k in range(len(values))], "item_id": [f"f{k}" for k in range(len(values))],
         "rating": values}
    )  # fmt: skip


def test_planted_outliers_do_not_widen_the_scale_they_are_reported():
    values = [str(k % 5 + 1) for k in range(200)] + ["0", "6", "99", "100"]
    ds, rep = clean(_ratings(values))
    assert rep.detected_scale == (1.0, 5.0)
    oor = rep.step("out_of_range")
    assert oor.rows_affected == 4 and oor.rows_dropped == 4
    assert sorted(e["rating"] for e in oor.examples) == [0.0, 6.0, 99.0, 100.0]
    kept, rep2 = clean(_ratings(values), CleaningOptions(out_of_range="keep"))
    assert rep2.detected_scale == (1.0, 5.0) and len(kept.interactions) == 204


def test_minus_zero_is_zero_and_does_not_shift_the_scale():
    values = [str(k % 5 + 1) for k in range(200)] + ["-0"]
    ds, rep = clean(_ratings(values), CleaningOptions(out_of_range="keep"))
    assert rep.detected_scale == (1.0, 5.0)
    r = ds.interactions["rating"].to_numpy()
    zero = r[r == 0]
    assert len(zero) == 1 and not np.signbit(zero).any()
    assert rep.step("out_of_range").rows_affected == 1


def test_nul_past_the_first_256_kb_is_stripped_from_ids_and_text_and_reported():
    body = "".join(f"u{k % 500},f{k % 300},{k % 5 + 1},ok{k}\n" for k in range(20000))
    assert len(body) > 256 * 1024
    data = ("user,film,rating,review\n" + body + "u\x0077,f1,5,bad\x00text\n").encode()
    r = read_upload("nul.csv", data)
    from recsys_core.data.cleaning import apply_mapping

    ds, rep = clean(apply_mapping(r))
    inter = ds.interactions
    assert not inter["user_id"].str.contains("\x00").any()
    assert not inter["text"].dropna().str.contains("\x00").any()
    assert "u77" in set(inter["user_id"])
    assert any(
        "control characters (NUL, ...) removed from 1 user_id value(s), 1 text value(s)" in w for w in rep.warnings
    )
    _, rep_off = clean(apply_mapping(r), CleaningOptions(clean_text=False, normalise_ids=False))
    assert any("control characters" in w for w in rep_off.warnings)


def test_star_labels_in_a_ten_point_file_land_on_its_own_scale():
    labels = {"力荐": 10.0, "推荐": 8.0, "还行": 6.0, "较差": 4.0, "很差": 2.0}
    values = [str(k % 10 + 1) for k in range(100)] + list(labels)
    ds, rep = clean(_ratings(values))
    assert rep.detected_scale == (1.0, 10.0)
    got = ds.interactions.set_index("item_id")["rating"]
    for k, (label, want) in enumerate(labels.items()):
        assert got[f"f{100 + k}"] == pytest.approx(want), label
    assert "5 star labels such as 力荐 mapped onto the file's 1-10 scale" in rep.step("parse_ratings").detail
    five, _ = clean(_ratings(values), CleaningOptions(target_scale=(1, 5)))
    assert five.interactions.set_index("item_id")["rating"]["f100"] == pytest.approx(5.0)  # 力荐 stays the top


def test_star_labels_in_a_five_star_file_are_unchanged():
    ds, rep = clean(_ratings(["1", "2", "3", "力荐", "很差"]))
    assert ds.interactions["rating"].tolist() == [1.0, 2.0, 3.0, 5.0, 1.0]


def test_headerless_numeric_file_is_guessed_and_shown(tmp_path):
    data = b"1 1 2\n1 2 4\n2 1 3\n2 3 1\n3 2 4\n3 3 5\n"
    r = read_upload("filmtrust.txt", data)
    t = r.tables[0]
    assert (t.role, t.layout, t.has_header) == ("interactions", "headerless-numeric", False)
    assert t.mapping == {"user_id": "col1", "item_id": "col2", "rating": "col3"}
    assert r.warnings == [
        "filmtrust.txt: no header row; guessed the columns as user=col1, film=col2, rating=col3 - change them in "
        "the column mapping (or with --map on the command line) if that is wrong"
    ]
    p = tmp_path / "filmtrust.txt"
    p.write_bytes(data)
    ds, _, _ = load_path_with_report(p)
    assert len(ds.interactions) == 6 and ds.rating_scale == (1.0, 5.0)
    swapped, _, _ = load_path_with_report(p, mapping={"user_id": "col2", "item_id": "col1", "rating": "col3"})
    assert sorted(swapped.interactions["user_id"].unique()) == ["1", "2", "3"]
    assert (swapped.interactions.iloc[1][["user_id", "item_id"]] == ["2", "1"]).all()


def test_text_columns_are_not_guessed_as_ids():
    r = read_upload("x.txt", b"ab cd 2\nef gh 4\n")
    assert r.tables[0].role == "unknown"


def test_every_command_that_reads_data_accepts_map():
    parser, handlers = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        dests = {a.dest for a in p._actions}
        if "path" in dests:
            assert "map" in dests, name
    assert {"clean", "evaluate", "info", "recommend", "audience", "segment"} <= set(handlers)


def test_evaluate_takes_map_on_a_headerless_file(tmp_path, capsys):
    from recsys_core.__main__ import main

    rows = "".join(f"{u} {i} {(u * i) % 5 + 1}\n" for u in range(1, 25) for i in range(1, 16) if (u + i) % 3)
    p = tmp_path / "u.txt"
    p.write_text(rows)
    code = main(["info", str(p), "--map", "user=col2,item=col1,rating=col3"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "users         15" in out.out
