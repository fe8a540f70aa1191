"""Readers: one fixture per format and encoding, layouts, bad input."""

import gzip
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from recsys_core.data import detect
from recsys_core.data.io import load_path, read_upload
from recsys_core.data.readers import read_path
from recsys_core.errors import UserError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
CN_CSV = "用户ID,电影ID,评分,短评,时间\nu1,m1,5,很好看,2021年3月31日\nu2,m1,力荐,推荐給朋友,2021-04-01 10:00:00\nu2,m2,3,一般,1617235200\n"
TW_CSV = "用戶ID,電影ID,評分,短評\nu1,m1,5,這部電影真好看\nu2,m2,4,還不錯的電影\n"


# ---------------------------------------------------------------------------------------
# encodings
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label,data",
    [
        ("UTF-8", CN_CSV.encode("utf-8")),
        ("UTF-8-BOM", CN_CSV.encode("utf-8-sig")),
        ("GBK", CN_CSV.encode("gbk")),
        ("GB18030", (CN_CSV + "u3,m3,4,𠀀好,2021-01-01\n").encode("gb18030")),
        ("Big5", TW_CSV.encode("big5")),
        (
            "Latin-1",
            "item,title\n1,Misérables, Les (1995)\n2,Café Society\n".replace(", Les", " Les").encode("latin-1"),
        ),
        ("UTF-16", CN_CSV.encode("utf-16")),
    ],
)
def test_encoding_detected_and_text_decoded(label, data):
    assert detect.detect_encoding(data) == label
    r = read_upload("ratings.csv", data)
    t = r.tables[0]
    assert t.encoding == label
    first = str(t.frame.iloc[0, 1]) if label == "Latin-1" else None
    if label == "Latin-1":
        assert first == "Misérables Les (1995)"
    elif label == "Big5":
        assert t.frame["短評"].tolist() == ["這部電影真好看", "還不錯的電影"]
        assert t.role == "interactions"
    else:
        assert t.frame["短评"].iloc[0] == "很好看"
        assert t.mapping == {
            "user_id": "用户ID",
            "item_id": "电影ID",
            "rating": "评分",
            "text": "短评",
            "timestamp": "时间",
        }


def test_gbk_upload_cleans_to_expected_counts():
    from recsys_core.data.io import apply_mapping, clean

    ds, rep = clean(apply_mapping(read_upload("评分.csv", CN_CSV.encode("gbk"))))
    assert len(ds.interactions) == 3
    assert ds.interactions["rating"].tolist() == [5.0, 5.0, 3.0]
    assert ds.interactions["timestamp"].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-31", "2021-04-01", "2021-04-01"]
    assert rep.source["encoding"] == "GBK"


# ---------------------------------------------------------------------------------------
# delimiters and formats
# ---------------------------------------------------------------------------------------

ROWS = [("1", "10", "4"), ("1", "11", "5"), ("2", "10", "3")]


@pytest.mark.parametrize(
    "name,delim", [("r.csv", ","), ("r.tsv", "\t"), ("r.txt", "|"), ("r.csv", ";"), ("r.dat", "::")]
)
def test_delimiters(name, delim):
    text = delim.join(["user_id", "item_id", "rating"]) + "\n" + "\n".join(delim.join(r) for r in ROWS) + "\n"
    t = read_upload(name, text.encode()).tables[0]
    assert t.delimiter == delim
    assert t.frame.shape == (3, 3)
    assert t.role == "interactions"
    ds = load_path_from_bytes(name, text.encode())
    assert ds.interactions["rating"].tolist() == [4.0, 5.0, 3.0]


def load_path_from_bytes(name, data, tmp=None):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        return load_path(p)


def _frame():
    return pd.DataFrame(
        {
            "userId": [1, 1, 2],
            "movieId": [10, 11, 10],
            "rating": [4.0, 5.0, 3.5],
            "timestamp": [1600000000, 1600000100, 1600000200],
        }
    )


def test_xlsx_reader():
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _frame().to_excel(xw, sheet_name="ratings", index=False)
        pd.DataFrame({"movieId": [10, 11], "title": ["甲 (2001)", "乙 (1999)"]}).to_excel(
            xw, sheet_name="films", index=False
        )
    r = read_upload("book.xlsx", buf.getvalue())
    assert r.format == "xlsx"
    roles = {t.name: t.role for t in r.tables}
    assert roles == {"book.xlsx[ratings]": "interactions", "book.xlsx[films]": "items"}
    ds = load_path_from_bytes("book.xlsx", buf.getvalue())
    assert ds.interactions["rating"].tolist() == [4.0, 5.0, 3.5]
    assert ds.items.set_index("item_id")["year"].to_dict() == {"10": 2001, "11": 1999}


