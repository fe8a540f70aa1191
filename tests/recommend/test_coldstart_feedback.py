import numpy as np
import pandas as pd
import pytest

from recsys_core.models import make_model
from recsys_core.models.mf import fold_in_user as fold_in
from recsys_core.recommend.catalogue import Catalogue
from recsys_core.recommend.coldstart import cold_scores, new_user_id, onboarding_items
from recsys_core.recommend.feedback import (
    action_rating,
    excluded_items,
    feedback_ratings,
    list_changes,
    retrain,
    training_frame,
)
from recsys_core.trainset import Trainset

from .fixtures import tiny_dataset


def test_fold_in_recovers_a_planted_user_vector():
    rng = np.random.default_rng(0)
    qi = rng.normal(0, 1, (30, 3))
    bi = rng.normal(0, 0.3, 30)
    mu, bu, pu = 3.2, 0.3, np.array([0.5, -0.2, 0.1])
    items = np.arange(0, 30, 2)
    r = mu + bi[items] + bu + qi[items] @ pu
    got_bu, got_pu = fold_in(qi, bi, mu, items, r, reg=1e-9)
    assert got_bu == pytest.approx(bu, abs=1e-6)
    assert got_pu == pytest.approx(pu, abs=1e-6)
    # regularisation shrinks towards zero
    _, shrunk = fold_in(qi, bi, mu, items, r, reg=50.0)
    assert np.linalg.norm(shrunk) < np.linalg.norm(pu)


def test_onboarding_items_are_popular_per_genre_and_distinct():
    ds = tiny_dataset()
    cat = Catalogue(Trainset.from_dataset(ds), ds.items)
    picks = onboarding_items(cat, genres=["科幻"], n=6)
    assert len(picks) == len(set(picks)) == 6
    idx = cat.inner(picks)
    assert "科幻" in cat.genres[idx[0]]
    scifi = [j for j in range(cat.n_items) if "科幻" in cat.genres[j]]
    best = max(scifi, key=lambda j: (cat.popularity[j], -j))
    assert picks[0] == cat.item_ids[best]  # the most-rated sci-fi film comes first
    covered = {g for j in idx for g in cat.genres[j]}
    assert covered == {"剧情", "喜剧", "科幻", "动作"}
    assert onboarding_items(cat, n=30) == onboarding_items(cat, n=30)
    assert len(onboarding_items(cat, n=30)) == 24  # capped by the catalogue


def test_cold_scores_prefer_the_visitors_taste_for_factor_and_neighbour_models():
    ds = tiny_dataset()
    ts = Trainset.from_dataset(ds)
    cat = Catalogue(ts, ds.items)
    # a sci-fi/action fan: loves m03 m04 m07 m08, hates m01 m02 m05 m06 (primary genre = j % 4)
    ratings = {"m03": 5, "m04": 5, "m07": 5, "m08": 5, "m01": 1, "m02": 1, "m05": 1, "m06": 1}
    for name in ("svd", "bias"):
        model = make_model(name, **({"n_factors": 4, "n_epochs": 60, "lr_all": 0.02} if name == "svd" else {}))
        model.fit(ts)
        cs = cold_scores(model, cat, ratings, pref_genres=["科幻"])
        assert cs.method == ("fold-in" if name == "svd" else "neighbours")
        fans = [j for j in range(cat.n_items) if j % 4 in (2, 3)]
        others = [j for j in range(cat.n_items) if j % 4 in (0, 1)]
        assert cs.scores[fans].mean() > cs.scores[others].mean() + 0.5
        assert sorted(cat.item_ids[cs.liked]) == ["m03", "m04", "m07", "m08"]
        assert len(cs.rated) == 8


def test_new_user_id_is_stable_and_prefixed():
    assert new_user_id("abc") == new_user_id("abc")
    assert new_user_id("abc").startswith("new-") and len(new_user_id("abc")) == 14
    assert new_user_id("abc") != new_user_id("abd")


def _fb(rows):
    return pd.DataFrame(
        [
            {
                "event_id": k + 1,
                "ts": pd.Timestamp("2025-01-01") + pd.Timedelta(minutes=k),
                "user_id": u,
                "item_id": i,
                "action": a,
                "value": v,
            }
            for k, (u, i, a, v) in enumerate(rows)
        ]
    )


