"""Content-based recommender: item vectors from metadata, user profiles, cosine scoring.

Item vector = concatenation of weighted, L2-normalised blocks, then L2-normalised:

* genres            one-hot ``genre:<name>``
* people / tags     one-hot ``person:<name>`` (the ``people`` column, plus ``tags`` if present)
* year              one-hot decade (bucket width ``year_bucket``) ``year:1990s``
* region            one-hot ``region:<name>``
* text              TF-IDF of ``synopsis`` + ``item_text`` (optional column of review text; see
                    :func:`items_with_review_text`), tokenised with jieba for Chinese text and a
                    word regex otherwise, Chinese and English stop words removed.

The model reads the metadata from ``trainset.items_meta`` (the canonical items table; build the
trainset with ``Trainset.from_dataset`` or pass ``items_meta=``). Items of the trainset without a
metadata row get a zero vector (they score 0 similarity).

User profile = sum of the user's item vectors weighted by the centred rating r_ui - (mu + b_u)
(b_u the damped user bias, so a user with a single 5-star rating still has a profile), so liked
items pull towards and disliked items push away. Score = cosine(profile, item).

Predicted rating = b_ui + alpha * cosine, with b_ui = mu + b_u + b_i the damped bias baseline
and alpha >= 0 fitted by least squares on the training residuals using *leave-one-out* cosines
(the item itself removed from the profile), so RMSE is defined and honest. Ranking uses the
predicted rating.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .base import Recommender, top_n
from .baselines import BiasBaseline
from .cost import BLOCK_ELEMENTS_CONTENT, Cost, base_memory

NO_METADATA = "content model needs item metadata (genres/synopsis)"

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-zA-Z][a-zA-Z'\-]+")
_JIEBA_LOCK = threading.Lock()
_JIEBA_READY = False

#: common Chinese function words and film-review filler (jieba's own TF-IDF stop list is English only)
CHINESE_STOP_WORDS = frozenset(
    """
的 了 是 在 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那 他 她 它 们
我们 你们 他们 她们 这个 那个 这些 那些 什么 怎么 为什么 因为 所以 但是 但 而且 如果 就是 还是 还有 或者
以及 而 与 及 并 被 把 让 给 对 从 向 于 之 其 或 等 啊 吧 呢 吗 嘛 哦 呀 哈 哈哈 啦 么 得 地 过 又 再 才
只 太 更 最 非常 真的 真是 特别 比较 有点 一点 一些 一样 这样 那样 这么 那么 可以 可能 应该 已经 还是 觉得
感觉 知道 出来 起来 下去 没 不是 不会 不能 电影 影片 片子 一部 这部 那部 部 片 剧情 导演 演员 故事 观众
时候 时间 东西 事情 地方 然后 之后 以后 以前 其实 当然 虽然 不过 只是 还 也是 都是 就是 一直 一下 一次
""".split()
)


def _ensure_jieba():
    global _JIEBA_READY
    if _JIEBA_READY:
        return
    with _JIEBA_LOCK:
        if not _JIEBA_READY:
            import jieba

            jieba.setLogLevel(60)
            jieba.initialize()
            _JIEBA_READY = True


def tokenize(text) -> list[str]:
    """Content words of a Chinese or English text (lower-cased, stop words and 1-char tokens dropped)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    text = str(text)
    if _CJK.search(text):
        _ensure_jieba()
        import jieba

        tokens = (t.strip().lower() for t in jieba.lcut(text))
    else:
        tokens = (t.lower() for t in _WORD.findall(text))
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [
        t
        for t in tokens
        if len(t) >= 2
        and t not in CHINESE_STOP_WORDS
        and t not in ENGLISH_STOP_WORDS
        and not t.isdigit()
        and (_CJK.search(t) or t.isalnum() or "-" in t or "'" in t)
    ]


