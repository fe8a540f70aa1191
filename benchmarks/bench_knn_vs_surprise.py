"""User- and item-based k-NN (baseline + pearson_baseline, k=40, shrinkage 100): our sparse-matrix
implementation versus Surprise's KNNBaseline with the same settings, MovieLens 100K, same folds.

Timed: fit + predicting the test ratings (what Surprise's cross_validate times). Target: >= 5x
faster at equal or better RMSE.

    python -m benchmarks.bench_knn_vs_surprise [--folds N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks._data import FirstFolds, load_ml100k, machine_note
from recsys_core.evaluation import KFold
from recsys_core.models import ItemCF, UserCF
from recsys_core.trainset import Trainset


def main(argv=None):
    import surprise
    from surprise import Dataset, Reader, accuracy

    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    df, _ = load_ml100k()
    rows = []
    for f, (train, test) in enumerate(FirstFolds(KFold(5, seed=0), args.folds).split(df)):
        for user_based, ours_cls in ((True, UserCF), (False, ItemCF)):
            kind = "user" if user_based else "item"
            t0 = time.perf_counter()
            m = ours_cls().fit(Trainset.from_frame(train, (1, 5)))
            est, _ = m.predict_many(test.user_id.to_numpy(), test.item_id.to_numpy())
            ours_s = time.perf_counter() - t0
            ours_rmse = float(np.sqrt(np.mean((est - test.rating.to_numpy()) ** 2)))

            t0 = time.perf_counter()
            data = Dataset.load_from_df(train[["user_id", "item_id", "rating"]], Reader(rating_scale=(1, 5)))
            algo = surprise.KNNBaseline(
                k=40,
                sim_options={"name": "pearson_baseline", "user_based": user_based, "shrinkage": 100},
                verbose=False,
            )
            algo.fit(data.build_full_trainset())
            preds = algo.test(list(zip(test.user_id, test.item_id, test.rating)))
            theirs_s = time.perf_counter() - t0
            rows.append((f, kind, ours_rmse, ours_s, accuracy.rmse(preds, verbose=False), theirs_s))
            r = rows[-1]
            print(
                f"fold {f} {kind:4s}-based: cinelens rmse {r[2]:.4f} in {r[3]:5.2f}s | "
                f"surprise KNNBaseline rmse {r[4]:.4f} in {r[5]:5.2f}s | {r[5] / r[3]:4.1f}x",
                flush=True,
            )
    print()
    print(f"{'':12s}{'cinelens rmse':>14s}{'s':>7s}{'surprise rmse':>15s}{'s':>7s}{'speed-up':>10s}")
    for kind in ("user", "item"):
        sel = [r for r in rows if r[1] == kind]
        o_r, o_s = np.mean([r[2] for r in sel]), np.mean([r[3] for r in sel])
        t_r, t_s = np.mean([r[4] for r in sel]), np.mean([r[5] for r in sel])
        ok = t_s / o_s >= 5 and o_r <= t_r + 1e-4
        print(
            f"{kind + '-based':12s}{o_r:14.4f}{o_s:7.2f}{t_r:15.4f}{t_s:7.2f}{t_s / o_s:9.1f}x"
            f"  (target >= 5x at <= RMSE: {'met' if ok else 'NOT met'})"
        )
    print(machine_note())


if __name__ == "__main__":
    main()
