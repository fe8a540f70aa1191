"""Compare models: three independent inputs (models, a splitter, metrics) -> tables.

:func:`evaluate` is the full run: per-fold rows, per-user rows (for significance tests across
users), precision/recall/NDCG-vs-K curves and learning curves, in an :class:`Evaluation`.
:func:`compare` is the original one-table view (one row per model and fold) built on top of it.

Relevant items are test items rated at or above the dataset's relevance threshold (4 on 1-5,
scaled linearly otherwise). Ranking lists are produced for every test user the model knows,
excluding items the user rated in training; ranking metrics are averaged over users with at least
one relevant test item; coverage / novelty / personalization use every list; diversity uses every
list unless its cost (non-zeros of the item vectors) is large, then a seeded sample of lists, with the
item pairs measured in the ``diversity_pairs`` / ``diversity_pairs_total`` columns.
NaN where a metric does not apply (rating metrics for rankers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.dataset import relevance_threshold
from ..models.shared_fits import FitHook, SharedFits, fit_requests
from ..trainset import Trainset
from . import metrics as M

DEFAULT_METRICS = ("rmse", "mae", "precision", "recall", "ndcg", "coverage")
ALL_METRICS = (
    "rmse",
    "mae",
    "precision",
    "recall",
    "ndcg",
    "map",
    "hit_rate",
    "coverage",
    "diversity",
    "novelty",
    "personalization",
)
RATING_METRICS = {"rmse", "mae"}
AT_K_METRICS = {"precision", "recall", "ndcg", "map", "hit_rate"}
LIST_METRICS = {"coverage", "diversity", "novelty", "personalization"}
TIME_COLUMNS = ("fit_seconds", "test_seconds")
# how much of a sampled metric was measured (diversity on large catalogues): item pairs used / all pairs
SAMPLING_COLUMNS = ("diversity_pairs", "diversity_pairs_total")
DEFAULT_CURVE_KS = (1, 2, 3, 5, 10, 15, 20)


def metric_column(metric: str, k: int) -> str:
    """Column name of a metric: ``precision`` -> ``precision@10``; ``rmse`` stays ``rmse``."""
    return f"{metric}@{k}" if metric in AT_K_METRICS else metric


def base_metric(column: str) -> str:
    """Inverse of :func:`metric_column`: ``ndcg@10`` -> ``ndcg``."""
    return column.split("@", 1)[0]


def lower_is_better(column: str) -> bool:
    """True for error and time columns (rmse, mae, *_seconds); False for everything else."""
    b = base_metric(column)
    return b in RATING_METRICS or b.endswith("_seconds")


# ---------------------------------------------------------------------------- item features for diversity
def item_features(ts: Trainset, items_meta: pd.DataFrame | None = None):
    """Vectors used by intra-list diversity, and which kind they are.

    ``("genres", F)``: multi-hot genre vectors from the item metadata when at least half of the
    trainset's items have genres; otherwise ``("ratings", F)``: each item's column of the binary
    user x item matrix (items are similar when the same users rated them).
    """
    if items_meta is not None and "genres" in items_meta and len(items_meta):
        g = items_meta.drop_duplicates("item_id").set_index("item_id")["genres"]
        lists = g.reindex(pd.Index(ts.items_raw)).tolist()
        lists = [list(x) if isinstance(x, (list, tuple, np.ndarray)) else [] for x in lists]
        if sum(1 for x in lists if len(x)) >= 0.5 * max(ts.n_items, 1):
            vocab = {}
            rows, cols = [], []
            for i, gs in enumerate(lists):
                for name in gs:
                    cols.append(vocab.setdefault(str(name), len(vocab)))
                    rows.append(i)
            F = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(ts.n_items, max(len(vocab), 1)))
            F.data[:] = 1.0
            return "genres", F
    return "ratings", ts.binary.T.tocsr()


# ---------------------------------------------------------------------------- results
@dataclass
class Evaluation:
    """Everything a comparison produced.

    folds : one row per (model, fold): metric columns, fit_seconds, test_seconds
    users : one row per (model, fold, user): n_test, n_relevant, per-user rmse/mae and ranking metrics,
            novelty and diversity of the user's list
    curves : one row per (model, fold, k): precision, recall, ndcg, map, hit_rate (from one top-max(K) list)
    learning : one row per (model, fold, epoch, series): value  (models exposing ``loss_curve_``)
    """

    folds: pd.DataFrame
    users: pd.DataFrame
    curves: pd.DataFrame
    learning: pd.DataFrame
    protocol: dict = field(default_factory=dict)
    k: int = 10
    diversity_basis: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(self.folds["model"])) if len(self.folds) else []

    @property
    def metric_columns(self) -> list[str]:
        skip = {"model", "fold", *TIME_COLUMNS, *SAMPLING_COLUMNS}
        return [c for c in self.folds.columns if c not in skip]

    def summary(self, with_std: bool = True) -> pd.DataFrame:
        return summarise(self.folds, with_std=with_std)

    @classmethod
    def concat(cls, parts: list[Evaluation]) -> Evaluation:
        """Join evaluations of single (model, fold) cells into one (fold numbers are kept as given)."""
        if not parts:
            raise ValueError("nothing to join")

        def cat(frames):
            frames = [f for f in frames if f is not None and len(f)]
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        first = parts[0]
        params: dict = {}
        for p in parts:
            params.update(p.params)
        basis = next((p.diversity_basis for p in parts if p.diversity_basis), None)
        curves = cat([p.curves for p in parts])
        if curves.empty:
            curves = pd.DataFrame(columns=["model", "fold", "k", *M.RANKING_NAMES])
        learning = cat([p.learning for p in parts])
        if learning.empty:
            learning = pd.DataFrame(columns=["model", "fold", "epoch", "series", "value"])
        return cls(
            cat([p.folds for p in parts]),
            cat([p.users for p in parts]),
            curves,
            learning,
            dict(first.protocol),
            first.k,
            basis,
            params,
        )

    def relabelled(self, model: str, fold: int) -> Evaluation:
        """A copy whose rows are labelled as (``model``, ``fold``); the same object when they already are."""
        if len(self.folds) and (self.folds["model"] == model).all() and (self.folds["fold"] == fold).all():
            return self

        def relabel(df):
            df = df.copy()
            if "model" in df.columns:
                df["model"] = model
            if "fold" in df.columns:
                df["fold"] = fold
            return df

        return Evaluation(
            relabel(self.folds),
            relabel(self.users),
            relabel(self.curves),
            relabel(self.learning),
            dict(self.protocol),
            self.k,
            self.diversity_basis,
            dict(self.params),
        )

    def curves_mean(self) -> pd.DataFrame:
        if self.curves.empty:
            return self.curves
        return (
            self.curves.groupby(["model", "k"], sort=False)
            .mean(numeric_only=True)
            .drop(columns=["fold"], errors="ignore")
            .reset_index()
        )


def _learning_rows(model_name: str, fold: int, algo) -> list[dict]:
    curve = getattr(algo, "loss_curve_", None)
    if curve is None:
        return []
    rows = []
    if isinstance(curve, dict) and "epoch" in curve:  # checkpoints, not every epoch
        epochs = [int(e) for e in curve["epoch"]]
        for series, vals in curve.items():
            if series == "epoch":
                continue
            for e, v in zip(epochs, np.asarray(vals, dtype=float).ravel()):
                rows.append({"model": model_name, "fold": fold, "epoch": e, "series": str(series), "value": float(v)})
        return rows
    if isinstance(curve, dict):
        for series, vals in curve.items():
            for e, v in enumerate(np.asarray(vals, dtype=float).ravel(), start=1):
                rows.append({"model": model_name, "fold": fold, "epoch": e, "series": str(series), "value": float(v)})
        return rows
    arr = np.asarray(curve, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    names = ["train", "validation"] + [f"series{j}" for j in range(2, arr.shape[1])]
    if arr.shape[1] == 1:
        names = ["train"]
    for e in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            if np.isfinite(arr[e, j]):
                rows.append(
                    {"model": model_name, "fold": fold, "epoch": e + 1, "series": names[j], "value": float(arr[e, j])}
                )
    return rows


def _fold_run(
    model,
    train: pd.DataFrame,
    test: pd.DataFrame,
    rating_scale,
    k: int,
    metrics,
    items_meta=None,
    curve_ks=None,
    personalization_users: int | None = None,
    seed: int = 0,
    fits: SharedFits | None = None,
    data_key: tuple | None = None,
):
    """Fit a fresh copy on ``train``, measure on ``test``. Returns (row, users_df, curves_df, fitted).

    With ``fits`` (the run's :class:`~recsys_core.models.shared_fits.SharedFits`) and ``data_key`` naming
    this training data, the fit is shared with identical fits of the same run (e.g. a hybrid's members);
    ``fit_seconds`` is then the shared fit's own time."""
    metrics = set(metrics)
    ts = Trainset.from_frame(train, rating_scale, items_meta=items_meta)
    if fits is None:
        algo = model.clone()
        t0 = time.perf_counter()
        algo.fit(ts)
        fit_s = time.perf_counter() - t0
    else:
        with fits.training(ts, data_key):
            algo, fit_s = fits.fit(model, ts, data_key)

    row: dict = {}
    test_s = 0.0
    test_users_raw = test["user_id"].astype(str).to_numpy()
    # ---- rating accuracy
    users_df = pd.DataFrame({"user_id": pd.unique(test_users_raw)})
    if algo.predicts_ratings:
        t0 = time.perf_counter()
        est, _ = algo.predict_many(test_users_raw, test["item_id"].astype(str).to_numpy())
        test_s += time.perf_counter() - t0
        true = test["rating"].to_numpy(float)
        row["rmse"] = M.rmse(true, est)
        row["mae"] = M.mae(true, est)
        err = pd.DataFrame({"user_id": test_users_raw, "se": (true - est) ** 2, "ae": np.abs(true - est)})
        g = err.groupby("user_id", sort=False)
        pu = pd.DataFrame({"n_test": g.size(), "rmse": np.sqrt(g["se"].mean()), "mae": g["ae"].mean()})
        users_df = users_df.merge(pu, left_on="user_id", right_index=True, how="left")
    else:
        row["rmse"] = np.nan
        row["mae"] = np.nan
        users_df["n_test"] = users_df["user_id"].map(pd.Series(test_users_raw).value_counts())
        users_df["rmse"] = np.nan
        users_df["mae"] = np.nan

    # ---- ranking
    want_ranking = bool(metrics & (AT_K_METRICS | LIST_METRICS)) or curve_ks
    ks = sorted({int(x) for x in (curve_ks or ())} | {int(k)})
    depth = max(ks)
    thr = relevance_threshold(rating_scale)
    rank_cols = [metric_column(m, k) for m in M.RANKING_NAMES]
    curves_df = pd.DataFrame(columns=["k", *M.RANKING_NAMES])
    test_users = np.unique(ts.inner_uids(pd.unique(test_users_raw)))
    test_users = test_users[test_users >= 0]
    if want_ranking and len(test_users):
        rel = test[test["rating"].to_numpy(float) >= thr]
        rel_u = ts.inner_uids(rel["user_id"].astype(str).to_numpy())
        rel_i = ts.inner_iids(rel["item_id"].astype(str).to_numpy())
        ok = (rel_u >= 0) & (rel_i >= 0)
        by_user: dict[int, set] = {}
        for u, i in zip(rel_u[ok].tolist(), rel_i[ok].tolist(), strict=False):
            by_user.setdefault(u, set()).add(i)
        t0 = time.perf_counter()
        top_full = algo.top_n_inner(test_users, depth, exclude_seen=True)
        test_s += time.perf_counter() - t0
        top = top_full[:, :k]
        rel_sets = [by_user.get(int(u), set()) for u in test_users]
        per_user = M.ranking_metrics_matrix(top, rel_sets, k)
        for name in M.RANKING_NAMES:
            row[metric_column(name, k)] = M._nanmean(per_user[name])
        row["coverage"] = M.coverage(top, ts.n_items)
        nov = M.novelty(top, ts.item_counts, ts.n_users)
        row["novelty"] = M._nanmean(nov)
        if "diversity" in metrics:
            basis, F = item_features(ts, items_meta)
            measured = M.list_diversity(top, F, seed=seed)
            div = measured.per_list
            row["diversity"] = measured.mean
            row["diversity_pairs"] = measured.pairs_used
            row["diversity_pairs_total"] = measured.pairs_total
        else:
            basis, div = None, np.full(len(test_users), np.nan)
        row["personalization"] = (
            M.personalization(top, max_users=personalization_users, seed=seed)
            if "personalization" in metrics
            else np.nan
        )
        ranked = pd.DataFrame(
            {
                "user_id": ts.users_raw[test_users].astype(str),
                "n_relevant": [len(s) for s in rel_sets],
                **{metric_column(n, k): per_user[n] for n in M.RANKING_NAMES},
                "novelty": nov,
                "diversity": div,
            }
        )
        users_df = users_df.merge(ranked, on="user_id", how="left")
        if curve_ks:
            curves_df = M.ranking_curves(top_full, rel_sets, ks)
    else:
        basis = None
        for name in M.RANKING_NAMES:
            row[metric_column(name, k)] = np.nan
        for name in LIST_METRICS:
            row[name] = np.nan
        for c in ["n_relevant", *rank_cols, "novelty", "diversity"]:
            users_df[c] = np.nan
    row["fit_seconds"] = fit_s
    row["test_seconds"] = test_s
    row["_basis"] = basis
    return row, users_df, curves_df, algo


def evaluate_fold(
    model, train: pd.DataFrame, test: pd.DataFrame, rating_scale, k: int = 10, metrics=DEFAULT_METRICS, items_meta=None
) -> dict:
    """Fit a fresh copy of ``model`` on ``train`` and measure it on ``test`` (one row of metrics)."""
    row, _, _, _ = _fold_run(model, train, test, rating_scale, k, metrics, items_meta=items_meta)
    keep = {metric_column(m, k) for m in metrics} | set(TIME_COLUMNS)
    return {c: v for c, v in row.items() if c in keep}


def _resolve(dataset_or_df, rating_scale, items_meta):
    if hasattr(dataset_or_df, "interactions"):
        df = dataset_or_df.interactions
        rating_scale = rating_scale or dataset_or_df.rating_scale
        items_meta = items_meta if items_meta is not None else dataset_or_df.items
    else:
        df = dataset_or_df
        rating_scale = rating_scale or (1.0, 5.0)
    return df, tuple(float(x) for x in rating_scale), items_meta


@dataclass(frozen=True)
class Cell:
    """One unit of an experiment: a model configuration on one fold.

    ``label`` names the configuration in the results (a model name, or a tuning candidate);
    ``model`` and ``params`` say what runs. ``step`` / ``total`` count cells for progress.
    """

    label: str
    model: str
    params: tuple
    fold: int
    n_folds: int
    step: int
    total: int

    @property
    def params_dict(self) -> dict:
        return dict(self.params)


CellHook = Callable[[Cell, Callable[[], "Evaluation"]], "Evaluation"]
CELL_FAILURES = (ValueError, TypeError, RuntimeError, ArithmeticError, MemoryError, KeyError, IndexError)


def _progress_hook(progress) -> CellHook:
    def hook(cell: Cell, compute):
        progress(f"{cell.label} · fold {cell.fold + 1}/{cell.n_folds}", cell.step, cell.total)
        return compute()

    return hook


def _one_cell(
    model, label, f, train, test, rating_scale, k, metrics, items_meta, curve_ks, seed, fits=None
) -> Evaluation:
    """Fit ``model`` on one fold and measure it: an Evaluation of this single (model, fold) cell."""
    row, users_df, curves_df, algo = _fold_run(
        model,
        train,
        test,
        rating_scale,
        k,
        metrics,
        items_meta=items_meta,
        curve_ks=curve_ks,
        seed=seed,
        fits=fits,
        data_key=("fold", f),
    )
    basis = row.pop("_basis")
    users_df.insert(0, "fold", f)
    users_df.insert(0, "model", label)
    if len(curves_df):
        curves_df.insert(0, "fold", f)
        curves_df.insert(0, "model", label)
    learning = pd.DataFrame(_learning_rows(label, f, algo), columns=["model", "fold", "epoch", "series", "value"])
    return Evaluation(pd.DataFrame([{"model": label, "fold": f, **row}]), users_df, curves_df, learning, {}, k, basis)


def check_models_fit(models: dict, df: pd.DataFrame, budget: int | None = None) -> None:
    """Refuse up front (:class:`~recsys_core.models.cost.ModelTooLarge`, or its subclass ``ModelTooSlow``
    over time) when any model's cost envelope for this dataset exceeds the memory or time budget;
    nothing is fitted."""
    from ..models.cost import check_model, dataset_shape

    shape = dataset_shape(df)
    for model in models.values():
        check_model(model, *shape, budget=budget)


def models_within_budget(models: dict, df: pd.DataFrame, refused: dict, budget: int | None = None) -> dict:
    """The models whose cost envelope for this dataset fits the memory and time budgets; each other one
    is left out, with its :class:`~recsys_core.models.cost.ModelTooLarge` (or ``ModelTooSlow``: need,
    budget, models that fit) in ``refused[label]``. Nothing is fitted."""
    from ..models.cost import ModelTooLarge, check_model, dataset_shape

    shape = dataset_shape(df)
    keep = {}
    for label, model in models.items():
        try:
            check_model(model, *shape, budget=budget)
        except ModelTooLarge as e:
            refused[label] = e
        else:
            keep[label] = model
    return keep


def evaluate(
    models: dict | list,
    splitter,
    dataset_or_df,
    metrics=ALL_METRICS,
    k: int = 10,
    rating_scale=None,
    progress: Callable[[str, int, int], None] | None = None,
    items_meta=None,
    curve_ks=DEFAULT_CURVE_KS,
    folds=None,
    on_cell: CellHook | None = None,
    failures: dict | None = None,
    refused: dict | None = None,
    share_fits: bool = True,
    on_fit: FitHook | None = None,
) -> Evaluation:
    """Evaluate every model on every fold of ``splitter`` and keep every level of detail.

    This is the one experiment loop (comparisons, tuning, the app and the command line all run here).

    ``models``: {label: unfitted model} or a list (named by ``model.name``).
    ``progress(label, step, total)`` is called before each (model, fold) and once at the end.
    ``folds``: pre-computed list of (train, test) pairs (skips ``splitter.split``).
    ``on_cell(cell, compute)``: called for every (model, fold) cell instead of ``compute()``; it returns
    the cell's Evaluation (it may show progress, print, or return a cached result for the same cell).
    ``failures``: when given, a model that fails is skipped and ``failures[label]`` gets its one-line reason;
    without it the error propagates.
    ``refused``: when given, a model whose cost envelope exceeds the memory or time budget is left out before
    anything runs and ``refused[label]`` gets its :class:`~recsys_core.models.cost.ModelTooLarge`; the
    others run. Without it, one such model refuses the whole run up front.
    ``share_fits``: a fit that the run asks for more than once in a fold (the same model and parameters on
    the same data, e.g. a hybrid's members that are also compared, or two hybrids' validation splits) runs
    once and is reused (:mod:`recsys_core.models.shared_fits`); results are the same either way.
    ``on_fit(model_name, params, data_key)`` is called before every fit that actually runs.
    """
    df, rating_scale, items_meta = _resolve(dataset_or_df, rating_scale, items_meta)
    if isinstance(models, (list, tuple)):
        models = {m.name: m for m in models}
    if k < 1:
        raise ValueError("K must be at least 1")
    if refused is None:
        check_models_fit(models, df)
    else:
        models = models_within_budget(models, df, refused)
    folds = list(folds) if folds is not None else list(splitter.split(df))
    seed = int(getattr(splitter, "seed", 0) or 0)
    hook = on_cell or (_progress_hook(progress) if progress else (lambda cell, compute: compute()))
    total = len(models) * len(folds)
    fits = SharedFits(share=share_fits, on_fit=on_fit)
    for model in models.values():
        for f in range(len(folds)):
            fits.plan(model, ("fold", f))
    # A model that asks for other fits (a hybrid's members) runs fold by fold beside the others, so the
    # fits it shares are kept for one fold at a time, not for every fold until its own cells come.
    if any(len(fit_requests(m)) > 1 for m in models.values()):
        order = [(label, f) for f in range(len(folds)) for label in models]
    else:
        order = [(label, f) for label in models for f in range(len(folds))]
    done: dict[str, list[Evaluation]] = {label: [] for label in models}
    step = 0
    for label, f in order:
        if label not in done:  # failed in an earlier fold
            continue
        model = models[label]
        train, test = folds[f]
        cell = Cell(label, model.name, tuple(model.get_params().items()), f, len(folds), step, total)
        step += 1

        def compute(model=model, label=label, f=f, train=train, test=test):
            return _one_cell(model, label, f, train, test, rating_scale, k, metrics, items_meta, curve_ks, seed, fits)

        try:
            done[label].append(hook(cell, compute).relabelled(label, f))
        except CELL_FAILURES as e:
            if failures is None:
                raise
            failures[label] = (str(e).splitlines() or [type(e).__name__])[0]
            step += len(folds) - f - 1
            del done[label]
            for later in range(f + 1, len(folds)):  # its shared fits for the folds it will not run
                fits.unplan(model, ("fold", later))
    parts = [part for label in models if label in done for part in done[label]]
    if progress:
        progress("done", total, total)
    return _assemble(parts, models, splitter, metrics, k, rating_scale)


def _assemble(parts, models, splitter, metrics, k, rating_scale) -> Evaluation:
    """Join the cells of a run into one Evaluation with the run's protocol and parameters."""
    keep = ["model", "fold", *[metric_column(m, k) for m in ALL_METRICS if m in set(metrics)], *TIME_COLUMNS]
    keep += list(SAMPLING_COLUMNS) if "diversity" in set(metrics) else []
    if parts:
        ev = Evaluation.concat(parts)
        fold_df = ev.folds[[c for c in keep if c in ev.folds.columns]]
        users, curves, learning, basis = ev.users, ev.curves, ev.learning, ev.diversity_basis
    else:
        fold_df, users = pd.DataFrame(columns=keep), pd.DataFrame()
        curves = pd.DataFrame(columns=["model", "fold", "k", *M.RANKING_NAMES])
        learning = pd.DataFrame(columns=["model", "fold", "epoch", "series", "value"])
        basis = None
    protocol = dict(splitter.describe()) if splitter is not None and hasattr(splitter, "describe") else {}
    protocol.update({"k": int(k), "relevance_threshold": relevance_threshold(rating_scale)})
    params = {name: _jsonable_params(m) for name, m in models.items()}
    return Evaluation(
        fold_df, users, curves, learning, protocol, int(k), basis if "diversity" in set(metrics) else None, params
    )


def _jsonable_params(model) -> dict:
    out = {}
    for key, v in model.get_params().items():
        if isinstance(v, (np.integer,)):
            v = int(v)
        elif isinstance(v, (np.floating,)):
            v = float(v)
        out[key] = v
    return out


def compare(
    models: dict | list,
    splitter,
    dataset_or_df,
    metrics=DEFAULT_METRICS,
    k: int = 10,
    rating_scale=None,
    progress: Callable[[str, int, int], None] | None = None,
    items_meta=None,
) -> pd.DataFrame:
    """Evaluate every model on every fold of ``splitter``.

    Returns one row per (model, fold) with columns model, fold, the metric columns,
    fit_seconds and test_seconds. NaN where a metric does not apply.
    For per-user rows and curves use :func:`evaluate`.
    """
    ev = evaluate(
        models,
        splitter,
        dataset_or_df,
        metrics=metrics,
        k=k,
        rating_scale=rating_scale,
        progress=progress,
        items_meta=items_meta,
        curve_ks=None,
    )
    return ev.folds


def summarise(results: pd.DataFrame, with_std: bool = False) -> pd.DataFrame:
    """Mean over folds per model (keeps model order); with ``with_std`` also ``<col>_std`` columns."""
    cols = [c for c in results.columns if c not in ("model", "fold")]
    g = results.groupby("model", sort=False)[cols]
    out = g.mean(numeric_only=True)
    if with_std:
        sd = g.std(numeric_only=True, ddof=1).add_suffix("_std")
        out = out.join(sd)
    return out.reset_index()
