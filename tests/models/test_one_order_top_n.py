"""Batch top-N of non-personalised models (baseline, popularity) ranks the items once and skips each
user's seen items: the lists and scores are exactly those of scoring every user's row."""

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_core.models import GlobalMean, Popularity
from recsys_core.models.base import _top_n_one_order, top_n
from recsys_core.trainset import Trainset
from tests.models.contract import planted_frame


def _by_rows(g, csr, users, n, exclude_seen):
    S = np.tile(np.where(np.isfinite(g), g, -np.inf), (len(users), 1))
    if exclude_seen:
        sub = csr[users]
        S[np.repeat(np.arange(len(users)), np.diff(sub.indptr)), sub.indices] = -np.inf
    return top_n(S, n)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [1, 3, 10, 25])
def test_same_lists_as_scoring_every_row(seed, n):
    rng = np.random.default_rng(seed)
    n_users, n_items = 40, 20
    g = rng.integers(0, 5, n_items).astype(float)  # many ties
    g[rng.choice(n_items, 3, replace=False)] = [-np.inf, np.nan, np.inf]
    dense = rng.random((n_users, n_items)) < rng.choice([0.1, 0.5, 0.95])
    dense[0] = True  # a user who has seen everything
    csr = sp.csr_matrix(dense.astype(float))
    users = rng.permutation(n_users)[:30]
    for exclude_seen in (True, False):
        got_i, got_s = _top_n_one_order(g, csr, users, n, exclude_seen)
        want_i, want_s = _by_rows(g, csr, users, n, exclude_seen)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_array_equal(got_s, want_s)


def test_hand_worked_popularity_lists():
    # scores 3, 5, 5, 1 -> order: item 1, item 2 (tie, lower index first), item 0, item 3
    g = np.array([3.0, 5.0, 5.0, 1.0])
    csr = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=float))
    idx, vals = _top_n_one_order(g, csr, np.array([0, 1, 2]), 2, True)
    assert idx.tolist() == [[2, 0], [3, -1], [-1, -1]]
    assert vals.tolist() == [[5.0, 3.0], [1.0, -np.inf], [-np.inf, -np.inf]]


@pytest.mark.parametrize("cls", [GlobalMean, Popularity])
def test_models_use_it_with_unchanged_results(cls):
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = cls().fit(ts)
    users = np.arange(ts.n_users)
    got_i, got_s = model.top_n_inner(users, 7, exclude_seen=True, return_scores=True)
    S = model.score_users(users)
    S[ts.csr.nonzero()] = -np.inf
    want_i, want_s = top_n(S, 7)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_s, want_s)
