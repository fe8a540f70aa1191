"""Whatever the bytes, reading + cleaning gives a clean canonical table or a one-line UserError,
and the input is never modified."""

import string

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys_core.data.cleaning import RawTables, clean
from recsys_core.data.io import apply_mapping, read_upload
from recsys_core.errors import UserError

NAMES = st.sampled_from(
    ["r.csv", "r.tsv", "r.txt", "r.dat", "r.json", "r.jsonl", "r.xlsx", "r.zip", "r.parquet", "u.data", "x"]
)


def check_dataset(ds):
    df = ds.interactions
    assert list(df.columns[:5]) == ["user_id", "item_id", "rating", "timestamp", "text"]
    assert df["user_id"].map(lambda v: isinstance(v, str) and v == v.strip() and v != "").all()
    assert df["item_id"].map(lambda v: isinstance(v, str) and v == v.strip() and v != "").all()
    assert df["rating"].dtype == "float64"
    assert str(df["timestamp"].dtype) == "datetime64[ns]"
    lo, hi = ds.rating_scale
    r = df["rating"].dropna()
    assert ((r >= lo - 1e-9) & (r <= hi + 1e-9)).all()
    assert not df.duplicated(["user_id", "item_id"]).any()
    assert df["text"].map(lambda v: v is None or (isinstance(v, str) and v == v.strip() and v != "")).all()


def read_and_clean(name, data):
    copy = bytes(data)
    try:
        ds, _ = clean(apply_mapping(read_upload(name, data)))
    except UserError as e:
        msg = str(e)
        assert msg and "\n" not in msg
        return None
    finally:
        assert data == copy
    check_dataset(ds)
    return ds


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, data=st.binary(max_size=400))
def test_any_bytes(name, data):
    read_and_clean(name, data)


cell = st.one_of(
    st.text(alphabet=string.printable + "用户电影评分★力荐五星年月日，、\u3000", max_size=8),
    st.integers(-5, 20).map(str),
    st.floats(-1, 12, allow_nan=False).map(lambda f: f"{f:.1f}"),
    st.sampled_from(["", " ", "nan", "NULL", "力荐", "★★★", "2021年3月31日", "1617235200", "<b>x</b>", "=1+1"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=5), min_size=0, max_size=12),
    sep=st.sampled_from([",", "\t", ";", "|", "::"]),
    header=st.sampled_from(["user_id{s}item_id{s}rating", "用户ID{s}电影ID{s}评分{s}时间", "a{s}b{s}c", ""]),
    enc=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
)
def test_table_like_text(rows, sep, header, enc):
    lines = ([header.format(s=sep)] if header else []) + [sep.join(r) for r in rows]
    text = "\n".join(lines) + "\n"
    try:
        data = text.encode(enc)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    read_and_clean("t.csv", data)


@settings(max_examples=60, deadline=None)
@given(
    users=st.lists(
        st.one_of(st.none(), st.integers(0, 5), st.floats(0, 5), st.just(float("nan")), st.text(max_size=3)),
        min_size=1,
        max_size=20,
    ),
    ratings=st.lists(
        st.one_of(st.none(), st.floats(-3, 120), st.just(float("nan")), st.sampled_from(["力荐", "x", " 4 ", "★★"])),
        min_size=1,
        max_size=20,
    ),
)
def test_cleaner_on_typed_frames(users, ratings):
    n = min(len(users), len(ratings))
    df = pd.DataFrame(
        {
            "user_id": pd.Series(users[:n], dtype=object),
            "item_id": pd.Series(np.arange(n) % 3, dtype=object),
            "rating": pd.Series(ratings[:n], dtype=object),
        }
    )
    before = df.copy()
    try:
        ds, rep = clean(RawTables(df))
    except UserError as e:
        assert "\n" not in str(e)
        return
    finally:
        pd.testing.assert_frame_equal(df, before)
    check_dataset(ds)
    assert rep.rows_out == len(ds.interactions) <= n


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300), name=st.sampled_from(["r.csv", "r.json", "r.zip", "r.xlsx"]))
def test_load_path_leaves_the_file_untouched(tmp_path, data, name):
    import os

    from recsys_core.data.io import load_path

    p = tmp_path / name
    p.write_bytes(data)
    mtime = os.stat(p).st_mtime_ns
    try:
        check_dataset(load_path(p))
    except UserError as e:
        assert "\n" not in str(e)
    assert p.read_bytes() == data and os.stat(p).st_mtime_ns == mtime
