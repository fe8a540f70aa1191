"""A sparse, wide catalogue (about 200K ratings, 20K users, 20K films): every model that its cost
envelope admits under a 2 GB budget fits and ranks, the others are refused up front, and no fitted
model holds a dense users x films (or films x films) array."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_core.models import REGISTRY, make_model
from recsys_core.models.cost import ModelTooLarge, budget_scope, check_fits, models_that_fit
from recsys_core.trainset import Trainset

pytestmark = pytest.mark.slow

N_USERS, N_ITEMS, N_RATINGS = 20_000, 20_000, 200_000
BUDGET = 2 * 1024**3
#: short runs of the iterative models: this test is about shapes and memory, not accuracy (one epoch
#: allocates every array a longer run holds)
FAST = {
    "svd": {"n_factors": 20, "n_epochs": 1},
    "svdpp": {"n_factors": 5, "n_epochs": 1},
    "nmf": {"n_factors": 5, "n_epochs": 1},
    "coclustering": {"n_epochs": 1},
    "autorec-i": {"hidden": 32, "epochs": 1},
    "autorec-u": {"hidden": 32, "epochs": 1},
    "als": {"factors": 16, "iterations": 1},
    "bpr": {"factors": 16, "iterations": 1},
    "lmf": {"factors": 8, "iterations": 1},
    # the blend's own state (weights, validation split, members refitted on everything); item-CF's
    # neighbours are checked on their own below, so the fitted blend uses quick members
    "hybrid": {
        "members": ("bias", "svd"),
        "member_params": {"svd": {"n_factors": 10, "n_epochs": 1}},
    },
}
#: the blend as the envelope check sees it with the neighbour model among its members
HYBRID_WITH_ITEMCF = {"members": ("bias", "svd", "itemcf"), "member_params": {"svd": {"n_factors": 10}}}
#: dense in films (or users) by construction: 20K x 20K does not fit 2 GB
REFUSED = {"ease", "slopeone", "knnbaseline"}


def wide_frame(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long-tail film popularity, heavy-tailed user activity, ratings with user/film biases."""
    rng = np.random.default_rng(seed)
    item_p = 1.0 / np.arange(1, N_ITEMS + 1) ** 0.8
    item_p = rng.permutation(item_p / item_p.sum())
    user_p = rng.pareto(1.5, N_USERS) + 1.0
    user_p /= user_p.sum()
    n = int(N_RATINGS * 1.1)
    key = np.unique(rng.choice(N_USERS, n, p=user_p).astype(np.int64) * N_ITEMS + rng.choice(N_ITEMS, n, p=item_p))
    key = rng.permutation(key)[:N_RATINGS]
    u, i = key // N_ITEMS, key % N_ITEMS
    r = np.clip(np.rint(3.5 + rng.normal(0, 0.5, N_USERS)[u] + rng.normal(0, 0.6, N_ITEMS)[i]), 1, 5)
    ratings = pd.DataFrame({"user_id": [f"u{x}" for x in u], "item_id": [f"m{x}" for x in i], "rating": r})
    genres = np.array(["剧情", "喜剧", "动作", "爱情", "科幻", "动画", "悬疑", "纪录片"])
    items = pd.DataFrame(
        {
            "item_id": [f"m{x}" for x in range(N_ITEMS)],
            "genres": [list(genres[rng.choice(8, 2, replace=False)]) for _ in range(N_ITEMS)],
            "year": rng.integers(1960, 2025, N_ITEMS),
        }
    )
    return ratings, items


@pytest.fixture(scope="module")
def wide():
    ratings, items = wide_frame()
    return Trainset.from_frame(ratings, (1, 5), items_meta=items)


def _arrays(obj, seen=None, depth=0):
    """Every numpy array reachable from a fitted model's attributes (dicts, lists, nested models)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 6:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
    elif sp.issparse(obj):
        for part in ("data", "indices", "indptr", "row", "col"):
            if hasattr(obj, part):
                yield getattr(obj, part)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _arrays(v, seen, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _arrays(v, seen, depth + 1)
    elif hasattr(obj, "__dict__") and not isinstance(obj, (type, pd.DataFrame, pd.Series)):
        for v in vars(obj).values():
            yield from _arrays(v, seen, depth + 1)


def test_the_shape_is_sparse_and_wide(wide):
    assert wide.n_users > 0.9 * N_USERS and wide.n_items > 0.9 * N_ITEMS
    assert wide.n_ratings == N_RATINGS
    assert wide.n_ratings / (wide.n_users * wide.n_items) < 0.001


def test_envelopes_admit_and_refuse_as_expected(wide):
    shape = (wide.n_users, wide.n_items, wide.n_ratings)
    fits = set(models_that_fit(*shape, budget=BUDGET))
    # the default hybrid keeps four members (item-CF's neighbours and AutoRec among them): over 2 GB
    assert fits == set(REGISTRY) - REFUSED - {"hybrid"}
    assert check_fits("hybrid", *shape, budget=BUDGET, **FAST["hybrid"]).memory_bytes <= BUDGET
    assert check_fits("hybrid", *shape, budget=BUDGET, **HYBRID_WITH_ITEMCF).memory_bytes <= BUDGET
    for name in REFUSED:
        with pytest.raises(ModelTooLarge) as err:
            check_fits(name, *shape, budget=BUDGET)
        assert err.value.model == name and err.value.need_bytes > BUDGET
        assert set(err.value.fits) == fits
        with budget_scope(BUDGET), pytest.raises(ModelTooLarge):
            make_model(name).fit(wide)  # refused before any work


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - REFUSED))
def test_admitted_model_fits_without_dense_users_x_films(wide, name):
    limit = wide.n_users * wide.n_items
    model = make_model(name, **FAST.get(name, {}))
    with budget_scope(BUDGET):
        model.fit(wide)
    users = np.arange(0, wide.n_users, max(1, wide.n_users // 64))
    top = model.top_n_inner(users, 10)
    assert top.shape == (len(users), 10) and (top[:, 0] >= 0).all()
    biggest = max((a.size for a in _arrays(model)), default=0)
    assert biggest < limit, f"{name} holds an array of {biggest} elements (users x films = {limit})"
    if model.predicts_ratings:
        est, _ = model.predict_many(wide.users_raw[:50], wide.items_raw[:50])
        assert np.isfinite(est).all() and ((est >= 1) & (est <= 5)).all()
