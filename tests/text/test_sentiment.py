import numpy as np
import pandas as pd
import pytest

from recsys_core.errors import UserError
from recsys_core.text import sentiment as S
from recsys_core.text.tokenize import get_tokenizer


def test_star_polarity_on_1_5_and_1_10_scales():
    pol = S.star_polarity([1, 2, 3, 4, 5, np.nan], (1, 5))
    assert pol[0] == 0.0 and pol[1] == 0.0 and np.isnan(pol[2]) and pol[3] == 1.0 and np.isnan(pol[5])
    # 1-10: negative at or below 3.25, positive at or above 7.75
    pol10 = S.star_polarity([3, 4, 7, 8, 10], (1, 10))
    assert pol10[0] == 0.0 and np.isnan(pol10[1]) and np.isnan(pol10[2]) and pol10[3] == 1.0 and pol10[4] == 1.0
    assert S.star_class([1, 3, 5, np.nan], (1, 5)).tolist() == ["negative", "neutral", "positive", None]


def test_labels_use_the_neutral_band():
    assert S.label_scores([0.1, 0.399, 0.4, 0.59, 0.6, 0.95]).tolist() == [
        "negative",
        "negative",
        "neutral",
        "neutral",
        "positive",
        "positive",
    ]


def test_agreement_hand_computed():
    scores = [0.9, 0.8, 0.2, 0.6, 0.3, 0.5]
    ratings = [5, 4, 1, 2, 5, 3]
    a = S.agreement(scores, ratings, (1, 5))
    # polar reviews: y = 1 1 0 0 1, predicted (>= .5) = 1 1 0 1 0
    assert a["n_eval"] == 5
    assert a["accuracy"] == pytest.approx(3 / 5)
    assert a["confusion"] == [[1, 1], [1, 2]]
    assert a["balanced_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert a["positive_share_stars"] == pytest.approx(3 / 5)
    # 3x3: rows stars neg/neu/pos, cols labels neg/neu/pos (0.5 is neutral, 0.6 positive)
    assert a["confusion3"] == [[1, 0, 1], [0, 1, 0], [1, 0, 2]]


def test_agreement_without_stars_is_null():
    a = S.agreement([0.2, 0.8], [np.nan, np.nan], (1, 5))
    assert a["accuracy"] is None and a["balanced_accuracy"] is None and a["n_eval"] == 0


def test_out_of_fold_never_scores_a_review_with_a_model_trained_on_it(zh_dataset):
    rev = zh_dataset.reviews.reset_index(drop=True)
    texts = rev["text"].tolist()
    tokens = get_tokenizer(zh_dataset).cut_many(texts)
    pol = S.star_polarity(rev["rating"], zh_dataset.rating_scale)
    scores, folds, info = S.oof_scores(texts, tokens, pol, n_folds=4, random_state=0)
    assert set(folds.tolist()) == {0, 1, 2, 3}
    assert not np.isnan(scores).any()
    for f, trained in info["trained_on"].items():
        assert not (folds[trained] == f).any()  # model f never saw a review of fold f
        assert np.isnan(pol[trained]).sum() == 0  # 3-star reviews are never training data
        assert len(trained) == int(((folds != f) & ~np.isnan(pol)).sum())
    # stratified: every fold has both sides
    for f in range(4):
        assert set(pol[(folds == f) & ~np.isnan(pol)].tolist()) == {0.0, 1.0}
    # seeded: the same folds and scores again
    s2, f2, _ = S.oof_scores(texts, tokens, pol, n_folds=4, random_state=0)
    assert (f2 == folds).all() and np.allclose(s2, scores)
    a = S.agreement(scores, rev["rating"], zh_dataset.rating_scale)
    assert a["accuracy"] >= 0.7  # the fixture's sides use clearly different words


def test_too_few_rated_reviews_is_a_clear_error():
    with pytest.raises(UserError, match="too few rated reviews"):
        S.assign_folds(np.array([1.0, 1.0, 0.0, np.nan]), 5)


def test_snownlp_baseline_real_and_read_only():
    from snownlp import sentiment as sn

    before = sn.classifier
    s = S.snownlp_scores(["这部电影太好看了，强烈推荐，非常喜欢", "难看死了，浪费时间，非常失望", ""])
    assert s[0] > 0.5 > s[1]
    assert np.isnan(s[2])
    assert sn.classifier is before


def test_score_dataset_and_workspace_cache(tmp_path, zh_dataset):
    from recsys_core.store import open_workspace

    ws = open_workspace(tmp_path / "ws")
    vid = ws.add_version(zh_dataset, kind="raw")
    ds = ws.load_version(vid)
    assert S.best_method(ds) == "stars"
    res = S.score_dataset(ds, "auto", workspace=ws, n_folds=4)
    assert res.method == "stars" and res.n == 46
    assert set(res.frame.columns) >= {"user_id", "item_id", "score", "label", "stars", "fold"}
    assert res.metrics["n_eval"] == 44
    model = ws.load_artifact("sentiment-model", f"{ds.version}:stars:0:v{S.MODEL_VERSION}")
    assert isinstance(model, S.FilmSentimentModel)
    p = model.predict_proba(
        ["剧情精彩，特效震撼，推荐", "剧情无聊，特效五毛，失望"],
        [["剧情", "精彩", "，", "特效", "震撼", "，", "推荐"], ["剧情", "无聊", "，", "特效", "五毛", "，", "失望"]],
    )
    assert p[0] > 0.5 > p[1]
    seen = []
    again = S.score_dataset(ds, "stars", workspace=ws, n_folds=4, progress=lambda f, m: seen.append(m))
    assert seen == ["cached"]
    assert np.allclose(again.frame["score"], res.frame["score"])


def test_best_method_without_stars_is_snownlp(zh_dataset):
    from recsys_core.data.dataset import Dataset

    inter = zh_dataset.interactions.assign(rating=np.nan)
    ds = Dataset.from_frames(inter, rating_scale=(1, 5))
    assert S.best_method(ds) == "snownlp"
    with pytest.raises(UserError, match="too few rated reviews"):
        S.score_dataset(ds, "stars")


def _frame():
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e"],
            "item_id": ["M1", "M1", "M2", "M2", "M2"],
            "rating": [5.0, 1.0, 4.0, 2.0, 3.0],
            "timestamp": pd.to_datetime(["2024-03-04", "2024-03-10", "2024-03-11", "2024-03-12", None]),
            "text": ["t1", "t2", "t3", "t4", "t5"],
            "score": [0.1, 0.2, 0.9, 0.7, 0.5],
        }
    ).assign(label=lambda d: S.label_scores(d["score"]))