def items_with_review_text(items: pd.DataFrame, interactions: pd.DataFrame, max_chars: int = 20000) -> pd.DataFrame:
    """A copy of ``items`` with an ``item_text`` column: the item's review texts joined (capped).

    Pass only *training* interactions when evaluating, so test reviews do not leak into features.
    """
    out = items.copy()
    if interactions is None or "text" not in interactions:
        out["item_text"] = None
        return out
    t = interactions[interactions["text"].notna()]
    joined = t.groupby("item_id")["text"].agg(lambda s: " ".join(map(str, s))[:max_chars])
    out["item_text"] = out["item_id"].map(joined)
    return out


def _as_list(v) -> list:
    if v is None:
        return []
    if isinstance(v, (list, tuple, np.ndarray)):
        return [str(x).strip() for x in v if x is not None and str(x).strip()]
    if isinstance(v, float) and np.isnan(v):
        return []
    s = str(v).strip()
    return [p.strip() for p in re.split(r"[|/,;、]", s) if p.strip()] if s else []


def _one_hot(values: list[list[str]], prefix: str) -> tuple[sp.csr_matrix, list[str]]:
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, labels in enumerate(values):
        for lab in dict.fromkeys(labels):
            cols.append(vocab.setdefault(lab, len(vocab)))
            rows.append(r)
    M = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(values), len(vocab)))
    return M, [f"{prefix}:{k}" for k in vocab]


def _row_normalise(M: sp.csr_matrix) -> sp.csr_matrix:
    M = sp.csr_matrix(M, dtype=float)
    norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
    scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
    return sp.diags(scale) @ M


