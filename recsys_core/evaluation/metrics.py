"""Metrics are plain functions over predictions and top-N lists; they never take a model."""
from __future__ import annotations

import numpy as np


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


def coverage(lists, n_items: int) -> float:
    """Catalogue coverage: distinct recommended items / catalogue size."""
    if n_items <= 0:
        return float("nan")
    seen = set()
    for lst in lists:
        seen.update(x for x in lst if x is not None and x != -1)
    return len(seen) / n_items


def ranking_metrics_matrix(top: np.ndarray, relevant_sets: list[set], k: int) -> dict[str, np.ndarray]:
    """Per-user precision/recall/ndcg for inner-id top lists (rows of ``top``), vectorised over users."""
    n = len(relevant_sets)
    prec = np.full(n, np.nan)
    rec = np.full(n, np.nan)
    nd = np.full(n, np.nan)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    cum_ideal = np.cumsum(discounts)
    for row in range(n):
        rel = relevant_sets[row]
        if not rel:
            continue
        lst = top[row, :k]
        hits = np.fromiter((x in rel for x in lst), dtype=bool, count=len(lst))
        prec[row] = hits.sum() / k
        rec[row] = hits.sum() / len(rel)
        nd[row] = float((hits * discounts[:len(lst)]).sum() / cum_ideal[min(len(rel), k) - 1])
    return {"precision": prec, "recall": rec, "ndcg": nd}
