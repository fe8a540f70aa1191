import numpy as np
import pytest

from recsys_core.text import keywords as K
from recsys_core.text.aspects import aspect_summary
from recsys_core.text.tokenize import get_tokenizer, load_stopwords


@pytest.fixture(scope="module")
def ri(zh_dataset):
    return K.dataset_index(zh_dataset)


def test_keywords_contain_expected_words_and_no_stop_words(ri):
    stop = load_stopwords()
    for method in ("tfidf", "textrank"):
        kw = K.keywords(ri.index, None, method=method, top=15)
        words = set(kw["word"])
        assert {"剧情", "特效"} <= words, method
        assert not words & stop
        assert all(len(w) >= 2 for w in words)


def test_names_stay_whole_in_keywords(ri):
    kw = K.keywords(ri.index, None, method="tfidf", top=50)
    assert "覃若红" in set(kw["word"]) and "神域之心" in set(kw["word"])
    assert "覃" not in set(ri.index.vocab)


def test_textrank_keeps_adjectives(ri):
    kw = K.keywords(ri.index, None, method="textrank", top=40)
    tok = ri.tokenizer
    assert "a" in {tok.tag(w) for w in kw["word"]}
    assert "无聊" in set(kw["word"])


def test_sides_contrast(ri):
    stars = ri.reviews["rating"].to_numpy()
    labels = np.where(stars >= 4, "positive", np.where(stars <= 2, "negative", "neutral"))
    rows, contrast = K.select_rows(ri.reviews, side="negative", labels=labels)
    neg = K.keywords(ri.index, rows, "tfidf", top=5, contrast_rows=contrast)
    rows, contrast = K.select_rows(ri.reviews, side="positive", labels=labels)
    pos = K.keywords(ri.index, rows, "tfidf", top=5, contrast_rows=contrast)
    assert "无聊" in set(neg["word"]) and "失望" in set(neg["word"])
    assert "精彩" in set(pos["word"])
    assert not set(neg["word"]) & {"精彩", "推荐"}


def test_tfidf_hand_computed(zh_dataset):
    tok = get_tokenizer(zh_dataset)
    idx = K.build_index([["剧情", "精彩", "剧情", "的"], ["特效", "，"]], tok)
    idf, median = K.jieba_idf()
    kw = K.keywords(idx, [0], "tfidf", top=5)
    # review 0 keeps 剧情 x2 and 精彩 (的 is a stop word): tf = 2/3 and 1/3
    got = dict(zip(kw["word"], kw["score"]))
    assert got == pytest.approx({"剧情": 2 / 3 * idf.get("剧情", median), "精彩": 1 / 3 * idf.get("精彩", median)})
    assert kw["reviews"].tolist() == [1, 1]


def test_keywords_by_film_one_sparse_product(ri):
    g = K.keywords_by_group(ri.index, ri.reviews["item_id"], "tfidf", top=3)
    assert set(g["group"]) == {"M1", "M2", "M3"}
    assert g.groupby("group")["rank"].max().tolist() == [3, 3, 3]
    # same as selecting one film
    m1 = K.keywords(ri.index, ri.reviews["item_id"].eq("M1").to_numpy(), "tfidf", top=3)
    assert g[g["group"] == "M1"]["word"].tolist() == m1["word"].tolist()


def test_aspect_summary_hand_counted():
    texts = ["剧情紧凑，特效震撼", "特效五毛", "配乐好听", "还行"]
    a = aspect_summary(
        texts, scores=[0.9, 0.1, 0.8, 0.5], labels=["positive", "negative", "positive", "neutral"]
    ).set_index("aspect")
    assert a.loc["特效", "mentions"] == 2 and a.loc["特效", "share"] == pytest.approx(0.5)
    assert a.loc["特效", "mean_score"] == pytest.approx(0.5) and a.loc["特效", "net"] == pytest.approx(0.0)
    assert a.loc["剧情", "mentions"] == 1 and a.loc["配乐", "positive_share"] == pytest.approx(1.0)
    assert a.loc["台词", "mentions"] == 0 and np.isnan(a.loc["台词", "mean_score"])
    assert a.index[0] == "特效"


def test_word_cloud_font_or_none():
    font = K.chinese_font()
    img = K.word_cloud_image({"剧情": 3.0, "特效": 2.0}, width=200, height=100)
    if font is None:
        assert img is None
    else:
        assert img.shape == (100, 200, 3)


def test_short_latin_fragments_are_not_keywords_but_acronyms_are():
    stop = load_stopwords()
    assert not K._keep("de", stop) and not K._keep("ok", stop)
    assert K._keep("AI", stop) and K._keep("IMAX", stop) and K._keep("剧情线", stop)
    assert not K._keep("不是", stop)  # a function word, listed in data/stopwords_zh.txt
