"""Box-office forecast from pre-release features.

* model: scikit-learn ``HistGradientBoostingRegressor`` on log(target); quantile models (10 % and
  90 %) give an 80 % prediction interval;
* baseline: budget-only log-log linear regression;
* evaluation out of fold (K-fold): R² of log target, MAE in money, hit rate within ±50 %;
* feature effects: permutation importance (per source column, on held-out folds) and partial
  dependence (in money);
* leakage guard: columns known only after release (ratings, votes, reviews, opening or
  post-release gross, dates after the release date) are found by name and timing and kept out
  unless the user opts in; then the out-of-fold score is reported both ways.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UserError

POST_RELEASE_PATTERN = re.compile(
    r"(rating|score|vote|review|comment|opening|gross|box_?office|revenue|admission|weeks?_in|"
    r"imdb|douban|metacritic|tomato|评分|打分|票房|评论|影评|评价|口碑|首周|首日|上映后|观影人次|人次)",
    re.I,
)
PRE_RELEASE_OK = re.compile(r"(want|wish|trailer|预告|想看|pre_?release|presale|预售|budget|预算)", re.I)
ID_LIKE = {"item_id", "title", "director", "cast"}
MAX_CATEGORIES = 40
MIN_FILMS = 20
INTERVAL = 0.8  # nominal coverage of the prediction interval


@dataclass
class Features:
    X: pd.DataFrame  # engineered features (numbers and categoricals)
    groups: dict  # engineered column -> source column
    used: list  # source columns used
    excluded_post_release: dict  # source column -> reason
    skipped: dict  # source column -> reason (ids, free text, too many categories, empty)
    genre_values: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)  # categorical column -> categories
    log_columns: list = field(default_factory=list)


def post_release_columns(films: pd.DataFrame, target: str, release_col: str | None = "release_date") -> dict:
    """Columns known only after release: by name (rating, votes, reviews, gross, opening...) and by
    timing (a date column later than the release date for most films). Returns column -> reason."""
    out: dict[str, str] = {}
    rel = films[release_col] if release_col and release_col in films else None
    for c in films.columns:
        if c == target or c == release_col:
            continue
        name = str(c)
        if POST_RELEASE_PATTERN.search(name) and not PRE_RELEASE_OK.search(name):
            out[c] = "name"
        elif rel is not None and pd.api.types.is_datetime64_any_dtype(films[c].dtype):
            after = (films[c] > rel) & films[c].notna() & rel.notna()
            if after.sum() > 0.5 * max(int((films[c].notna() & rel.notna()).sum()), 1):
                out[c] = "timing"
    return out


def _genre_names(items) -> list[str]:
    """Names from a parsed list: plain values, or records like TMDB's ``{"id": 28, "name": "Action"}``."""
    out = []
    for x in items:
        name = x.get("name") if isinstance(x, dict) else x
        if name is not None and str(name).strip():
            out.append(str(name).strip())
    return out


