"""Hyper-parameter search with cross-validation for any registered model.

``grid_search(model, {"reg_u": [5, 15], "reg_i": [5, 10]}, data)`` tries every combination;
``random_search(model, {"lr_all": Range(0.001, 0.02, log=True), "n_factors": [50, 100]}, data, n_iter=10)``
samples. Every candidate is evaluated on the same folds. The result is a table (one row per
candidate, mean and std of the target metric over folds) plus the best parameters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .compare import _resolve, base_metric, evaluate, lower_is_better, metric_column
from .splits import KFold


@dataclass(frozen=True)
class Range:
    """A continuous (or integer) range for random search; ``log=True`` samples log-uniformly."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def sample(self, rng: np.random.Generator):
        lo, hi = float(self.low), float(self.high)
        if hi < lo:
            raise ValueError(f"range low {lo} is above high {hi}")
        if self.log:
            if lo <= 0:
                raise ValueError("a log range needs low > 0")
            v = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        else:
            v = float(rng.uniform(lo, hi))
        return int(round(v)) if self.integer else v

    def grid(self, n: int = 5) -> list:
        """n evenly spaced values (log-spaced with ``log``), for grid search."""
        if self.log:
            vals = np.geomspace(self.low, self.high, n)
        else:
            vals = np.linspace(self.low, self.high, n)
        return sorted({int(round(v)) for v in vals}) if self.integer else [float(v) for v in vals]


def _as_range(spec):
    if isinstance(spec, Range):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(x, (int, float, np.number)) for x in spec):
        integer = all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in spec)
        return Range(spec[0], spec[1], integer=integer)
    return None


def _sample(spec, rng):
    r = _as_range(spec)
    if r is not None:
        return r.sample(rng)
    if hasattr(spec, "rvs"):  # a scipy.stats frozen distribution
        v = spec.rvs(random_state=rng)
        return v.item() if hasattr(v, "item") else v
    values = list(spec)
    if not values:
        raise ValueError("an empty list of candidate values")
    v = values[int(rng.integers(len(values)))]
    return v.item() if isinstance(v, np.generic) else v


def grid_candidates(space: dict) -> list[dict]:
    """Every combination; lists are taken as-is, ``Range``/(lo, hi) tuples give 5 spaced values."""
    keys = list(space)
    values = []
    for key in keys:
        spec = space[key]
        r = _as_range(spec)
        vals = r.grid() if r is not None else list(spec) if isinstance(spec, (list, tuple, np.ndarray)) else [spec]
        if not vals:
            raise ValueError(f"parameter {key!r} has no candidate values")
        values.append([v.item() if isinstance(v, np.generic) else v for v in vals])
    return [dict(zip(keys, combo, strict=False)) for combo in itertools.product(*values)]


def random_candidates(space: dict, n_iter: int, seed: int = 0) -> list[dict]:
    """``n_iter`` distinct samples (fewer if the space is smaller); lists are sampled uniformly,
    ``Range``/(lo, hi) tuples uniformly or log-uniformly, scipy distributions with ``rvs``."""
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    for _ in range(max(int(n_iter), 0) * 20):
        if len(out) >= n_iter:
            break
        cand = {key: _sample(spec, rng) for key, spec in space.items()}
        sig = repr(sorted(cand.items()))
        if sig in seen:
            continue
        seen.add(sig)
        out.append(cand)
    return out


def candidates(space: dict, method: str = "grid", n_iter: int = 10, seed: int = 0) -> list[dict]:
    """The parameter sets a search will evaluate (what :func:`search` runs, in its order)."""
    if method == "grid":
        return grid_candidates(space)
    if method == "random":
        return random_candidates(space, n_iter, seed)
    raise ValueError("method must be 'grid' or 'random'")


@dataclass
class TuningResult:
    """results: one row per candidate (its parameters, mean_score, std_score, fold scores, seconds, rank)."""

    model: str
    metric: str
    lower_is_better: bool
    results: pd.DataFrame
    best_params: dict
    best_score: float
    base_params: dict = field(default_factory=dict)
    method: str = "grid"

    @property
    def param_names(self) -> list[str]:
        return [c for c in self.results.columns if c not in _RESULT_COLUMNS and not c.startswith("fold_")]


_RESULT_COLUMNS = {"candidate", "mean_score", "std_score", "mean_fit_seconds", "rank"}


def _make(model, params: dict):
    from ..models import make_model

    if isinstance(model, str):
        name = model.strip().lower()
        base = make_model(name)
        return name, base
    if isinstance(model, type):
        inst = model()
        return getattr(inst, "name", model.__name__), inst
    return getattr(model, "name", type(model).__name__), model.clone()


