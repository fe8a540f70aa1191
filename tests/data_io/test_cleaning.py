"""Each cleaning step on a tiny hand-made table, with hand-computed results."""

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.cleaning import (
    CleaningOptions,
    RawTables,
    clean,
    clean_text_series,
    detect_rating_scale,
    parse_rating_text,
    parse_timestamps,
    suspicious_users,
)
from recsys_core.errors import UserError


def raw(rows, cols=("user_id", "item_id", "rating", "timestamp", "text")):
    return RawTables(pd.DataFrame(rows, columns=list(cols), dtype=object))


def step(rep, name):
    return rep.step(name)


def test_exact_duplicates_dropped_and_reported():
    r = raw([["1", "a", "4", None, None], ["1", "a", "4", None, None], ["2", "a", "3", None, None]])
    ds, rep = clean(r)
    s = step(rep, "exact_duplicates")
    assert (s.rows_in, s.rows_out, s.rows_affected) == (3, 2, 1)
    assert s.examples == [{"user_id": "1", "item_id": "a", "rating": "4", "timestamp": None, "text": None}]
    ds, rep = clean(r, {"exact_duplicates": False, "duplicate_pairs": "keep"})
    assert len(ds.interactions) == 3


def test_id_normalisation_and_missing_ids():
    r = raw(
        [
            [" 1", "7.0", "4", None, None],
            ["1", "7", "5", None, None],
            [None, "8", "3", None, None],
            ["2", "  ", "3", None, None],
            ["nan", "9", "2", None, None],
        ]
    )
    ds, rep = clean(r, {"duplicate_pairs": "keep"})
    s = step(rep, "normalise_ids")
    assert s.rows_affected == 2  # " 1" -> "1", "7.0" -> "7"
    m = step(rep, "missing_ids")
    assert (m.rows_in, m.rows_out) == (5, 2)
    assert ds.interactions[["user_id", "item_id"]].values.tolist() == [["1", "7"], ["1", "7"]]


@pytest.mark.parametrize(
    "text,value",
    [
        ("4.0", 4.0),
        (" 3 ", 3.0),
        ("★★★", 3.0),
        ("★★★☆☆", 3.0),
        ("★★★★½", 4.5),
        ("五星", 5.0),
        ("三星半", 3.5),
        ("力荐", 5.0),
        ("推荐", 4.0),
        ("还行", 3.0),
        ("较差", 2.0),
        ("很差", 1.0),
        ("4分", 4.0),
        ("8/10", 4.0),
        ("allstar40 rating", 4.0),
        ("４", 4.0),
        (3, 3.0),
    ],
)
def test_parse_rating_text(text, value):
    assert parse_rating_text(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "", "好", None, "★☆x"])
def test_parse_rating_text_unreadable(text):
    assert np.isnan(parse_rating_text(text))


def test_non_numeric_ratings_parsed_else_dropped_with_examples():
    r = raw(
        [
            ["1", "a", "4.0", None, None],
            ["2", "a", " 3 ", None, None],
            ["3", "a", "★★★", None, None],
            ["4", "a", "五星", None, None],
            ["5", "a", "力荐", None, None],
            ["6", "a", "???", None, None],
            ["7", "a", "很差", None, None],
        ]
    )
    ds, rep = clean(r)
    s = step(rep, "parse_ratings")
    assert (s.rows_in, s.rows_out) == (7, 6)
    assert s.rows_affected == 5  # "★★★", "五星", "力荐", "???", "很差" (numbers with spaces are plain numbers)
    assert {"rating": "???", "parsed": None} in s.examples
    assert ds.interactions["rating"].tolist() == [4.0, 3.0, 3.0, 5.0, 5.0, 1.0]
    assert ds.interactions["orig_rating"].tolist() == ["4.0", " 3 ", "★★★", "五星", "力荐", "很差"]
    ds2, _ = clean(r, {"unparseable_ratings": "blank"})
    assert len(ds2.interactions) == 7 and np.isnan(ds2.interactions["rating"].iloc[5])


def test_missing_ratings_keep_or_drop():
    r = raw([["1", "a", "4", None, "好"], ["2", "a", None, None, "一般"], ["3", "a", "", None, None]])
    ds, rep = clean(r)
    assert step(rep, "missing_ratings").rows_affected == 2
    assert len(ds.interactions) == 3 and len(ds.ratings) == 1 and len(ds.reviews) == 2
    ds, rep = clean(r, {"missing_ratings": "drop"})
    assert len(ds.interactions) == 1
    assert step(rep, "missing_ratings").rows_out == 1


