import numpy as np
import pandas as pd
import pytest

from recsys_core.evaluation.splits import Holdout, KFold, Temporal, UserLeaveLastN, make_splitter


def frame():
    # user a: 4 ratings, b: 2, c: 1; timestamps deliberately not in row order; one view-only row
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "a", "b", "b", "c", "a"],
            "item_id": ["1", "2", "3", "4", "1", "2", "3", "5"],
            "rating": [5.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, np.nan],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-01-01",
                    "2024-01-09",
                    "2024-01-03",
                    "2024-01-08",
                    "2024-01-02",
                    "2024-01-07",
                    "2024-01-10",
                ]
            ),
        }
    )


def test_temporal_puts_latest_rows_in_test():
    train, test = next(Temporal(test_size=0.25).split(frame()))
    # 7 rated rows -> round(1.75) = 2 test rows: the latest two are a/3 (01-09) and b/1 (01-08)
    assert sorted(zip(test["user_id"], test["item_id"], strict=False)) == [("a", "3"), ("b", "1")]
    assert len(train) == 5
    assert train["timestamp"].max() <= test["timestamp"].min()


def test_temporal_without_timestamps_is_a_clear_error():
    df = frame().drop(columns="timestamp")
    with pytest.raises(ValueError, match="timestamps"):
        next(Temporal().split(df))


def test_leave_last_n_holds_out_exactly_n_per_eligible_user():
    train, test = next(UserLeaveLastN(n=1).split(frame()))
    # a's latest rated row is item 3 (01-09); b's is item 1 (01-08); c has one rating, stays in train
    assert sorted(zip(test["user_id"], test["item_id"], strict=False)) == [("a", "3"), ("b", "1")]
    assert set(train["user_id"]) == {"a", "b", "c"}
    train2, test2 = next(UserLeaveLastN(n=2).split(frame()))
    # only a has >= 3 ratings: its two latest are items 3 and 1 (01-09, 01-05)
    assert sorted(zip(test2["user_id"], test2["item_id"], strict=False)) == [("a", "1"), ("a", "3")]
    assert len(train2) == 5


def test_leave_last_n_counts_on_larger_data():
    rng = np.random.default_rng(3)
    n_users = 40
    counts = rng.integers(1, 9, size=n_users)
    rows = [
        (
            f"u{u}",
            f"i{j}",
            float(rng.integers(1, 6)),
            pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(rng.integers(0, 10000))),
        )
        for u in range(n_users)
        for j in range(counts[u])
    ]
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    train, test = next(UserLeaveLastN(n=2).split(df))
    per_user = test.groupby("user_id").size()
    eligible = {f"u{u}" for u in range(n_users) if counts[u] >= 3}
    assert set(per_user.index) == eligible
    assert (per_user == 2).all()
    for u in eligible:
        assert train.loc[train.user_id == u, "timestamp"].max() <= test.loc[test.user_id == u, "timestamp"].min()


def test_kfold_partitions_rated_rows():
    df = frame()
    tests = [t for _, t in KFold(3, seed=1).split(df)]
    assert sum(len(t) for t in tests) == 7
    assert len(pd.concat(tests).drop_duplicates()) == 7


def test_make_splitter_names():
    assert isinstance(make_splitter("kfold", folds=4), KFold)
    assert isinstance(make_splitter("random", test_size=0.1), Holdout)
    assert isinstance(make_splitter("temporal"), Temporal)
    s = make_splitter("user", n=3)
    assert isinstance(s, UserLeaveLastN) and s.n == 3 and s.describe()["kind"] == "user"
    with pytest.raises(ValueError, match="unknown split"):
        make_splitter("weird")
