"""Behaviour prediction: will a user do X? Logistic regression, a decision tree and a random forest
compared on one task, with a train/test split over users, accuracy, AUC, ROC curves and feature
importances.

Tasks (features always come from the past, labels from the future, so nothing leaks):

* ``genre_like``  – "will rate a film of genre G >= the like threshold": with timestamps the
  last 20 % of the timeline is the future; without them each user's ratings are split 80/20 at
  random. Users with no future rating are left out (the task is about taste, not activity).
* ``active_next`` – "will be active in the next ``window_days`` days": the future is the last
  window of the dataset; users with history before it are scored. Needs timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .profiles import NUMERIC_PROFILE_COLUMNS, build_profiles

TASKS = ("genre_like", "active_next")
MODELS = ("logistic", "tree", "forest")


@dataclass
class BehaviourTask:
    X: pd.DataFrame  # index user_id, numeric features
    y: pd.Series  # 0/1, same index
    task: str
    description: str
    cutoff: object = None


def _history_features(hist_ds) -> pd.DataFrame:
    prof = build_profiles(hist_ds, tags=False, sentiment=True)
    X = pd.DataFrame(index=pd.Index(prof["user_id"], name="user_id"))
    for c in NUMERIC_PROFILE_COLUMNS:
        if c in prof and pd.to_numeric(prof[c], errors="coerce").notna().any():
            X[c] = pd.to_numeric(prof[c], errors="coerce").to_numpy(float)
    ga = prof.attrs.get("affinity", {}).get("genres")
    if ga is not None:
        for g in ga.columns:
            X[f"genre:{g}"] = ga[g].reindex(X.index).to_numpy(float)
    for c in ("age_band", "gender", "city"):
        if c in prof and prof[c].notna().any():
            d = pd.get_dummies(prof[c].astype(object), prefix=c, prefix_sep=":", dtype=float)
            d.index = X.index
            X = pd.concat([X, d], axis=1)
    X = X.apply(lambda s: s.fillna(s.median()) if s.notna().any() else s.fillna(0.0))
    return X


def make_task(
    ds,
    task: str = "genre_like",
    genre: str | None = None,
    window_days: int = 30,
    future_share: float = 0.2,
    seed: int = 0,
) -> BehaviourTask:
    """Build features (from the past) and labels (from the future) for one task."""
    inter = ds.interactions
    if task == "active_next":
        ts = inter["timestamp"]
        if ts.notna().sum() == 0:
            raise ValueError("'active next month' needs timestamps; this dataset has none — pick the genre task")
        end = ts.max()
        cutoff = end - pd.Timedelta(days=int(window_days))
        past = inter[ts <= cutoff]
        future = inter[ts > cutoff]
        if past.empty or future.empty:
            raise ValueError(f"the dataset spans less than {window_days} days of history; use a shorter window")
        hist = replace(ds, interactions=past.reset_index(drop=True))
        X = _history_features(hist)
        y = pd.Series(X.index.isin(set(future["user_id"])).astype(int), index=X.index, name="label")
        desc = f"active in the {window_days} days after {cutoff:%Y-%m-%d}"
        return _checked(BehaviourTask(X, y, task, desc, cutoff))
    if task != "genre_like":
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if ds.items is None:
        raise ValueError("the genre task needs film genres (item metadata); this dataset has none")
    if not genre:
        raise ValueError("pick a genre for the task")
    r = ds.ratings
    ts = r["timestamp"]
    if ts.notna().mean() > 0.9:
        cutoff = ts.quantile(1 - future_share)
        is_future = (ts > cutoff).to_numpy()
    else:
        cutoff = None
        rng = np.random.default_rng(seed)
        is_future = rng.random(len(r)) < future_share
    past, future = r[~is_future], r[is_future]
    # keep review-only rows of the past so review features still work
    rest = inter[inter["rating"].isna()]
    if cutoff is not None:
        rest = rest[rest["timestamp"].isna() | (rest["timestamp"] <= cutoff)]
    hist = replace(ds, interactions=pd.concat([past, rest]).reset_index(drop=True))
    X = _history_features(hist)
    X = X[X.index.isin(set(future["user_id"]))]
    g_items = {i for i, gs in zip(ds.items["item_id"], ds.items["genres"], strict=True) if genre in (gs or [])}
    if not g_items:
        raise ValueError(f"no film has genre {genre!r}; pick a genre from the list")
    pos = set(future[(future["item_id"].isin(g_items)) & (future["rating"] >= ds.relevance_threshold)]["user_id"])
    y = pd.Series(X.index.isin(pos).astype(int), index=X.index, name="label")
    desc = f"rates a {genre} film >= {ds.relevance_threshold:g}" + (
        f" after {cutoff:%Y-%m-%d}" if cutoff is not None else " in held-out ratings"
    )
    return _checked(BehaviourTask(X, y, task, desc, cutoff))


def _checked(t: BehaviourTask) -> BehaviourTask:
    n_pos = int(t.y.sum())
    if len(t.y) < 20:
        raise ValueError(f"only {len(t.y)} users qualify for this task; need at least 20")
    if n_pos < 5 or len(t.y) - n_pos < 5:
        raise ValueError(
            f"the task has {n_pos} positive and {len(t.y) - n_pos} negative users; "
            "pick another genre or window so both outcomes occur"
        )
    return t


def _make(name: str, seed: int):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
    if name == "tree":
        return DecisionTreeClassifier(max_depth=5, min_samples_leaf=10, random_state=seed)
    if name == "forest":
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=3, random_state=seed, n_jobs=1)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def compare_models(task: BehaviourTask, models=MODELS, test_size: float = 0.25, seed: int = 0) -> dict:
    """Fit each model on a stratified train split of users, score the test split.

    Returns {"metrics": DataFrame[model, accuracy, auc, train_users, test_users, positive_rate],
    "roc": DataFrame[model, fpr, tpr], "importances": DataFrame[model, feature, importance]}.
    Logistic importances are |standardised coefficients| normalised to sum 1.
    """
    from sklearn.metrics import accuracy_score, roc_auc_score, roc_curve
    from sklearn.model_selection import train_test_split

    X = task.X.to_numpy(float)
    y = task.y.to_numpy(int)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    rows, rocs, imps = [], [], []
    for name in models:
        m = _make(name, seed)
        m.fit(Xtr, ytr)
        p = m.predict_proba(Xte)[:, 1]
        rows.append(
            {
                "model": name,
                "accuracy": float(accuracy_score(yte, (p >= 0.5).astype(int))),
                "auc": float(roc_auc_score(yte, p)),
                "train_users": int(len(ytr)),
                "test_users": int(len(yte)),
                "positive_rate": float(y.mean()),
            }
        )
        fpr, tpr, _ = roc_curve(yte, p)
        rocs.append(pd.DataFrame({"model": name, "fpr": fpr, "tpr": tpr}))
        if name == "logistic":
            imp = np.abs(m[-1].coef_[0])
        else:
            imp = np.asarray(m.feature_importances_, dtype=float)
        imp = imp / imp.sum() if imp.sum() > 0 else imp
        imps.append(pd.DataFrame({"model": name, "feature": list(task.X.columns), "importance": imp}))
    return {
        "metrics": pd.DataFrame(rows),
        "roc": pd.concat(rocs, ignore_index=True),
        "importances": pd.concat(imps, ignore_index=True).sort_values(["model", "importance"], ascending=[True, False]),
    }
