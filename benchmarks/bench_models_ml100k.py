"""Every model on MovieLens 100K, 5-fold CV (KFold(5, seed=0)), beside Surprise's own SVD, SVD++ and
KNNBaseline run on the same folds in the same process.

    python -m benchmarks.bench_models_ml100k                       # everything (tens of minutes on 2 cores)
    python -m benchmarks.bench_models_ml100k --models svd,itemcf --folds 2 --peers svd

Targets: best single model or blend RMSE <= 0.900; I-AutoRec RMSE <= 0.910.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from benchmarks._data import FirstFolds, load_ml100k, machine_note
from recsys_core.evaluation import KFold, compare, summarise
from recsys_core.models import REGISTRY, make_model

PEERS = ("svd", "svdpp", "knnbaseline")


def surprise_peer(name):
    import surprise

    if name == "svd":
        return surprise.SVD(random_state=0)
    if name == "svdpp":
        return surprise.SVDpp(random_state=0, cache_ratings=True)
    if name == "knnbaseline":  # Surprise's documented best k-NN set-up (its default similarity is msd)
        return surprise.KNNBaseline(sim_options={"name": "pearson_baseline", "user_based": True}, verbose=False)
    raise ValueError(name)


def run_peers(names, df, splitter):
    from surprise import Dataset, Reader, accuracy

    rows = []
    for name in names:
        for f, (train, test) in enumerate(splitter.split(df)):
            data = Dataset.load_from_df(train[["user_id", "item_id", "rating"]], Reader(rating_scale=(1, 5)))
            algo = surprise_peer(name)
            t0 = time.perf_counter()
            algo.fit(data.build_full_trainset())
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            preds = algo.test(list(zip(test.user_id, test.item_id, test.rating)))
            test_s = time.perf_counter() - t0
            rows.append(
                {
                    "model": f"surprise.{name}",
                    "fold": f,
                    "rmse": accuracy.rmse(preds, verbose=False),
                    "mae": accuracy.mae(preds, verbose=False),
                    "fit_seconds": fit_s,
                    "test_seconds": test_s,
                }
            )
            print(
                f"  surprise.{name} fold {f}: rmse {rows[-1]['rmse']:.4f}  fit {fit_s:.1f}s  test {test_s:.1f}s",
                flush=True,
            )
    return pd.DataFrame(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(REGISTRY), help="comma-separated registry names")
    ap.add_argument("--peers", default=",".join(PEERS), help="Surprise peers to run (svd,svdpp,knnbaseline or none)")
    ap.add_argument("--folds", type=int, default=5, help="how many of the 5 folds to run")
    ap.add_argument("--param", action="append", default=[], help="MODEL.NAME=VALUE (repeatable)")
    args = ap.parse_args(argv)

    df, items = load_ml100k()
    splitter = FirstFolds(KFold(5, seed=0), max(1, min(args.folds, 5)))
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    params: dict = {}
    for p in args.param:
        key, value = p.split("=", 1)
        model, pname = key.split(".", 1)
        try:
            value = eval(value, {}, {})  # numbers, tuples, lists from the command line
        except Exception:
            pass
        params.setdefault(model, {})[pname] = value
    models = {n: make_model(n, **params.get(n, {})) for n in names}
    print(
        f"MovieLens 100K: {len(df)} ratings, {df.user_id.nunique()} users, {df.item_id.nunique()} items; "
        f"KFold(5, seed=0), folds run: {splitter.n}",
        flush=True,
    )

    results = []
    for name, model in models.items():
        t0 = time.perf_counter()
        res = compare(
            {name: model},
            splitter,
            df,
            rating_scale=(1, 5),
            items_meta=items,
            metrics=("rmse", "mae", "ndcg", "coverage"),
        )
        results.append(res)
        s = summarise(res).iloc[0]
        print(
            f"  {name}: rmse {s['rmse']:.4f}  ndcg@10 {s['ndcg@10']:.4f}  ({time.perf_counter() - t0:.0f}s)", flush=True
        )
    peers = [p.strip() for p in args.peers.split(",") if p.strip() and p.strip() != "none"]
    if peers:
        results.append(run_peers(peers, df, splitter))
    allres = pd.concat(results, ignore_index=True)
    table = summarise(allres)
    cols = ["model", "rmse", "mae", "ndcg@10", "coverage", "fit_seconds", "test_seconds"]
    table = table[[c for c in cols if c in table]]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print()
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="N/A"))
    rated = table.dropna(subset=["rmse"])
    ours = rated[~rated.model.str.startswith("surprise.")]
    if len(ours):
        best = ours.sort_values("rmse").iloc[0]
        print(
            f"\nbest of ours: {best.model} RMSE {best.rmse:.4f} (target <= 0.900: "
            f"{'met' if best.rmse <= 0.900 else 'NOT met'})"
        )
    if "autorec-i" in set(table.model):
        r = float(table.set_index("model").loc["autorec-i", "rmse"])
        print(f"I-AutoRec RMSE {r:.4f} (target <= 0.910: {'met' if r <= 0.910 else 'NOT met'})")
    print(machine_note())


if __name__ == "__main__":
    main()
