import numpy as np
import pandas as pd
import pytest

from recsys_core.models import ALS, BPR, EASE, LMF
from recsys_core.models.implicit_rankers import interaction_matrix
from recsys_core.trainset import Trainset

from .contract import ModelContract, planted_frame
from .helpers import planted_scores


class TestEASE(ModelContract):
    def make_model(self):
        return EASE(reg=10.0)


class TestALS(ModelContract):
    def make_model(self):
        return ALS(factors=8, iterations=5, reg=1.0, random_state=0)


def tiny():
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "b", "c", "c"],
            "item_id": ["x", "y", "x", "y", "z", "y", "z"],
            "rating": [5.0, 4.0, 3.0, 5.0, 1.0, 4.0, 2.0],
        }
    )
    return Trainset.from_frame(df, (1, 5))


def test_ease_closed_form_matches_numpy_inverse():
    ts = tiny()
    m = EASE(reg=2.0).fit(ts)
    X = interaction_matrix(ts).toarray()
    P = np.linalg.inv(X.T @ X + 2.0 * np.eye(3))
    B = np.eye(3) - P / np.diag(P)[None, :]  # Steck 2019, eq. 8
    np.testing.assert_allclose(m.B_, B, atol=1e-12)
    np.testing.assert_allclose(np.diag(m.B_), 0.0)
    np.testing.assert_allclose(m.score("a"), X[ts.to_inner_uid("a")] @ B)


def test_ease_hand_value_two_items():
    # items x,y both rated by users a,b; G = [[2,2],[2,2]] + 1*I = [[3,2],[2,3]]; P = [[3,-2],[-2,3]]/5
    # B_xy = -P_xy / P_yy = (2/5)/(3/5) = 2/3
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "c"],
            "item_id": ["x", "y", "x", "y", "z"],
            "rating": [4.0, 4.0, 4.0, 4.0, 4.0],
        }
    )
    m = EASE(reg=1.0).fit(Trainset.from_frame(df, (1, 5)))
    ts = m.trainset_
    assert m.B_[ts.to_inner_iid("x"), ts.to_inner_iid("y")] == pytest.approx(2 / 3)


def test_threshold_keeps_only_liked_ratings():
    ts = tiny()
    X = interaction_matrix(ts, threshold=4).toarray()
    assert X.sum() == 4  # ratings >= 4: a-x (5), a-y (4), b-y (5), c-y (4)
    assert X[ts.to_inner_uid("b"), ts.to_inner_iid("z")] == 0


def test_rankers_do_not_predict_ratings():
    ts = tiny()
    for m in (EASE(reg=1.0), ALS(factors=2, iterations=2)):
        m.fit(ts)
        assert m.predicts_ratings is False
        p = m.predict("a", "z")
        assert "score" in p.details and "does not predict ratings" in p.details["reason"]


def test_als_solves_the_weighted_least_squares():
    """With enough CG steps, each user vector solves (Y^T C_u Y + reg I) x = Y^T C_u p_u."""
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = ALS(factors=4, iterations=3, cg_steps=20, reg=0.5, alpha=2.0, engine="numpy").fit(ts)
    Y = m.item_factors_
    X = interaction_matrix(ts).toarray()
    u = 5
    c = 1 + 2.0 * X[u]
    A = (Y.T * c) @ Y + 0.5 * np.eye(4)
    b = (Y.T * c) @ X[u]
    # the last half-step updated items, so re-solve the user against the final items
    x = np.linalg.solve(A, b)
    m2_scores = x @ Y.T
    assert np.corrcoef(m2_scores, m.score(ts.users_raw[u]))[0, 1] > 0.99


def test_bad_params():
    with pytest.raises(ValueError, match="reg"):
        EASE(reg=0).fit(tiny())
    with pytest.raises(ValueError, match="max_items"):
        EASE(max_items=2).fit(tiny())
    with pytest.raises(ValueError, match="factors"):
        ALS(factors=0).fit(tiny())


