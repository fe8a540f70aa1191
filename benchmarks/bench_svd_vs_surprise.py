"""SVD RMSE: CineLens's wrapped SVD vs Surprise's own ``cross_validate``, MovieLens 100K, 5 folds.

    python -m benchmarks.bench_svd_vs_surprise [--seed 0]

Prints three rows: Surprise cross_validate on its own KFold; CineLens on its own seeded KFold
(what ``python -m recsys_core evaluate ... --folds 5`` does); CineLens on Surprise's exact folds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks._data import ml100k, surprise_dataset
from recsys_core.evaluation import KFold, compare
from recsys_core.models import SVD
from recsys_core.trainset import Trainset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from surprise import SVD as SSVD
    from surprise.model_selection import KFold as SKFold
    from surprise.model_selection import cross_validate

    ds = ml100k()
    data = surprise_dataset(ds.ratings)

    t = time.perf_counter()
    cv = cross_validate(
        SSVD(random_state=args.seed), data, measures=["rmse", "mae"], cv=SKFold(5, random_state=args.seed)
    )
    s_time = time.perf_counter() - t

    t = time.perf_counter()
    ours = compare({"svd": SVD(random_state=args.seed)}, KFold(5, seed=args.seed), ds)
    o_time = time.perf_counter() - t

    # CineLens SVD on Surprise's exact folds
    rmses = []
    for trainset, testset in SKFold(5, random_state=args.seed).split(data):
        tr = trainset.build_testset()  # all training ratings as (u, i, r)
        import pandas as pd

        trdf = pd.DataFrame(tr, columns=["user_id", "item_id", "rating"])
        m = SVD(random_state=args.seed).fit(Trainset.from_frame(trdf, (1, 5)))
        te = pd.DataFrame(testset, columns=["user_id", "item_id", "rating"])
        est, _ = m.predict_many(te.user_id, te.item_id)
        rmses.append(float(np.sqrt(np.mean((est - te.rating.to_numpy()) ** 2))))

    print("MovieLens 100K, SVD (100 factors, 20 epochs, lr 0.005, reg 0.02), 5 folds")
    print(f"{'run':<44}{'RMSE':>8}{'MAE':>8}{'seconds':>10}")
    print(
        f"{'Surprise cross_validate (its KFold)':<44}{np.mean(cv['test_rmse']):>8.4f}{np.mean(cv['test_mae']):>8.4f}{s_time:>10.1f}"
    )
    print(f"{'CineLens evaluate (its KFold)':<44}{ours['rmse'].mean():>8.4f}{ours['mae'].mean():>8.4f}{o_time:>10.1f}")
    print(f"{'CineLens SVD on Surprise folds':<44}{np.mean(rmses):>8.4f}{'':>8}{'':>10}")
    print(f"difference in RMSE (CineLens evaluate - Surprise): {ours['rmse'].mean() - np.mean(cv['test_rmse']):+.4f}")


if __name__ == "__main__":
    main()