class ContentBased(Recommender):
    """Metadata + TF-IDF item vectors, rating-weighted user profiles, cosine scoring."""

    name = "content"

    def __init__(
        self,
        w_genres: float = 1.0,
        w_people: float = 0.5,
        w_year: float = 0.3,
        w_region: float = 0.3,
        w_text: float = 1.0,
        year_bucket: int = 10,
        max_features: int = 5000,
        min_df: int = 2,
        reg_u: float = 15.0,
        reg_i: float = 10.0,
    ):
        self.w_genres = w_genres
        self.w_people = w_people
        self.w_year = w_year
        self.w_region = w_region
        self.w_text = w_text
        self.year_bucket = year_bucket
        self.max_features = max_features
        self.min_df = min_df
        self.reg_u = reg_u
        self.reg_i = reg_i

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, max_features=5000, **params):
        # item vectors (a few dozen features per film), user profiles (sparse; at most every feature
        # of every film the user rated), one block of profile x film products
        feats = int(max_features or 5000) + 500
        profile_nnz = min(int(n_users) * feats, 60 * int(n_ratings))
        mem = base_memory(n_users, n_items, n_ratings) + 24 * profile_nnz + 16 * 60 * n_items
        mem += 12 * 3 * BLOCK_ELEMENTS_CONTENT
        secs = 2e-3 * n_items + 2e-7 * profile_nnz + 1e-7 * n_ratings * 30
        return Cost(int(mem), secs, "tokenising film texts and one profile x film product per user block")

    # -------------------------------------------------------------- item vectors
    def _item_matrix(self, ts) -> tuple[sp.csr_matrix, list[str]]:
        meta = ts.items_meta
        if meta is None or len(meta) == 0 or "item_id" not in meta:
            raise ValueError(NO_METADATA)
        meta = meta.drop_duplicates("item_id")
        meta.index = pd.Index([str(x) for x in meta["item_id"].tolist()], dtype=object)
        meta = meta.reindex([str(x) for x in ts.items_raw])
        col = lambda c: meta[c].tolist() if c in meta else [None] * len(meta)  # noqa: E731
        blocks, names = [], []

        def add(M, labels, w):
            if w and M.shape[1]:
                blocks.append(_row_normalise(M) * float(w))
                names.extend(labels)

        add(*_one_hot([_as_list(v) for v in col("genres")], "genre"), self.w_genres)
        people = [_as_list(a) + _as_list(b) for a, b in zip(col("people"), col("tags"))]
        add(*_one_hot(people, "person"), self.w_people)
        bucket = max(int(self.year_bucket), 1)
        years = [[f"{int(y) // bucket * bucket}s"] if y is not None and not pd.isna(y) else [] for y in col("year")]
        add(*_one_hot(years, "year"), self.w_year)
        add(*_one_hot([_as_list(v)[:1] for v in col("region")], "region"), self.w_region)
        if self.w_text:
            docs = [
                " ".join(str(x) for x in (s, t) if x is not None and not (isinstance(x, float) and np.isnan(x)))
                for s, t in zip(col("synopsis"), col("item_text"))
            ]
            if any(d.strip() for d in docs):
                M, labels = self._tfidf(docs)
                add(M, labels, self.w_text)
        if not blocks:
            raise ValueError(NO_METADATA)
        V = _row_normalise(sp.hstack(blocks).tocsr())
        if V.nnz == 0:
            raise ValueError(NO_METADATA)
        return V, names

    def _tfidf(self, docs):
        from sklearn.feature_extraction.text import TfidfVectorizer

        for min_df in dict.fromkeys((max(int(self.min_df), 1), 1)):
            vec = TfidfVectorizer(
                tokenizer=tokenize,
                lowercase=False,
                token_pattern=None,
                min_df=min_df,
                max_features=int(self.max_features) if self.max_features else None,
                sublinear_tf=True,
            )
            try:
                M = vec.fit_transform(docs)
            except ValueError:  # empty vocabulary
                continue
            self.vectorizer_ = vec
            return M, [f"keyword:{w}" for w in vec.get_feature_names_out()]
        return sp.csr_matrix((len(docs), 0)), []

    # -------------------------------------------------------------- fitting
    def _fit(self, ts):
        V, names = self._item_matrix(ts)
        self.item_vectors_ = V.tocsr()
        self.feature_names_ = np.array(names, dtype=object)
        bsl = BiasBaseline(reg_u=self.reg_u, reg_i=self.reg_i)
        bsl._fit(ts)
        self.mu_, self.bu_, self.bi_ = bsl.mu_, bsl.bu_, bsl.bi_

        csr = ts.csr
        rows = np.repeat(np.arange(ts.n_users), np.diff(csr.indptr))
        w = csr.data - (self.mu_ + self.bu_[rows])  # centred on the damped user mean
        Wm = sp.csr_matrix((w, csr.indices, csr.indptr), shape=csr.shape)
        P = (Wm @ self.item_vectors_).tocsr()  # unnormalised profiles (users x features)
        self.profiles_ = P
        self.profile_norms_ = np.sqrt(np.asarray(P.multiply(P).sum(axis=1)).ravel())

        # leave-one-out cosine of every training pair -> least-squares scale alpha >= 0
        item_norm2 = np.asarray(self.item_vectors_.multiply(self.item_vectors_).sum(axis=1)).ravel()
        pv = self._rated_dots(P, csr)
        num = pv - w * item_norm2[csr.indices]
        norm2 = self.profile_norms_[rows] ** 2 - 2 * w * pv + w**2 * item_norm2[csr.indices]
        den = np.sqrt(np.clip(norm2, 0, None)) * np.sqrt(item_norm2[csr.indices])
        cos_loo = np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1.0), 0.0)
        resid = csr.data - (self.mu_ + self.bu_[rows] + self.bi_[csr.indices])
        ss = float(cos_loo @ cos_loo)
        self.alpha_ = max(float(cos_loo @ resid) / ss, 0.0) if ss > 0 else 0.0

    def _rated_dots(self, P: sp.csr_matrix, csr: sp.csr_matrix) -> np.ndarray:
        """profile_u . item_i for every rated (u, i), in chunks of ratings whose gathered profile
        entries stay under a fixed size (never a ratings x features matrix at once)."""
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        cols = csr.indices
        V = self.item_vectors_
        per_rating = np.diff(P.indptr)[rows] + 1
        out = np.zeros(csr.nnz)
        bounds = np.searchsorted(
            np.cumsum(per_rating), np.arange(BLOCK_ELEMENTS_CONTENT, per_rating.sum(), BLOCK_ELEMENTS_CONTENT)
        )
        edges = np.unique(np.r_[0, bounds, csr.nnz])
        for a, b in zip(edges[:-1], edges[1:]):
            out[a:b] = np.asarray(P[rows[a:b]].multiply(V[cols[a:b]]).sum(axis=1)).ravel()
        return out

    # -------------------------------------------------------------- scoring
    def _cosines(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.int64)
        S = np.asarray((self.profiles_[u] @ self.item_vectors_.T).todense())
        n = self.profile_norms_[u]
        return S / np.where(n > 0, n, 1.0)[:, None]

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        return self.mu_ + self.bu_[u][:, None] + self.bi_[None, :] + self.alpha_ * self._cosines(u)

    def _estimate_pairs(self, u, i):
        u = np.asarray(u, dtype=np.int64)
        i = np.asarray(i, dtype=np.int64)
        dots = np.asarray(self.profiles_[u].multiply(self.item_vectors_[i]).sum(axis=1)).ravel()
        n = self.profile_norms_[u]
        cos = np.where(n > 0, dots / np.where(n > 0, n, 1.0), 0.0)
        return self.mu_ + self.bu_[u] + self.bi_[i] + self.alpha_ * cos

    def _cold_scores(self):
        return self.mu_ + self.bi_

    # -------------------------------------------------------------- explanations and cold start
    def profile_from_items(self, liked_items) -> np.ndarray:
        """A profile (feature vector) from raw item ids a new user likes: the mean of their vectors."""
        ts = self.check_fitted()
        idx = ts.inner_iids([str(x) for x in liked_items])
        idx = idx[idx >= 0]
        if not len(idx):
            return np.zeros(self.item_vectors_.shape[1])
        return np.asarray(self.item_vectors_[idx].mean(axis=0)).ravel()

    def score_profile(self, profile: np.ndarray) -> np.ndarray:
        """Cosine of a profile with every item (inner-id order)."""
        profile = np.asarray(profile, dtype=float).ravel()
        norm = np.linalg.norm(profile)
        if norm == 0:
            return np.zeros(self.item_vectors_.shape[0])
        return np.asarray(self.item_vectors_ @ profile).ravel() / norm

    def recommend_for_items(self, liked_items, n: int = 10) -> list[tuple[str, float]]:
        """Cold start: top-n (raw item, cosine) for someone who likes ``liked_items`` (those excluded)."""
        ts = self.check_fitted()
        s = self.score_profile(self.profile_from_items(liked_items))
        idx = ts.inner_iids([str(x) for x in liked_items])
        s[idx[idx >= 0]] = -np.inf
        top, vals = top_n(s, n)
        return [(ts.items_raw[j], float(v)) for j, v in zip(top, vals)]

    def feature_reasons(self, user, item, n: int = 3) -> list[tuple[str, float]]:
        """Features the user's profile shares with ``item``: [(feature, contribution)], largest first.

        Features are labelled ``genre:…``, ``person:…``, ``year:…``, ``region:…`` or ``keyword:…``.
        """
        ts = self.check_fitted()
        u, i = ts.inner_user(user), ts.inner_item(item)
        if u < 0 or i < 0:
            return []
        contrib = self.profiles_[u].multiply(self.item_vectors_[i]).tocoo()
        if not contrib.nnz:
            return []
        norm = self.profile_norms_[u] or 1.0
        vals = contrib.data / norm
        order = np.lexsort((contrib.col, -vals))
        return [(str(self.feature_names_[contrib.col[k]]), float(vals[k])) for k in order[:n] if vals[k] > 0]
