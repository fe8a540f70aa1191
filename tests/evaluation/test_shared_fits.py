"""The experiment loop fits a hybrid's members once per fold when they are also compared, with the
same results as fitting them again (counted through ``evaluate``'s ``on_fit`` hook)."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from recsys_core.evaluation import KFold, evaluate
from recsys_core.models import SVD, BiasBaseline, Hybrid, IAutoRec, ItemCF
from recsys_core.models.shared_fits import SharedFits, fit_shared
from recsys_core.trainset import Trainset
from tests.models.contract import planted_frame

SVD_P = {"n_factors": 5, "n_epochs": 10}
AUTOREC_P = {"hidden": 8, "reg": 1.0, "lr": 0.01, "epochs": 6, "batch_size": 16, "patience": 3, "random_state": 0}
MEMBERS = ("svd", "itemcf", "bias", "autorec-i")
VAL = ("hybrid-val", 0.1, 0)


def _models(**hybrids):
    models = {"bias": BiasBaseline(), "svd": SVD(**SVD_P), "itemcf": ItemCF(), "autorec-i": IAutoRec(**AUTOREC_P)}
    for label, ridge in hybrids.items():
        models[label] = Hybrid(members=MEMBERS, member_params={"svd": SVD_P, "autorec-i": AUTOREC_P}, ridge=ridge)
    return models


def _run(models, share: bool):
    seen = Counter()

    def on_fit(name, params, data_key):
        seen[(name, data_key)] += 1

    ev = evaluate(models, KFold(3, seed=0), planted_frame(), k=5, curve_ks=(1, 5), share_fits=share, on_fit=on_fit)
    return ev, seen


def _metrics(ev):
    return ev.folds.drop(columns=["fit_seconds", "test_seconds"])


def test_hybrid_members_fitted_once_per_fold_with_the_same_metrics():
    shared, n_shared = _run(_models(hybrid=1e-3), share=True)
    alone, n_alone = _run(_models(hybrid=1e-3), share=False)
    # every metric of every model (the hybrid included), per fold, per user and per K: identical
    pd.testing.assert_frame_equal(_metrics(shared), _metrics(alone))
    pd.testing.assert_frame_equal(shared.users, alone.users)
    pd.testing.assert_frame_equal(shared.curves, alone.curves)
    hyb = shared.folds[shared.folds["model"] == "hybrid"]
    assert len(hyb) == 3 and np.isfinite(hyb["rmse"]).all()
    for f in range(3):
        for name in MEMBERS:
            # once on the fold's training data (its own cell, reused by the blend), once on the blend's split
            assert n_shared[(name, ("fold", f))] == 1
            assert n_shared[(name, ("fold", f, *VAL))] == 1
            # without sharing the blend fits the member again on the fold's training data
            assert n_alone[(name, ("fold", f))] == 2
            assert n_alone[(name, ("fold", f, *VAL))] == 1
        assert n_shared[("hybrid", ("fold", f))] == 1
    assert sum(n_shared.values()) == 3 * (1 + 2 * len(MEMBERS))
    assert sum(n_alone.values()) == 3 * (1 + 3 * len(MEMBERS))


def test_two_blends_share_their_validation_split_fits():
    shared, n_shared = _run(_models(h1=1e-3, h2=1.0), share=True)
    alone, _ = _run(_models(h1=1e-3, h2=1.0), share=False)
    pd.testing.assert_frame_equal(_metrics(shared), _metrics(alone))
    for f in range(3):
        for name in MEMBERS:
            assert n_shared[(name, ("fold", f))] == 1
            assert n_shared[(name, ("fold", f, *VAL))] == 1
    # the two ridges give two different blends from the same member fits
    rm = shared.folds.groupby("model")["rmse"].mean()
    assert rm["h1"] != pytest.approx(rm["h2"], abs=1e-9)


def test_fit_shared_outside_a_run_fits_a_fresh_clone():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = BiasBaseline()
    fitted = fit_shared(model, ts)
    assert fitted is not model and fitted.is_fitted and not model.is_fitted


def test_a_kept_fit_is_released_after_its_last_planned_use():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    fits = SharedFits()
    model = BiasBaseline()
    fits.plan(model, ("fold", 0))
    fits.plan(model, ("fold", 0))
    with fits.training(ts, ("fold", 0)):
        a, _ = fits.fit(model, ts, ("fold", 0))
        b, _ = fits.fit(model, ts, ("fold", 0))
        c, _ = fits.fit(model, ts, ("fold", 0))  # a third, unplanned request fits again
    assert a is b and c is not a
    assert fits.fits[("bias", ("fold", 0))] == 2
    assert not fits._kept


def test_with_a_hybrid_the_run_goes_fold_by_fold_so_kept_fits_span_one_fold():
    order = []

    def on_fit(name, params, data_key):
        order.append(data_key[1])

    evaluate(_models(hybrid=1e-3), KFold(3, seed=0), planted_frame(), k=5, curve_ks=(1, 5), on_fit=on_fit)
    assert order == sorted(order) and set(order) == {0, 1, 2}  # every fit of fold 0, then of fold 1, ...
    plain = []
    evaluate(
        {"bias": BiasBaseline(), "svd": SVD(**SVD_P)},
        KFold(3, seed=0),
        planted_frame(),
        k=5,
        curve_ks=(1, 5),
        on_fit=lambda name, params, key: plain.append((name, key[1])),
    )
    assert plain == [("bias", 0), ("bias", 1), ("bias", 2), ("svd", 0), ("svd", 1), ("svd", 2)]  # model by model


def test_unplanned_requests_let_a_kept_fit_go():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    fits = SharedFits()
    model = BiasBaseline()
    for _ in range(3):
        fits.plan(model, ("fold", 1))
    with fits.training(ts, ("fold", 1)):
        a, _ = fits.fit(model, ts, ("fold", 1))
    assert len(fits._kept) == 1  # two more requests planned
    fits.unplan(model, ("fold", 1))
    assert len(fits._kept) == 1
    fits.unplan(model, ("fold", 1))  # the cells that would have asked are skipped
    assert not fits._kept and not fits._left
    fits.unplan(model, ("fold", 1))  # nothing left to withdraw
    assert not fits._left
