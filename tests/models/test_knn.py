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