def test_feedback_to_training_frame_mapping():
    assert action_rating("like", None, (1, 5)) == pytest.approx(4.6)
    assert action_rating("dislike", None, (1, 5)) == pytest.approx(1.4)
    assert action_rating("like", None, (1, 10)) == pytest.approx(9.1)
    assert action_rating("rate", 7, (1, 5)) == 5.0
    assert action_rating("not_interested", None, (1, 5)) is None
    ratings = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "item_id": ["x", "y", "x"],
            "rating": [3.0, 4.0, 2.0],
            "timestamp": pd.to_datetime(["2024-01-01"] * 3),
        }
    )
    fb = _fb(
        [
            ("a", "x", "like", None),
            ("a", "z", "rate", 2.0),
            ("b", "y", "dislike", None),
            ("b", "x", "not_interested", None),
            ("a", "y", "like", None),
            ("a", "y", "dislike", None),
        ]
    )
    fr = training_frame(ratings, fb, (1, 5))
    got = {(u, i): r for u, i, r in zip(fr["user_id"], fr["item_id"], fr["rating"], strict=False)}
    assert got == pytest.approx({("a", "x"): 4.6, ("a", "y"): 1.4, ("a", "z"): 2.0, ("b", "y"): 1.4, ("b", "x"): 2.0})
    assert list(fr.columns) == ["user_id", "item_id", "rating", "timestamp", "text"]
    assert excluded_items(fb) == {"b": {"x"}}
    assert excluded_items(fb, "a") == set()
    assert len(feedback_ratings(fb, (1, 5))) == 4
    # a later like cancels "not interested"
    fb2 = pd.concat([fb, _fb([("b", "x", "like", None)]).assign(event_id=99)], ignore_index=True)
    assert excluded_items(fb2) == {}


def test_retrain_refit_and_fold_in_move_the_liked_film_out_and_add_new_users():
    ds = tiny_dataset()
    ts = Trainset.from_dataset(ds)
    svd = make_model("svd", n_factors=4, n_epochs=30).fit(ts)
    top_before = [i for i, _ in svd.recommend("u01", 5)]
    liked = top_before[0]
    fb = _fb([("u01", liked, "like", None), ("new-1", "m03", "rate", 5.0), ("new-1", "m04", "rate", 5.0)])
    for mode in ("refit", "fold-in"):
        m2, frame, n_used = retrain(svd, ds.ratings, fb, ds.rating_scale, ds.items, mode=mode)
        assert n_used == 3
        assert len(frame) == len(ds.ratings) + 3 - int(
            ((ds.ratings.user_id == "u01") & (ds.ratings.item_id == liked)).sum()
        )
        assert m2.trainset_.knows_user("new-1")
        after = [i for i, _ in m2.recommend("u01", 5)]
        assert liked not in after  # now seen
        assert m2 is not svd
    # fold-in leaves item factors and untouched users alone
    m3, _, _ = retrain(svd, ds.ratings, fb, ds.rating_scale, ds.items, mode="fold-in")
    assert np.array_equal(m3.qi_, svd.qi_)
    u2_old, u2_new = svd.trainset_.to_inner_uid("u02"), m3.trainset_.to_inner_uid("u02")
    assert np.array_equal(m3.pu_[u2_new], svd.pu_[u2_old])
    with pytest.raises(ValueError, match="no factors"):
        retrain(make_model("bias").fit(ts), ds.ratings, fb, ds.rating_scale, mode="fold-in")


def test_list_changes_by_hand():
    d = list_changes(["a", "b", "c"], ["b", "d", "a"])
    rows = {r.item_id: (r.before, r.after, r.change, r.move) for r in d.itertuples()}
    assert rows["b"] == (2.0, 1.0, "up", 1.0)
    assert rows["a"] == (1.0, 3.0, "down", -2.0)
    assert rows["d"][2] == "entered" and np.isnan(rows["d"][0])
    assert rows["c"][2] == "left" and np.isnan(rows["c"][1])
    assert d["item_id"].tolist() == ["b", "d", "a", "c"]


def test_fold_in_only_for_plain_biased_factor_models():
    from recsys_core.recommend.feedback import supports_fold_in

    ds = tiny_dataset()
    ts = Trainset.from_dataset(ds)
    assert supports_fold_in(make_model("svd", n_factors=2, n_epochs=2).fit(ts))
    assert not supports_fold_in(make_model("svdpp", n_factors=2, n_epochs=2).fit(ts))
    assert not supports_fold_in(make_model("bias").fit(ts))
