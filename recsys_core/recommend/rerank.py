"""Re-ranking: MMR diversity and a popularity (novelty) penalty.

Maximal Marginal Relevance (Carbonell & Goldstein 1998) picks items one at a time::

    next = argmax_{i not in S}  lam * rel(i) - (1 - lam) * max_{j in S} sim(i, j)

``lam = 1`` keeps the relevance order; smaller values trade relevance for items unlike those
already chosen. The page's diversity slider ``d`` in [0, 1] maps to ``lam = 1 - d``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale finite values to [0, 1] (all equal -> 1); non-finite values stay non-finite."""
    x = np.asarray(x, dtype=float)
    out = x.copy()
    fin = np.isfinite(x)
    if not fin.any():
        return out
    lo, hi = x[fin].min(), x[fin].max()
    out[fin] = (x[fin] - lo) / (hi - lo) if hi > lo else 1.0
    return out


def cosine_matrix(F) -> np.ndarray:
    """Pairwise cosine similarity between the rows of a dense or sparse feature matrix (zero rows -> 0)."""
    if sp.issparse(F):
        F = np.asarray(F.toarray(), dtype=float)
    F = np.asarray(F, dtype=float)
    norms = np.linalg.norm(F, axis=1)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    Fn = F * inv[:, None]
    return Fn @ Fn.T


def mmr(relevance, sim, k: int, lam: float) -> list[int]:
    """Greedy MMR order of the first ``k`` positions (indices into ``relevance``).

    ``relevance``: (m,) scores, ideally in [0, 1]; ``sim``: (m, m) item-item similarity.
    Ties go to the lower index, so the result is deterministic.
    """
    rel = np.asarray(relevance, dtype=float)
    sim = np.asarray(sim, dtype=float)
    m = len(rel)
    k = min(int(k), m)
    if k <= 0:
        return []
    lam = float(np.clip(lam, 0.0, 1.0))
    chosen: list[int] = []
    available = np.ones(m, dtype=bool)
    max_sim = np.zeros(m)
    for _ in range(k):
        obj = lam * rel - (1.0 - lam) * max_sim
        obj = np.where(available, obj, -np.inf)
        j = int(np.argmax(obj))  # first maximum -> lowest index on ties
        chosen.append(j)
        available[j] = False
        max_sim = np.maximum(max_sim, sim[:, j])
    return chosen


def novelty_adjusted(scores: np.ndarray, pop_norm: np.ndarray, weight: float) -> np.ndarray:
    """Min-max normalised scores minus ``weight`` x log-popularity (0..1); -inf stays -inf."""
    rel = minmax(scores)
    if weight:
        rel = rel - float(weight) * np.asarray(pop_norm, dtype=float)
    return rel
