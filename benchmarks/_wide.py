"""A seeded sparse, wide rating file: long-tail film popularity, heavy-tailed user activity.

Used by the scale benchmarks when a real wide catalogue is not at hand. Ratings come from user and
film biases plus a low-rank taste term and noise, rounded to 1-5 stars, so models have signal to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def wide_ratings(n_users: int, n_items: int, n_ratings: int, seed: int = 0, rank: int = 8) -> pd.DataFrame:
    """About ``n_ratings`` distinct (user, film) ratings; every user and film id in range may appear."""
    rng = np.random.default_rng(seed)
    item_w = 1.0 / np.arange(1, n_items + 1) ** 0.9
    item_w = rng.permutation(item_w / item_w.sum())
    user_w = rng.pareto(1.5, n_users) + 1.0
    user_w /= user_w.sum()
    draw = int(n_ratings * 1.15) + 1000
    u = rng.choice(n_users, draw, p=user_w)
    i = rng.choice(n_items, draw, p=item_w)
    key = np.unique(u.astype(np.int64) * n_items + i)
    key = rng.permutation(key)[:n_ratings]
    u, i = key // n_items, key % n_items
    P = rng.normal(0, 0.5, (n_users, rank))
    Q = rng.normal(0, 0.5, (n_items, rank))
    score = 3.5 + rng.normal(0, 0.4, n_users)[u] + rng.normal(0, 0.5, n_items)[i]
    score += np.einsum("ij,ij->i", P[u], Q[i]) + rng.normal(0, 0.6, len(u))
    ts = 1_600_000_000 + rng.integers(0, 3 * 365 * 86400, len(u))
    return pd.DataFrame(
        {
            "user_id": [f"u{x}" for x in u],
            "item_id": [f"m{x}" for x in i],
            "rating": np.clip(np.rint(score), 1, 5),
            "timestamp": ts,
        }
    )


if __name__ == "__main__":
    import sys

    nu, ni, nr, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    df = wide_ratings(nu, ni, nr, seed=int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    df.to_csv(out, index=False)
    print(f"wrote {out}: {len(df)} ratings, {df.user_id.nunique()} users, {df.item_id.nunique()} films")