def _genre_list(v) -> list[str]:
    if isinstance(v, (list, tuple, np.ndarray)):
        return _genre_names(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    text = str(v).strip()
    if text.startswith("[") and len(text) < 10_000:  # a JSON or Python-literal list (TMDB/Kaggle exports)
        try:
            parsed = json.loads(text)
        except ValueError:
            try:  # literals only: never evaluated as code
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                parsed = None
        if isinstance(parsed, list):
            return _genre_names(parsed)
    return [p.strip() for p in re.split(r"[|/,，、;]", text) if p.strip()]


def _numeric(s: pd.Series, c: str, logs: list, learn: bool) -> pd.Series:
    """A numeric column; long-tailed non-negative ones (max > 20 x median) on a log scale."""
    v = s.astype("float64")
    if learn:
        pos = v.dropna()
        if (pos >= 0).all() and pos.max() > 20 * max(pos.median(), 1e-9):
            logs.append(c)
    return np.log1p(v.clip(lower=0)) if c in logs else v


def _categorical_problem(t: pd.Series) -> str | None:
    n = t.nunique(dropna=True)
    if n > MAX_CATEGORIES:
        return "too many distinct values"
    return "a single value" if n < 2 else None


def build_features(
    films: pd.DataFrame,
    target: str = "gross",
    include_post_release: bool = False,
    spec: Features | None = None,
) -> Features:
    """Engineer features from a cleaned film table. With ``spec`` (from training), rebuild the
    same columns for new rows (what-if)."""
    post = post_release_columns(films, target) if spec is None else spec.excluded_post_release
    X: dict[str, pd.Series] = {}
    groups: dict[str, str] = {}
    used, skipped = [], {}
    cats: dict[str, list] = dict(spec.categories) if spec else {}
    logs = list(spec.log_columns) if spec else []
    genre_values = list(spec.genre_values) if spec else []
    for c in films.columns:
        if c == target or (c in post and not include_post_release and spec is None):
            continue
        if spec is not None and c not in spec.used:
            continue
        s = films[c]
        if c in ID_LIKE:
            skipped[c] = "identifier or free text"
            continue
        if c == "genres":
            lists = s.map(_genre_list)
            if spec is None:
                counts = pd.Series([g for gl in lists for g in gl]).value_counts()
                genre_values = counts[counts >= 3].index.tolist()[:25]
            for g in genre_values:
                X[f"genre:{g}"] = lists.map(lambda gl, g=g: float(g in gl))
                groups[f"genre:{g}"] = c
            used.append(c)
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            X[f"{c}:year"] = s.dt.year.astype("float64")
            X[f"{c}:month"] = s.dt.month.astype("float64")
            X[f"{c}:weekday"] = s.dt.day_of_week.astype("float64")
            for k in ("year", "month", "weekday"):
                groups[f"{c}:{k}"] = c
            used.append(c)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            if spec is None and s.notna().sum() == 0:
                skipped[c] = "empty"
                continue
            X[c] = _numeric(s, c, logs, learn=spec is None)
            groups[c] = c
            used.append(c)
        else:
            t = s.astype("string").str.strip()
            if spec is None:
                reason = _categorical_problem(t)
                if reason:
                    skipped[c] = reason
                    continue
                cats[c] = sorted(t.dropna().unique().tolist())
            X[c] = pd.Categorical(t.astype(object).where(t.notna(), None), categories=cats[c])
            groups[c] = c
            used.append(c)
    if not X:
        raise UserError(
            "film table: no usable pre-release column (budget, genres, release_date, runtime, certificate, "
            "distributor, want_to_see...) - add some, or opt in to post-release columns"
        )
    excluded = {c: r for c, r in post.items() if not include_post_release}
    return Features(pd.DataFrame(X, index=films.index), groups, used, excluded, skipped, genre_values, cats, logs)


def _hgb(loss="squared_error", quantile=None, seed=0):
    from sklearn.ensemble import HistGradientBoostingRegressor

    kw = {"quantile": quantile} if quantile is not None else {}
    return HistGradientBoostingRegressor(
        loss=loss,
        max_iter=100,
        learning_rate=0.1,
        min_samples_leaf=10,
        l2_regularization=1.0,
        categorical_features="from_dtype",
        early_stopping=True,  # stop adding trees once a held-out fifth stops improving (small, noisy tables)
        validation_fraction=0.2,
        n_iter_no_change=10,
        random_state=seed,
        **kw,
    )


class _BudgetAnchored:
    """Log-budget linear regression first, gradient boosting on what it leaves.

    Box office grows with budget on a log-log line; trees approximate that line with steps and lose to
    the plain regression when a table is small. Anchoring on the line lets the trees spend their splits
    on what budget does not explain (genre, season, certificate...). Without a budget column it is
    plain gradient boosting."""

    def __init__(self, booster, logged: bool):
        self.booster, self.logged = booster, logged

    def _z(self, X: pd.DataFrame) -> np.ndarray | None:
        if "budget" not in X.columns:
            return None
        b = X["budget"].to_numpy(float)
        z = b if self.logged else np.log1p(np.clip(b, 0, None))
        return np.where(np.isfinite(z), z, self.fill_)[:, None]

    def fit(self, X: pd.DataFrame, y: np.ndarray):
        from sklearn.linear_model import LinearRegression

        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.line_ = None
        if "budget" in X.columns:
            b = X["budget"].to_numpy(float)
            z = b if self.logged else np.log1p(np.clip(b, 0, None))
            known = np.isfinite(z)
            self.fill_ = float(np.median(z[known])) if known.any() else 0.0
            if known.sum() >= 10 and np.ptp(z[known]) > 0:
                self.line_ = LinearRegression().fit(self._z(X), y)
        self.booster.fit(X, y - self._line(X))
        return self

    def _line(self, X: pd.DataFrame) -> np.ndarray:
        return self.line_.predict(self._z(X)) if self.line_ is not None else np.zeros(len(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self._line(X) + self.booster.predict(X)


def _model(spec, loss="squared_error", quantile=None, seed=0) -> _BudgetAnchored:
    return _BudgetAnchored(_hgb(loss, quantile, seed), logged="budget" in spec.log_columns)


def _metrics(y_log: np.ndarray, pred_log: np.ndarray) -> dict:
    from sklearn.metrics import r2_score

    money, pred = np.exp(y_log), np.exp(pred_log)
    return {
        "r2": float(r2_score(y_log, pred_log)),
        "mae": float(np.mean(np.abs(pred - money))),
        "within_50pct": float(np.mean(np.abs(pred / money - 1.0) <= 0.5)),
    }


@dataclass
class ForecastResult:
    target: str
    n_films: int
    metrics: dict  # r2, mae, within_50pct, interval_coverage
    baseline: dict | None  # budget-only log-log: r2, mae, within_50pct (None without budget)
    features_used: list
    features_excluded_as_post_release: dict
    features_skipped: dict
    include_post_release: bool
    other_way: dict | None  # the same metrics with the post-release choice flipped (when it matters)
    predictions: pd.DataFrame  # item_id, actual, predicted, lo, hi (out of fold)
    importance: pd.DataFrame  # feature, importance (drop in R²), sd
    partial_dependence: dict  # feature -> DataFrame(value, predicted)
    models: dict = field(default_factory=dict)
    spec: Features | None = None
    notes: list = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "target": self.target,
            "films": self.n_films,
            "r2": self.metrics["r2"],
            "mae": self.metrics["mae"],
            "within_50pct": self.metrics["within_50pct"],
            "interval_coverage": self.metrics.get("interval_coverage"),
            "baseline_r2": self.baseline["r2"] if self.baseline else None,
            "baseline_mae": self.baseline["mae"] if self.baseline else None,
            "baseline_within_50pct": self.baseline["within_50pct"] if self.baseline else None,
            "features_used": self.features_used,
            "features_excluded_as_post_release": sorted(self.features_excluded_as_post_release),
            "include_post_release": self.include_post_release,
            "other_way": self.other_way,
        }


def _target_rows(films: pd.DataFrame, target: str) -> pd.DataFrame:
    if target not in films.columns:
        raise UserError(
            f"film table: no {target!r} column - add total box office as a column named {target} "
            f"(or 票房), or choose the target column (--target COLUMN)"
        )
    y = pd.to_numeric(films[target], errors="coerce")
    ok = y > 0
    if ok.sum() < MIN_FILMS:
        raise UserError(
            f"film table: only {int(ok.sum())} films have a positive {target!r}; the forecast needs at least "
            f"{MIN_FILMS} - add more films"
        )
    return films[ok.to_numpy()].reset_index(drop=True)


def _folds(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = np.arange(n) % k
    return f[rng.permutation(n)]


def _oof(spec, y: np.ndarray, folds: np.ndarray, seed: int, progress=None, what="", quantiles=True) -> dict:
    """Out-of-fold point (and quantile) predictions, and the fold models for permutation importance."""
    X = spec.X
    k = int(folds.max()) + 1
    pred, lo, hi = np.zeros(len(y)), np.zeros(len(y)), np.zeros(len(y))
    fold_models = []
    for f in range(k):
        if progress:
            progress(f, k, what)
        tr, te = folds != f, folds == f
        m = _model(spec, seed=seed).fit(X[tr], y[tr])
        pred[te] = m.predict(X[te])
        if quantiles:
            lo[te] = _model(spec, "quantile", 0.1, seed).fit(X[tr], y[tr]).predict(X[te])
            hi[te] = _model(spec, "quantile", 0.9, seed).fit(X[tr], y[tr]).predict(X[te])
        fold_models.append((m, te))
    return {"pred": pred, "lo": np.minimum(lo, pred), "hi": np.maximum(hi, pred), "fold_models": fold_models}


def _permutation_importance(X, y, groups: dict, fold_models, seed: int, repeats: int = 3) -> pd.DataFrame:
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(seed)
    by_source: dict[str, list[str]] = {}
    for col, src in groups.items():
        by_source.setdefault(src, []).append(col)
    rows = []
    for src, cols in by_source.items():
        drops = []
        for m, te in fold_models:
            Xt = X[te]
            base = r2_score(y[te], m.predict(Xt))
            for _ in range(repeats):
                Xp = Xt.copy()
                perm = rng.permutation(len(Xt))
                for c in cols:
                    Xp[c] = Xt[c].to_numpy()[perm]
                    if isinstance(Xt[c].dtype, pd.CategoricalDtype):
                        Xp[c] = pd.Categorical(Xp[c], categories=Xt[c].cat.categories)
                drops.append(base - r2_score(y[te], m.predict(Xp)))
        rows.append({"feature": src, "importance": float(np.mean(drops)), "sd": float(np.std(drops))})
    return pd.DataFrame(rows).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def _partial_dependence(model, X: pd.DataFrame, features: list[str], points: int = 20) -> dict:
    out = {}
    for c in features:
        if c not in X.columns or isinstance(X[c].dtype, pd.CategoricalDtype):
            continue
        v = X[c].dropna()
        if v.nunique() < 2:
            continue
        grid = np.unique(np.quantile(v, np.linspace(0.02, 0.98, points)))
        preds = []
        for g in grid:
            Xg = X.copy()
            Xg[c] = g
            preds.append(float(np.mean(np.exp(model.predict(Xg)))))
        out[c] = pd.DataFrame({"value": grid, "predicted": preds})
    return out


def _baseline(films: pd.DataFrame, y: np.ndarray, folds: np.ndarray) -> dict | None:
    from sklearn.linear_model import LinearRegression

    if "budget" not in films or not (pd.to_numeric(films["budget"], errors="coerce") > 0).any():
        return None
    b = pd.to_numeric(films["budget"], errors="coerce")
    med = float(b[b > 0].median())
    x = np.log(b.where(b > 0, med).to_numpy(float))[:, None]
    pred = np.zeros(len(y))
    for f in range(int(folds.max()) + 1):
        tr, te = folds != f, folds == f
        pred[te] = LinearRegression().fit(x[tr], y[tr]).predict(x[te])
    return _metrics(y, pred)


def forecast(*args, **kw) -> ForecastResult:
    """See :func:`_forecast`; runs with one OpenMP thread (fast and deterministic on a shared machine)."""
    import sklearn.ensemble  # noqa: F401  (load its OpenMP runtime first, so the limit applies to it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _forecast(*args, **kw)


def _forecast(
    films: pd.DataFrame,
    target: str = "gross",
    include_post_release: bool = False,
    folds: int = 5,
    seed: int = 0,
    progress=None,
    compare_other_way: bool = True,
) -> ForecastResult:
    """Out-of-fold evaluation of the box-office model and the budget-only baseline, then a final
    fit on every film (point and quantile models) for what-if predictions."""
    films = _target_rows(films, target)
    y = np.log(films[target].to_numpy(float))
    spec = build_features(films, target, include_post_release)
    folds_ = _folds(len(films), int(max(2, min(folds, len(films) // 5))), seed)
    oof = _oof(spec, y, folds_, seed, progress, "model")
    metrics = _metrics(y, oof["pred"])
    # conformalised quantile regression: widen the 10-90 % quantile band by the out-of-fold
    # conformity score so that about 80 % of films fall inside (quantile trees alone are too narrow)
    score = np.maximum(oof["lo"] - y, y - oof["hi"])
    widen = float(np.quantile(score, min(1.0, INTERVAL * (1 + 1 / len(y)))))
    oof["lo"], oof["hi"] = oof["lo"] - widen, oof["hi"] + widen
    metrics["interval"] = INTERVAL
    metrics["interval_coverage"] = float(np.mean((y >= oof["lo"]) & (y <= oof["hi"])))
    base = _baseline(films, y, folds_)
    post = post_release_columns(films, target)
    other = None
    if post and compare_other_way:
        spec2 = build_features(films, target, not include_post_release)
        o2 = _oof(spec2, y, folds_, seed, None, "other", quantiles=False)
        other = _metrics(y, o2["pred"])
        other["include_post_release"] = not include_post_release
    imp = _permutation_importance(spec.X, y, spec.groups, oof["fold_models"], seed)
    final = _model(spec, seed=seed).fit(spec.X, y)
    models = {
        "point": final,
        "lo": _model(spec, "quantile", 0.1, seed).fit(spec.X, y),
        "hi": _model(spec, "quantile", 0.9, seed).fit(spec.X, y),
    }
    top = [c for c in imp["feature"].tolist() if c in spec.X.columns][:4]
    pdp = _partial_dependence(final, spec.X, top)
    ids = films["item_id"] if "item_id" in films else pd.Series(np.arange(len(films)))
    preds = pd.DataFrame(
        {
            "item_id": ids.astype(str).to_numpy(),
            "actual": np.exp(y),
            "predicted": np.exp(oof["pred"]),
            "lo": np.exp(oof["lo"]),
            "hi": np.exp(oof["hi"]),
        }
    )
    if "title" in films:
        preds.insert(1, "title", films["title"].astype(str).to_numpy())
    if progress:
        progress(1, 1, "")
    return ForecastResult(
        target=target,
        n_films=len(films),
        metrics=metrics,
        baseline=base,
        features_used=spec.used,
        features_excluded_as_post_release=spec.excluded_post_release,
        features_skipped=spec.skipped,
        include_post_release=include_post_release,
        other_way=other,
        predictions=preds,
        importance=imp,
        partial_dependence=pdp,
        models={**models, "widen": widen},
        spec=spec,
    )


def what_if(result: ForecastResult, film: dict) -> dict:
    """Predict a film not yet released from its pre-release values: {predicted, lo, hi} in money."""
    row = pd.DataFrame([film])
    for c in result.spec.used:
        if c not in row:
            row[c] = np.nan
        if c == "release_date" or c.endswith("_date"):
            row[c] = pd.to_datetime(row[c], errors="coerce")
        elif c in result.spec.categories or c == "genres":
            row[c] = row[c].astype(object)
        else:
            row[c] = pd.to_numeric(row[c], errors="coerce")
    X = build_features(row, result.target, result.include_post_release, spec=result.spec).X
    X = X.reindex(columns=result.models["point"].feature_names_in_)
    p = float(np.exp(result.models["point"].predict(X))[0])
    w = float(result.models.get("widen", 0.0))
    lo = float(np.exp(result.models["lo"].predict(X) - w)[0])
    hi = float(np.exp(result.models["hi"].predict(X) + w)[0])
    return {"predicted": p, "lo": min(lo, p), "hi": max(hi, p)}


def opening_from_daily(films: pd.DataFrame, daily: pd.DataFrame, days: int = 3) -> pd.DataFrame:
    """Add ``opening_{days}d``: the sum of the first ``days`` days of daily box office."""
    d = daily.dropna(subset=["item_id", "date", "gross"]).sort_values(["item_id", "date"])
    first = d.groupby("item_id").head(days).groupby("item_id")["gross"].sum()
    out = films.copy()
    out[f"opening_{days}d"] = out["item_id"].map(first)
    return out
