"""How fast does the Recommend page refresh a list? MovieLens 100K, side by side with the slow path.

For each model: fit once, build the Engine once (catalogue, explainer), then time ``Engine.recommend``
(score -> filters -> novelty -> MMR -> reasons) for many users, with and without re-ranking.
Peer: Surprise's own way of getting a top-10 for one user, ``algo.predict`` for every unseen film
(the slow path discussed in Surprise issues #261 / #368 / #451).

    python -m benchmarks.bench_recommend_latency [--users 100] [--path /work/shared/data/movielens-100k]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from recsys_core.data.io import load_path
from recsys_core.models import REGISTRY, make_model
from recsys_core.recommend import Engine, Filters
from recsys_core.trainset import Trainset


def timed(fn, users):
    out = []
    for u in users:
        t0 = time.perf_counter()
        fn(u)
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), sorted(out)[int(0.95 * (len(out) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", default="/work/shared/data/movielens-100k")
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--models", default="svd,itemcf,usercf")
    args = ap.parse_args()
    if not Path(args.path).exists():
        print(f"data not found at {args.path}; pass --path")
        return
    ds = load_path(args.path)
    ts = Trainset.from_dataset(ds)
    users = list(ts.users_raw[: args.users])
    print(f"{ds.name}: {ts.n_users} users, {ts.n_items} films, {ts.n_ratings} ratings; {len(users)} users timed\n")
    print(
        f"{'model':<10}{'fit s':>8}{'engine s':>10}{'plain p50/p95 ms':>20}{'MMR+novelty p50/p95 ms':>26}"
        f"{'genre filter p50 ms':>21}"
    )
    for name in [m for m in args.models.split(",") if m in REGISTRY]:
        t0 = time.perf_counter()
        model = make_model(name).fit(ts)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        eng = Engine(model, ds.items)
        eng_s = time.perf_counter() - t0
        plain = timed(lambda u, eng=eng: eng.recommend(u, 10), users)
        rerank = timed(lambda u, eng=eng: eng.recommend(u, 10, diversity=0.5, novelty=0.3), users)
        filt = timed(lambda u, eng=eng: eng.recommend(u, 10, filters=Filters(genres=("Comedy",), year_min=1990)), users)
        print(
            f"{name:<10}{fit_s:>8.2f}{eng_s:>10.2f}{plain[0]:>12.1f} / {plain[1]:<6.1f}"
            f"{rerank[0]:>17.1f} / {rerank[1]:<6.1f}{filt[0]:>14.1f}"
        )

    # peer: Surprise's predict() loop over every unseen film for one user (its documented top-N recipe)
    from surprise import SVD as SSVD
    from surprise import Dataset as SDataset
    from surprise import Reader

    sdata = SDataset.load_from_df(ds.ratings[["user_id", "item_id", "rating"]], Reader(rating_scale=ds.rating_scale))
    strain = sdata.build_full_trainset()
    algo = SSVD(random_state=0).fit(strain)
    items = [strain.to_raw_iid(i) for i in strain.all_items()]

    def surprise_top10(u):
        seen = {strain.to_raw_iid(i) for i, _ in strain.ur[strain.to_inner_uid(u)]}
        preds = [algo.predict(u, i) for i in items if i not in seen]
        return sorted(preds, key=lambda p: -p.est)[:10]

    peer = timed(surprise_top10, users[:30])
    print(
        f"\nSurprise SVD, predict() loop per user (no reasons, no re-ranking): p50 {peer[0]:.1f} ms, "
        f"p95 {peer[1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
