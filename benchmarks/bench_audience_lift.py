"""Target-audience lift on MovieLens 100K: item-neighbour / EASE vs popularity vs predicted rating.

Protocol (the ``audience --evaluate`` command): sample films with >= 30 likers (rating >= 4);
hide the ratings of a random half of each film's likers; train without them; rank every user
with no rating of the film in training; lift@10% = share of hidden likers in the top 10 % /
(hidden likers / pool size). Popularity ranks the pool by number of ratings in training;
predicted rating ranks by SVD's estimate for the film.

Targets: lift@10% >= 5.0 and >= 1.3x popularity (which reaches about 3.9; SVD about 1.3).

    python -m benchmarks.bench_audience_lift [--items 20] [--seed 0] [--no-svd]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from recsys_core.data.io import load_path
from recsys_core.models import REGISTRY
from recsys_core.profiling.audience import evaluate_lift

DATA = Path("/work/shared/data/movielens-100k")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-svd", action="store_true", help="skip the (slow) SVD predicted-rating peer")
    args = ap.parse_args(argv)
    if not (Path(args.data) / "u.data").exists():
        print(f"skipped: MovieLens 100K not found at {args.data}")
        return 0
    ds = load_path(args.data)
    peers = ["bias"] + ([] if args.no_svd else ["svd"])
    models = ["neighbour"] + (["ease"] if "ease" in REGISTRY else [])
    rows = []
    for m in models:
        t = time.time()
        extra = peers if m == models[0] else []
        res = evaluate_lift(ds, n_items=args.items, model=m, seed=args.seed, extra_models=extra)
        rows.append((m, res, time.time() - t))
    base = rows[0][1]
    print(f"MovieLens 100K, {base['items']} films with >= 30 likers, seed {args.seed}")
    print(f"{'ranking':<34}{'lift@10%':>10}{'x popularity':>14}")
    pop = base["popularity_lift_at_10pct"]
    for m, res, secs in rows:
        print(
            f"{m + ' (who will watch and like)':<34}{res['lift_at_10pct']:>10.3f}{res['lift_at_10pct'] / pop:>14.2f}"
            f"   ({secs:.1f}s incl. peers)"
            if m == models[0]
            else f"{m + ' (who will watch and like)':<34}{res['lift_at_10pct']:>10.3f}{res['lift_at_10pct'] / pop:>14.2f}"
        )
    print(f"{'popularity (most active users)':<34}{pop:>10.3f}{1.0:>14.2f}")
    for p in peers:
        v = base[f"{p}_lift_at_10pct"]
        print(f"{p + ' (predicted rating)':<34}{v:>10.3f}{v / pop:>14.2f}")
    print(f"{'random':<34}{base['random_lift_at_10pct']:>10.3f}{base['random_lift_at_10pct'] / pop:>14.2f}")
    best = max(r[1]["lift_at_10pct"] for r in rows)
    ok = best >= 5.0 and best >= 1.3 * pop
    print(f"target lift@10% >= 5.0 and >= 1.3x popularity: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
