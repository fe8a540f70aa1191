"""The large-table paths of cleaning give exactly what the general ones give (row codes, numeric ids, bursts)."""

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.cleaning import (
    RawTables,
    clean,
    duplicated_full_rows,
    duplicated_rows,
    interned_objects,
    normalise_ids_fast,
    suspicious_users,
)

POOL = [None, np.nan, "1", 1, 1.0, "a", " a", "", -0.0, 0.0, "力荐", pd.NA]


def _random_frame(rng, n):
    cols = {}
    for c in ("user_id", "item_id", "rating"):
        kind = rng.integers(0, 4)
        if kind == 0:  # object: mixed numbers, text, missing values
            cols[c] = pd.Series([POOL[i] for i in rng.integers(0, len(POOL), n)], dtype=object)
        elif kind == 1:
            v = rng.integers(0, 3, n).astype(float)
            v[rng.random(n) < 0.2] = np.nan
            cols[c] = pd.Series(v)
        elif kind == 2:  # pandas' Arrow-backed text
            cols[c] = pd.Series(rng.choice(["x", "y", None], n), dtype="str")
        else:
            cols[c] = pd.Series(rng.integers(0, 3, n))
    df = pd.DataFrame(cols)
    df.index = rng.permutation(n) + 7  # labels are not positions
    return df


@pytest.mark.parametrize("seed", range(40))
def test_duplicated_rows_equals_pandas(seed):
    rng = np.random.default_rng(seed)
    df = _random_frame(rng, int(rng.integers(0, 40)))
    for keep in ("first", "last", False):
        assert duplicated_rows(df, keep=keep).tolist() == df.duplicated(keep=keep).tolist()
        pair = ["user_id", "rating"]
        assert duplicated_rows(df, pair, keep=keep).tolist() == df.duplicated(pair, keep=keep).tolist()
    got = duplicated_full_rows(df)
    assert got.tolist() == df.duplicated(keep="first").tolist()
    assert list(got.index) == list(df.index)


def test_duplicated_rows_hand_worked():
    df = pd.DataFrame({"user_id": ["1", "1", "2", "1", None, None], "item_id": ["a", "a", "a", "b", "a", "a"]})
    assert duplicated_rows(df).tolist() == [False, True, False, False, False, True]
    assert duplicated_rows(df, keep=False).tolist() == [True, True, False, False, True, True]
    assert duplicated_rows(df, keep="last").tolist() == [True, False, False, False, True, False]


def test_interned_objects_share_one_string_per_value():
    import pyarrow as pa

    out = interned_objects(pa.array(["u1", "u2", None, "u1"]))
    assert out.tolist() == ["u1", "u2", None, "u1"]
    assert out[0] is out[3]


def test_integer_ids_spelt_like_text_ids_and_nothing_reported_re_spelt():
    ids, changed = normalise_ids_fast(pd.Series([12, 7, 12, -3], dtype="int32"))
    assert ids.tolist() == ["12", "7", "12", "-3"] and not changed.any()


def test_numeric_table_cleans_like_the_same_table_as_text():
    """A Parquet-style table (int ids, float ratings, epoch seconds) and the same values as CSV text give the same
    rows and the same report counts."""
    rng = np.random.default_rng(3)
    n = 3000
    num = pd.DataFrame(
        {
            "user_id": rng.integers(1, 40, n).astype("int32"),
            "item_id": rng.integers(1, 90, n).astype("int64"),
            "rating": rng.integers(1, 11, n) / 2.0,
            "timestamp": rng.integers(1_500_000_000, 1_500_050_000, n),
        }
    )
    num = pd.concat([num, num.iloc[:25]], ignore_index=True)  # exact duplicates
    num.loc[100, "rating"] = 9.0  # out of range
    text = num.astype(str).astype(object)
    text["rating"] = [f"{v:g}" for v in num["rating"]]
    ds_n, rep_n = clean(RawTables(num))
    ds_t, rep_t = clean(RawTables(text))
    strip = ("examples", "detail")

    def counts(rep):
        return [{k: v for k, v in s.to_dict().items() if k not in strip} for s in rep.steps]

    assert counts(rep_n) == counts(rep_t)
    assert rep_n.step("exact_duplicates").rows_affected == 25
    assert rep_n.step("out_of_range").rows_affected == 1
    cols = ["user_id", "item_id", "rating", "timestamp"]
    pd.testing.assert_frame_equal(ds_n.interactions[cols], ds_t.interactions[cols])


def test_bursts_found_among_many_other_users():
    """The burst search looks only at (user, rating) groups big enough to hold a burst; others do not hide one."""
    rng = np.random.default_rng(0)
    t0 = pd.Timestamp("2021-01-01")
    rows = [("bot", f"m{i}", 5.0, t0 + pd.Timedelta(seconds=i)) for i in range(120)]
    rows += [("slow", f"m{i}", 5.0, t0 + pd.Timedelta(hours=i)) for i in range(120)]
    rows += [(f"u{k}", f"m{i}", float(rng.integers(1, 6)), t0) for k in range(50) for i in range(30)]
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    sus = suspicious_users(df, min_count=100, window_minutes=10)
    assert [s["user_id"] for s in sus] == ["bot"]
    assert sus[0]["ratings"] == 120 and sus[0]["minutes"] == pytest.approx(99 / 60, abs=0.01)


def test_personal_data_masked_once_per_distinct_value_like_row_by_row():
    """Object columns are masked per distinct value; the row-by-row path (pandas' own text dtype) gives the same
    values and the same counts."""
    from recsys_core.data import pii

    words = [
        "我的手机13812345678",
        "qq: 123456789",
        None,
        "a@b.com",
        "12345",
        "普通评论",
        "13812345678",
        "微信 abc_def12",
    ]
    rng = np.random.default_rng(1)
    s = pd.Series([words[i] for i in rng.integers(0, len(words), 400)], dtype=object)
    for fn in (pii.mask_series, pii.mask_ids):
        fast, c_fast = fn(s)
        slow, c_slow = fn(s.astype("str"))
        assert c_fast == c_slow and c_fast["phone"] > 0
        assert [v if isinstance(v, str) else None for v in fast] == [v if isinstance(v, str) else None for v in slow]
    assert s.iloc[:3].tolist() == [words[i] for i in np.random.default_rng(1).integers(0, len(words), 3)]  # untouched


def test_long_numeric_ids_masked_once_per_distinct_value_like_row_by_row():
    """A column of long ids (a tenth pass Luhn by chance) keeps them all on both paths; a column of real card
    numbers is masked on both."""
    from recsys_core.data import pii

    rng = np.random.default_rng(5)
    snowflakes = pd.Series([str(x) for x in rng.integers(10**17, 10**18, 300)] * 2, dtype=object)
    cards = pd.Series(["4111111111111111", "5500005555555559", "u1"] * 5, dtype=object)
    for s in (snowflakes, cards):
        fast, c_fast = pii.mask_ids(s)
        slow, c_slow = pii.mask_ids(s.astype("str"))
        assert c_fast == c_slow
        assert fast.tolist() == slow.astype(object).tolist()
    assert pii.mask_ids(snowflakes)[0].tolist() == snowflakes.tolist()
    assert pii.mask_ids(cards)[1]["bank_card"] == 10