def test_scale_detection():
    assert detect_rating_scale(pd.Series([1, 2, 5])) == (1.0, 5.0)
    assert detect_rating_scale(pd.Series([0.5, 3.5, 5])) == (0.5, 5.0)
    assert detect_rating_scale(pd.Series([1.5, 3.5, 5])) == (0.5, 5.0)
    assert detect_rating_scale(pd.Series([0, 3, 5])) == (0.0, 5.0)
    assert detect_rating_scale(pd.Series([2, 7, 10])) == (1.0, 10.0)
    assert detect_rating_scale(pd.Series([0, 7, 10])) == (0.0, 10.0)
    assert detect_rating_scale(pd.Series([20, 70, 100])) == (0.0, 100.0)
    # one stray 50 among 199 five-point ratings does not change the scale
    assert detect_rating_scale(pd.Series([3] * 199 + [50])) == (1.0, 5.0)


def test_ten_point_scale_normalised_keeping_original():
    r = raw([["1", "a", "1", None, None], ["2", "a", "10", None, None], ["3", "a", "4", None, None]])
    ds, rep = clean(r, {"target_scale": (1, 5)})
    assert rep.detected_scale == (1.0, 10.0) and rep.normalised_to == (1.0, 5.0)
    # (r - 1) / 9 * 4 + 1
    assert ds.interactions["rating"].tolist() == pytest.approx([1.0, 5.0, 1 + 3 / 9 * 4])
    assert ds.interactions["orig_rating"].tolist() == ["1", "10", "4"]
    assert ds.rating_scale == (1.0, 5.0)
    assert step(rep, "rating_scale").rows_affected == 2  # 10 -> 5 and 4 -> 2.33; 1 stays 1
    d = rep.to_dict()
    assert d["rating_scale"] == {"detected": [1.0, 10.0], "normalised_to": [1.0, 5.0]}


def test_half_star_to_one_five_with_rounding():
    r = raw([["1", "a", "0.5", None, None], ["2", "a", "5", None, None], ["3", "a", "2.75", None, None]])
    ds, rep = clean(r, {"target_scale": (1, 5), "rating_step": 0.5})
    # (r - .5) / 4.5 * 4 + 1: 0.5 -> 1, 5 -> 5, 2.75 -> 3.0
    assert ds.interactions["rating"].tolist() == pytest.approx([1.0, 5.0, 3.0])


def test_out_of_range_drop_clip_keep():
    rows = [[str(u), "a", "3", None, None] for u in range(300)] + [
        ["x", "a", "7", None, None],
        ["y", "a", "-1", None, None],
    ]
    ds, rep = clean(raw(rows))
    assert rep.detected_scale == (1.0, 5.0)  # 300 of 302 ratings (> 99%) are on 1-5
    s = step(rep, "out_of_range")
    assert (s.rows_affected, s.rows_out) == (2, 300)
    ds, _ = clean(raw(rows), {"out_of_range": "clip"})
    assert sorted(ds.interactions["rating"].unique().tolist()) == [1.0, 3.0, 5.0]
    ds, _ = clean(raw(rows), {"out_of_range": "keep"})
    assert len(ds.interactions) == 302


