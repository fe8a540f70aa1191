"""Ad-response model: who clicks or converts when shown an ad.

Trained on the exposed (test / uncontrolled) rows of the exposure log, one row per user and
campaign, with profile features plus the channel and hour of exposure. Models: logistic
regression and gradient boosting (the default), with the brief's decision tree and random
forest as baselines. Evaluated out of fold (stratified K-fold): AUC, a calibration table
(mean predicted vs observed rate per bin) and lift at the top 10 %. The chosen model's scores
(probability of responding on the best channel) feed the audience plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UserError
from .tables import per_user

MODELS = ("logistic", "gbdt", "tree", "forest")


def _make(name: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    if name == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    if name == "gbdt":
        return HistGradientBoostingClassifier(max_iter=120, max_depth=3, learning_rate=0.05, random_state=seed)
    if name == "tree":
        return DecisionTreeClassifier(max_depth=4, min_samples_leaf=20, random_state=seed)
    if name == "forest":
        return RandomForestClassifier(n_estimators=150, min_samples_leaf=10, n_jobs=1, random_state=seed)
    raise UserError(f"unknown ad-response model {name!r}; choose from {', '.join(MODELS)}")


def lift_at(y: np.ndarray, p: np.ndarray, frac: float = 0.1) -> float:
    """Response rate in the top ``frac`` by score divided by the overall rate."""
    k = max(1, int(np.ceil(frac * len(y))))
    top = np.argsort(-p, kind="stable")[:k]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Equal-count bins of the predicted probability: mean predicted, observed rate, users."""
    order = np.argsort(p, kind="stable")
    rows = []
    for idx in np.array_split(order, bins):
        if len(idx):
            rows.append({"predicted": float(p[idx].mean()), "observed": float(y[idx].mean()), "users": len(idx)})
    return pd.DataFrame(rows)


def design(
    exposures: pd.DataFrame, features: pd.DataFrame, target: str = "converted"
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per exposed (user, campaign): profile features + one-hot channel + hour."""
    if target not in exposures:
        raise UserError(f"exposure log: no {target!r} column - the ad-response model predicts it (1 = yes, 0 = no)")
    users = per_user(exposures)
    users = users[users["arm"] != "control"].reset_index(drop=True)
    if len(users) < 40:
        raise UserError(f"exposure log: {len(users)} exposed users; the ad-response model needs at least 40")
    X = features.reindex(users["user_id"]).reset_index(drop=True).fillna(0.0)
    if "channel" in users:
        X = X.join(pd.get_dummies(users["channel"].astype(str), prefix="channel", prefix_sep=":", dtype=float))
    if "exposed_at" in users and users["exposed_at"].notna().any():
        h = users["exposed_at"].dt.hour.fillna(12).to_numpy(float)
        X["hour_sin"], X["hour_cos"] = np.sin(2 * np.pi * h / 24), np.cos(2 * np.pi * h / 24)
    y = users[target].to_numpy(int)
    if y.sum() < 5 or (len(y) - y.sum()) < 5:
        raise UserError(
            f"exposure log: {int(y.sum())} of {len(y)} exposed users have {target}=1; the model needs both outcomes (at least 5 each)"
        )
    return X, y


@dataclass
class ResponseResult:
    target: str
    table: pd.DataFrame  # model, auc, lift_at_10pct, brier
    calibration: dict  # model -> DataFrame
    best: str
    default: str
    columns: list = field(default_factory=list)
    fitted: object = None  # the default model fitted on every row
    channels: list = field(default_factory=list)


def ad_response(*args, **kw) -> ResponseResult:
    """See :func:`_ad_response`; runs with one OpenMP thread."""
    import sklearn.ensemble  # noqa: F401  (load its OpenMP runtime first, so the limit applies to it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _ad_response(*args, **kw)


def _ad_response(
    exposures: pd.DataFrame,
    features: pd.DataFrame,
    target: str = "converted",
    models=MODELS,
    folds: int = 5,
    seed: int = 0,
    default: str | None = None,
    progress=None,
) -> ResponseResult:
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X, y = design(exposures, features, target)
    k = int(max(2, min(folds, y.sum(), len(y) - y.sum())))
    cv = StratifiedKFold(k, shuffle=True, random_state=seed)
    rows, cal = [], {}
    for step, name in enumerate(models):
        if progress:
            progress(step, len(models), name)
        p = np.zeros(len(y))
        for tr, te in cv.split(X, y):
            p[te] = _make(name, seed).fit(X.iloc[tr], y[tr]).predict_proba(X.iloc[te])[:, 1]
        rows.append(
            {
                "model": name,
                "auc": float(roc_auc_score(y, p)),
                "lift_at_10pct": lift_at(y, p, 0.1),
                "brier": float(brier_score_loss(y, p)),
            }
        )
        cal[name] = calibration(y, p)
    table = pd.DataFrame(rows)
    best = str(table.loc[table["auc"].idxmax(), "model"])
    # the scorer is the better of the two main models (LR, gradient boosting) unless one is named;
    # the tree and the forest are the brief's baselines
    main = table[table["model"].isin(["logistic", "gbdt"])]
    chosen = (
        default
        if default in table["model"].tolist()
        else (str(main.loc[main["auc"].idxmax(), "model"]) if len(main) else best)
    )
    fitted = _make(chosen, seed).fit(X, y)
    channels = [c.split(":", 1)[1] for c in X.columns if c.startswith("channel:")]
    if progress:
        progress(len(models), len(models), "")
    return ResponseResult(target, table, cal, best, chosen, list(X.columns), fitted, channels)


def score_users(res: ResponseResult, features: pd.DataFrame, channel: str | None = None, hour: int = 20) -> pd.Series:
    """Predicted response per user (index user_id) if shown the ad on ``channel`` at ``hour``;
    with no channel, the best of the channels seen in training."""
    X = features.reindex(columns=[c for c in res.columns if not c.startswith("channel:") and not c.startswith("hour_")])
    X = X.fillna(0.0).copy()
    if "hour_sin" in res.columns:
        X["hour_sin"], X["hour_cos"] = np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24)
    best = None
    for ch in [channel] if channel else (res.channels or [None]):
        Z = X.copy()
        for c in res.columns:
            if c.startswith("channel:"):
                Z[c] = 1.0 if ch is not None and c == f"channel:{ch}" else 0.0
        p = res.fitted.predict_proba(Z[res.columns])[:, 1]
        best = p if best is None else np.maximum(best, p)
    return pd.Series(best, index=features.index, name="response")