def search(
    model,
    space: dict,
    data,
    splitter=None,
    metric: str = "rmse",
    k: int = 10,
    method: str = "grid",
    n_iter: int = 10,
    seed: int = 0,
    rating_scale=None,
    progress: Callable[[str, int, int], None] | None = None,
    folds=None,
    on_cell=None,
) -> TuningResult:
    """Evaluate candidates from ``space`` with cross-validation and rank them on ``metric``.

    ``model``: a registry name, a model class, or a model instance (its parameters are the base).
    ``data``: a Dataset or an interactions frame. ``splitter``: default 3-fold CV with ``seed``.
    ``metric``: ``rmse``, ``mae`` or a ranking metric (``ndcg`` / ``ndcg@10`` …).
    ``progress(label, step, total)`` is called before each (candidate, fold).
    ``folds`` (pre-computed (train, test) pairs) and ``on_cell`` are passed to :func:`evaluate`, the one loop.
    """
    name, base = _make(model, {})
    valid = set(base.get_params())
    unknown = [key for key in space if key not in valid]
    if unknown:
        raise ValueError(
            f"{name} has no parameter {', '.join(map(repr, unknown))}; valid: {', '.join(sorted(valid)) or 'none'}"
        )
    metric_base = base_metric(metric)
    if "@" in metric:
        k = int(metric.split("@", 1)[1])
    column = metric_column(metric_base, k)
    if metric_base in ("rmse", "mae") and not base.predicts_ratings:
        raise ValueError(f"{name} ranks items but does not predict ratings; tune it on a ranking metric such as ndcg")
    cands = candidates(space, method, n_iter, seed)
    df, rating_scale, items_meta = _resolve(data, rating_scale, None)
    splitter = splitter or KFold(3, seed)
    labels = [f"{name} #{c + 1}/{len(cands)}" for c in range(len(cands))]
    ev = evaluate(
        {lab: base.clone().set_params(**params) for lab, params in zip(labels, cands, strict=True)},
        splitter,
        df,
        metrics=(metric_base,),
        k=k,
        rating_scale=rating_scale,
        items_meta=items_meta,
        curve_ks=None,
        folds=folds,
        progress=progress,
        on_cell=on_cell,
    )
    by = ev.folds.groupby("model", sort=False)
    scores = [by.get_group(lab)[column].to_numpy(float) for lab in labels]
    fit_secs = [by.get_group(lab)["fit_seconds"].to_numpy(float) for lab in labels]
    return tabulate_candidates(name, list(space), cands, scores, fit_secs, column, base.get_params(), method)


def tabulate_candidates(
    name: str,
    param_names: list[str],
    cands: list[dict],
    scores,
    fit_seconds,
    column: str,
    base_params: dict | None = None,
    method: str = "grid",
) -> TuningResult:
    """Build the results table and pick the best candidate from per-fold scores (one array per candidate)."""
    rows = []
    for c, (params, sc, fs) in enumerate(zip(cands, scores, fit_seconds, strict=True)):
        sc = np.asarray(sc, dtype=float)
        row = {
            "candidate": c,
            **params,
            "mean_score": float(np.nanmean(sc)) if np.isfinite(sc).any() else np.nan,
            "std_score": float(np.nanstd(sc, ddof=1)) if np.isfinite(sc).sum() > 1 else np.nan,
            "mean_fit_seconds": float(np.mean(fs)) if len(fs) else np.nan,
        }
        for f, s in enumerate(sc):
            row[f"fold_{f}"] = float(s)
        rows.append(row)
    res = pd.DataFrame(rows)
    lower = lower_is_better(column)
    res["rank"] = res["mean_score"].rank(ascending=lower, method="min", na_option="bottom").astype(int)
    ok = res["mean_score"].notna()
    if not ok.any():
        raise ValueError(f"no candidate produced a {column} value")
    best_idx = res.loc[ok, "mean_score"].idxmin() if lower else res.loc[ok, "mean_score"].idxmax()
    best = {key: _plain(res.at[best_idx, key]) for key in param_names}
    return TuningResult(
        name, column, lower, res, best, float(res.at[best_idx, "mean_score"]), dict(base_params or {}), method
    )


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def grid_search(model, grid: dict, data, **kw) -> TuningResult:
    return search(model, grid, data, method="grid", **kw)


def random_search(model, space: dict, data, n_iter: int = 10, **kw) -> TuningResult:
    return search(model, space, data, method="random", n_iter=n_iter, **kw)