def test_views_hand_computed():
    f = _frame()
    d = S.disagreements(f, (1, 5), n=3)
    # gaps: a |0.1-1|=0.9, b 0.2, c 0.1, d 0.7; e has 3 stars (no gap)
    assert d["user_id"].tolist() == ["a", "d", "b"]
    assert d["gap"].tolist() == pytest.approx([0.9, 0.7, 0.2])
    p = S.per_item(f, titles={"M1": "甲"})
    assert p["item_id"].tolist() == ["M2", "M1"]
    m2 = p.iloc[0]
    assert m2["n"] == 3 and m2["mean_score"] == pytest.approx(0.7) and m2["positive_share"] == pytest.approx(2 / 3)
    assert p.iloc[1]["title"] == "甲" and p.iloc[1]["negative_share"] == pytest.approx(1.0)
    w = S.weekly_trend(f)
    # weeks start on Monday: 2024-03-04 (a, b on Sun 10th), 2024-03-11 (c, d)
    assert [str(x.date()) for x in w["week"]] == ["2024-03-04", "2024-03-11"]
    assert w["n"].tolist() == [2, 2] and w["mean_score"].tolist() == pytest.approx([0.15, 0.8])
    seg = S.by_segment(f, pd.DataFrame({"user_id": ["a", "b", "c"], "segment": [0, 0, 1]}))
    assert seg["n"].tolist() == [2, 1] and seg["mean_score"].tolist() == pytest.approx([0.15, 0.9])
    c = S.compare_items(f, "M1", "M2")
    assert c["mean_score"].tolist() == pytest.approx([0.15, 0.7])
    h = S.score_histogram(f, bins=2)
    assert h["count"].tolist() == [2, 3]


