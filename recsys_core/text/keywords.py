"""Keywords a marketer can act on: per film, per side (praised vs. complained), per audience segment.

Reviews are tokenised once (see :mod:`recsys_core.text.tokenize`) and turned into one sparse review x word
count matrix; every keyword view is then a row selection plus a matrix product, never a per-review
``jieba.analyse`` call.

* ``tfidf``: jieba's TF-IDF (the IDF table that ships with jieba, median IDF for unknown words, words shorter
  than two characters and stop words dropped), computed over all reviews of a group at once: the same ranking
  ``jieba.analyse.extract_tags`` gives for the group's reviews joined into one text.
* ``textrank``: jieba's TextRank (co-occurrence window of 5 tokens, damping 0.85) over the group's reviews, with
  a POS filter that keeps adjectives (``a``) as well as nouns, verbs, names, titles and idioms.

Stop words come from ``data/stopwords_zh.txt``. With ``contrast=True`` (the default for sides) a word's score is
multiplied by how much more often it appears on this side than on the other, so words both sides use equally
(``剧情``) sink and words that are specific to the praise or to the complaints rise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import UserError
from .tokenize import ReviewTokenizer, is_content_token, load_stopwords

TEXTRANK_POS = ("n", "nr", "ns", "nt", "nz", "vn", "v", "a", "an", "ad", "l", "i")
TEXTRANK_SPAN = 5
METHODS = ("tfidf", "textrank")

_idf_cache: tuple[dict, float] | None = None


def jieba_idf() -> tuple[dict, float]:
    """jieba's IDF table (word -> idf) and its median (used for words not in the table)."""
    global _idf_cache
    if _idf_cache is None:
        import jieba

        idf = {}
        with open(os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    idf[parts[0]] = float(parts[1])
        _idf_cache = (idf, float(np.median(list(idf.values()))))
    return _idf_cache


def _keep(word: str, stop: frozenset) -> bool:
    w = word.strip()
    if w.isascii() and w.isalpha() and len(w) < 3 and not w.isupper():  # "de", "ok": noise; "AI", "TV" stay
        return False
    return len(w) >= 2 and w.lower() not in stop and w not in stop and is_content_token(w) and not w.isdigit()


@dataclass
class KeywordIndex:
    """One dataset's reviews as a sparse count matrix over kept words, plus co-occurrence edges for TextRank."""

    vocab: np.ndarray  # words (object array)
    counts: sp.csr_matrix  # reviews x words, term counts
    idf: np.ndarray  # jieba idf per word
    textrank_ok: np.ndarray  # bool per word: passes the TextRank POS filter
    edge_review: np.ndarray  # TextRank co-occurrences: review position, word a, word b (a != b)
    edge_a: np.ndarray
    edge_b: np.ndarray

    @property
    def n_reviews(self) -> int:
        return int(self.counts.shape[0])


def build_index(
    tokens: list[list[str]],
    tokenizer: ReviewTokenizer,
    stopwords: frozenset | None = None,
    pos: tuple = TEXTRANK_POS,
    span: int = TEXTRANK_SPAN,
) -> KeywordIndex:
    """Count kept words per review and collect TextRank co-occurrences (one pass over the tokens)."""
    stop = load_stopwords() if stopwords is None else stopwords
    allowed = frozenset(pos)
    # one flat array of word ids (-1 = dropped token) with the review of each position
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    flat = [w for toks in tokens for w in toks]
    inv, uniq = pd.factorize(pd.Series(flat, dtype=object)) if flat else (np.zeros(0, dtype=np.int64), [])
    uniq = np.asarray(uniq, dtype=object)
    keep = np.fromiter((_keep(w, stop) for w in uniq), dtype=bool, count=len(uniq))
    kept_words = uniq[keep]
    remap = np.full(len(uniq), -1, dtype=np.int64)
    remap[keep] = np.arange(keep.sum())
    ids = remap[inv] if len(inv) else np.zeros(0, dtype=np.int64)
    review = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)
    tr_ok = np.fromiter((tokenizer.tag(w) in allowed for w in kept_words), dtype=bool, count=len(kept_words))
    m = ids >= 0
    counts = sp.csr_matrix(
        (np.ones(int(m.sum()), dtype=np.float32), (review[m], ids[m])), shape=(len(tokens), len(kept_words))
    )
    counts.sum_duplicates()
    # jieba TextRank: pair each filtered word with filtered words in the next span-1 positions of its review
    ok = np.zeros(len(ids), dtype=bool)
    ok[m] = tr_ok[ids[m]]
    er, ea, eb = [], [], []
    for k in range(1, span):
        if len(ids) <= k:
            continue
        i = np.flatnonzero(ok[:-k] & ok[k:] & (review[:-k] == review[k:]) & (ids[:-k] != ids[k:]))
        er.append(review[i])
        ea.append(ids[i])
        eb.append(ids[i + k])
    words = kept_words
    if not er:
        er = ea = eb = [np.zeros(0, dtype=np.int64)]
    idf_table, median = jieba_idf()
    idf = np.array([idf_table.get(w, median) for w in words], dtype=float)
    return KeywordIndex(words, counts, idf, tr_ok, np.concatenate(er), np.concatenate(ea), np.concatenate(eb))