def test_json_records_and_lines():
    recs = _frame().to_dict("records")
    r = read_upload("r.json", json.dumps(recs).encode())
    assert r.format == "json" and r.tables[0].frame.shape == (3, 4)
    lines = "\n".join(json.dumps(x) for x in recs).encode()
    r2 = read_upload("r.jsonl", lines)
    assert r2.format == "jsonl" and r2.tables[0].frame.shape == (3, 4)
    # JSON Lines with a .json name is recognised too
    assert read_upload("r.json", lines).tables[0].frame.shape == (3, 4)
    wrapped = json.dumps({"ratings": recs}).encode()
    assert read_upload("w.json", wrapped).tables[0].role == "interactions"


def test_parquet():
    buf = io.BytesIO()
    _frame().to_parquet(buf)
    r = read_upload("r.parquet", buf.getvalue())
    assert r.format == "parquet" and r.tables[0].role == "interactions"
    ds = load_path_from_bytes("r.parquet", buf.getvalue())
    assert ds.interactions["user_id"].tolist() == ["1", "1", "2"]


def _ml100k_bytes():
    u_data = "1\t10\t4\t881250949\n1\t11\t5\t881250950\n2\t10\t3\t881250951\n"
    u_item = (
        "10|Misérables, Les (1995)|01-Jan-1995||http://x|0|0|0|0|0|1|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
        "11|Toy (1995)|01-Jan-1995||http://y|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    )
    u_user = "1|24|M|technician|85711\n2|53|F|other|94043\n"
    return {
        "u.data": u_data.encode(),
        "u.item": u_item.encode("latin-1"),
        "u.user": u_user.encode(),
        "u1.base": u_data.encode(),
        "README": b"readme",
    }


def test_zip_with_movielens_folder():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in _ml100k_bytes().items():
            z.writestr(f"ml-100k/{n}", b)
    r = read_upload("ml-100k.zip", buf.getvalue())
    assert r.format == "zip"
    assert sorted(t.name for t in r.tables) == [
        "ml-100k.zip/ml-100k/u.data",
        "ml-100k.zip/ml-100k/u.item",
        "ml-100k.zip/ml-100k/u.user",
    ]
    assert {t.layout for t in r.tables} == {"movielens-100k"}
    item = next(t for t in r.tables if t.name.endswith("u.item"))
    assert item.encoding == "Latin-1"
    ds = load_path_from_bytes("ml.zip", buf.getvalue())
    assert len(ds.interactions) == 3
    it = ds.items.set_index("item_id")
    assert it.loc["10", "title"] == "Misérables, Les (1995)"
    assert it.loc["10", "genres"] == ["Comedy", "Drama"]
    assert it.loc["11", "genres"] == ["Animation", "Children's", "Comedy"]
    assert it.loc["10", "year"] == 1995
    assert ds.users.set_index("user_id").loc["2", "gender"] == "F"


def test_folder_and_gzip(tmp_path):
    for n, b in _ml100k_bytes().items():
        (tmp_path / n).write_bytes(b)
    r = read_path(tmp_path)
    assert r.layout == "movielens-100k"
    assert len(r.tables) == 3
    g = gzip.compress(b"userId,movieId,rating\n1,2,3\n1,3,4\n")
    assert read_upload("r.csv.gz", g).tables[0].frame.shape == (2, 3)


def test_movielens_1m_dat_and_latest(tmp_path):
    (tmp_path / "ratings.dat").write_text("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978300275\n")
    (tmp_path / "movies.dat").write_bytes(
        "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n".encode(
            "latin-1"
        )
    )
    (tmp_path / "users.dat").write_text("1::F::1::10::48067\n2::M::56::16::70072\n")
    r = read_path(tmp_path)
    assert {t.layout for t in r.tables} == {"movielens-1m"}
    ds = load_path(tmp_path)
    assert ds.rating_scale == (1.0, 5.0)
    assert ds.items.set_index("item_id").loc["661", "genres"] == ["Animation", "Children's", "Musical"]
    u = ds.users.set_index("user_id")
    assert u.loc["1", "age_band"] == "<18" and u.loc["2", "occupation"] == "self-employed"
    latest = tmp_path / "latest"
    latest.mkdir()
    (latest / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,4.5,964982703\n1,3,0.5,964981247\n2,1,3.0,964982224\n"
    )
    (latest / "movies.csv").write_text(
        'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,"Grumpier Old Men, The (1995)",Comedy|Romance\n'
    )
    (latest / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,1,funny,1445714994\n1,1,pixar,1445714996\n")
    (latest / "links.csv").write_text("movieId,imdbId,tmdbId\n1,0114709,862\n")
    r = read_path(latest)
    assert {t.layout for t in r.tables} == {"movielens-latest"}
    ds = load_path(latest)
    assert ds.rating_scale == (0.5, 5.0)
    pair = ds.interactions.set_index(["user_id", "item_id"]).loc[("1", "1")]
    assert pair["rating"] == 4.5 and pair["text"] == "funny, pixar"
    assert ds.items.set_index("item_id").loc["3", "title"] == "Grumpier Old Men, The (1995)"


def test_headerless_numeric_table_suggests_mapping():
    t = read_upload("x.csv", b"1,10,4,881250949\n2,11,5,881250950\n").tables[0]
    # guessed and used (shown as a warning; the user can change it), not left for the user to map from scratch
    assert not t.has_header and t.role == "interactions" and t.layout == "headerless-numeric"
    assert t.mapping == {"user_id": "col1", "item_id": "col2", "rating": "col3", "timestamp": "col4"}


def test_unknown_columns_need_mapping():
    r = read_upload("x.csv", b"a,b,c\nx,y,1\nz,w,2\n")
    assert r.needs_mapping and r.tables[0].role == "unknown"
    ds = load_path_from_bytes_mapped("x.csv", b"a,b,c\nx,y,1\nz,w,2\n", {"user_id": "a", "item_id": "b", "rating": "c"})
    assert ds.interactions["user_id"].tolist() == ["x", "z"]
    with pytest.raises(UserError, match="no user and film columns recognised \\(columns: a, b, c\\)"):
        load_path_from_bytes_mapped("x.csv", b"a,b,c\nx,y,1\n", None)


def load_path_from_bytes_mapped(name, data, mapping):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        return load_path(p, mapping=mapping)


def test_several_files_make_one_dataset_with_join_report(tmp_path):
    (tmp_path / "ratings.csv").write_text("用户ID,电影ID,评分\n1,10,4\n1,99,5\n2,10,3\n", encoding="utf-8")
    (tmp_path / "films.csv").write_text("电影ID,片名,类型\n10,甲,剧情/爱情\n11,乙,喜剧\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("用户ID,年龄,性别\n1,30,男\n", encoding="utf-8")
    (tmp_path / "reviews.jsonl").write_text('{"user": "1", "movie": "10", "comment": "好看"}\n', encoding="utf-8")
    from recsys_core.data.io import load_path_with_report

    ds, rep, _ = load_path_with_report(tmp_path)
    assert len(ds.interactions) == 3  # the review merged into the (1, 10) rating row
    assert ds.interactions.set_index(["user_id", "item_id"]).loc[("1", "10"), "text"] == "好看"
    j = rep.joins
    assert j["items"]["films_without_metadata"] == 1 and j["items"]["examples_without_metadata"] == ["99"]
    assert j["items"]["metadata_without_interactions"] == 1
    assert j["users"]["users_without_metadata"] == 1 and j["users"]["examples_without_metadata"] == ["2"]
    assert ds.items.set_index("item_id").loc["10", "genres"] == ["剧情", "爱情"]
    assert any("no row in the film table" in w for w in rep.warnings)


# ---------------------------------------------------------------------------------------
# bad input: one line naming the file, the problem and the fix
# ---------------------------------------------------------------------------------------


def _corrupt_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("r.csv", "user,item,rating\n" + "1,2,3\n" * 100)
    b = bytearray(buf.getvalue())
    return bytes(b[: len(b) // 2])


@pytest.mark.parametrize(
    "name,data,needle",
    [
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n  \n", "empty"),
        ("head.csv", b"user_id,item_id,rating\n", "no data rows"),
        ("junk.csv", bytes(range(256)) * 4, "binary"),
        ("cut.json", b'[{"user": 1, "item": 2, "rating": 3}, {"user": 2, "it', "invalid JSON"),
        ("bad.jsonl", b'{"user": 1}\n{"user": \n', "line 2"),
        ("broken.zip", _corrupt_zip(), "corrupt"),
        ("one.csv", b"justonecolumn\na\nb\n", "one column"),
        ("ragged.csv", b"user,item,rating\n1,2,3\n1,2,3,4,5\n", "line 3 has 5 fields"),
        ("book.xlsx", b"PK\x03\x04not really a workbook", "Excel"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        ("bad.parquet", b"PAR1 nonsense", "Parquet"),
    ],
)
def test_bad_input_messages(name, data, needle):
    with pytest.raises(UserError) as e:
        read_upload(name, data)
    msg = str(e.value)
    assert needle in msg
    assert msg.startswith(name)
    assert "\n" not in msg and " - " in msg  # what, where, then what to do


# ---------------------------------------------------------------------------------------
# real data (skipped when absent)
# ---------------------------------------------------------------------------------------


def test_real_movielens_100k_recognised():
    ml = SHARED / "movielens-100k"
    if not (ml / "u.data").exists():
        pytest.skip("MovieLens 100K not available")
    r = read_path(ml)
    assert {t.layout for t in r.tables} == {"movielens-100k"}
    item = next(t for t in r.tables if t.name == "u.item")
    assert item.encoding == "Latin-1"
    ds = load_path(ml)
    assert (len(ds.ratings), ds.ratings["user_id"].nunique(), ds.ratings["item_id"].nunique()) == (100000, 943, 1682)
    assert ds.ratings["rating"].value_counts().sort_index().tolist() == [6110, 11370, 27145, 34174, 21201]
    assert ds.items.set_index("item_id").loc["1", "title"] == "Toy Story (1995)"
    assert ds.interactions["timestamp"].min().strftime("%Y-%m-%d") == "1997-09-20"


def test_real_douban_recognised():
    f = SHARED / "douban-dev" / "antspider_comments.csv"
    if not f.exists():
        pytest.skip("Douban dev data not available")
    t = read_path(f).tables[0]
    assert t.layout == "douban-comments"
    assert t.mapping == {
        "user_id": "user_id",
        "item_id": "movie_id",
        "rating": "rating",
        "text": "comment",
        "timestamp": "comment_time",
    }
    ds = load_path(f)
    assert len(ds.interactions) == 2508 and len(ds.ratings) == 2327
    assert ds.interactions["user_id"].nunique() == 2236
    dmr = SHARED / "douban-dev" / "dmr_reviews.csv"
    ds2 = load_path(dmr)
    assert len(ds2.interactions) == 950 and ds2.items is not None


def test_dmsc_style_comments_use_the_title_as_film_id():
    text = (
        "ID,Movie_Name_EN,Movie_Name_CN,Crawl_Date,Number,Username,Date,Star,Comment,Like\n"
        "0,Avengers,复仇者联盟,2017-01-22,1,然潘,2015-05-13,3,连奥创都知道整容要去韩国。,2404\n"
        "1,Avengers,复仇者联盟,2017-01-22,2,影志,2015-04-30,4,好看,1231\n"
    )
    t = read_upload("DMSC.csv", text.encode("utf-8")).tables[0]
    assert t.layout == "douban-comments" and t.role == "interactions"
    assert t.mapping["item_id"] == "Movie_Name_CN" and t.mapping["user_id"] == "Username"
    ds = load_path_from_bytes("DMSC.csv", text.encode("utf-8"))
    assert ds.interactions["item_id"].tolist() == ["复仇者联盟", "复仇者联盟"]
    assert ds.items["title"].tolist() == ["复仇者联盟"]


def test_xlsx_title_line_above_the_table_is_skipped():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2021年影评数据"])
    ws.append([])
    ws.append(["用户ID", "电影ID", "评分", "短评"])
    ws.append([1, 10, "力荐", "=HYPERLINK(1)"])
    ws.append([2, 10, 3, "一般"])
    buf = io.BytesIO()
    wb.save(buf)
    t = read_upload("影评.xlsx", buf.getvalue()).tables[0]
    assert t.role == "interactions" and t.n_rows == 2
    ds = load_path_from_bytes("影评.xlsx", buf.getvalue())
    assert ds.interactions["rating"].tolist() == [5.0, 3.0]


def test_parquet_list_and_struct_cells_become_text():
    frame = pd.DataFrame(
        {"user_id": ["u1", "u2"], "item_id": ["m1", "m2"], "rating": [4, 5], "genres": [["Drama", "War"], ["Comedy"]]}
    )
    frame["meta"] = [{"year": 1999}, {"year": 2001}]
    buf = io.BytesIO()
    frame.to_parquet(buf)
    t = read_upload("nested.parquet", buf.getvalue()).tables[0]
    assert t.frame["genres"].tolist() == ["Drama|War", "Comedy"]
    assert t.frame["meta"].tolist() == ['{"year": 1999}', '{"year": 2001}']
    ds = load_path_bytes(buf.getvalue(), "nested.parquet")
    assert len(ds.interactions) == 2


def load_path_bytes(data: bytes, name: str):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        return load_path(p)