def test_code_tfidf_matches_scikit_learn_on_string_ngrams(zh_dataset):
    from sklearn.feature_extraction.text import TfidfVectorizer

    rev = zh_dataset.reviews.reset_index(drop=True)
    texts = rev["text"].tolist() + ["  剧情  好 ", ""]
    tokens = get_tokenizer(zh_dataset).cut_many(texts)
    for codes, grams in (
        (S.char_codes(texts), [S.char_ngrams(x) for x in texts]),
        (S.word_codes(tokens), [S.word_ngrams(t) for t in tokens]),
    ):
        ours = S.CodeTfidf(min_df=2).fit_transform(codes)
        ref = TfidfVectorizer(analyzer=S._identity, sublinear_tf=True, min_df=2).fit_transform(grams)
        assert ours.shape == ref.shape
        # same vectors up to column order: identical Gram matrices
        assert np.allclose((ours @ ours.T).toarray(), (ref @ ref.T).toarray(), atol=1e-5)
    sub = S.char_codes(texts).take([3, 0])
    assert (
        sub.codes.tolist() == np.concatenate([S.char_codes([texts[3]]).codes, S.char_codes([texts[0]]).codes]).tolist()
    )


def test_nb_log_count_ratio_hand_computed():
    # 4 documents x 3 n-grams (presence); documents 0, 1 positive, 2, 3 negative
    X = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], dtype=float)
    r = S.nb_log_count_ratio(X, [1, 1, 0, 0], alpha=1.0)
    # p = 1 + (2, 1, 0) = (3, 2, 1), q = 1 + (0, 1, 2) = (1, 2, 3), both sum to 6
    assert r == pytest.approx([np.log(3.0), 0.0, -np.log(3.0)])
    import scipy.sparse as sp

    assert S.nb_log_count_ratio(sp.csr_matrix(X), np.array([1, 1, 0, 0]), alpha=0.5) == pytest.approx(
        [np.log((2.5 / 4.5) / (0.5 / 4.5)), 0.0, np.log((0.5 / 4.5) / (2.5 / 4.5))]
    )


def test_binary_grams_are_presence_of_kept_ngrams():
    codes = S.char_codes(["好好看", "好看", "难看"])
    B = S.BinaryGrams(min_df=1).fit_transform(codes, S.char_codes(["", "", ""]))
    # char 1-3-grams: 好 看 难 好好 好看 难看 好好看 -> 7 columns, presence only (好 occurs twice in doc 0)
    assert B.shape == (3, 7) and set(B.data.tolist()) == {1.0}
    assert np.asarray(B.sum(axis=1)).ravel().tolist() == [5.0, 3.0, 3.0]


def test_lexicon_counts_flip_after_negation():
    lex = S.load_lexicon()
    assert lex["好看"] == 1 and lex["无聊"] == -1
    c = S.lexicon_counts(
        [
            ["不", "好看"],
            ["剧情", "精彩", "，", "但", "结局", "烂"],
            ["并不", "难看"],
            ["不好看"],
            ["不是", "很", "好看"],
            ["不", "知道", "为什么", "，", "很", "好看"],
            [],
        ]
    )
    assert c.tolist() == [[0, 1], [1, 1], [1, 0], [0, 1], [0, 1], [1, 0], [0, 0]]


