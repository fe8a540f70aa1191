"""Metrics are plain functions over predictions and top-N lists; they never take a model.

Accuracy: :func:`rmse`, :func:`mae`.
Ranking (one list, one relevant set): :func:`precision_at_k`, :func:`recall_at_k`, :func:`ndcg_at_k`,
:func:`average_precision_at_k` (MAP@K is its mean over users), :func:`hit_rate_at_k`.
Beyond accuracy (over the lists of all users): :func:`coverage`, :func:`intra_list_diversity`
(:func:`list_diversity` also says how many item pairs a seeded sample used), :func:`novelty`,
:func:`personalization`. All work from sparse data: no users x films or films x films arrays.
Vectorised per-user versions over inner-id top-N matrices: :func:`ranking_metrics_matrix`,
:func:`ranking_curves` (precision / recall / NDCG for several K from one top-max(K) list).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


# ---------------------------------------------------------------------------- accuracy
def rmse(true, est) -> float:
    true, est = np.asarray(true, float), np.asarray(est, float)
    if len(true) == 0:
        return float("nan")
    return float(np.sqrt(np.mean((true - est) ** 2)))


def mae(true, est) -> float:
    true, est = np.asarray(true, float), np.asarray(est, float)
    if len(true) == 0:
        return float("nan")
    return float(np.mean(np.abs(true - est)))


# ---------------------------------------------------------------------------- one list
def precision_at_k(recommended, relevant, k: int) -> float:
    """Share of the first k recommendations that are relevant (denominator k)."""
    rec = list(recommended)[:k]
    if k <= 0:
        return float("nan")
    rel = set(relevant)
    return sum(1 for x in rec if x in rel) / k


def recall_at_k(recommended, relevant, k: int) -> float:
    rel = set(relevant)
    if not rel:
        return float("nan")
    return sum(1 for x in list(recommended)[:k] if x in rel) / len(rel)


def ndcg_at_k(recommended, relevant, k: int) -> float:
    """Binary-relevance NDCG: DCG = sum 1/log2(rank+1); ideal puts min(|rel|, k) hits first."""
    rel = set(relevant)
    if not rel:
        return float("nan")
    dcg = sum(1.0 / np.log2(r + 2) for r, x in enumerate(list(recommended)[:k]) if x in rel)
    idcg = sum(1.0 / np.log2(r + 2) for r in range(min(len(rel), k)))
    return float(dcg / idcg)


def average_precision_at_k(recommended, relevant, k: int) -> float:
    """AP@k = (1 / min(|rel|, k)) * sum over hit ranks r <= k of precision@r. MAP@k is its mean over users."""
    rel = set(relevant)
    if not rel or k <= 0:
        return float("nan")
    hits = 0
    total = 0.0
    for r, x in enumerate(list(recommended)[:k], start=1):
        if x in rel:
            hits += 1
            total += hits / r
    return total / min(len(rel), k)


def hit_rate_at_k(recommended, relevant, k: int) -> float:
    """1 if at least one of the first k recommendations is relevant, else 0 (NaN without relevant items)."""
    rel = set(relevant)
    if not rel:
        return float("nan")
    return float(any(x in rel for x in list(recommended)[:k]))


# ---------------------------------------------------------------------------- beyond accuracy
def coverage(lists, n_items: int) -> float:
    """Catalogue coverage: distinct recommended items / catalogue size."""
    if n_items <= 0:
        return float("nan")
    top = _as_top(lists)
    return len(np.unique(top[top >= 0])) / n_items


def _as_top(lists) -> np.ndarray:
    """Lists of inner ids (ragged allowed) -> int matrix padded with -1."""
    if isinstance(lists, np.ndarray) and lists.ndim == 2:
        return lists.astype(np.int64, copy=False)
    lists = [[-1 if x is None else x for x in np.asarray(lst, dtype=object).tolist()] for lst in lists]
    width = max((len(x) for x in lists), default=0)
    out = np.full((len(lists), width), -1, dtype=np.int64)
    for r, x in enumerate(lists):
        out[r, : len(x)] = x
    return out


def _normalise_rows(F):
    if sp.issparse(F):
        F = sp.csr_matrix(F, dtype=float)
        norms = np.sqrt(np.asarray(F.multiply(F).sum(axis=1)).ravel())
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sp.diags(inv) @ F
    F = np.asarray(F, dtype=float)
    norms = np.linalg.norm(F, axis=1)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return F * inv[:, None]


@dataclass(frozen=True)
class ListDiversity:
    """Intra-list diversity of many lists, and how much of it was measured.

    ``per_list``: diversity of each list (NaN for lists with fewer than two items and for lists left out
    of the sample); ``pairs_used`` of ``pairs_total`` item pairs entered the mean (``sampled`` when fewer).
    """

    per_list: np.ndarray
    lists_used: int
    pairs_used: int
    pairs_total: int

    @property
    def sampled(self) -> bool:
        return self.pairs_used < self.pairs_total

    @property
    def mean(self) -> float:
        return _nanmean(self.per_list)


DIVERSITY_MAX_WORK = 20_000_000  # non-zeros of item vectors summed per evaluation (about a second of work)


def list_diversity(lists, item_features, max_work: int | None = DIVERSITY_MAX_WORK, seed: int = 0) -> ListDiversity:
    """Intra-list diversity, mean over item pairs of (1 - cosine of their feature vectors), from sparse data.

    The sum of cosines over a list's pairs is ``(||sum of unit vectors||^2 - sum of ||unit vector||^2) / 2``,
    so each list costs the non-zeros of its items' vectors, never an items x items matrix. Lists go in blocks.
    When the lists' total cost exceeds ``max_work`` (e.g. rating-column vectors of popular films on a large
    catalogue), a seeded random sample of whole lists is measured and the rest are NaN; ``pairs_used`` /
    ``pairs_total`` say how much was measured. ``max_work=None`` measures every list.
    """
    top = _as_top(lists)
    n, k = top.shape
    out = np.full(n, np.nan)
    valid = top >= 0
    m = valid.sum(axis=1)
    pairs = m * (m - 1) // 2
    total_pairs = int(pairs.sum())
    if k < 2 or n == 0 or total_pairs == 0:
        return ListDiversity(out, 0, 0, total_pairs)
    F = _normalise_rows(item_features)
    n_items = F.shape[0]
    if sp.issparse(F):
        F = sp.csr_matrix(F)
        item_cost = np.diff(F.indptr).astype(np.int64) + 1
        self_sq = np.asarray(F.multiply(F).sum(axis=1)).ravel()
    else:
        item_cost = np.full(n_items, F.shape[1], dtype=np.int64)
        self_sq = np.einsum("ij,ij->i", F, F)
    cost = np.where(valid, item_cost[np.where(valid, top, 0)], 0).sum(axis=1)
    order = np.flatnonzero(pairs > 0)
    if max_work is not None and cost[order].sum() > max_work:
        order = np.random.default_rng(seed).permutation(order)
        upto = int(np.searchsorted(np.cumsum(cost[order]), max_work, side="right"))
        order = np.sort(order[: max(upto, 1)])
    block_work = 5_000_000
    start = 0
    while start < len(order):
        stop = start + max(1, int(np.searchsorted(np.cumsum(cost[order[start:]]), block_work, side="right")))
        rows = order[start:stop]
        sub = top[rows]
        r, c = np.nonzero(sub >= 0)
        A = sp.csr_matrix((np.ones(len(r)), (r, sub[r, c])), shape=(len(rows), n_items))  # duplicates add up
        S = A @ F
        sq = np.asarray(S.multiply(S).sum(axis=1)).ravel() if sp.issparse(S) else np.einsum("ij,ij->i", S, S)
        sim_sum = (sq - A @ self_sq) / 2.0
        out[rows] = 1.0 - sim_sum / pairs[rows]
        start = stop
    return ListDiversity(out, len(order), int(pairs[order].sum()), total_pairs)


def intra_list_diversity(lists, item_features, max_work: int | None = None, seed: int = 0) -> np.ndarray:
    """Per list: mean over item pairs of (1 - cosine similarity of their feature vectors).

    ``lists``: rows of inner item ids (-1 = padding); ``item_features``: (n_items, d) dense or sparse
    matrix (genre multi-hot, or the item's column of the rating matrix). Items with an all-zero vector
    have cosine 0 with everything. Lists with fewer than two items give NaN. Every list is measured
    unless ``max_work`` is given (see :func:`list_diversity`, which also says how many pairs were used).
    """
    return list_diversity(lists, item_features, max_work=max_work, seed=seed).per_list


def novelty(lists, item_popularity, n_users: int) -> np.ndarray:
    """Per list: mean self-information -log2(pop_i / n_users) of its items.

    ``item_popularity[i]`` = number of training users who rated item i. Items nobody rated count as
    popularity 1 (the most novel an item can be without dividing by zero).
    """
    top = _as_top(lists)
    pop = np.maximum(np.asarray(item_popularity, dtype=float), 1.0)
    info = -np.log2(pop / float(n_users))
    out = np.full(top.shape[0], np.nan)
    valid = top >= 0
    cnt = valid.sum(axis=1)
    vals = np.where(valid, info[np.where(valid, top, 0)], 0.0)
    good = cnt > 0
    out[good] = vals[good].sum(axis=1) / cnt[good]
    return out


def personalization(lists, max_users: int | None = None, seed: int = 0) -> float:
    """1 - mean pairwise overlap |L_a ∩ L_b| / k over all pairs of users' lists.

    Exact over every pair without a users x users matrix: the overlaps summed over ordered pairs equal
    sum over items of c_i^2 - sum over lists of |L_a|, where c_i is the number of lists holding item i.
    ``max_users`` optionally restricts it to a seeded random sample of lists.
    1 means every user gets a different list, 0 means everybody gets the same one.
    """
    top = _as_top(lists)
    n, k = top.shape
    if n < 2 or k == 0:
        return float("nan")
    if max_users is not None and n > max_users:
        idx = np.random.default_rng(seed).choice(n, size=max_users, replace=False)
        top = top[np.sort(idx)]
        n = max_users
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = top.ravel()
    ok = cols >= 0
    n_cols = int(cols[ok].max()) + 1 if ok.any() else 1
    keys = np.unique(rows[ok] * n_cols + cols[ok])  # an item twice in one list counts once
    per_item = np.bincount(keys % n_cols, minlength=n_cols).astype(float)
    overlap_sum = float((per_item**2).sum() - len(keys))
    mean_overlap = overlap_sum / (n * (n - 1)) / k
    return float(1.0 - mean_overlap)


# ---------------------------------------------------------------------------- vectorised per user
RANKING_NAMES = ("precision", "recall", "ndcg", "map", "hit_rate")


def _hits_matrix(top: np.ndarray, relevant_sets: list[set], k: int) -> np.ndarray:
    top = top[:, :k]
    hits = np.zeros(top.shape, dtype=bool)
    for row, rel in enumerate(relevant_sets):
        if rel:
            hits[row] = np.fromiter((x in rel for x in top[row].tolist()), dtype=bool, count=top.shape[1])
    return hits


def ranking_metrics_matrix(top: np.ndarray, relevant_sets: list[set], k: int) -> dict[str, np.ndarray]:
    """Per-user precision / recall / ndcg / map / hit_rate @k for inner-id top lists (rows of ``top``).

    Users with no relevant item get NaN for every metric.
    """
    top = _as_top(top)
    n = len(relevant_sets)
    n_rel = np.array([len(s) for s in relevant_sets], dtype=float)
    hits = _hits_matrix(top, relevant_sets, k)
    width = hits.shape[1]
    has = n_rel > 0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    cum_ideal = np.cumsum(discounts)
    nh = hits.sum(axis=1).astype(float)
    out = {name: np.full(n, np.nan) for name in RANKING_NAMES}
    if not has.any():
        return out
    ideal = cum_ideal[np.minimum(n_rel[has], k).astype(int) - 1]
    out["precision"][has] = nh[has] / k
    out["recall"][has] = nh[has] / n_rel[has]
    out["ndcg"][has] = (hits[has] * discounts[:width]).sum(axis=1) / ideal
    cum_hits = np.cumsum(hits, axis=1)
    prec_at_r = cum_hits / np.arange(1, width + 1)
    out["map"][has] = (prec_at_r * hits)[has].sum(axis=1) / np.minimum(n_rel[has], k)
    out["hit_rate"][has] = (nh[has] > 0).astype(float)
    return out


def ranking_curves(top: np.ndarray, relevant_sets: list[set], ks) -> pd.DataFrame:
    """Mean precision / recall / NDCG / MAP / hit rate for several K, all from one top-max(K) list.

    Returns one row per K (columns k, precision, recall, ndcg, map, hit_rate), means over users that
    have at least one relevant item.
    """
    ks = sorted({int(x) for x in ks if int(x) > 0})
    top = _as_top(top)
    rows = []
    for k in ks:
        if k > top.shape[1]:
            raise ValueError(f"top lists have {top.shape[1]} items; cannot compute metrics at K={k}")
        per = ranking_metrics_matrix(top[:, :k], relevant_sets, k)
        rows.append({"k": k, **{name: _nanmean(v) for name, v in per.items()}})
    return pd.DataFrame(rows, columns=["k", *RANKING_NAMES])


def _nanmean(v) -> float:
    v = np.asarray(v, dtype=float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
