import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import Dataset
from recsys_core.evaluation.metrics import intra_list_diversity
from recsys_core.models import make_model
from recsys_core.models.knn import ItemCF, UserCF
from recsys_core.recommend.catalogue import Catalogue, Filters
from recsys_core.recommend.explain import Explainer
from recsys_core.recommend.listing import LIST_COLUMNS, Engine, user_history
from recsys_core.trainset import Trainset
from ui.catalogue import genre_label
from ui.sentences import reason_sentence

from .fixtures import tiny_dataset


@pytest.fixture(scope="module")
def ds():
    return tiny_dataset()


@pytest.fixture(scope="module")
def svd_engine(ds):
    return Engine(make_model("svd", n_factors=4, n_epochs=30).fit(Trainset.from_dataset(ds)), ds.items)


def test_plain_list_matches_model_recommend_and_excludes_seen(ds, svd_engine):
    out = svd_engine.recommend("u01", 5)
    assert list(out.columns) == LIST_COLUMNS
    assert out["item_id"].tolist() == [i for i, _ in svd_engine.model.recommend("u01", 5)]
    assert out["rank"].tolist() == [1, 2, 3, 4, 5] and out["base_rank"].tolist() == [1, 2, 3, 4, 5]
    seen = set(ds.ratings.loc[ds.ratings.user_id == "u01", "item_id"])
    assert not seen & set(out["item_id"])
    assert out["score"].between(1, 5).all()
    with_seen = svd_engine.recommend("u01", 24, exclude_seen=False)
    assert len(with_seen) == 24


def test_filters_genre_year_region_and_excluded(svd_engine):
    out = svd_engine.recommend("u02", 20, filters=Filters(genres=("科幻",)))
    assert len(out) > 0 and all("科幻" in g for g in out["genres"])
    out = svd_engine.recommend("u02", 20, exclude_seen=False, filters=Filters(year_min=2000, year_max=2005))
    assert sorted(out["year"]) == list(range(2000, 2006))
    out = svd_engine.recommend("u02", 20, exclude_seen=False, filters=Filters(regions=("日本",)))
    assert set(out["region"]) == {"日本"} and len(out) == 8
    out = svd_engine.recommend("u02", 30, exclude_seen=False, filters=Filters(exclude_items=frozenset({"m01", "m02"})))
    assert len(out) == 22 and not {"m01", "m02"} & set(out["item_id"])
    empty = svd_engine.recommend("u02", 5, filters=Filters(genres=("不存在",)))
    assert empty.empty and list(empty.columns) == LIST_COLUMNS


def test_diversity_raises_genre_spread_and_novelty_lowers_popularity(svd_engine):
    cat = svd_engine.cat
    # planted scores: drama films (j % 4 == 0) score highest, so the plain top 4 is all drama
    scores = np.array([10.0 - 0.01 * j if j % 4 == 0 else 5.0 - 0.01 * j for j in range(cat.n_items)])
    plain = svd_engine.recommend("x", 4, scores=scores, explain=False)
    diverse = svd_engine.recommend("x", 4, scores=scores, diversity=0.8, features="genres", explain=False)
    assert plain["item_id"].tolist() == ["m01", "m05", "m09", "m13"]
    assert diverse["item_id"].iloc[0] == "m01"  # MMR always starts with the best item
    assert len({g for gs in diverse["genres"] for g in gs}) > len({g for gs in plain["genres"] for g in gs})
    ild = intra_list_diversity([cat.inner(plain.item_id), cat.inner(diverse.item_id)], cat.G)
    assert ild[1] > ild[0]
    assert diverse["base_rank"].max() > 4  # items from further down were pulled up
    flat = np.ones(cat.n_items)
    novel = svd_engine.recommend("x", 6, scores=flat + 0.001 * cat.popularity, novelty=10.0, explain=False)
    assert novel["popularity"].tolist() == sorted(cat.popularity)[:6]


def _hand_trainset():
    inter = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2", "u3", "u3"],
            "item_id": ["i1", "i2", "i1", "i3", "i2", "i3"],
            "rating": [5.0, 5.0, 4.0, 4.0, 2.0, 5.0],
        }
    )
    items = pd.DataFrame(
        {"item_id": ["i1", "i2", "i3"], "title": ["甲", "乙", "丙"], "genres": ["剧情", "喜剧", "剧情|科幻"]}
    )
    d = Dataset.from_frames(inter, items=items, rating_scale=(1, 5))
    return d, Trainset.from_dataset(d)


