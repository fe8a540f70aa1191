import numpy as np
import pytest
import scipy.sparse as sp

from recsys_core.models import ItemCF, UserCF
from recsys_core.models.knn import _knn_deviation, similarity_matrix
from recsys_core.models.mf import to_surprise_trainset
from recsys_core.trainset import Trainset

from .contract import ModelContract, planted_frame
from .helpers import planted_scores


class TestItemCF(ModelContract):
    def make_model(self):
        return ItemCF(k=10)


class TestUserCF(ModelContract):
    def make_model(self):
        return UserCF(k=10)


class TestItemCFCosine(ModelContract):
    def make_model(self):
        return ItemCF(sim="cosine", k=5, shrinkage=0)


class TestUserCFPearson(ModelContract):
    def make_model(self):
        return UserCF(sim="pearson", k=5, min_support=2)


# raters (users) x entities (items); 0 = not rated
X = sp.csr_matrix(np.array([[5.0, 3.0, 0.0], [4.0, 0.0, 2.0], [1.0, 2.0, 4.0]]))


def test_cosine_by_hand():
    S = similarity_matrix(X, "cosine")
    # i0,i1 share u0,u2: (5*3 + 1*2) / sqrt((25+1) * (9+4)); i0,i2 share u1,u2: (4*2+1*4)/sqrt((16+1)*(4+16))
    assert S[0, 1] == pytest.approx(17 / np.sqrt(26 * 13))
    assert S[0, 2] == pytest.approx(12 / np.sqrt(17 * 20))
    assert S[1, 2] == pytest.approx(1.0)  # one common rater: 2*4 / sqrt(4*16)
    assert S[1, 0] == S[0, 1] and S[0, 0] == 0.0


def test_pearson_by_hand():
    S = similarity_matrix(X, "pearson")
    # i0 on (u0,u2) = (5,1) -> (+2,-2); i1 = (3,2) -> (+.5,-.5): correlation 1
    assert S[0, 1] == pytest.approx(1.0)
    # i0 on (u1,u2) = (4,1), i2 = (2,4): correlation -1
    assert S[0, 2] == pytest.approx(-1.0)
    # a single common rater has zero variance: similarity 0
    assert S[1, 2] == 0.0


def test_adjusted_cosine_by_hand():
    S = similarity_matrix(X, "adjusted_cosine")
    # user means 4, 3, 7/3; i0 on (u0,u2) -> (+1, -4/3); i1 -> (-1, -1/3)
    num = 1 * -1 + (-4 / 3) * (-1 / 3)
    den = np.sqrt((1 + 16 / 9) * (1 + 1 / 9))
    assert S[0, 1] == pytest.approx(num / den)
    assert S[0, 1] == pytest.approx(-5 / np.sqrt(250))


def test_shrinkage_and_min_support():
    S = similarity_matrix(X, "cosine", shrinkage=1.0)
    assert S[0, 1] == pytest.approx(17 / np.sqrt(26 * 13) * (1 / (1 + 1)))  # (n-1)/(n-1+shrinkage), n=2
    assert S[1, 2] == 0.0  # n=1 -> factor 0
    assert not similarity_matrix(X, "cosine", min_support=3).any()


def test_pearson_baseline_is_cosine_of_residuals():
    resid = X.copy()
    resid.data = resid.data - 3.0
    S = similarity_matrix(X, "pearson_baseline", residuals=resid)
    # residuals i0 (u0,u2) = (2,-2), i1 = (0,-1): 2 / sqrt(8 * 1)
    assert S[0, 1] == pytest.approx(2 / np.sqrt(8))


def test_unknown_similarity_is_a_clear_error():
    with pytest.raises(ValueError, match="choose from"):
        similarity_matrix(X, "jaccard")
    with pytest.raises(ValueError, match="sim must be one of"):
        ItemCF(sim="jaccard").fit(Trainset.from_frame(planted_frame(), (1, 5)))


