"""Keyword extraction speed on real Douban short reviews, beside jieba.analyse called review by review.

    python -m benchmarks.bench_keywords [--data ../shared/data/douban-dev] [--peer-limit N]

CineLens: tokenise once (dedicated jieba tokenizer with the films' titles and names), one sparse review x word
matrix, then keywords for every film (TF-IDF as one sparse product; TextRank per film) and for each side.
Peer: ``jieba.analyse.extract_tags`` / ``jieba.analyse.textrank`` called on every review.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.bench_sentiment import DEFAULT, load_douban
from recsys_core.text import keywords as K
from recsys_core.text.aspects import aspect_summary
from recsys_core.text.sentiment import star_polarity
from recsys_core.text.tokenize import get_tokenizer, load_stopwords


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT))
    ap.add_argument("--peer-limit", type=int, default=1000)
    args = ap.parse_args()
    ds = load_douban(Path(args.data))
    rev = ds.reviews.reset_index(drop=True)
    texts = rev["text"].astype(str).tolist()
    n = len(texts)
    tok = get_tokenizer(ds)
    K.jieba_idf()
    load_stopwords()

    t0 = time.perf_counter()
    tokens = tok.cut_many(texts)
    t1 = time.perf_counter()
    index = K.build_index(tokens, tok)
    t2 = time.perf_counter()
    by_film = K.keywords_by_group(index, rev["item_id"], method="tfidf", top=10)
    t3 = time.perf_counter()
    by_film_tr = K.keywords_by_group(index, rev["item_id"], method="textrank", top=10, min_group=3)
    t4 = time.perf_counter()
    pol = star_polarity(rev["rating"], ds.rating_scale)
    praised = K.keywords(index, pol == 1, "tfidf", 15, contrast_rows=pol == 0)
    complained = K.keywords(index, pol == 0, "tfidf", 15, contrast_rows=pol == 1)
    asp = aspect_summary(texts)
    t5 = time.perf_counter()

    print(f"data: {args.data}  reviews={n}  films={rev['item_id'].nunique()}  vocabulary={len(index.vocab)}")
    print(f"tokenise (jieba, user dictionary)    {n / (t1 - t0):>9,.0f} reviews/s")
    print(f"index (sparse counts + co-occurrence) {n / (t2 - t1):>9,.0f} reviews/s")
    print(f"TF-IDF top-10 for every film          {n / (t3 - t2):>9,.0f} reviews/s ({len(by_film)} rows)")
    print(f"TextRank top-10 per film (>=3 reviews) {n / (t4 - t3):>8,.0f} reviews/s ({len(by_film_tr)} rows)")
    print(f"end to end, tokens to TF-IDF per film {n / (t3 - t0):>9,.0f} reviews/s")
    print(f"end to end incl. TextRank, sides, aspects {n / (t5 - t0):>5,.0f} reviews/s")

    import jieba
    import jieba.analyse

    peer = texts[: args.peer_limit]
    jieba.initialize()
    t = time.perf_counter()
    for x in peer:
        jieba.analyse.extract_tags(x, topK=10)
    tp1 = time.perf_counter() - t
    t = time.perf_counter()
    for x in peer:
        jieba.analyse.textrank(x, topK=10)
    tp2 = time.perf_counter() - t
    print(f"peer jieba.analyse.extract_tags per review {len(peer) / tp1:>9,.0f} reviews/s")
    print(f"peer jieba.analyse.textrank per review     {len(peer) / tp2:>9,.0f} reviews/s")
    print(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("target: keyword extraction >= 2,000 reviews/s")
    print("\npraised (4-5 stars):", " ".join(praised["word"]))
    print("complained (1-2 stars):", " ".join(complained["word"]))
    print("aspects:", ", ".join(f"{a} {m}" for a, m in zip(asp["aspect"], asp["mentions"])))
    stop = load_stopwords()
    assert not (set(praised["word"]) | set(complained["word"])) & stop
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
