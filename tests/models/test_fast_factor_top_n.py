"""Large top-N requests of the factor models (ALS, BPR, LMF, SVD) select in implicit's multi-threaded top-k; the
lists are those of the generic blocked path (every user's scores, seen films excluded, ties by lower film index)."""

import numpy as np
import pytest

from recsys_core.models import fast_top_n as ft
from recsys_core.models import implicit_rankers as ir
from recsys_core.models.base import Recommender
from recsys_core.models.mf import SVD
from recsys_core.trainset import Trainset
from tests.models.contract import planted_frame


def _generic(model, users, n, exclude_seen):
    return Recommender.top_n_inner(model, users, n, exclude_seen, return_scores=True)


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(ft, "FAST_TOP_N_ELEMENTS", 0)  # every request takes the top-k path


@pytest.mark.parametrize("cls", [ir.ALS, ir.BPR, ir.LMF])
@pytest.mark.parametrize("n", [1, 5, 12])
def test_same_lists_as_the_generic_path(fast, cls, n):
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = cls(factors=8, iterations=5, random_state=0).fit(ts)
    users = np.random.default_rng(0).permutation(ts.n_users)
    for exclude_seen in (True, False):
        got_i, got_s = model.top_n_inner(users, n, exclude_seen, return_scores=True)
        want_i, want_s = _generic(model, users, n, exclude_seen)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_allclose(got_s, want_s, rtol=1e-12, atol=1e-12)
        assert model.top_n_inner(users, n, exclude_seen).tolist() == want_i.tolist()


def test_svd_lists_match_with_its_per_user_offset(fast):
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = SVD(n_factors=6, n_epochs=5, random_state=0).fit(ts)
    users = np.arange(ts.n_users)
    for exclude_seen in (True, False):
        got_i, got_s = model.top_n_inner(users, 7, exclude_seen, return_scores=True)
        want_i, want_s = _generic(model, users, 7, exclude_seen)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_allclose(got_s, want_s, rtol=1e-12)  # mu + b_u added after the selection


def test_small_requests_keep_the_generic_path():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = ir.ALS(factors=4, iterations=3, random_state=0).fit(ts)
    users = np.arange(ts.n_users)
    assert len(users) * ts.n_items < ft.FAST_TOP_N_ELEMENTS
    got_i, got_s = model.top_n_inner(users, 5, True, return_scores=True)
    want_i, want_s = _generic(model, users, 5, True)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_s, want_s)  # bit-identical scores


def test_ties_and_users_with_few_unseen_films_are_redone_exactly(fast):
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = ir.ALS(factors=4, iterations=3, random_state=0).fit(ts)
    V = model.item_factors_.copy()
    V[1::2] = V[0::2][: len(V[1::2])]  # every odd film scores exactly like the film before it: ties everywhere
    model.item_factors_ = V
    users = np.arange(ts.n_users)
    n = ts.n_items - 2  # most users have fewer unseen films than that
    for k in (3, n):
        got_i, got_s = model.top_n_inner(users, k, True, return_scores=True)
        want_i, want_s = _generic(model, users, k, True)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_allclose(got_s, want_s, rtol=1e-12, atol=1e-12)


def test_hand_worked_lists():
    # films scored 1, 2, 3, 3, 0.5 for user 0 and -1, -2, -3, -3, -0.5 for user 1
    U = np.array([[1.0], [-1.0]])
    V = np.array([[1.0], [2.0], [3.0], [3.0], [0.5]])
    import scipy.sparse as sp

    seen = sp.csr_matrix(np.array([[0, 0, 0, 0, 1], [1, 0, 0, 0, 0]], dtype=float))
    idx, vals, redo = ft.implicit_top_n(U, V, seen, np.array([0, 1]), 2)
    assert idx.tolist() == [[2, 3], [4, 1]]  # user 0: films 2 and 3 tie inside the list, lower index first
    assert vals.tolist() == [[3.0, 3.0], [-0.5, -2.0]]
    assert redo.tolist() == [False, False]
    _, _, redo = ft.implicit_top_n(U, V, seen, np.array([0, 1]), 3)
    assert redo.tolist() == [False, True]  # user 1: films 2 and 3 tie across the cut at 3
