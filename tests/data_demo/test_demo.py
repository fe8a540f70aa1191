"""The shipped synthetic demo data: reproducible, well-formed, and with real structure to find."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from recsys_core.data import demo
from recsys_core.data.schema import age_band
from recsys_core.evaluation.compare import evaluate_fold
from recsys_core.evaluation.splits import Holdout
from recsys_core.models import SVD, BiasBaseline, GlobalMean

SMALL = dict(n_users=60, n_items=60, n_ratings=1500, n_reviews=200)


@pytest.fixture(scope="module")
def ds():
    return demo.generate()


@pytest.fixture(scope="module")
def shipped():
    if not (demo.DEFAULT_FOLDER / "interactions.csv").exists():
        pytest.skip("data/demo has not been generated")
    return demo.load()


def _frames(d):
    return d.interactions, d.items, d.users


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames():
    a, b = demo.generate(7, **SMALL), demo.generate(7, **SMALL)
    for x, y in zip(_frames(a), _frames(b), strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert a.meta["planted_group"] == b.meta["planted_group"]


def test_different_seed_gives_different_data():
    a, b = demo.generate(7, **SMALL), demo.generate(8, **SMALL)
    assert not a.interactions.equals(b.interactions)
    assert a.items["title"].tolist() != b.items["title"].tolist()


def test_generate_does_not_touch_global_random_state():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    demo.generate(1, **SMALL)
    assert np.random.random() == before


def test_write_then_load_round_trips(tmp_path):
    a = demo.generate(5, **SMALL)
    manifest = demo.write(a, tmp_path)
    b = demo.load(tmp_path)
    for x, y in zip(_frames(a), _frames(b), strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert b.name == "demo" and b.rating_scale == (1.0, 5.0)
    assert b.meta["synthetic"] is True and b.meta["seed"] == 5
    assert manifest["counts"]["users"] == 60 and manifest["counts"]["items"] == 60
    assert manifest["counts"]["ratings"] == 1500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interactions.csv", "items.csv", "manifest.json", "users.csv"]


def test_load_missing_folder_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m recsys_core.data.demo"):
        demo.load(tmp_path / "nowhere")


# ---------------------------------------------------------------- the shipped copy


def test_shipped_files_equal_generate_with_default_seed(ds, shipped):
    for x, y in zip(_frames(ds), _frames(shipped), strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert shipped.meta == {"synthetic": True, "label": demo.DATASET_NAME, "seed": demo.DEFAULT_SEED}
    assert "planted_group" not in shipped.meta
    assert "segment_truth" not in shipped.users.columns


def test_shipped_manifest_and_size(shipped):
    folder = demo.DEFAULT_FOLDER
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["name"] == "CineLens 合成演示数据 / synthetic demo data"
    assert man["generator"] == "recsys_core.data.demo"
    assert man["seed"] == 20261122
    s = shipped.summary()
    assert man["counts"] == {k: s[k] for k in ("users", "items", "interactions", "ratings", "reviews")}
    assert man["counts"]["users"] == 800 and man["counts"]["items"] == 500
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 5_000_000


# ---------------------------------------------------------------- shapes and ranges


def test_counts(ds):
    s = ds.summary()
    assert s["users"] == 800 and s["items"] == 500
    assert 57_000 <= s["ratings"] <= 63_000
    assert 9_000 <= s["reviews"] <= 11_000
    only_reviews = ds.interactions["rating"].isna().sum()
    assert 0 < only_reviews <= 0.02 * len(ds.interactions)
    assert not ds.interactions.duplicated(["user_id", "item_id"]).any()


def test_ratings_are_integers_one_to_five(ds):
    r = ds.ratings["rating"]
    assert set(r.unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert 3.3 < r.mean() < 3.8


def test_every_user_and_film_has_enough_ratings(ds):
    r = ds.ratings
    per_user = r.groupby("user_id").size()
    per_item = r.groupby("item_id").size()
    assert len(per_user) == 800 and per_user.min() >= 5
    assert len(per_item) == 500 and per_item.min() >= 3
    # long tails: the busiest user and film are far above the median
    assert per_user.max() > 4 * per_user.median()
    assert per_item.max() > 4 * per_item.median()


def test_items_metadata(ds):
    it = ds.items
    assert it["title"].is_unique
    assert it["title"].str.len().between(3, 8).all()
    assert all(isinstance(g, list) and 1 <= len(g) <= 3 and set(g) <= set(demo.GENRES) for g in it["genres"])
    assert all(isinstance(p, list) and 3 <= len(p) <= 4 and len(set(p)) == len(p) for p in it["people"])
    assert it["year"].between(1990, 2025).all()
    assert (it["year"] >= 2015).mean() > 0.5  # skewed recent
    assert set(it["region"]) <= set(demo.REGIONS) and it["region"].nunique() == len(demo.REGIONS)
    assert it["synopsis"].str.endswith("。").all()
    # some directors and actors recur across films
    counts = pd.Series([p for ps in it["people"] for p in ps]).value_counts()
    assert counts.iloc[0] >= 8


def test_users_demographics(ds):
    u = ds.users
    assert set(u["gender"]) == {"男", "女"}
    assert set(u["city"]) == set(demo.CITY_TIERS)
    assert (u["age_band"] == u["age"].map(age_band)).all()
    assert u["age"].between(13, 72).all()
    assert u["occupation"].notna().all()


def test_timestamps_span_three_years(ds):
    ts = ds.interactions["timestamp"]
    assert ts.notna().all()
    assert ts.min() >= pd.Timestamp("2023-01-01") and ts.max() <= pd.Timestamp("2025-12-31 23:59:59")
    assert set(ts.dt.year) == {2023, 2024, 2025}
    # no film is rated before the start of its release year
    year = ds.interactions["item_id"].map(dict(zip(ds.items["item_id"], ds.items["year"], strict=True)))
    assert (ts.dt.year >= year).all()


# ---------------------------------------------------------------- reviews


def _has_any(texts: pd.Series, fragments) -> pd.Series:
    return texts.map(lambda t: any(f in t for f in fragments))


def test_review_texts_are_short_chinese_sentences(ds):
    t = ds.reviews["text"]
    assert t.str.len().between(8, 80).all()
    assert t.str.contains(r"[\u4e00-\u9fff]").all()
    assert t.nunique() > 0.8 * len(t)


def test_review_wording_follows_the_stars(ds):
    rv = ds.reviews.dropna(subset=["rating"])
    praise = [f for v in demo.PRAISE.values() for f in v]
    complaint = [f for v in demo.COMPLAINT.values() for f in v]
    five, one = rv[rv["rating"] == 5]["text"], rv[rv["rating"] == 1]["text"]
    assert _has_any(five, praise).mean() > 0.75
    assert _has_any(one, praise).mean() < 0.30
    assert _has_any(one, complaint).mean() > 0.75
    assert _has_any(five, complaint).mean() < 0.30
    # but not perfectly: some reviews disagree with their stars
    assert 0.03 < _has_any(five, complaint).mean()


def test_reviews_mention_the_films_own_people(ds):
    rv = ds.reviews
    people = dict(zip(ds.items["item_id"], ds.items["people"], strict=True))
    names = sorted({p for ps in people.values() for p in ps}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, names)))
    found = [set(pattern.findall(t)) for t in rv["text"]]
    own = np.array([bool(f & set(people[i])) for f, i in zip(found, rv["item_id"], strict=True)])
    other = np.array([bool(f - set(people[i])) for f, i in zip(found, rv["item_id"], strict=True)])
    assert own.mean() > 0.1
    assert other.mean() < 0.01  # a review names the cast of its own film, not of another


def test_films_do_not_share_the_same_reviews(ds):
    rv = ds.reviews
    busy = rv.groupby("item_id")["text"].apply(frozenset)
    busy = busy[busy.map(len) >= 5]
    assert busy.is_unique
    # the aspects people talk about differ between films
    mentions = pd.DataFrame({a: rv["text"].str.contains(a, regex=False) for a in demo.ASPECTS})
    top_aspect = mentions.groupby(rv["item_id"].to_numpy()).sum().idxmax(axis=1)
    assert top_aspect.nunique() >= 6


# ---------------------------------------------------------------- planted structure


def test_bias_and_svd_beat_the_global_mean(ds):
    train, test = next(Holdout(0.2, seed=0).split(ds.interactions))
    rmse = {
        m.name: evaluate_fold(m, train, test, ds.rating_scale, metrics=("rmse",))["rmse"]
        for m in (GlobalMean(), BiasBaseline(), SVD(random_state=0))
    }
    assert rmse["bias"] < rmse["baseline"] - 0.1
    assert rmse["svd"] < rmse["bias"] - 0.02


def _genre_features(ds) -> pd.DataFrame:
    r = ds.ratings.merge(ds.items[["item_id", "genres"]].explode("genres"), on="item_id")
    share = pd.crosstab(r["user_id"], r["genres"], normalize="index")
    r["dev"] = r["rating"] - r.groupby("user_id")["rating"].transform("mean")
    agg = r.groupby(["user_id", "genres"])["dev"].agg(["sum", "count"])
    dev = (agg["sum"] / (agg["count"] + 3)).unstack(fill_value=0.0).reindex(share.index).fillna(0.0)
    z = lambda f: (f - f.mean()) / f.std()  # noqa: E731
    return pd.concat([z(share), z(dev)], axis=1).fillna(0.0)


def test_clustering_on_genre_taste_recovers_the_planted_groups(ds):
    f = _genre_features(ds)
    truth = [ds.meta["planted_group"][u] for u in f.index]
    assert len(set(truth)) == len(demo.GROUPS) == 6
    labels = KMeans(n_clusters=6, n_init=10, random_state=0).fit_predict(f.to_numpy())
    assert adjusted_rand_score(truth, labels) >= 0.5


# ---------------------------------------------------------------- promotion tables


def test_shipped_promotion_tables_equal_a_fresh_generation(tmp_path):
    folder = demo.DEFAULT_FOLDER / demo.PROMOTION_FOLDER
    if not (folder / "films.csv").exists():
        pytest.skip("data/demo/promotion has not been generated")
    ds, tables, man = demo.generate_with_promotion()
    pd.testing.assert_frame_equal(ds.interactions, demo.generate().interactions)  # rating tables unchanged
    demo.write_promotion(tables, man, tmp_path)
    for name in ("films", "box_office_daily", "exposures", "behaviour", "manifest"):
        ext = "json" if name == "manifest" else "csv"
        assert (tmp_path / f"{name}.{ext}").read_bytes() == (folder / f"{name}.{ext}").read_bytes(), name
    assert man["synthetic"] is True and 0.05 < man["planted"]["c1_uplift"] < 0.2
    total = sum(p.stat().st_size for p in demo.DEFAULT_FOLDER.rglob("*") if p.is_file())
    assert total < 5_000_000  # the whole demo folder, promotion tables included


def test_dataset_readers_skip_the_promotion_subfolder():
    from recsys_core.data.readers import read_path

    res = read_path(demo.DEFAULT_FOLDER)
    assert sorted(t.name for t in res.tables) == ["interactions.csv", "items.csv", "users.csv"]
