import numpy as np
import pandas as pd
import pytest

from recsys_core.evaluation import KFold
from recsys_core.evaluation.tuning import Range, grid_candidates, grid_search, random_candidates, random_search


def planted_bias(seed=0):
    """r = 3 + b_u + b_i + noise with strong, well-sampled biases: little regularisation is best."""
    rng = np.random.default_rng(seed)
    bu = rng.normal(0, 0.8, 50)
    bi = rng.normal(0, 0.8, 40)
    rows = []
    for u in range(50):
        for i in rng.choice(40, 25, replace=False):
            rows.append((f"u{u}", f"i{i}", float(3 + bu[u] + bi[i] + rng.normal(0, 0.1))))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])


def test_grid_search_finds_known_best_regularisation():
    df = planted_bias()
    seen = []
    res = grid_search(
        "bias",
        {"reg_u": [0.5, 200.0], "reg_i": [0.5, 200.0]},
        df,
        splitter=KFold(3, 0),
        progress=lambda label, step, total: seen.append((step, total)),
    )
    assert res.best_params == {"reg_u": 0.5, "reg_i": 0.5}
    assert len(res.results) == 4
    assert res.results.loc[res.results["rank"] == 1, "mean_score"].iloc[0] == pytest.approx(res.best_score)
    assert res.best_score < 0.2
    assert res.lower_is_better and res.metric == "rmse"
    assert {"mean_score", "std_score", "fold_0", "fold_2"} <= set(res.results.columns)
    assert seen[-1] == (12, 12)
    assert res.param_names == ["reg_u", "reg_i"]


def test_random_search_is_seeded_and_in_range():
    df = planted_bias()
    a = random_search("bias", {"reg_u": Range(0.1, 100, log=True), "n_epochs": (1, 5)}, df, n_iter=3, seed=4)
    b = random_search("bias", {"reg_u": Range(0.1, 100, log=True), "n_epochs": (1, 5)}, df, n_iter=3, seed=4)
    pd.testing.assert_frame_equal(
        a.results.drop(columns="mean_fit_seconds"), b.results.drop(columns="mean_fit_seconds")
    )
    assert a.results["reg_u"].between(0.1, 100).all()
    assert set(a.results["n_epochs"]) <= {1, 2, 3, 4, 5}


def test_candidates():
    assert grid_candidates({"a": [1, 2], "b": ["x"]}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    assert len(grid_candidates({"a": Range(1, 100, log=True)})) == 5
    c = random_candidates({"a": [1, 2]}, n_iter=10, seed=0)
    assert sorted(x["a"] for x in c) == [1, 2]  # only two distinct candidates exist


def test_bad_requests_are_clear():
    df = planted_bias()
    with pytest.raises(ValueError, match="no parameter"):
        grid_search("bias", {"nope": [1]}, df)
    with pytest.raises(ValueError, match="ranking metric"):
        grid_search("popularity", {}, df)
