"""Sentiment on real Douban short reviews: film-domain model (out-of-fold) beside the SnowNLP baseline.

    python -m benchmarks.bench_sentiment [--data ../shared/data/douban-dev | --data demo] [--general] [--candidates]
                                         [--snownlp-limit N]

Prints accuracy and balanced accuracy on reviews with 1-2 vs 4-5 stars, and reviews/s for tokenising, for the
out-of-fold training + scoring run, and for scoring with an already trained model. ``--candidates`` also runs the
configurations that were measured and not adopted (ordinal head on 3-star reviews, general-domain score column).
Each film-domain row also shows the out-of-fold ROC AUC and, as a diagnostic only (it looks at the labels, so it
is not a method), the best accuracy and balanced accuracy any single threshold on those scores could reach.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset
from recsys_core.text import sentiment as S
from recsys_core.text.tokenize import get_tokenizer

# the configuration measured before NB-LR, the ensemble, the inner-CV threshold and the lexicon features
PREVIOUS = {"features": "tfidf", "threshold": "fixed", "extras": ()}
# measured, not adopted (see the module docstring of recsys_core.text.sentiment)
CANDIDATES = [
    ("candidate: + ordinal head (3 stars)", {"ordinal": True}),
    ("candidate: + general-domain column", {"extras": ("general", "lexicon")}),
]
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "douban-dev"


def load_douban(folder: Path) -> Dataset:
    """antspider_comments.csv + dmr_reviews.csv mapped to canonical columns (films for the user dictionary)."""
    frames = []
    for name in ("antspider_comments.csv", "dmr_reviews.csv"):
        p = folder / name
        if p.exists():
            d = pd.read_csv(p, dtype={"user_id": str, "movie_id": str})
            frames.append(
                pd.DataFrame(
                    {
                        "user_id": d["user_id"],
                        "item_id": d["movie_id"],
                        "rating": d["rating"],
                        "timestamp": pd.to_datetime(d["comment_time"], errors="coerce"),
                        "text": d["comment"],
                    }
                )
            )
    if not frames:
        raise SystemExit(f"no review files in {folder}")
    items = []
    p = folder / "antspider_movies.csv"
    if p.exists():
        m = pd.read_csv(p, dtype={"MOVIE_ID": str})
        people = (m["DIRECTORS"].fillna("") + "/" + m["ACTORS"].fillna("")).str.split("/")
        items.append(pd.DataFrame({"item_id": m["MOVIE_ID"], "title": m["NAME"], "people": people}))
    p = folder / "dmr_movies.csv"
    if p.exists():
        m = pd.read_csv(p, dtype={"movie_id": str})
        people = (m["directors"].fillna("") + "|" + m["actors"].fillna("")).str.split("|")
        items.append(pd.DataFrame({"item_id": m["movie_id"], "title": m["movie_name"], "people": people}))
    it = pd.concat(items).drop_duplicates("item_id") if items else None
    if it is not None:
        it["people"] = it["people"].map(lambda xs: [x for x in xs if x])
    return Dataset.from_frames(pd.concat(frames, ignore_index=True), items=it, rating_scale=(1, 5), name="douban-dev")


def threshold_diagnostics(y, scores) -> tuple[float, float, float]:
    """(ROC AUC, best accuracy, best balanced accuracy over every threshold): an upper bound for any threshold
    rule on these scores, computed from the labels, so a diagnostic and never a way to pick a threshold."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y).astype(int)
    s = np.asarray(scores, dtype=float)
    best_acc = best_bal = 0.0
    for t in np.unique(s):
        pred = s >= t
        best_acc = max(best_acc, float((pred == (y == 1)).mean()))
        best_bal = max(best_bal, 0.5 * float(pred[y == 1].mean() + (~pred[y == 0]).mean()))
    return float(roc_auc_score(y, s)), best_acc, best_bal


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT))
    ap.add_argument("--general", action="store_true", help="also train and score the general-domain model (slow)")
    ap.add_argument("--candidates", action="store_true", help="also run the measured, non-adopted configurations")
    ap.add_argument("--snownlp-limit", type=int, default=0, help="score only the first N reviews with SnowNLP")
    args = ap.parse_args()
    if args.data == "demo":
        from recsys_core.data import demo

        ds = demo.load()
    else:
        ds = load_douban(Path(args.data))
    rev = ds.reviews.reset_index(drop=True)
    texts = rev["text"].astype(str).tolist()
    pol = S.star_polarity(rev["rating"], ds.rating_scale)
    polar = ~np.isnan(pol)
    print(
        f"data: {args.data}  reviews={len(rev)}  polar (1-2 / 4-5 stars)={int(polar.sum())}  "
        f"positive share={np.nanmean(pol):.3f}  cpus={os.cpu_count()}"
    )

    t = time.perf_counter()
    tok = get_tokenizer(ds)
    t_init = time.perf_counter() - t
    t = time.perf_counter()
    tokens = tok.cut_many(texts)
    t_tok = time.perf_counter() - t
    print(
        f"jieba tokeniser with {len(tok.titles) + len(tok.names)} user words: init {t_init:.2f}s; "
        f"tokenise {len(texts) / t_tok:,.0f} reviews/s"
    )

    rows = []
    configs = [("film-domain, adopted (OOF)", {}), ("film-domain, previous (OOF)", PREVIOUS)]
    if args.candidates:
        configs += CANDIDATES
    stars = S.star_value(rev["rating"], ds.rating_scale)
    for label, params in configs:
        t = time.perf_counter()
        scores, folds, info = S.oof_scores(texts, tokens, pol, n_folds=5, random_state=0, params=params, stars=stars)
        t_oof = time.perf_counter() - t
        a = S.agreement(scores, rev["rating"], ds.rating_scale)
        models = list(info["models"].values())
        inner = (
            np.mean([m.inner_["acc_bal"] for m in models])
            if all(hasattr(m, "inner_") for m in models)
            else float("nan")
        )
        print(
            f"{label}: train+score {len(texts) / t_oof:,.0f} reviews/s ({t_oof:.1f}s); per fold C {[m.C_ for m in models]}, "
            f"threshold {[m.threshold_ for m in models]}; inner-CV mean(acc, bal.acc) {inner:.3f}"
        )
        auc, best_acc, best_bal = threshold_diagnostics(pol[polar], scores[polar])
        print(
            f"    OOF ROC AUC {auc:.4f}; diagnostic, any single threshold: best accuracy {best_acc:.3f}, "
            f"best balanced accuracy {best_bal:.3f}"
        )
        rows.append((label, a["accuracy"], a["balanced_accuracy"], a["n_eval"]))
        if not params:
            adopted_scores = scores

    m = S.FilmSentimentModel().fit(
        [texts[i] for i in np.flatnonzero(polar)], [tokens[i] for i in np.flatnonzero(polar)], pol[polar].astype(int)
    )
    reps = max(1, 20000 // len(texts))
    t = time.perf_counter()
    for _ in range(reps):
        m.predict_proba(texts, tokens)
    t_warm = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    m.predict_proba(texts, tok.cut_many(texts))
    t_cold = time.perf_counter() - t
    print(
        f"adopted model ({m.get_params()}) scoring: {len(texts) / t_warm:,.0f} reviews/s with cached tokens, "
        f"{len(texts) / t_cold:,.0f} reviews/s including jieba"
    )
    scores = adopted_scores

    from sklearn.metrics import brier_score_loss

    print(
        f"adopted film-domain Brier score (lower is better; the inner-CV threshold shifts scores): {brier_score_loss(pol[polar], scores[polar]):.4f}"
    )
    lim = args.snownlp_limit or len(texts)
    t = time.perf_counter()
    sn = S.snownlp_scores(texts[:lim])
    t_sn = time.perf_counter() - t
    sn_full = np.full(len(texts), np.nan)
    sn_full[:lim] = sn
    b = S.agreement(sn_full, rev["rating"], ds.rating_scale)
    rows.append(("SnowNLP baseline", b["accuracy"], b["balanced_accuracy"], b["n_eval"]))
    print(f"SnowNLP: {lim / t_sn:,.0f} reviews/s")
    if args.general:
        t = time.perf_counter()
        g = S.general_model(None, tokenizer=tok)
        t_g = time.perf_counter() - t
        gs = g.predict_proba(texts, tokens)
        c = S.agreement(gs, rev["rating"], ds.rating_scale)
        rows.append(("general-domain (SnowNLP corpus)", c["accuracy"], c["balanced_accuracy"], c["n_eval"]))
        print(f"general-domain model trained in {t_g:.1f}s")
    print(f"\nmajority class (always positive): accuracy {np.nanmean(pol):.3f}, balanced accuracy 0.500")
    print(f"{'method':<34}{'accuracy':>10}{'bal.acc':>10}{'n':>7}")
    for name, acc, bal, n in rows:
        print(f"{name:<34}{acc:>10.3f}{bal:>10.3f}{n:>7}")
    print(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("targets: film-domain accuracy >= 0.86, balanced accuracy >= 0.80; scoring >= 5,000 reviews/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
