"""ALS through the ``implicit`` package vs our own numpy ALS (same objective, same CG solver), plus
implicit's BPR and logistic MF: NDCG@10 on MovieLens 100K and fit time on a synthetic long-tail set.

    python -m benchmarks.bench_implicit_als                    # ML100K 5 folds, then 10M synthetic ratings
    python -m benchmarks.bench_implicit_als --folds 2 --ratings 1000000

The synthetic set: long-tail film popularity, heavy-tailed user activity, seeded (the users x films
shape follows MovieLens 25M: users = ratings / 156, films = ratings / 420).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from benchmarks._data import ml100k
from recsys_core.evaluation import KFold, evaluate, summarise
from recsys_core.models import make_model
from recsys_core.trainset import Trainset

CONFIGS = {
    "als (implicit)": ("als", {}),
    "als (numpy)": ("als", {"engine": "numpy"}),
    "bpr (implicit, liked)": ("bpr", {"threshold": 4}),
    "lmf (implicit, liked)": ("lmf", {"threshold": 4}),
}


def synthetic(n_ratings: int, seed: int = 0) -> Trainset:
    rng = np.random.default_rng(seed)
    n_users, n_items = max(n_ratings // 156, 10), max(n_ratings // 420, 10)
    item_p = 1.0 / np.arange(1, n_items + 1) ** 1.0
    item_p = rng.permutation(item_p / item_p.sum())
    user_p = rng.pareto(1.2, n_users) + 1.0
    user_p /= user_p.sum()
    n = int(n_ratings * 1.08)
    key = np.unique(rng.choice(n_users, n, p=user_p).astype(np.int64) * n_items + rng.choice(n_items, n, p=item_p))
    key = rng.permutation(key)[:n_ratings]
    u, i = (key // n_items).astype(np.int32), (key % n_items).astype(np.int32)
    r = np.clip(np.rint(3.5 + rng.normal(0, 1, len(u))), 1, 5)
    return Trainset(u, i, r, np.arange(n_users).astype(str), np.arange(n_items).astype(str), (1, 5))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5, help="MovieLens 100K folds to run (0 skips it)")
    ap.add_argument("--ratings", type=int, default=10_000_000, help="synthetic ratings for the timing (0 skips it)")
    ap.add_argument("--skip-numpy-large", action="store_true", help="do not time the numpy ALS on the large set")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    if args.folds:
        ds = ml100k()
        folds = list(KFold(5, seed=0).split(ds.interactions))[: args.folds]
        models = {label: make_model(n, **p) for label, (n, p) in CONFIGS.items()}
        res = evaluate(models, None, ds, metrics=("ndcg", "coverage"), k=10, folds=folds, curve_ks=None).folds
        print(f"\nMovieLens 100K, {args.folds} of 5 folds (KFold seed 0):")
        print(summarise(res)[["model", "ndcg@10", "coverage", "fit_seconds"]].to_string(index=False))
    if args.ratings:
        ts = synthetic(args.ratings)
        print(f"\nsynthetic: {ts.n_ratings:,} ratings, {ts.n_users:,} users x {ts.n_items:,} films")
        for label, (n, p) in CONFIGS.items():
            if args.skip_numpy_large and p.get("engine") == "numpy":
                continue
            m = make_model(n, **p)
            t0, c0 = time.perf_counter(), time.process_time()
            m.fit(ts)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {label:<24} fit {wall:7.1f} s wall, {cpu:7.1f} s cpu   (process peak {rss:,.0f} MB)", flush=True)


if __name__ == "__main__":
    main()
