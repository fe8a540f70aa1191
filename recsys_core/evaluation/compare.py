"""compare(models, splitter, metrics): one table, one row per model and fold."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd

from ..data.dataset import relevance_threshold
from ..trainset import Trainset
from . import metrics as M

DEFAULT_METRICS = ("rmse", "mae", "precision", "recall", "ndcg", "coverage")
RATING_METRICS = {"rmse", "mae"}


def metric_column(metric: str, k: int) -> str:
    return f"{metric}@{k}" if metric in {"precision", "recall", "ndcg", "map", "hit_rate"} else metric


def evaluate_fold(model, train: pd.DataFrame, test: pd.DataFrame, rating_scale, k: int = 10,
                  metrics=DEFAULT_METRICS, items_meta=None) -> dict:
    """Fit a fresh copy of ``model`` on ``train`` and measure it on ``test``."""
    ts = Trainset.from_frame(train, rating_scale, items_meta=items_meta)
    algo = model.clone()
    t0 = time.perf_counter()
    algo.fit(ts)
    fit_s = time.perf_counter() - t0

    row: dict = {}
    t0 = time.perf_counter()
    if algo.predicts_ratings:
        est, _ = algo.predict_many(test["user_id"].to_numpy(), test["item_id"].to_numpy())
        true = test["rating"].to_numpy(float)
        row["rmse"] = M.rmse(true, est)
        row["mae"] = M.mae(true, est)
    else:
        row["rmse"] = np.nan
        row["mae"] = np.nan

    thr = relevance_threshold(rating_scale)
    rel = test[test["rating"] >= thr]
    rel_u = ts.inner_uids(rel["user_id"].to_numpy())
    rel_i = ts.inner_iids(rel["item_id"].to_numpy())
    ok = (rel_u >= 0) & (rel_i >= 0)
    by_user: dict[int, set] = {}
    for u, i in zip(rel_u[ok].tolist(), rel_i[ok].tolist()):
        by_user.setdefault(u, set()).add(i)
    # every test user known to the model gets a list (for coverage); ranking metrics over users with relevant items
    test_users = np.unique(ts.inner_uids(test["user_id"].unique()))
    test_users = test_users[test_users >= 0]
    if len(test_users):
        top = algo.top_n_inner(test_users, k, exclude_seen=True)
        rel_sets = [by_user.get(int(u), set()) for u in test_users]
        per_user = M.ranking_metrics_matrix(top, rel_sets, k)
        for name in ("precision", "recall", "ndcg"):
            v = per_user[name]
            row[metric_column(name, k)] = float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
        row["coverage"] = M.coverage(top.tolist(), ts.n_items)
    else:
        for name in ("precision", "recall", "ndcg"):
            row[metric_column(name, k)] = np.nan
        row["coverage"] = np.nan
    row["test_seconds"] = time.perf_counter() - t0
    row["fit_seconds"] = fit_s
    keep = {metric_column(m, k) for m in metrics} | {"fit_seconds", "test_seconds"}
    return {c: v for c, v in row.items() if c in keep}


def compare(models: dict | list, splitter, dataset_or_df, metrics=DEFAULT_METRICS, k: int = 10,
            rating_scale=None, progress: Callable[[str, int, int], None] | None = None,
            items_meta=None) -> pd.DataFrame:
    """Evaluate every model on every fold of ``splitter``.

    Returns one row per (model, fold) with columns model, fold, the metric columns,
    fit_seconds and test_seconds. NaN where a metric does not apply.
    """
    if hasattr(dataset_or_df, "interactions"):
        df = dataset_or_df.interactions
        rating_scale = rating_scale or dataset_or_df.rating_scale
        items_meta = items_meta if items_meta is not None else dataset_or_df.items
    else:
        df = dataset_or_df
        rating_scale = rating_scale or (1.0, 5.0)
    if isinstance(models, (list, tuple)):
        models = {m.name: m for m in models}
    folds = list(splitter.split(df))
    total = len(models) * len(folds)
    rows = []
    step = 0
    for name, model in models.items():
        for f, (train, test) in enumerate(folds):
            if progress:
                progress(f"{name} · fold {f + 1}/{len(folds)}", step, total)
            r = evaluate_fold(model, train, test, rating_scale, k=k, metrics=metrics, items_meta=items_meta)
            rows.append({"model": name, "fold": f, **r})
            step += 1
    if progress:
        progress("done", total, total)
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean over folds per model (keeps model order)."""
    cols = [c for c in results.columns if c not in ("model", "fold")]
    out = results.groupby("model", sort=False)[cols].mean(numeric_only=True)
    return out.reset_index()
