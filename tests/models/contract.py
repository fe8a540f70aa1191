"""The contract every recommender passes.

A model's test class inherits ``ModelContract`` and defines ``make_model(self)`` returning an
unfitted model (seeded where it has randomness). Besides the base contract (fit, predict with
unknown ids, score, recommend, params, determinism), the mixin checks each model against the
capabilities it declares (:mod:`recsys_core.models.capabilities`): a check for a capability the
model does not declare is skipped.

:func:`contract_classes` builds one such class per entry of a registry; ``test_contract_registry.py``
runs it over :data:`recsys_core.models.REGISTRY`, so a newly registered model is tested without
writing a test class.
"""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pandas as pd
import pytest

from recsys_core.models.base import RANKS_ONLY, top_n
from recsys_core.models.capabilities import (
    CAPABILITIES,
    ExplainsByFeatures,
    ExplainsByNeighbours,
    FoldsIn,
    FoldsInFeedback,
    HasCostEnvelope,
    HasItemVectors,
    ScoresUsersForItem,
    capabilities,
)
from recsys_core.trainset import Prediction, Trainset

#: small hyper-parameters that keep registry-wide tests fast (defaults for models not listed)
FAST_PARAMS: dict[str, dict] = {
    "als": {"factors": 4, "iterations": 2},
    "autorec-i": {"hidden": 8, "epochs": 3},
    "autorec-u": {"hidden": 8, "epochs": 3},
    "hybrid": {"members": ("bias", "itemcf")},
}

FEATURE_LABEL = re.compile(r"^(genre|person|keyword|year|region):.+")