def test_timestamps_every_form():
    s = pd.Series(
        [
            "1617235200",
            "1617235200000",
            "2021-03-31T10:00:00",
            "2021-03-31 10:00:00+08:00",
            "2021年3月31日",
            "2021年3月31日 10:05",
            "2021/3/31",
            "20210331",
            "not a date",
            None,
            "",
        ],
        dtype=object,
    )
    ts = parse_timestamps(s)
    got = [None if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M") for t in ts]
    assert got == [
        "2021-04-01 00:00",
        "2021-04-01 00:00",
        "2021-03-31 10:00",
        "2021-03-31 02:00",
        "2021-03-31 00:00",
        "2021-03-31 10:05",
        "2021-03-31 00:00",
        "2021-03-31 00:00",
        None,
        None,
        None,
    ]
    nums = parse_timestamps(pd.Series([881250949, 1617235200000]))
    assert nums.dt.strftime("%Y-%m-%d").tolist() == ["1997-12-04", "2021-04-01"]


def test_timestamp_step_reports_unreadable_but_keeps_rows():
    r = raw([["1", "a", "4", "2021-01-01", None], ["2", "a", "4", "yesterday-ish", None]])
    ds, rep = clean(r)
    s = step(rep, "timestamps")
    assert (s.rows_affected, s.rows_out) == (1, 2)
    assert s.examples == [{"timestamp": "yesterday-ish"}]
    assert ds.interactions["timestamp"].isna().tolist() == [False, True]


def test_text_cleaning_and_truncation():
    t = pd.Series(["<p>好看&amp;感人</p>", "a\x00b\x07c", "  多   空格\n\n换行 ", "x" * 12, None, "   "])
    out, trunc = clean_text_series(t, max_len=10)
    assert out.tolist() == ["好看&感人", "a b c", "多 空格 换行", "x" * 10, None, None]
    assert trunc.tolist() == [False, False, False, True, False, False]
    r = raw([["1", "a", "4", None, "<b>好</b>"], ["2", "a", "4", None, "y" * 30]])
    ds, rep = clean(r, {"text_max_len": 20})
    assert ds.interactions["text"].tolist() == ["好", "y" * 20]
    assert ds.interactions["orig_text_truncated"].tolist() == [False, True]
    assert step(rep, "review_text").rows_affected == 2


def test_repeated_pairs_latest_mean_first():
    rows = [
        ["1", "a", "2", "2021-01-01", "旧"],
        ["1", "a", "4", "2021-03-01", None],
        ["1", "a", "3", "2021-02-01", None],
        ["2", "a", "5", "2021-01-01", None],
    ]
    ds, rep = clean(raw(rows))
    s = step(rep, "duplicate_pairs")
    assert (s.rows_in, s.rows_out, s.rows_affected) == (4, 2, 3)
    first = ds.interactions.iloc[0]
    assert (first["user_id"], first["rating"], first["text"]) == ("1", 4.0, "旧")  # latest rating, text kept
    assert first["timestamp"] == pd.Timestamp("2021-03-01")
    ds, _ = clean(raw(rows), {"duplicate_pairs": "mean"})
    assert ds.interactions["rating"].tolist() == pytest.approx([3.0, 5.0])
    ds, _ = clean(raw(rows), {"duplicate_pairs": "first"})
    assert ds.interactions["rating"].tolist() == [2.0, 5.0]
    ds, _ = clean(raw(rows), {"duplicate_pairs": "keep"})
    assert len(ds.interactions) == 4


def test_suspicious_users_flagged_never_dropped_silently():
    base = pd.Timestamp("2021-01-01")
    rows = [["bot", f"m{i}", "5", (base + pd.Timedelta(seconds=3 * i)).isoformat(), None] for i in range(120)]
    rows += [["fan", f"m{i}", "5", (base + pd.Timedelta(hours=i)).isoformat(), None] for i in range(120)]
    ds, rep = clean(raw(rows))
    assert [s["user_id"] for s in rep.suspicious_users] == ["bot"]
    assert rep.suspicious_users[0]["ratings"] == 120
    assert len(ds.interactions) == 240
    assert ds.meta["suspicious_users"] == ["bot"]
    ds, rep = clean(raw(rows), {"drop_suspicious": True})
    assert len(ds.interactions) == 120 and set(ds.interactions["user_id"]) == {"fan"}
    # without times: many ratings, all identical
    df = pd.DataFrame(
        {
            "user_id": ["u"] * 100 + ["v"] * 100,
            "item_id": [str(i) for i in range(200)],
            "rating": [3.0] * 100 + [3.0, 4.0] * 50,
            "timestamp": pd.NaT,
        }
    )
    assert [s["user_id"] for s in suspicious_users(df, 100)] == ["u"]


def test_report_shape_and_funnel():
    r = raw(
        [
            ["1", "a", "4", None, None],
            ["1", "a", "4", None, None],
            [None, "b", "3", None, None],
            ["2", "b", "x", None, None],
        ]
    )
    ds, rep = clean(r)
    d = rep.to_dict()
    assert set(d) >= {"source", "rows_in", "rows_out", "steps", "rating_scale"}
    assert (d["rows_in"], d["rows_out"]) == (4, 1)
    assert all({"name", "rows_affected", "examples"} <= set(s) for s in d["steps"])
    f = rep.funnel()
    assert f["rows"].tolist()[:4] == [4, 3, 3, 2]
    assert f["rows"].iloc[-1] == 1
    assert rep.table()["dropped"].sum() == 3


def test_input_frame_untouched_and_empty_result_is_an_error():
    df = pd.DataFrame({"user_id": [" 1", "2"], "item_id": ["a", "b"], "rating": ["力荐", "x"]}, dtype=object)
    before = df.copy()
    clean(RawTables(df))
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(UserError, match="no rows left"):
        clean(RawTables(pd.DataFrame({"user_id": ["1"], "item_id": ["a"], "rating": ["x"]})))


def test_minimal_options_keep_everything_parsable():
    r = raw([["1", "a", "4", None, " x "], ["1", "a", "4", None, " x "]])
    ds, rep = clean(r, CleaningOptions.minimal())
    assert len(ds.interactions) == 2 and ds.interactions["text"].tolist() == [" x ", " x "]


def test_ids_only_trimmed_when_normalisation_is_off():
    r = raw([[" 1", "7.0", "4", None, None], ["1", "7", "5", None, None]])
    ds, rep = clean(r, {"normalise_ids": False, "duplicate_pairs": "keep"})
    assert ds.interactions[["user_id", "item_id"]].values.tolist() == [["1", "7.0"], ["1", "7"]]
    assert not rep.step("normalise_ids").enabled
