import numpy as np
import pytest
import scipy.sparse as sp

from recsys_core.models import BiasBaseline, GlobalMean, Hybrid, IAutoRec, UAutoRec
from recsys_core.models.autorec import _AutoRec, _sigmoid
from recsys_core.models.hybrid import learn_blend_weights
from recsys_core.trainset import Trainset

from .contract import ModelContract, planted_frame
from .helpers import planted_scores

SMALL = dict(hidden=16, reg=1.0, lr=0.01, epochs=40, batch_size=8, patience=5, random_state=0)


class TestIAutoRec(ModelContract):
    def make_model(self):
        return IAutoRec(**SMALL)


class TestUAutoRec(ModelContract):
    def make_model(self):
        return UAutoRec(**SMALL)


class TestHybrid(ModelContract):
    def make_model(self):
        return Hybrid(members=("bias", "itemcf", "svd"), member_params={"svd": {"n_factors": 5, "n_epochs": 20}})


def _numeric_grad(p, Rb, key, idx, dense, eps=1e-3):
    p1 = {k: v.astype(np.float64).copy() for k, v in p.items()}
    p2 = {k: v.astype(np.float64).copy() for k, v in p.items()}
    p1[key][idx] += eps
    p2[key][idx] -= eps
    return (_AutoRec._grads(p1, Rb, dense)[1] - _AutoRec._grads(p2, Rb, dense)[1]) / (2 * eps)


@pytest.mark.parametrize("dense", [True, False])
def test_gradients_match_finite_differences(dense):
    rng = np.random.default_rng(0)
    Rb = sp.csr_matrix(np.array([[5.0, 0, 3.0, 0], [0, 4.0, 0, 1.0], [2.0, 0, 0, 5.0]]))
    p = {
        "V": rng.normal(0, 0.3, (4, 3)),
        "mu": rng.normal(0, 0.1, 3),
        "W": rng.normal(0, 0.3, (4, 3)),
        "b": np.full(4, 3.0),
    }
    grads, sse = _AutoRec._grads(p, Rb, dense)
    # SSE by hand from the definition
    H = _sigmoid(Rb.toarray() @ p["V"] + p["mu"])
    O = H @ p["W"].T + p["b"]
    mask = Rb.toarray() > 0
    assert sse == pytest.approx(float(np.sum(((O - Rb.toarray()) * mask) ** 2)), rel=1e-6)
    for key, idx in (("V", (2, 1)), ("mu", (0,)), ("W", (3, 2)), ("b", (1,))):
        assert grads[key][idx] == pytest.approx(_numeric_grad(p, Rb, key, idx, dense), rel=1e-3, abs=1e-5)


def test_loss_decreases_and_curve_is_kept():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = IAutoRec(**{**SMALL, "patience": 100, "epochs": 15}).fit(ts)
    curve = m.loss_history_
    assert [c["epoch"] for c in curve] == list(range(1, 16))
    assert m.loss_curve_["val_rmse"] == [c["val_rmse"] for c in curve]
    assert set(curve[0]) == {"epoch", "train_rmse", "val_rmse"}
    assert curve[-1]["train_rmse"] < curve[0]["train_rmse"] - 0.3
    assert min(c["val_rmse"] for c in curve) < curve[0]["val_rmse"]


def test_early_stopping_keeps_best_epoch():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = IAutoRec(**{**SMALL, "reg": 0.0, "epochs": 200, "patience": 3}).fit(ts)
    vals = m.loss_curve_["val_rmse"]
    assert len(vals) < 200
    assert m.best_epoch_ == int(np.argmin(vals)) + 1
    assert len(vals) == m.best_epoch_ + 3


def test_scores_are_decoder_times_hidden():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = IAutoRec(**SMALL).fit(ts)
    u = ts.to_inner_uid("u3")
    expected = m.hidden_ @ m.params_["W"][u] + m.params_["b"][u]
    np.testing.assert_allclose(m.score("u3"), expected, rtol=1e-5)
    mu = UAutoRec(**SMALL).fit(ts)
    np.testing.assert_allclose(mu.score("u3"), mu.params_["W"] @ mu.hidden_[u] + mu.params_["b"], rtol=1e-5)


def test_bad_params():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    with pytest.raises(ValueError, match="hidden"):
        IAutoRec(hidden=0).fit(ts)
    with pytest.raises(ValueError, match="val_fraction"):
        IAutoRec(val_fraction=0.9).fit(ts)


@pytest.mark.parametrize("cls", [IAutoRec, UAutoRec])
def test_autorec_beats_global_mean_on_planted(cls):
    res = planted_scores(cls(**SMALL))
    assert res["model"]["rmse"] < res["baseline"]["rmse"] - 0.2


# ---------------------------------------------------------------- hybrid
def test_blend_weights_recover_a_planted_blend():
    rng = np.random.default_rng(0)
    P = rng.normal(3, 1, (500, 3))
    y = 0.5 + 0.3 * P[:, 0] + 0.7 * P[:, 1] + 0.0 * P[:, 2]
    w, c = learn_blend_weights(P, y, ridge=0.0)
    np.testing.assert_allclose(w, [0.3, 0.7, 0.0], atol=1e-8)
    assert c == pytest.approx(0.5)


def test_blend_weights_are_non_negative():
    rng = np.random.default_rng(1)
    P = rng.normal(3, 1, (300, 2))
    y = 2.0 * P[:, 0] - 1.0 * P[:, 1]  # the best unconstrained weight on P[:,1] is negative
    w, _ = learn_blend_weights(P, y)
    assert (w >= 0).all() and w[1] == 0.0


def test_hybrid_reports_weights_and_refits_on_full_data():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = Hybrid(members=("baseline", "bias", "itemcf")).fit(ts)
    assert set(m.weights_) == {"baseline", "bias", "itemcf"}
    assert all(w >= 0 for w in m.weights_.values())
    assert m.weights_["itemcf"] > m.weights_["baseline"]
    assert all(mm.trainset_ is ts for mm in m.members_.values())
    assert m.val_rmse_["hybrid"] <= min(v for k, v in m.val_rmse_.items() if k != "hybrid") + 1e-9
    u = ts.to_inner_uid("u2")
    blend = m.intercept_ + sum(w * m.members_[n].score_users([u])[0] for n, w in m.weights_.items())
    np.testing.assert_allclose(m.score("u2"), blend)


def test_hybrid_rejects_rankers_and_bad_members():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    with pytest.raises(ValueError, match="only ranks"):
        Hybrid(members=("bias", "ease")).fit(ts)
    with pytest.raises(ValueError, match="unknown model"):
        Hybrid(members=("bias", "nope")).fit(ts)
    with pytest.raises(ValueError, match="not members"):
        Hybrid(members=("bias",), member_params={"svd": {}}).fit(ts)


def test_hybrid_beats_global_mean_on_planted():
    res = planted_scores(Hybrid(members=("bias", "itemcf", "svd")))
    assert res["model"]["rmse"] < res["baseline"]["rmse"] - 0.2


def test_members_used_here_are_importable():
    assert GlobalMean.name == "baseline" and BiasBaseline.name == "bias"