def test_knn_deviation_by_hand():
    M = np.array([[0.5, 0.2, -0.3]])
    rv = np.array([1.0, -1.0, 2.0])
    assert _knn_deviation(M, rv, k=2, min_k=1)[0] == pytest.approx(0.3 / 0.7)
    assert _knn_deviation(M, rv, k=3, min_k=1)[0] == pytest.approx(0.3 / 0.7)  # negative sims ignored
    assert _knn_deviation(M, rv, k=1, min_k=1)[0] == pytest.approx(1.0)
    assert _knn_deviation(M, rv, k=3, min_k=3)[0] == 0.0  # too few neighbours
    assert _knn_deviation(M, rv, k=2, min_k=1, damping=0.3)[0] == pytest.approx(0.3 / 1.0)  # damped mass


@pytest.mark.parametrize("cls,user_based", [(ItemCF, False), (UserCF, True)])
def test_matches_surprise_knnbaseline(cls, user_based):
    from surprise import KNNBaseline

    ts = Trainset.from_frame(planted_frame(), (1, 5))
    ours = cls(k=7, damping=0.0).fit(ts)
    theirs = KNNBaseline(k=7, sim_options={"name": "pearson_baseline", "user_based": user_based}, verbose=False).fit(
        to_surprise_trainset(ts)
    )
    rng = np.random.default_rng(0)
    u = rng.integers(0, ts.n_users, 300)
    i = rng.integers(0, ts.n_items, 300)
    unrated = np.asarray(ts.binary[u, i]).ravel() == 0  # Surprise counts an entity as its own neighbour
    u, i = u[unrated], i[unrated]
    est = ours.predict_many(ts.users_raw[u], ts.items_raw[i], clip=False)[0]
    ref = np.array([theirs.estimate(a, b)[0] for a, b in zip(u.tolist(), i.tolist())])
    np.testing.assert_allclose(est, ref, atol=1e-5)
    # scoring a whole row gives the same numbers as the pairs
    np.testing.assert_allclose(ours.score_users([u[0]])[0][i[u == u[0]]], est[u == u[0]], atol=1e-9)


def test_neighbours_and_reasons():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = ItemCF().fit(ts)
    nb = m.neighbours("i0", 5)
    assert len(nb) == 5 and all(s > 0 for _, s in nb)
    # planted groups: the nearest items of i0 are in its own half (0..19)
    assert sum(int(i[1:]) < 20 for i, _ in nb) >= 4
    assert [s for _, s in nb] == sorted((s for _, s in nb), reverse=True)
    assert m.neighbours("nope") == []
    reasons = m.neighbour_reasons("u0", "i5", n=3)
    seen = set(ts.items_raw[ts.seen_items(ts.to_inner_uid("u0"))])
    assert 0 < len(reasons) <= 3 and all(i in seen for i, _ in reasons)
    uc = UserCF().fit(ts)
    assert uc.neighbours("u0", 3)[0][0] != "u0"
    ur = uc.neighbour_reasons("u0", "i5", n=3)
    raters = set(ts.to_frame().query("item_id == 'i5'").user_id)
    assert all(v in raters for v, _ in ur)


@pytest.mark.parametrize(
    "model,margin",
    [(ItemCF(), 0.2), (UserCF(), 0.2), (ItemCF(sim="adjusted_cosine"), 0.2), (UserCF(sim="cosine"), 0.1)],
)
def test_beats_global_mean_on_planted(model, margin):
    res = planted_scores(model)
    assert res["model"]["rmse"] < res["baseline"]["rmse"] - margin


def test_cap_raters_keeps_the_same_sample_in_every_matrix():
    from recsys_core.models.knn import cap_raters

    rng = np.random.default_rng(3)
    A = sp.random(6, 40, density=0.5, format="csr", random_state=1)
    A.data[:] = rng.integers(1, 6, A.nnz)
    R = A.copy()
    R.data = A.data - 3.0
    counts = np.diff(A.indptr)
    capA, capR = cap_raters([A, R], cap=5, seed=0)
    assert np.diff(capA.indptr).tolist() == np.minimum(counts, 5).tolist()
    # the same entries are kept in both, and every kept entry is one of the row's own
    np.testing.assert_array_equal(capA.indices, capR.indices)
    np.testing.assert_allclose(capR.data, capA.data - 3.0)
    for r in range(A.shape[0]):
        kept = capA.indices[capA.indptr[r] : capA.indptr[r + 1]]
        own = dict(zip(A.indices[A.indptr[r] : A.indptr[r + 1]], A.data[A.indptr[r] : A.indptr[r + 1]]))
        assert set(kept) <= set(own)
        np.testing.assert_allclose(capA.data[capA.indptr[r] : capA.indptr[r + 1]], [own[j] for j in kept])
    # the same seed gives the same sample; nothing changes when no row is over the cap
    again = cap_raters([A], cap=5, seed=0)[0]
    np.testing.assert_array_equal(again.indices, capA.indices)
    assert cap_raters([A, R], cap=int(counts.max()))[0] is A