def test_threshold_and_ensemble_keep_out_of_fold_guarantee(zh_dataset):
    rev = zh_dataset.reviews.reset_index(drop=True)
    texts = rev["text"].tolist()
    tokens = get_tokenizer(zh_dataset).cut_many(texts)
    pol = S.star_polarity(rev["rating"], zh_dataset.rating_scale)
    params = {"features": "ensemble", "threshold": "inner-cv", "extras": ["lexicon"]}
    scores, folds, info = S.oof_scores(texts, tokens, pol, n_folds=4, random_state=0, params=params)
    assert not np.isnan(scores).any() and ((scores >= 0) & (scores <= 1)).all()
    for f, trained in info["trained_on"].items():
        assert not (folds[trained] == f).any()
        m = info["models"][f]
        assert len(m.bases_) == 2 and 0.1 <= m.threshold_ <= 0.9
        # the score is the calibrated probability shifted so that 0.5 is the chosen threshold
        te = np.flatnonzero(folds == f)
        g = S._take(m.grams([texts[i] for i in te], [tokens[i] for i in te]), np.arange(len(te)))
        raw = m._proba(None, None, g, "empirical")
        assert ((raw >= m.threshold_) == (scores[te] >= 0.5)).all()
    a = S.agreement(scores, rev["rating"], zh_dataset.rating_scale)
    assert a["accuracy"] >= 0.7


def test_star_value_scales_linearly():
    v = S.star_value([1, 3, 5, np.nan], (1, 5))
    assert v[:3].tolist() == [0.0, 0.5, 1.0] and np.isnan(v[3])
    assert S.star_value([1, 10], (1, 10)).tolist() == [0.0, 1.0]


def test_warm_started_logistic_regression_reaches_the_same_optimum():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 30))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    w = S._balanced_weights(y)
    from sklearn.linear_model import LogisticRegression

    ref = LogisticRegression(C=4.0, tol=1e-10, max_iter=10000).fit(X, y, sample_weight=w).decision_function(X)
    cold = S._fit_lr(X, y, w, 4.0).decision_function(X)
    warm = S._fit_lr(X, y, w, 4.0, warm=S._fit_lr(X, y, w, 1.0)).decision_function(X)
    # both within the solver tolerance of the tightly converged optimum (decision values span about +-13 here)
    scale = np.abs(ref).max()
    assert np.abs(cold - ref).max() < 0.02 * scale and np.abs(warm - ref).max() < 0.02 * scale
    assert ((cold > 0) == (ref > 0)).mean() > 0.98 and ((warm > 0) == (ref > 0)).mean() > 0.98


def test_ordinal_head_trains_on_middle_stars_and_keeps_out_of_fold_guarantee(zh_dataset):
    rev = zh_dataset.reviews.reset_index(drop=True)
    texts = rev["text"].tolist()
    tokens = get_tokenizer(zh_dataset).cut_many(texts)
    pol = S.star_polarity(rev["rating"], zh_dataset.rating_scale)
    stars = S.star_value(rev["rating"], zh_dataset.rating_scale)
    scores, folds, info = S.oof_scores(
        texts, tokens, pol, n_folds=4, random_state=0, params={"ordinal": True}, stars=stars
    )
    assert not np.isnan(scores).any() and ((scores >= 0) & (scores <= 1)).all()
    middle = np.isnan(pol) & ~np.isnan(stars)
    assert middle.any()
    for f, trained in info["trained_on"].items():
        assert not (folds[trained] == f).any()  # model f never saw a review of fold f, 3 stars included
        assert len(trained) == int(((folds != f) & ~np.isnan(stars)).sum())
        assert len(info["models"][f].bases_) == 3  # tf-idf LR, NB-LR, ridge on the star value
    # without ordinal=True the stars are ignored: 3-star reviews never train
    _, _, plain = S.oof_scores(texts, tokens, pol, n_folds=4, random_state=0, stars=stars)
    for trained in plain["trained_on"].values():
        assert np.isnan(pol[trained]).sum() == 0
    a = S.agreement(scores, rev["rating"], zh_dataset.rating_scale)
    assert a["accuracy"] >= 0.7
