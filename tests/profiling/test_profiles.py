import numpy as np
import pandas as pd
import pytest

from recsys_core.profiling.profiles import (
    activity_table,
    affinity,
    build_profiles,
    population_summary,
    profile_card,
    rating_habits,
    sentiment_tendency,
)


def test_activity_hand_checked(tiny):
    a = activity_table(tiny).set_index("user_id")
    assert a.loc["a", "n_ratings"] == 2 and a.loc["b", "n_ratings"] == 2
    assert a.loc["a", "n_reviews"] == 1 and a.loc["b", "n_reviews"] == 1
    assert a.loc["b", "n_interactions"] == 3
    assert a.loc["a", "active_days"] == pytest.approx(10.0)
    assert a.loc["b", "active_days"] == pytest.approx(15.0)
    # the last event of the data is b's on day 20
    assert a.loc["a", "recency_days"] == pytest.approx(10.0)
    assert a.loc["b", "recency_days"] == pytest.approx(0.0)


def test_rating_habits_and_harshness(tiny):
    h = rating_habits(tiny).set_index("user_id")
    assert h.loc["a", "mean_rating"] == pytest.approx(4.0)
    assert h.loc["a", "rating_std"] == pytest.approx(1.0)
    # item means: x = 4, y = 3, z = 4 -> a: ((5-4) + (3-3)) / 2, b: ((3-4) + (4-4)) / 2
    assert h.loc["a", "harshness"] == pytest.approx(0.5)
    assert h.loc["b", "harshness"] == pytest.approx(-0.5)


def test_genre_affinity_is_lift_vs_population(tiny):
    raw = affinity(tiny, "genres", prior=0.0)
    # population: 4 ratings, action on x, x, z (3/4), romance on y, z (2/4)
    assert raw.loc["a", "动作"] == pytest.approx((1 / 2) / (3 / 4))
    assert raw.loc["a", "爱情"] == pytest.approx((1 / 2) / (2 / 4))
    assert raw.loc["b", "动作"] == pytest.approx((2 / 2) / (3 / 4))
    shrunk = affinity(tiny, "genres", prior=5.0)
    assert shrunk.loc["a", "动作"] == pytest.approx(((1 + 5 * 0.75) / 7) / 0.75)
    dec = affinity(tiny, "decade", prior=0.0)
    assert dec.loc["a", "1990s"] == pytest.approx((1 / 2) / (2 / 4))


def test_sentiment_from_stars_when_no_text_model(tiny):
    s, source = sentiment_tendency(tiny, use_text_model=False)
    assert source == "stars"
    # a reviewed y with 3 stars -> (3 - 1) / 4; b's review row has no rating -> NaN
    assert s["a"] == pytest.approx(0.5)
    assert np.isnan(s["b"])


def test_profiles_card_and_tags(tiny):
    p = build_profiles(tiny, tags=True)
    assert list(p["user_id"]) == ["a", "b"]
    row = p.set_index("user_id").loc["b"]
    assert row["top_genres"][0] == "动作"
    assert "特效" in row["tags"] and "配乐" not in row["tags"]
    assert row["gender"] == "男" and row["age"] == 41
    pop = population_summary(p).set_index("metric")
    assert pop.loc["mean_rating", "median"] == pytest.approx(3.75)
    card = profile_card(p, "a")
    m = card["metrics"].set_index("metric")
    assert m.loc["harshness", "user"] == pytest.approx(0.5)
    assert m.loc["harshness", "population_median"] == pytest.approx(0.0)
    assert m.loc["harshness", "percentile"] == pytest.approx(0.75)
    assert card["demographics"]["gender"] == "女"
    with pytest.raises(ValueError, match="not in this dataset"):
        profile_card(p, "zz")


def test_profiles_without_metadata():
    from recsys_core.data.dataset import Dataset

    ds = Dataset.from_frames(pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 2, 1], "rating": [4, 2, 5]}))
    p = build_profiles(ds, tags=True)
    assert p["top_genres"].map(len).sum() == 0
    assert p["n_ratings"].tolist() == [2, 1]


def test_text_model_falls_back_to_stars_without_enough_polar_reviews(tiny):
    # two reviews are far too few to train the film-domain model: the stars are used, and said so
    s, source = sentiment_tendency(tiny, use_text_model=True)
    assert source == "stars"
    assert s["a"] == pytest.approx(0.5)
