"""Evaluation on MovieLens 100K: agreement with Surprise's accuracy module, cost of the full metric set,
and how the protocol changes the picture.

    python -m benchmarks.bench_evaluation_ml100k [--seed 0]

1. Same predictions, two implementations: Surprise ``accuracy.rmse/mae`` vs CineLens ``metrics.rmse/mae``
   (BaselineOnly vs our bias baseline on one 80/20 holdout; both must agree on their own predictions).
2. Cost: Surprise ``cross_validate(BaselineOnly, cv=5)`` measuring RMSE and MAE, beside CineLens ``evaluate``
   on 5 folds measuring RMSE, MAE, P/R/NDCG/MAP/hit rate@10, coverage, diversity, novelty, personalization,
   per-user rows and curves for K = 1..20.
3. Protocols: bias and popularity under k-fold, random holdout, temporal holdout and leave-last-1 per user.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from benchmarks._data import ml100k, surprise_dataset
from recsys_core.evaluation import KFold, evaluate, make_splitter, paired_test
from recsys_core.evaluation import metrics as M
from recsys_core.models import BiasBaseline, Popularity
from recsys_core.trainset import Trainset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from surprise import BaselineOnly, accuracy
    from surprise.model_selection import cross_validate, train_test_split

    ds = ml100k()
    df = ds.ratings[["user_id", "item_id", "rating"]]
    data = surprise_dataset(df)

    # 1. metric agreement on identical predictions
    trainset, testset = train_test_split(data, test_size=0.2, random_state=args.seed)
    algo = BaselineOnly(verbose=False).fit(trainset)
    preds = algo.test(testset)
    true = np.array([p.r_ui for p in preds])
    est = np.array([p.est for p in preds])
    print("1. Metric agreement on Surprise BaselineOnly's own predictions (80/20 holdout)")
    print(f"   {'':<22}{'RMSE':>10}{'MAE':>10}")
    print(
        f"   {'surprise.accuracy':<22}{accuracy.rmse(preds, verbose=False):>10.6f}{accuracy.mae(preds, verbose=False):>10.6f}"
    )
    print(f"   {'cinelens.metrics':<22}{M.rmse(true, est):>10.6f}{M.mae(true, est):>10.6f}")
    rows = [(trainset.to_raw_uid(u), trainset.to_raw_iid(i), r) for u, i, r in trainset.all_ratings()]
    train_df = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"])
    ours = BiasBaseline().fit(Trainset.from_frame(train_df, (1, 5)))
    oest, _ = ours.predict_many([p.uid for p in preds], [p.iid for p in preds])
    print(
        f"   {'cinelens bias model':<22}{M.rmse(true, oest):>10.6f}{M.mae(true, oest):>10.6f}   (same split, our ALS biases)"
    )

    # 2. cost of the full metric set
    t = time.perf_counter()
    cv = cross_validate(BaselineOnly(verbose=False), data, measures=["rmse", "mae"], cv=5)
    s_time = time.perf_counter() - t
    t = time.perf_counter()
    ev = evaluate({"bias": BiasBaseline()}, KFold(5, args.seed), ds, k=10)
    o_time = time.perf_counter() - t
    s = ev.summary(with_std=False).iloc[0]
    print("\n2. Five folds, wall seconds (fit + measure)")
    print(
        f"   {'surprise cross_validate BaselineOnly':<40}{s_time:>8.2f}s  RMSE {np.mean(cv['test_rmse']):.4f}  "
        f"(2 metrics)"
    )
    print(
        f"   {'cinelens evaluate bias':<40}{o_time:>8.2f}s  RMSE {s['rmse']:.4f}  NDCG@10 {s['ndcg@10']:.4f}  "
        f"(11 metrics, {len(ev.users)} per-user rows, K curves 1-20)"
    )

    # 3. protocols
    print("\n3. Protocols (bias vs popularity)")
    print(
        f"   {'protocol':<12}{'model':<12}{'RMSE':>8}{'NDCG@10':>9}{'MAP@10':>8}{'HR@10':>7}{'cover':>7}"
        f"{'novelty':>8}{'person.':>8}  significance (NDCG@10, across users)"
    )
    for kind in ("kfold", "random", "temporal", "user"):
        splitter = make_splitter(kind, folds=5, test_size=0.2, seed=args.seed, n=1)
        ev = evaluate({"bias": BiasBaseline(), "popularity": Popularity()}, splitter, ds, k=10, curve_ks=None)
        sm = ev.summary(with_std=False).set_index("model")
        test = paired_test(ev, "popularity", "bias", "ndcg@10", by="user")
        for j, m in enumerate(sm.index):
            r = sm.loc[m]
            rmse = "n/a" if np.isnan(r["rmse"]) else f"{r['rmse']:.4f}"
            print(
                f"   {kind if j == 0 else '':<12}{m:<12}{rmse:>8}{r['ndcg@10']:>9.4f}{r['map@10']:>8.4f}"
                f"{r['hit_rate@10']:>7.3f}{r['coverage']:>7.3f}{r['novelty']:>8.2f}{r['personalization']:>8.3f}"
                + (f"  p = {test.p_value:.2g}" if j == 0 else "")
            )
    print("\nRelevant = rating >= 4 in the test split; lists exclude films rated in training.")


if __name__ == "__main__":
    main()