def planted_frame(seed: int = 0, n_users: int = 60, n_items: int = 40) -> pd.DataFrame:
    """Two taste groups x two item groups (group-A users love items 0..19, group-B users love 20..39),
    plus item quality and user harshness offsets so that bias models have something to learn."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        group = u % 2
        items = rng.choice(n_items, size=18, replace=False)
        for i in items:
            liked = (i < n_items // 2) == (group == 0)
            quality = 0.8 if i % 4 == 0 else (-0.8 if i % 4 == 3 else 0.0)
            harsh = -0.7 if u % 3 == 0 else 0.0
            r = (4.3 if liked else 2.1) + quality + harsh + rng.normal(0, 0.4)
            rows.append((f"u{u}", f"i{i}", float(np.clip(np.round(r), 1, 5))))
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])
    df["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(df)), unit="h")
    df["text"] = None
    return df


def planted_items(n_items: int = 40) -> pd.DataFrame:
    """Metadata that mirrors the planted taste groups: items 0..19 romance, 20..39 action."""
    rows = []
    for i in range(n_items):
        first = i < n_items // 2
        rows.append(
            {
                "item_id": f"i{i}",
                "title": f"Film {i}",
                "genres": ["Romance", "Drama"] if first else ["Action", "Thriller"],
                "year": 1995 + i % 20,
                "region": "中国大陆" if i % 2 else "美国",
                "synopsis": ("一段浪漫的爱情故事，恋人在海边重逢" if first else "特工卷入枪战与爆炸，展开追逐和复仇"),
                "people": [f"director{i % 5}"],
            }
        )
    return pd.DataFrame(rows)


def _cost_module():
    """``recsys_core.models.cost`` when it exists (the cost envelopes), else None."""
    if importlib.util.find_spec("recsys_core.models.cost") is None:
        return None
    return importlib.import_module("recsys_core.models.cost")


class ModelContract:
    """Inherit and implement ``make_model``."""

    def make_model(self):  # pragma: no cover
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def frame(cls):
        return planted_frame()

    @pytest.fixture(scope="class")
    @classmethod
    def trainset(cls, frame):
        return Trainset.from_frame(frame, (1, 5), items_meta=planted_items())

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, trainset):
        return cls().make_model().fit(trainset)

    # ------------------------------------------------------------------ base contract
    def test_fit_returns_self(self, trainset):
        m = self.make_model()
        assert m.fit(trainset) is m
        assert m.is_fitted and m.check_fitted() is trainset

    def test_unfitted_model_says_so(self):
        m = self.make_model()
        assert not m.is_fitted
        with pytest.raises(RuntimeError, match="not fitted"):
            m.recommend("u0")

    def test_known_pair_is_possible_and_clipped(self, fitted):
        p = fitted.predict("u0", "i1", r_ui=5)
        assert isinstance(p, Prediction)
        assert p.user == "u0" and p.item == "i1" and p.true == 5.0
        assert 1.0 <= p.estimate <= 5.0
        if fitted.predicts_ratings:
            assert p.details["was_impossible"] is False

    @pytest.mark.parametrize("user,item", [("nobody", "i1"), ("u0", "no-such-film"), ("nobody", "no-such-film")])
    def test_unknown_ids_fall_back(self, fitted, user, item):
        p = fitted.predict(user, item)
        assert p.details["was_impossible"] is True
        assert 1.0 <= p.estimate <= 5.0
        assert np.isfinite(p.estimate)
        # the fallback is the damped bias baseline of whichever side is known
        ts = fitted.check_fitted()
        u, i = ts.inner_user(user), ts.inner_item(item)
        expected = (
            fitted.fallback_mu_ + (fitted.fallback_bu_[u] if u >= 0 else 0) + (fitted.fallback_bi_[i] if i >= 0 else 0)
        )
        assert p.estimate == pytest.approx(float(np.clip(expected, 1, 5)))

    def test_unknown_user_gets_a_cold_list(self, fitted, trainset):
        recs = fitted.recommend("nobody", n=5)
        assert len(recs) == 5 and all(trainset.knows_item(i) for i, _ in recs)
        assert fitted.recommend_many(["nobody"], n=5)["nobody"] == recs

    def test_scores_finite_over_all_items(self, fitted, trainset):
        s = fitted.score("u3")
        assert s.shape == (trainset.n_items,)
        assert np.isfinite(s).all()
        cold = fitted.score("nobody")
        assert cold.shape == (trainset.n_items,) and np.isfinite(cold).all()

    def test_score_users_is_score_per_user(self, fitted, trainset):
        users = ["u0", "u7", "u31"]
        S = fitted.score_users(trainset.inner_uids(users))
        assert S.shape == (3, trainset.n_items)
        for row, u in zip(S, users):
            np.testing.assert_allclose(row, fitted.score(u), rtol=1e-6, atol=1e-6)  # float32 models
        S[:] = 0.0  # a fresh array: writing to it must not touch the model
        assert not np.allclose(fitted.score("u0"), 0.0)

    def test_recommend_excludes_seen(self, fitted, trainset):
        recs = fitted.recommend("u0", n=10)
        seen = set(trainset.items_raw[trainset.seen_items(trainset.to_inner_uid("u0"))])
        assert len(recs) == 10
        assert not seen & {i for i, _ in recs}
        scores = [s for _, s in recs]
        assert scores == sorted(scores, reverse=True)
        with_seen = {i for i, _ in fitted.recommend("u0", n=trainset.n_items, exclude_seen=False)}
        assert seen <= with_seen

    def test_recommend_is_the_top_of_score(self, fitted, trainset):
        s = fitted.score("u1")
        s[trainset.seen_items(trainset.inner_user("u1"))] = -np.inf
        idx, vals = top_n(s, 7)
        assert fitted.recommend("u1", n=7) == [(trainset.items_raw[j], float(v)) for j, v in zip(idx, vals)]

    def test_recommend_many_matches_recommend(self, fitted):
        many = fitted.recommend_many(["u0", "u1", "nobody"], n=5)
        for u in ("u0", "u1", "nobody"):
            assert [i for i, _ in many[u]] == [i for i, _ in fitted.recommend(u, n=5)]

    def test_batch_top_n_does_not_depend_on_the_block_size(self, fitted, trainset):
        users = np.arange(trainset.n_users)
        whole, s_whole = fitted.top_n_inner(users, 6, return_scores=True)
        blocks, s_blocks = fitted.top_n_inner(users, 6, block=7, return_scores=True)
        np.testing.assert_array_equal(whole, blocks)
        np.testing.assert_allclose(s_whole, s_blocks)

    def test_deterministic(self, trainset):
        a = self.make_model().fit(trainset).score("u5")
        b = self.make_model().fit(trainset).score("u5")
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

    def test_refitting_the_same_instance_gives_the_same_scores(self, trainset):
        m = self.make_model()
        a = m.fit(trainset).score("u5")
        b = m.fit(trainset).score("u5")
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

    def test_get_params_round_trip(self, fitted):
        m = self.make_model()
        params = m.get_params()
        assert type(m)(**params).get_params() == params
        assert m.clone().get_params() == params
        assert m.set_params(**params).get_params() == params
        assert fitted.get_params() == params  # fitting does not rewrite hyper-parameters
        with pytest.raises(ValueError, match="no parameter"):
            m.set_params(no_such_parameter=1)

    def test_predict_many_matches_predict(self, fitted):
        users, items = ["u0", "u1", "nobody"], ["i1", "i30", "i2"]
        est, impossible = fitted.predict_many(users, items)
        for k, (u, i) in enumerate(zip(users, items)):
            p = fitted.predict(u, i)
            assert est[k] == pytest.approx(p.estimate)
            assert bool(impossible[k]) == p.details["was_impossible"]

    # ------------------------------------------------------------------ rating prediction vs ranking
    def test_ranking_only_models_predict_the_documented_baseline(self, fitted):
        if fitted.predicts_ratings:
            pytest.skip("predicts ratings")
        p = fitted.predict("u0", "i1")
        ts = fitted.check_fitted()
        u, i = ts.inner_user("u0"), ts.inner_item("i1")
        baseline = fitted.fallback_mu_ + fitted.fallback_bu_[u] + fitted.fallback_bi_[i]
        assert p.estimate == pytest.approx(float(np.clip(baseline, 1, 5)))
        assert p.details["was_impossible"] is False and p.details["reason"] == RANKS_ONLY
        assert p.details["score"] == pytest.approx(fitted.score("u0")[i])
        est, _ = fitted.predict_many(["u0"], ["i1"])
        assert est[0] == pytest.approx(p.estimate)

    def test_rating_models_predict_from_the_model(self, fitted):
        if not fitted.predicts_ratings:
            pytest.skip("ranking only")
        # a rating model's score is its rating estimate (up to a tie-breaker below 1e-5, as in GlobalMean)
        est, impossible = fitted.predict_many(["u0", "u2"], ["i1", "i25"], clip=False)
        ts = fitted.check_fitted()
        for k, (u, i) in enumerate((("u0", "i1"), ("u2", "i25"))):
            if not impossible[k]:
                assert est[k] == pytest.approx(fitted.score(u)[ts.inner_item(i)], abs=1e-5)

    # ------------------------------------------------------------------ declared capabilities
    def test_declared_capabilities_are_listed(self, fitted):
        names = capabilities(fitted)
        assert names[0] in ("rating_prediction", "ranking_only")
        for name, proto in CAPABILITIES.items():
            assert (name in names) == isinstance(fitted, proto)

    def test_folds_in_a_new_user(self, fitted, trainset):
        if not isinstance(fitted, FoldsIn):
            pytest.skip("does not declare FoldsIn")
        # a new group-A visitor: loves films 0..19, dislikes 20..39
        rated = trainset.inner_iids([f"i{k}" for k in (0, 1, 2, 3, 20, 21, 22, 23)])
        r = np.array([5, 5, 5, 5, 1, 1, 1, 1], dtype=float)
        s = np.asarray(fitted.fold_in(rated, r), dtype=float)
        assert s.shape == (trainset.n_items,) and np.isfinite(s).all()
        group_a = trainset.inner_iids([f"i{k}" for k in range(4, 20)])
        group_b = trainset.inner_iids([f"i{k}" for k in range(24, 40)])
        assert s[group_a].mean() > s[group_b].mean()
        empty = np.asarray(fitted.fold_in(np.array([], dtype=np.int64), np.array([])), dtype=float)
        assert empty.shape == (trainset.n_items,) and np.isfinite(empty).all()

    def test_folds_in_feedback_without_a_refit(self, fitted, frame, trainset):
        if not isinstance(fitted, FoldsInFeedback):
            pytest.skip("does not declare FoldsInFeedback")
        extra = pd.DataFrame(
            {"user_id": "visitor", "item_id": [f"i{k}" for k in (0, 1, 2, 20, 21)], "rating": [5.0, 5, 5, 1, 1]}
        )
        grown = Trainset.from_frame(pd.concat([frame, extra], ignore_index=True), (1, 5), items_meta=planted_items())
        m2 = fitted.fold_in_users(grown, ["visitor"])
        assert m2 is not fitted and m2.check_fitted() is grown and fitted.check_fitted() is trainset
        assert m2.get_params() == fitted.get_params()
        v = grown.csr[grown.inner_user("visitor")]
        np.testing.assert_allclose(m2.score("visitor"), fitted.fold_in(v.indices, v.data), atol=1e-9)
        np.testing.assert_allclose(m2.score("u4"), fitted.score("u4"), atol=1e-9)  # others unchanged
        assert m2.recommend("visitor", n=3)

    def test_neighbour_reasons_name_neighbours_that_exist(self, fitted, trainset):
        if not isinstance(fitted, ExplainsByNeighbours):
            pytest.skip("does not declare ExplainsByNeighbours")
        assert fitted.neighbour_kind in ("item", "user")
        found = 0
        for user, item in (("u0", "i5"), ("u1", "i25"), ("u2", "i3")):
            reasons = fitted.neighbour_reasons(user, item, n=3)
            assert len(reasons) <= 3
            sims = [s for _, s in reasons]
            assert all(s > 0 for s in sims) and sims == sorted(sims, reverse=True)
            for raw, _ in reasons:
                if fitted.neighbour_kind == "item":  # films the user rated
                    assert trainset.knows_item(raw) and raw != item
                    assert trainset.inner_item(raw) in set(trainset.seen_items(trainset.inner_user(user)))
                else:  # users who rated the film
                    assert trainset.knows_user(raw) and raw != user
                    assert trainset.inner_item(item) in set(trainset.seen_items(trainset.inner_user(raw)))
            found += len(reasons)
        assert found > 0
        assert fitted.neighbour_reasons("nobody", "i5") == [] and fitted.neighbour_reasons("u0", "nope") == []

    def test_feature_reasons_are_labelled_features(self, fitted):
        if not isinstance(fitted, ExplainsByFeatures):
            pytest.skip("does not declare ExplainsByFeatures")
        reasons = fitted.feature_reasons("u0", "i3", n=4)
        assert 0 < len(reasons) <= 4
        assert all(FEATURE_LABEL.match(label) and w > 0 for label, w in reasons)
        assert [w for _, w in reasons] == sorted((w for _, w in reasons), reverse=True)
        assert fitted.feature_reasons("nobody", "i3") == [] and fitted.feature_reasons("u0", "nope") == []

    def test_item_vectors_have_one_row_per_item(self, fitted, trainset):
        if not isinstance(fitted, HasItemVectors):
            pytest.skip("does not declare HasItemVectors")
        V = np.asarray(fitted.item_vectors(), dtype=float)
        assert V.ndim == 2 and V.shape[0] == trainset.n_items and np.isfinite(V).all()

    def test_scores_users_for_an_item(self, fitted, trainset):
        if not isinstance(fitted, ScoresUsersForItem):
            pytest.skip("does not declare ScoresUsersForItem")
        j = trainset.inner_item("i7")
        col = np.asarray(fitted.score_users_for_item(j), dtype=float)
        assert col.shape == (trainset.n_users,)
        np.testing.assert_allclose(col, fitted.score_users(np.arange(trainset.n_users))[:, j], atol=1e-9)

    def test_cost_envelope(self, fitted):
        cost = _cost_module()
        if cost is None:
            pytest.skip("recsys_core.models.cost is not part of this tree yet")
        assert isinstance(fitted, HasCostEnvelope)
        c = type(fitted).cost(1000, 500, 20000, **fitted.get_params())
        assert isinstance(c, cost.Cost)
        assert c.memory_bytes >= 0 and c.fit_seconds >= 0


def contract_classes(registry: dict, params: dict | None = None) -> dict[str, type]:
    """One ``ModelContract`` test class per registry entry, named ``TestContract_<name>``.

    ``params`` maps a registry name to small hyper-parameters that keep the test fast.
    """
    params = params or {}
    out = {}
    for name, cls in registry.items():

        def make_model(self, cls=cls, kw=params.get(name, {})):
            return cls(**kw)

        ident = "TestContract_" + re.sub(r"\W", "_", name)
        out[ident] = type(ident, (ModelContract,), {"make_model": make_model, "registry_name": name})
    return out