def test_threaded_blocks_give_the_same_neighbours():
    from recsys_core.models.knn import similarity_topk

    A = sp.random(300, 90, density=0.2, format="csr", random_state=4)
    A.data = np.round(A.data * 4) + 1
    one = similarity_topk(A, "pearson", max_neighbours=7)
    import recsys_core.models.knn as knn

    small = knn.BLOCK_ELEMENTS
    try:
        knn.BLOCK_ELEMENTS = 900  # ten rows a block, so the threads get nine blocks
        two = similarity_topk(A, "pearson", max_neighbours=7, threads=2)
    finally:
        knn.BLOCK_ELEMENTS = small
    assert (one != two).nnz == 0 and one.nnz == 90 * 7


def test_a_heavy_rater_over_the_cap_counts_only_its_sample():
    # u0 rated all 30 items; every other user rated 3. With rater_cap=4, u0 adds 4 of its items to the
    # similarities, so at most 4 * 3 = 12 ordered pairs of items share u0 (before: 30 * 29).
    rows = [("u0", f"i{j}", 1 + j % 5) for j in range(30)]
    rows += [(f"u{k}", f"i{(k * 7 + d) % 30}", 1 + (k + d) % 5) for k in range(1, 40) for d in range(3)]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])
    ts = Trainset.from_frame(frame, (1, 5))
    full = ItemCF(sim="cosine", shrinkage=0, rater_cap=None).fit(ts)
    capped = ItemCF(sim="cosine", shrinkage=0, rater_cap=4).fit(ts)
    wide = ItemCF(sim="cosine", shrinkage=0, rater_cap=30).fit(ts)
    assert (full.sim_ != wide.sim_).nnz == 0  # a cap no rater is over changes nothing
    assert capped.sim_.nnz < full.sim_.nnz
    # baselines still use every rating
    np.testing.assert_allclose(capped.bi_, full.bi_)
    with pytest.raises(ValueError, match="rater_cap"):
        ItemCF(rater_cap=1).fit(ts)


def test_big_data_keeps_only_the_k_nearest_neighbours(monkeypatch):
    import recsys_core.models.knn as knn

    assert knn.kept_neighbours(None, 40, 1_000_000) == 2000
    assert knn.kept_neighbours(None, 40, 1_000_001) == 40
    assert knn.kept_neighbours(300, 40, 25_000_000) == 300
    # the declared cost follows the same rule
    small = ItemCF.cost(1000, 40_000, 900_000).memory_bytes
    big = ItemCF.cost(1000, 40_000, 1_100_000).memory_bytes
    assert big < small  # 40 kept neighbours per film instead of 2,000
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    many = ItemCF(k=5).fit(ts)
    assert np.diff(many.sim_.indptr).max() > 5
    monkeypatch.setattr(knn, "FEW_NEIGHBOURS_RATINGS", ts.n_ratings - 1)
    few = ItemCF(k=5).fit(ts)
    assert np.diff(few.sim_.indptr).max() == 5
    same = ItemCF(k=5, max_neighbours=5).fit(ts)
    np.testing.assert_allclose(few.score_users([0, 1, 2]), same.score_users([0, 1, 2]))


def test_batch_top_n_on_threads_gives_the_lists_of_one_thread(monkeypatch):
    import recsys_core.models.base as base

    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = ItemCF(k=5).fit(ts)
    users = np.arange(ts.n_users)
    one, one_scores = m.top_n_inner(users, 7, block=3, return_scores=True)
    monkeypatch.setattr(base, "PARALLEL_TOP_N_ELEMENTS", 0)
    monkeypatch.setattr(base, "block_threads", lambda: 2)
    two, two_scores = m.top_n_inner(users, 7, block=3, return_scores=True)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one_scores, two_scores)
    assert (one >= 0).all()
