"""The contract every recommender passes. A model's test class inherits ``ModelContract``
and defines ``make_model(self)`` returning an unfitted model (seeded where it has randomness)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.trainset import Prediction, Trainset


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


class ModelContract:
    """Inherit and implement ``make_model``."""

    def make_model(self):  # pragma: no cover
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def frame(self):
        return planted_frame()

    @pytest.fixture(scope="class")
    def trainset(self, frame):
        return Trainset.from_frame(frame, (1, 5))

    @pytest.fixture(scope="class")
    def fitted(self, trainset):
        return self.make_model().fit(trainset)

    def test_fit_returns_self(self, trainset):
        m = self.make_model()
        assert m.fit(trainset) is m

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

    def test_scores_finite_over_all_items(self, fitted, trainset):
        s = fitted.score("u3")
        assert s.shape == (trainset.n_items,)
        assert np.isfinite(s).all()
        cold = fitted.score("nobody")
        assert cold.shape == (trainset.n_items,) and np.isfinite(cold).all()

    def test_recommend_excludes_seen(self, fitted, trainset):
        recs = fitted.recommend("u0", n=10)
        seen = set(trainset.items_raw[trainset.seen_items(trainset.to_inner_uid("u0"))])
        assert len(recs) == 10
        assert not seen & {i for i, _ in recs}
        scores = [s for _, s in recs]
        assert scores == sorted(scores, reverse=True)

    def test_recommend_many_matches_recommend(self, fitted):
        many = fitted.recommend_many(["u0", "u1", "nobody"], n=5)
        for u in ("u0", "u1", "nobody"):
            assert [i for i, _ in many[u]] == [i for i, _ in fitted.recommend(u, n=5)]

    def test_deterministic(self, trainset):
        a = self.make_model().fit(trainset).score("u5")
        b = self.make_model().fit(trainset).score("u5")
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

    def test_get_params_round_trip(self):
        m = self.make_model()
        params = m.get_params()
        assert type(m)(**params).get_params() == params

    def test_predict_many_matches_predict(self, fitted):
        users, items = ["u0", "u1", "nobody"], ["i1", "i30", "i2"]
        est, impossible = fitted.predict_many(users, items)
        for k, (u, i) in enumerate(zip(users, items)):
            p = fitted.predict(u, i)
            assert est[k] == pytest.approx(p.estimate)
            assert bool(impossible[k]) == p.details["was_impossible"]
