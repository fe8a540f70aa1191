import numpy as np
import pandas as pd
import pytest

from recsys_core.evaluation import KFold, compare, evaluate
from recsys_core.evaluation.compare import item_features
from recsys_core.models import BiasBaseline, GlobalMean, Popularity
from recsys_core.trainset import Trainset
from tests.models.contract import planted_frame


def tiny_split():
    train = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "c", "c", "c"],
            "item_id": ["x", "y", "x", "z", "y", "w", "z"],
            "rating": [5.0, 3.0, 4.0, 2.0, 1.0, 4.0, 3.0],
        }
    )
    test = pd.DataFrame({"user_id": ["a", "b", "d"], "item_id": ["z", "w", "x"], "rating": [4.0, 5.0, 3.0]})
    items = pd.DataFrame(
        {"item_id": ["x", "y", "z", "w"], "genres": [["Drama"], ["Comedy"], ["Drama", "Comedy"], ["Action"]]}
    )
    return train, test, items


class OneSplit:
    def __init__(self, train, test):
        self.pair = (train, test)
        self.seed = 0

    def split(self, df):
        yield self.pair

    def describe(self):
        return {"kind": "fixed", "folds": 1}


def test_hand_worked_fold_with_popularity():
    train, test, items = tiny_split()
    ev = evaluate({"pop": Popularity()}, OneSplit(train, test), train, k=1, items_meta=items, curve_ks=(1, 2))
    row = ev.folds.iloc[0]
    # counts: x 2, y 2, z 2, w 1.
    # a saw x, y -> top1 z (relevant: a rated z 4 >= 4): hit. b saw x, z -> top1 y; b's relevant w: miss.
    assert np.isnan(row["rmse"]) and np.isnan(row["mae"])
    assert row["precision@1"] == pytest.approx(0.5)
    assert row["hit_rate@1"] == pytest.approx(0.5)
    assert row["map@1"] == pytest.approx(0.5)
    assert row["coverage"] == pytest.approx(2 / 4)  # z and y
    # novelty: 3 train users; z and y rated by 2 each -> -log2(2/3) bits
    assert row["novelty"] == pytest.approx(np.log2(1.5))
    # personalization of lists [z], [y]: no overlap -> 1
    assert row["personalization"] == pytest.approx(1.0)
    assert np.isnan(row["diversity"])  # one item per list: no pairs
    users = ev.users.set_index("user_id")
    assert users.loc["a", "hit_rate@1"] == 1.0 and users.loc["b", "hit_rate@1"] == 0.0
    assert np.isnan(users.loc["d", "precision@1"])  # unknown user: no list
    assert ev.curves["k"].tolist() == [1, 2]


def test_diversity_uses_genres_or_falls_back_to_ratings():
    train, test, items = tiny_split()
    ev = evaluate({"pop": Popularity()}, OneSplit(train, test), train, k=2, items_meta=items)
    assert ev.diversity_basis == "genres"
    # a's top2: z, w (Drama+Comedy vs Action) -> cos 0 -> 1; b's top2: y, w (Comedy vs Action) -> 1
    assert ev.folds["diversity"].iloc[0] == pytest.approx(1.0)
    ev2 = evaluate({"pop": Popularity()}, OneSplit(train, test), train, k=2)
    assert ev2.diversity_basis == "ratings"
    # rating vectors over users (a, b, c): z = (0,1,1), w = (0,0,1) -> cos 1/sqrt2; y = (1,0,1), w -> 1/sqrt2
    assert ev2.folds["diversity"].iloc[0] == pytest.approx(1 - 1 / np.sqrt(2))


def test_item_features_genres_matrix():
    train, _, items = tiny_split()
    ts = Trainset.from_frame(train, (1, 5), items_meta=items)
    basis, F = item_features(ts, items)
    assert basis == "genres" and F.shape == (4, 3)


def test_rating_metrics_hand_value_and_per_user_rows():
    train, test, _ = tiny_split()
    ev = evaluate({"mean": GlobalMean()}, OneSplit(train, test), train, k=2)
    # global mean 22/7; a: z rated 4, b: w rated 5 (d is unknown -> fallback, still counted in rmse)
    row = ev.folds.iloc[0]
    assert row["rmse"] > 0
    u = ev.users.set_index("user_id")
    assert u.loc["a", "rmse"] == pytest.approx(abs(4 - 22 / 7))
    assert u.loc["b", "mae"] == pytest.approx(5 - 22 / 7)
    assert int(u.loc["a", "n_test"]) == 1


def test_compare_keeps_its_original_columns():
    df = planted_frame()
    res = compare([GlobalMean(), BiasBaseline()], KFold(2, seed=0), df, k=5)
    assert list(res.columns) == [
        "model",
        "fold",
        "rmse",
        "mae",
        "precision@5",
        "recall@5",
        "ndcg@5",
        "coverage",
        "fit_seconds",
        "test_seconds",
    ]
    assert len(res) == 4


def test_evaluate_full_shapes_and_determinism():
    df = planted_frame()
    models = {"mean": GlobalMean(), "bias": BiasBaseline(), "pop": Popularity()}
    ev = evaluate(models, KFold(3, seed=2), df, k=5)
    ev2 = evaluate(models, KFold(3, seed=2), df, k=5)
    metric_cols = [c for c in ev.folds.columns if not c.endswith("_seconds")]
    pd.testing.assert_frame_equal(ev.folds[metric_cols], ev2.folds[metric_cols])
    assert len(ev.folds) == 9 and ev.models == ["mean", "bias", "pop"]
    assert set(ev.curves["k"]) == {1, 2, 3, 5, 10, 15, 20}
    assert ev.folds.loc[ev.folds.model == "pop", "rmse"].isna().all()
    assert ev.folds.loc[ev.folds.model == "bias", "rmse"].notna().all()
    # every test user appears once per fold and model
    per_fold_users = sum(t["user_id"].nunique() for _, t in KFold(3, seed=2).split(df))
    assert len(ev.users) == 3 * per_fold_users
    assert ev.users.groupby(["model", "fold", "user_id"]).size().max() == 1


def test_diversity_sampling_is_stated_in_the_fold_rows():
    from recsys_core.data import synth
    from recsys_core.evaluation.compare import SAMPLING_COLUMNS, evaluate
    from recsys_core.evaluation.splits import make_splitter
    from recsys_core.models import make_model

    r, _ = synth.generate(synth.SynthSpec.for_ratings(6_000, n_users=120, n_items=300, seed=2))
    r["user_id"] = r["user_id"].astype(str)
    r["item_id"] = r["item_id"].astype(str)
    ev = evaluate(
        {"popularity": make_model("popularity")},
        make_splitter("holdout", test_size=0.2, seed=0),
        r,
        metrics=("ndcg", "diversity", "personalization"),
        k=5,
        rating_scale=(0.5, 5.0),
        curve_ks=None,
    )
    row = ev.folds.iloc[0]
    n_lists = int(ev.users["diversity"].notna().sum())
    assert row["diversity_pairs"] == row["diversity_pairs_total"] == n_lists * 10  # small data: every pair
    assert not set(SAMPLING_COLUMNS) & set(ev.metric_columns)
    assert 0 < row["diversity"] < 1 and 0 <= row["personalization"] <= 1