@pytest.mark.parametrize(
    "model",
    [
        EASE(reg=20.0),
        ALS(factors=8, reg=1.0, iterations=10),
        ALS(factors=8, reg=1.0, iterations=10, engine="numpy"),
        LMF(factors=8, iterations=30),
    ],
)
def test_rank_better_than_popularity_on_planted(model):
    res = planted_scores(model)
    assert res["model"]["ndcg@10"] > res["popularity"]["ndcg@10"]
    assert np.isnan(res["model"]["rmse"])


def test_als_engines_agree():
    """implicit's solver and ours minimise the same objective: their rankings agree closely."""
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    a = ALS(factors=4, iterations=30, cg_steps=10, reg=0.5, alpha=2.0).fit(ts)
    b = ALS(factors=4, iterations=30, cg_steps=10, reg=0.5, alpha=2.0, engine="numpy").fit(ts)
    corr = [np.corrcoef(a.score(u), b.score(u))[0, 1] for u in ts.users_raw[:10]]
    assert np.median(corr) > 0.97 and min(corr) > 0.9
    assert a.item_factors_.dtype == np.float64 and a.user_factors_.shape == (ts.n_users, 4)


def test_implicit_rankers_bad_params():
    with pytest.raises(ValueError, match="engine"):
        ALS(engine="spark").fit(tiny())
    with pytest.raises(ValueError, match="learning_rate"):
        BPR(learning_rate=0).fit(tiny())
    with pytest.raises(ValueError, match="num_threads"):
        LMF(num_threads=-1).fit(tiny())


def test_bpr_learns_the_planted_ranking():
    """Trained on the liked ratings (>= 4) as positives, BPR finds the planted taste groups."""
    res = planted_scores(BPR(factors=8, iterations=50, learning_rate=0.05, threshold=4))
    assert res["model"]["ndcg@10"] > 1.5 * res["popularity"]["ndcg@10"]
    assert np.isnan(res["model"]["rmse"])


def test_sgd_rankers_use_one_thread_on_small_data_and_every_core_on_large():
    from recsys_core.models.implicit_rankers import PARALLEL_SGD_RATINGS, sgd_threads

    assert sgd_threads(None, PARALLEL_SGD_RATINGS - 1) == 1  # reproducible
    assert sgd_threads(None, PARALLEL_SGD_RATINGS) == 0  # every core
    assert sgd_threads(3, 10**9) == 3 and sgd_threads(1, 10**9) == 1
    shape = (162_540, 59_047, 25_000_095)
    # declared on 2 cores: every core halves the one-thread time
    assert BPR.cost(*shape).fit_seconds == pytest.approx(BPR.cost(*shape, num_threads=1).fit_seconds / 2)
    assert LMF.cost(*shape).fit_seconds == pytest.approx(LMF.cost(*shape, num_threads=1).fit_seconds / 2)
    small = (943, 1682, 100_000)
    assert BPR.cost(*small).fit_seconds == BPR.cost(*small, num_threads=1).fit_seconds


def test_default_bpr_is_reproducible_on_small_data():
    a = BPR(factors=8, iterations=5).fit(tiny())
    b = BPR(factors=8, iterations=5).fit(tiny())
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)


def test_bpr_runs_fewer_epochs_on_big_data(monkeypatch):
    import recsys_core.models.implicit_rankers as ir

    assert [ir.bpr_iterations(None, n) for n in (100_000, 1_000_000, 2_000_000, 25_000_000)] == [100, 100, 50, 30]
    assert ir.bpr_iterations(7, 25_000_000) == 7
    # 25M ratings at 30 epochs, declared on 2 cores: 30 x 1.5e-8 x 25M x 64 + 1e-6 x 25M, halved
    assert BPR.cost(162_540, 59_047, 25_000_000).fit_seconds == pytest.approx((720.0 + 25.0) / 2)
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    monkeypatch.setattr(ir, "FEWER_EPOCHS_RATINGS", ts.n_ratings // 4)  # this data now counts as big
    auto, thirty = BPR().fit(ts), BPR(iterations=30).fit(ts)
    np.testing.assert_array_equal(auto.user_factors_, thirty.user_factors_)
    assert not np.array_equal(BPR(iterations=100).fit(ts).user_factors_, auto.user_factors_)
