"""Random predictor (Surprise's ``NormalPredictor``): r_ui ~ N(mu, sigma), clipped to the scale.

mu and sigma are the maximum-likelihood mean and standard deviation of the training ratings.
The draw for a (user, item) pair is a deterministic function of ``random_state`` and the pair
(a counter-based hash), so ``predict``, ``predict_many`` and ``score`` agree with each other and a
refit gives the same numbers. Ranking by these scores is a random ranking.
"""

from __future__ import annotations

import numpy as np

from .base import Recommender

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _uniform(key: np.ndarray) -> np.ndarray:
    """(0, 1) uniforms from uint64 keys."""
    return ((_splitmix64(key) >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def pair_normals(seed: int, u: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Standard normal draws, one per (u, i) pair, reproducible from ``seed`` (Box-Muller)."""
    with np.errstate(over="ignore"):
        base = (np.asarray(u, dtype=np.uint64) * np.uint64(0x100000001B3)) ^ np.asarray(i, dtype=np.uint64)
        base = _splitmix64(base ^ _splitmix64(np.full(1, seed, dtype=np.uint64)))
        u1 = _uniform(base)
        u2 = _uniform(base ^ np.uint64(0xD1B54A32D192ED03))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


class RandomPredictor(Recommender):
    """Predicts N(mu, sigma) of the training ratings, clipped; random (seeded) ranking."""

    name = "random"

    def __init__(self, random_state: int | None = 0):
        self.random_state = random_state

    def _fit(self, ts):
        self.mu_ = float(ts.r.mean())
        self.sigma_ = float(ts.r.std())
        seed = self.random_state
        self.seed_ = (
            int(np.random.default_rng(seed).integers(0, 2**62))
            if seed is not None
            else int(np.random.default_rng().integers(0, 2**62))
        )

    def _estimate_pairs(self, u, i):
        return self.mu_ + self.sigma_ * pair_normals(self.seed_, u, i)

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        n = self.trainset_.n_items
        uu = np.repeat(u, n)
        ii = np.tile(np.arange(n), len(u))
        return self._estimate_pairs(uu, ii).reshape(len(u), n)

    def _cold_scores(self):
        return self.mu_ + self.sigma_ * pair_normals(
            self.seed_, np.full(self.trainset_.n_items, 2**32), np.arange(self.trainset_.n_items)
        )
