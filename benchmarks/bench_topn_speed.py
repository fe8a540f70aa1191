"""Top-10 for every MovieLens 100K user with our SVD (one matrix product over Surprise's learned
factors) versus looping Surprise's ``predict`` over the anti-testset, the slow path of Surprise's FAQ.

Both fit the same algorithm (surprise.SVD, seed 0) on all ratings; only producing the lists is timed.
Target: >= 50x faster.
"""

from __future__ import annotations

import time
from collections import defaultdict

from benchmarks._data import load_ml100k, machine_note
from recsys_core.models import SVD
from recsys_core.trainset import Trainset


def main():
    import surprise
    from surprise import Dataset, Reader

    df, _ = load_ml100k()
    users = sorted(df.user_id.unique())

    ts = Trainset.from_frame(df, (1, 5))
    t0 = time.perf_counter()
    ours = SVD(random_state=0).fit(ts)
    fit_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    recs = ours.recommend_many(users, n=10)
    ours_s = time.perf_counter() - t0

    data = Dataset.load_from_df(df[["user_id", "item_id", "rating"]], Reader(rating_scale=(1, 5)))
    full = data.build_full_trainset()
    t0 = time.perf_counter()
    algo = surprise.SVD(random_state=0).fit(full)
    fit_theirs = time.perf_counter() - t0
    t0 = time.perf_counter()
    anti = full.build_anti_testset()
    preds = algo.test(anti)
    top = defaultdict(list)
    for p in preds:
        top[p.uid].append((p.iid, p.est))
    for u in top:
        top[u] = sorted(top[u], key=lambda x: -x[1])[:10]
    theirs_s = time.perf_counter() - t0

    print(f"MovieLens 100K, {len(users)} users, top-10 each over the unseen items ({len(anti)} candidate pairs)")
    print(f"{'':28s}{'fit s':>8s}{'top-10 s':>10s}")
    print(f"{'cinelens SVD (factors)':28s}{fit_ours:8.2f}{ours_s:10.3f}")
    print(f"{'surprise SVD predict loop':28s}{fit_theirs:8.2f}{theirs_s:10.3f}")
    ratio = theirs_s / ours_s
    print(f"speed-up {ratio:.0f}x (target >= 50x: {'met' if ratio >= 50 else 'NOT met'})")
    # sanity: the two lists overlap (different seeds/orders of inner ids, same algorithm)
    overlap = sum(len({i for i, _ in recs[u]} & {i for i, _ in top[u]}) for u in users) / (10 * len(users))
    print(f"mean overlap of the two top-10 lists: {overlap:.2f} (same algorithm, different random init order)")
    print(machine_note())


if __name__ == "__main__":
    main()
