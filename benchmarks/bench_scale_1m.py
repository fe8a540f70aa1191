"""Every model on a synthetic 1M-rating dataset (seeded): fit seconds and peak memory.

Each model is fitted in a fresh subprocess (so peak RSS is the model's own, measured with
``resource.getrusage``), with a wall-clock cap. Budget per model: 2 minutes and 4 GB.

    python -m benchmarks.bench_scale_1m [--models svd,itemcf] [--cap 180]

The data: 6,040 users x 3,700 items (MovieLens-1M shape), 1,000,000 ratings on 1..5 from a
rank-8 taste model with user/item biases; users and items drawn with long-tailed popularity;
items carry genres (from their taste cluster) and a year so the content model can run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

N_USERS, N_ITEMS, N_RATINGS = 6040, 3700, 1_000_000


def synthetic(seed: int = 0):
    rng = np.random.default_rng(seed)
    up = rng.zipf(1.6, N_USERS).astype(float)
    up = np.minimum(up, 200) / np.minimum(up, 200).sum()
    ip = rng.zipf(1.4, N_ITEMS).astype(float)
    ip = np.minimum(ip, 500) / np.minimum(ip, 500).sum()
    # draw unique pairs: oversample, then deduplicate
    u = rng.choice(N_USERS, int(N_RATINGS * 1.6), p=0.5 * up + 0.5 / N_USERS)
    i = rng.choice(N_ITEMS, int(N_RATINGS * 1.6), p=0.5 * ip + 0.5 / N_ITEMS)
    key = np.unique(u.astype(np.int64) * N_ITEMS + i)
    key = rng.permutation(key)[:N_RATINGS]
    u, i = key // N_ITEMS, key % N_ITEMS
    P = rng.normal(0, 0.35, (N_USERS, 8))
    Q = rng.normal(0, 0.35, (N_ITEMS, 8))
    bu = rng.normal(0, 0.35, N_USERS)
    bi = rng.normal(0, 0.45, N_ITEMS)
    r = 3.55 + bu[u] + bi[i] + np.einsum("ij,ij->i", P[u], Q[i]) + rng.normal(0, 0.8, len(u))
    df = pd.DataFrame(
        {
            "user_id": [f"u{x}" for x in u],
            "item_id": [f"m{x}" for x in i],
            "rating": np.clip(np.round(r), 1, 5).astype(float),
        }
    )
    genres = np.array(["Drama", "Comedy", "Action", "Thriller", "Romance", "Horror", "Sci-Fi", "Animation"])
    cluster = np.argmax(Q, axis=1)
    items = pd.DataFrame(
        {
            "item_id": [f"m{x}" for x in range(N_ITEMS)],
            "title": None,
            "genres": [[genres[c], genres[(c + 3) % 8]] if k % 3 == 0 else [genres[c]] for k, c in enumerate(cluster)],
            "year": pd.array(1950 + rng.integers(0, 70, N_ITEMS), dtype="Int64"),
            "region": None,
            "synopsis": None,
            "people": [[] for _ in range(N_ITEMS)],
        }
    )
    return df, items


def one(name: str, data_dir: str):
    import resource

    from recsys_core.models import make_model
    from recsys_core.trainset import Trainset

    df = pd.read_parquet(Path(data_dir) / "ratings.parquet")
    items = pd.read_pickle(Path(data_dir) / "items.pkl")
    ts = Trainset.from_frame(df, (1, 5), items_meta=items)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    m = make_model(name).fit(ts)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    m.top_n_inner(np.arange(min(1000, ts.n_users)), 10)
    top_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"model": name, "fit_seconds": fit_s, "top10_1000_users_seconds": top_s, "peak_mb": peak, "data_mb": base}
        )
    )


def main(argv=None):
    from recsys_core.models import REGISTRY

    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(REGISTRY))
    ap.add_argument("--cap", type=float, default=300.0, help="wall-clock seconds before a fit is stopped")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        one(args.one, args.data)
        return
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        df, items = synthetic()
        df.to_parquet(Path(d) / "ratings.parquet")
        items.to_pickle(Path(d) / "items.pkl")
        print(
            f"synthetic: {len(df)} ratings, {df.user_id.nunique()} users, {df.item_id.nunique()} items "
            f"(generated in {time.perf_counter() - t0:.1f}s); cap {args.cap:.0f}s per model",
            flush=True,
        )
        print(f"{'model':14s}{'fit s':>9s}{'top-10 s':>10s}{'peak MB':>9s}  verdict", flush=True)
        for name in [m.strip() for m in args.models.split(",") if m.strip()]:
            cmd = [sys.executable, __file__, "--one", name, "--data", d]
            t0 = time.perf_counter()
            try:
                out = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=args.cap, env={**os.environ, "PYTHONPATH": str(ROOT)}
                )
            except subprocess.TimeoutExpired:
                print(f"{name:14s}{'>' + format(args.cap, '.0f'):>9s}{'':>10s}{'':>9s}  over the cap", flush=True)
                continue
            if out.returncode != 0:
                err = (out.stderr.strip().splitlines() or ["?"])[-1]
                print(f"{name:14s}  failed: {err}", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            ok = r["fit_seconds"] <= 120 and r["peak_mb"] <= 4096
            print(
                f"{name:14s}{r['fit_seconds']:9.1f}{r['top10_1000_users_seconds']:10.2f}{r['peak_mb']:9.0f}  "
                f"{'within 2 min / 4 GB' if ok else 'OVER budget'}",
                flush=True,
            )
        one_min, five_min, _ = os.getloadavg()
        print(f"machine: {os.cpu_count()} cores, load average {one_min:.1f} / {five_min:.1f} (1 / 5 min)")


if __name__ == "__main__":
    main()
