"""What a Dataset derives from its tables (rated rows, reviews, shape, summary) is computed once and stays
correct: a caller changing what it was given never changes the dataset."""

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset


def _ds():
    inter = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u3", "u3"],
            "item_id": ["a", "b", "a", "c", "a"],
            "rating": [4.0, np.nan, 2.0, 5.0, np.nan],
            "timestamp": pd.to_datetime(["2021-01-01"] * 5),
            "text": ["好看", "  ", None, "一般", "剧情不错"],
        }
    )
    return Dataset.from_frames(inter, rating_scale=(1, 5))


def test_rated_rows_reviews_and_shape_hand_counted():
    ds = _ds()
    assert ds.ratings["rating"].tolist() == [4.0, 2.0, 5.0]
    assert ds.reviews["text"].tolist() == ["好看", "一般", "剧情不错"]  # blank "  " and None are not reviews
    assert ds.rating_shape() == (3, 2, 3)  # u1, u2, u3 x films a, c among rated rows
    s = ds.summary()
    assert (s["users"], s["items"], s["ratings"], s["reviews"]) == (3, 3, 3, 3)


def test_a_callers_change_never_reaches_the_dataset():
    ds = _ds()
    r = ds.ratings
    r["rating"] = 0.0
    r.loc[r.index[0], "user_id"] = "zz"
    rv = ds.reviews
    rv["text"] = "x"
    ds.summary()["users"] = 99
    ds.summary()["rating_scale"].append(10.0)
    assert ds.ratings["rating"].tolist() == [4.0, 2.0, 5.0]
    assert ds.reviews["text"].tolist() == ["好看", "一般", "剧情不错"]
    assert ds.summary()["users"] == 3 and ds.summary()["rating_scale"] == [1.0, 5.0]
    assert ds.interactions["rating"].isna().sum() == 2 and ds.interactions["user_id"].iloc[0] == "u1"


def test_all_rated_rows_share_the_table_without_copying_it():
    inter = pd.DataFrame({"user_id": ["u1", "u2"], "item_id": ["a", "a"], "rating": [3.0, 4.0]})
    ds = Dataset.from_frames(inter)
    assert len(ds.ratings) == 2 and ds.rating_shape() == (2, 1, 2)
    assert np.shares_memory(ds.ratings["rating"].to_numpy(), ds.interactions["rating"].to_numpy())
    assert ds.with_version("v9").ratings["rating"].tolist() == [3.0, 4.0]
