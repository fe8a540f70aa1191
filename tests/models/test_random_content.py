import numpy as np
import pandas as pd
import pytest

from recsys_core.models import ContentBased, RandomPredictor
from recsys_core.models.content import NO_METADATA, items_with_review_text, tokenize
from recsys_core.trainset import Trainset

from .contract import ModelContract, planted_frame, planted_items
from .helpers import planted_scores


class TestRandom(ModelContract):
    def make_model(self):
        return RandomPredictor(random_state=7)


class TestContent(ModelContract):
    def make_model(self):
        return ContentBased()


def test_random_is_normal_with_training_moments_and_seeded():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    m = RandomPredictor(random_state=1).fit(ts)
    assert m.mu_ == pytest.approx(ts.r.mean())
    assert m.sigma_ == pytest.approx(ts.r.std())
    draws = m.score_users(np.arange(ts.n_users)).ravel()
    assert draws.mean() == pytest.approx(m.mu_, abs=0.05)
    assert draws.std() == pytest.approx(m.sigma_, rel=0.05)
    other = RandomPredictor(random_state=2).fit(ts)
    assert not np.allclose(m.score("u1"), other.score("u1"))


def test_random_is_worse_than_global_mean_by_design():
    res = planted_scores(RandomPredictor())
    assert res["model"]["rmse"] > res["baseline"]["rmse"]


def test_tokenize_chinese_and_english():
    toks = tokenize("这部电影讲述了一个关于爱情和战争的感人故事。Great acting!")
    assert "爱情" in toks and "战争" in toks and "great" in toks and "acting" in toks
    assert "电影" not in toks and "的" not in toks
    assert tokenize(None) == [] and tokenize(float("nan")) == []


def test_content_needs_metadata():
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    with pytest.raises(ValueError, match="content model needs item metadata"):
        ContentBased().fit(ts)
    empty = pd.DataFrame({"item_id": ["i1"], "genres": [[]], "synopsis": [None]})
    with pytest.raises(ValueError, match=NO_METADATA.split("(")[0].strip()):
        ContentBased().fit(Trainset.from_frame(planted_frame(), (1, 5), items_meta=empty))


def test_content_vectors_cosine_by_hand():
    # genres only: x = {A}, y = {A, B}, z = {B}; user a likes x (5) and dislikes z (1); global mean 3 and
    # (with a huge reg_u) no user bias, so a's weights are +2 and -2
    df = pd.DataFrame(
        {"user_id": ["a", "a", "b", "b"], "item_id": ["x", "z", "y", "x"], "rating": [5.0, 1.0, 3.0, 3.0]}
    )
    items = pd.DataFrame({"item_id": ["x", "y", "z"], "genres": [["A"], ["A", "B"], ["B"]]})
    m = ContentBased(w_people=0, w_year=0, w_region=0, w_text=0, reg_u=1e12).fit(
        Trainset.from_frame(df, (1, 5), items_meta=items)
    )
    ts = m.trainset_
    # profile of a = (+2) * [1, 0] + (-2) * [0, 1] = [2, -2]; y = [1, 1]/sqrt2 -> cosine 0; x -> 1/sqrt2
    cos = m._cosines(np.array([ts.to_inner_uid("a")]))[0]
    assert cos[ts.to_inner_iid("x")] == pytest.approx(1 / np.sqrt(2))
    assert cos[ts.to_inner_iid("y")] == pytest.approx(0.0, abs=1e-12)
    assert cos[ts.to_inner_iid("z")] == pytest.approx(-1 / np.sqrt(2))
    # shared features of a's profile and y: A contributes 2 * (1/sqrt2) / |profile| = sqrt2 / (2 sqrt2) = 0.5;
    # B contributes -0.5 and is not a reason
    assert m.feature_reasons("a", "y") == [("genre:A", pytest.approx(0.5))]


def test_content_cold_start_and_reasons():
    ts = Trainset.from_frame(planted_frame(), (1, 5), items_meta=planted_items())
    m = ContentBased().fit(ts)
    recs = m.recommend_for_items(["i1", "i2"], n=5)
    assert len(recs) == 5 and all(int(i[1:]) < 20 for i, _ in recs)
    assert "i1" not in {i for i, _ in recs}
    reasons = m.feature_reasons("u0", "i3", n=3)  # u0 is in the romance group
    labels = [r for r, _ in reasons]
    assert labels and any(lab.startswith(("genre:", "keyword:")) for lab in labels)
    assert m.alpha_ > 0


def test_review_text_column_feeds_tfidf():
    items = planted_items()[["item_id", "genres"]]
    inter = planted_frame()
    inter["text"] = np.where(inter["item_id"].str[1:].astype(int) < 20, "浪漫 爱情 感人", "爆炸 枪战 刺激")
    enriched = items_with_review_text(items, inter)
    assert enriched.loc[0, "item_text"].startswith("浪漫")
    m = ContentBased().fit(Trainset.from_frame(planted_frame(), (1, 5), items_meta=enriched))
    assert any(n.startswith("keyword:") for n in m.feature_names_)


def test_content_beats_global_mean_on_planted():
    res = planted_scores(ContentBased(), items_meta=planted_items())
    assert res["model"]["rmse"] < res["baseline"]["rmse"] - 0.2