def test_generic_item_reason_uses_cosine_over_the_rating_matrix():
    d, ts = _hand_trainset()
    cat = Catalogue(ts, d.items)
    # columns over (u1, u2, u3): i1 = (5, 4, 0), i2 = (5, 0, 2), i3 = (0, 4, 5)
    assert cat.item_cosine([2], [0, 1])[0] == pytest.approx([16 / 41, 10 / np.sqrt(29 * 41)])
    r = Explainer(make_model("bias").fit(ts), cat).explain("u1", ["i3"])["i3"]
    assert r.kind == "item"
    assert [e[0] for e in r.evidence] == ["i1", "i2"]
    assert r.evidence[0][2] == pytest.approx(16 / 41)
    assert r.titles == ["甲", "乙"] and r.similarity == pytest.approx(16 / 41)
    assert reason_sentence(r, "zh") == "因为你喜欢《甲》、《乙》，它们和这部片很相似（相似度 0.39）"
    assert reason_sentence(r, "en") == "Because you liked “甲”, “乙”, which are similar (similarity 0.39)"


def test_content_and_popular_reasons_for_a_visitor():
    d, ts = _hand_trainset()
    ex = Explainer(make_model("bias").fit(ts), Catalogue(ts, d.items))
    out = ex.explain("visitor", ["i3", "i2"], pref_genres=("科幻",))
    assert out["i3"].kind == "content" and out["i3"].features == (("genre", ("科幻",)),)
    assert reason_sentence(out["i3"], "zh") == "和你喜欢的影片同属科幻"
    assert reason_sentence(out["i3"], "en") == "Shares genres you like: sci-fi"
    assert out["i2"].kind == "popular" and out["i2"].count == 2
    assert reason_sentence(out["i2"], "en") == "Popular: rated by 2 viewers"


def test_model_specific_reasons(ds):
    ts = Trainset.from_dataset(ds)
    cat = Catalogue(ts, ds.items)
    icf = ItemCF(sim="cosine", k=10, shrinkage=0).fit(ts)
    items = [i for i, _ in icf.recommend("u01", 3)]
    reasons = Explainer(icf, cat).explain("u01", items)
    expected = icf.neighbour_reasons("u01", items[0], 2)
    assert reasons[items[0]].kind == "item"
    assert [e[0] for e in reasons[items[0]].evidence] == [e[0] for e in expected]
    ucf = UserCF(sim="cosine", k=10, shrinkage=0).fit(ts)
    items = [i for i, _ in ucf.recommend("u01", 3)]
    r = Explainer(ucf, cat).explain("u01", items)[items[0]]
    assert r.kind in ("user", "item")
    if r.kind == "user":
        assert "viewers with taste like yours" in reason_sentence(r, "en")
    svd = make_model("svd", n_factors=4, n_epochs=30).fit(ts)
    assert Explainer(svd, cat).order()[0] == "latent"


def test_user_history_recent_and_top_rated(ds, svd_engine):
    recent, top = user_history(ds.ratings, svd_engine.cat, "u03", n=3)
    h = ds.ratings[ds.ratings.user_id == "u03"]
    assert recent["item_id"].tolist() == h.sort_values("timestamp", ascending=False)["item_id"].head(3).tolist()
    assert top["rating"].tolist() == sorted(h["rating"], reverse=True)[:3]
    assert recent["title"].iloc[0].startswith("影片")
    r, t = user_history(ds.ratings, svd_engine.cat, "nobody")
    assert r.empty and t.empty


def test_content_model_reasons_use_its_own_features(ds):
    ts = Trainset.from_dataset(ds)
    model = make_model("content").fit(ts)
    items = [i for i, _ in model.recommend("u01", 3)]
    reasons = Explainer(model, Catalogue(ts, ds.items)).explain("u01", items)
    feats = model.feature_reasons("u01", items[0], 6)
    r = reasons[items[0]]
    assert r.kind == "content" and [e[0] for e in r.evidence] == [f for f, _ in feats]
    genre = next(f.split(":", 1)[1] for f, _ in feats if f.startswith("genre:"))
    assert r.source == "profile" and ("genre",) == tuple(k for k, _ in r.features if k == "genre")
    assert f"类型 {genre_label(genre, 'zh')}" in reason_sentence(r, "zh")
    assert f"genres {genre_label(genre, 'en')}" in reason_sentence(r, "en")