def _rows_mask(index: KeywordIndex, rows) -> np.ndarray:
    if rows is None:
        return np.ones(index.n_reviews, dtype=bool)
    rows = np.asarray(rows)
    if rows.dtype == bool:
        return rows
    m = np.zeros(index.n_reviews, dtype=bool)
    m[rows.astype(int)] = True
    return m


def _contrast_factor(index: KeywordIndex, mask: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Per word: rate on this side / (rate on this side + rate on the other side), smoothed; 0.5 = no lean."""
    pres = index.counts.copy()
    pres.data[:] = 1.0
    n1, n2 = max(int(mask.sum()), 1), max(int(other.sum()), 1)
    d1 = (np.asarray(pres[mask].sum(axis=0)).ravel() + 0.5) / (n1 + 1.0)
    d2 = (np.asarray(pres[other].sum(axis=0)).ravel() + 0.5) / (n2 + 1.0)
    return d1 / (d1 + d2)


def _pagerank(index: KeywordIndex, mask: np.ndarray, d: float = 0.85, iters: int = 30) -> np.ndarray:
    sel = mask[index.edge_review]
    a, b = index.edge_a[sel], index.edge_b[sel]
    nv = len(index.vocab)
    scores = np.zeros(nv)
    if len(a) == 0:
        return scores
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inv[: len(a)], inv[len(a) :]
    k = len(nodes)
    w = sp.coo_matrix((np.ones(2 * len(a)), (np.concatenate([ia, ib]), np.concatenate([ib, ia]))), shape=(k, k)).tocsr()
    out_sum = np.asarray(w.sum(axis=1)).ravel()
    ws = np.full(k, 1.0 / k)
    for _ in range(iters):
        ws = (1 - d) + d * (w @ (ws / out_sum))
    lo, hi = ws.min(), ws.max()
    ws = (ws - lo / 10.0) / (hi - lo / 10.0) if hi > lo / 10.0 else ws
    scores[nodes] = ws
    return scores


def keywords(
    index: KeywordIndex, rows=None, method: str = "tfidf", top: int = 20, contrast_rows=None, min_reviews: int = 1
) -> pd.DataFrame:
    """Top keywords of the reviews selected by ``rows`` (bool mask or positions; None = all).

    Returns ``word, score, reviews`` (number of selected reviews containing the word), best first. With
    ``contrast_rows`` the scores are weighted towards words that lean to ``rows`` rather than to them.
    """
    if method not in METHODS:
        raise UserError(f"unknown keyword method {method!r}; choose tfidf or textrank")
    mask = _rows_mask(index, rows)
    empty = pd.DataFrame(
        {"word": pd.Series(dtype=object), "score": pd.Series(dtype=float), "reviews": pd.Series(dtype="int64")}
    )
    if not mask.any() or len(index.vocab) == 0:
        return empty
    sub = index.counts[mask]
    tf = np.asarray(sub.sum(axis=0)).ravel()
    pres = sub.copy()
    pres.data[:] = 1.0
    df = np.asarray(pres.sum(axis=0)).ravel().astype(np.int64)
    if method == "tfidf":
        total = tf.sum()
        score = tf / total * index.idf if total else tf
    else:
        score = _pagerank(index, mask)
    if contrast_rows is not None:
        score = score * 2.0 * _contrast_factor(index, mask, _rows_mask(index, contrast_rows))
    ok = (df >= min_reviews) & (score > 0)
    if method == "textrank":
        ok &= index.textrank_ok
    cand = np.flatnonzero(ok)
    if len(cand) == 0:
        return empty
    order = cand[np.lexsort((index.vocab[cand].astype(str), -df[cand], -score[cand]))][:top]
    return pd.DataFrame({"word": index.vocab[order], "score": score[order], "reviews": df[order]})


def keywords_by_group(
    index: KeywordIndex, groups, method: str = "tfidf", top: int = 10, min_group: int = 1
) -> pd.DataFrame:
    """Keywords for every value of ``groups`` (array aligned with the reviews, e.g. item ids or segments).

    TF-IDF for all groups is one sparse product (groups x reviews) @ (reviews x words).
    """
    groups = pd.Series(np.asarray(groups, dtype=object))
    codes, uniques = pd.factorize(groups, sort=True)
    valid = codes >= 0
    rows = []
    if method == "tfidf":
        g = sp.csr_matrix(
            (np.ones(valid.sum(), dtype=np.float32), (codes[valid], np.flatnonzero(valid))),
            shape=(len(uniques), index.n_reviews),
        )
        tf = (g @ index.counts).tocsr()
        sizes = np.bincount(codes[valid], minlength=len(uniques))
        for gi, name in enumerate(uniques):
            if sizes[gi] < min_group:
                continue
            row = tf.getrow(gi)
            if row.nnz == 0:
                continue
            vals = row.data / row.data.sum() * index.idf[row.indices]
            o = np.lexsort((index.vocab[row.indices].astype(str), -vals))[:top]
            for rank, k in enumerate(o, 1):
                rows.append((name, rank, index.vocab[row.indices[k]], float(vals[k])))
    else:
        for gi, name in enumerate(uniques):
            m = codes == gi
            if m.sum() < min_group:
                continue
            kw = keywords(index, m, method="textrank", top=top)
            rows.extend((name, r, w, s) for r, (w, s) in enumerate(zip(kw["word"], kw["score"]), 1))
    return pd.DataFrame(rows, columns=["group", "rank", "word", "score"])


# ------------------------------------------------------------------------------------------- word cloud
FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    # Debian fonts-noto-cjk: face 0 of the .ttc is Japanese; face 2 is Simplified Chinese (SC)
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
)


def chinese_font() -> tuple[str, int] | None:
    """(path, face index) of a Simplified-Chinese font for word clouds, or None when none is installed."""
    env = os.environ.get("CINELENS_CJK_FONT")
    if env and os.path.isfile(env):
        return env, 0
    for path, face in FONT_CANDIDATES:
        if os.path.isfile(path):
            return path, face
    return None


def word_cloud_image(freqs: dict[str, float], width: int = 800, height: int = 400, seed: int = 0):
    """A word-cloud image (numpy RGB array) rendered with a Simplified-Chinese font, or None without a font."""
    font = chinese_font()
    if font is None or not freqs:
        return None
    from wordcloud import WordCloud

    path, face = font
    kwargs = dict(
        font_path=path,
        width=width,
        height=height,
        background_color="white",
        random_state=seed,
        prefer_horizontal=0.95,
        collocations=False,
    )
    if face:
        _ensure_face(path, face)
        path = _face_file(path, face)
        kwargs["font_path"] = path
    wc = WordCloud(**kwargs).generate_from_frequencies({str(k): float(v) for k, v in freqs.items() if v > 0})
    return wc.to_array()


def _face_file(path: str, face: int) -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"cinelens-{os.path.basename(path)}-{face}.ttf")


def _ensure_face(path: str, face: int) -> None:
    """wordcloud takes a font path only; extract one face of a .ttc collection once (PIL reads faces)."""
    out = _face_file(path, face)
    if os.path.isfile(out):
        return
    try:
        from fontTools.ttLib import TTCollection

        TTCollection(path).fonts[face].save(out)
    except Exception:  # no fontTools: fall back to the collection's first face
        import shutil

        shutil.copyfile(path, out)


# ------------------------------------------------------------------------------------------- datasets
@dataclass
class ReviewIndex:
    """A dataset's reviews (frame aligned with the index rows), their tokens and the keyword index."""

    reviews: pd.DataFrame
    tokens: list
    index: KeywordIndex
    tokenizer: ReviewTokenizer


def dataset_index(dataset, workspace=None, progress=None) -> ReviewIndex:
    """Tokenise a dataset's reviews once (cached per data version in the workspace) and index them."""
    from .tokenize import get_tokenizer, tokenize_reviews

    rev = dataset.reviews
    cols = [c for c in ("user_id", "item_id", "rating", "timestamp", "text") if c in rev.columns]
    rev = rev[cols].reset_index(drop=True)
    if rev.empty:
        raise UserError(f"dataset {dataset.name!r} has no review text; load a file with a text/comment column")
    tok = get_tokenizer(dataset, tmp_dir=workspace.cache_dir("jieba") if workspace is not None else None)
    toks = tokenize_reviews(
        rev["text"].astype(str).tolist(), tok, workspace=workspace, cache_key=dataset.version, progress=progress
    ).tokens
    return ReviewIndex(rev, toks, build_index(toks, tok), tok)


def select_rows(reviews: pd.DataFrame, item=None, side=None, labels=None, users=None):
    """(rows, contrast_rows) masks for a film, a side (needs sentiment labels) and/or a set of users."""
    m = np.ones(len(reviews), dtype=bool)
    if item is not None:
        m &= reviews["item_id"].astype(str).eq(str(item)).to_numpy()
    if users is not None:
        m &= reviews["user_id"].isin(list(users)).to_numpy()
    contrast = None
    if side is not None:
        if side not in ("positive", "negative"):
            raise UserError(f"unknown side {side!r}; choose positive or negative")
        if labels is None:
            raise UserError("keywords by side need sentiment labels; score the reviews first")
        lab = np.asarray(labels, dtype=object)
        other = "negative" if side == "positive" else "positive"
        contrast = m & (lab == other)
        m = m & (lab == side)
    return m, contrast
