"""The feedback loop: feedback events -> training data -> a retrained (or folded-in) model -> what changed.

Actions (stored in the workspace's ``feedback`` table, one row per click):

* ``like``           -> a high rating: lo + 0.9 x (hi - lo)   (4.6 on a 1-5 scale)
* ``dislike``        -> a low rating:  lo + 0.1 x (hi - lo)   (1.4 on a 1-5 scale)
* ``rate``           -> the given value, clipped to the scale
* ``not_interested`` -> no rating; the film is excluded from that user's lists

The latest event per (user, film) wins, so a visitor can change their mind. Feedback ratings replace
the dataset's rating for the same (user, film).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.capabilities import FoldsInFeedback
from ..trainset import Trainset

ACTIONS = ("like", "dislike", "rate", "not_interested")
LIKE_QUANTILE = 0.9
DISLIKE_QUANTILE = 0.1


def action_rating(action: str, value, scale) -> float | None:
    lo, hi = float(scale[0]), float(scale[1])
    if action == "like":
        return lo + LIKE_QUANTILE * (hi - lo)
    if action == "dislike":
        return lo + DISLIKE_QUANTILE * (hi - lo)
    if action == "rate":
        if value is None or not np.isfinite(float(value)):
            return None
        return float(np.clip(float(value), lo, hi))
    return None


def latest_feedback(fb: pd.DataFrame) -> pd.DataFrame:
    """The last event per (user_id, item_id) among known actions."""
    if fb is None or fb.empty:
        return pd.DataFrame(columns=["user_id", "item_id", "action", "value"])
    d = fb[fb["action"].isin(ACTIONS)].copy()
    d["user_id"] = d["user_id"].astype(str)
    d["item_id"] = d["item_id"].astype(str)
    sort = ["event_id"] if "event_id" in d else (["ts"] if "ts" in d else [])
    if sort:
        d = d.sort_values(sort, kind="stable")
    return d.drop_duplicates(["user_id", "item_id"], keep="last").reset_index(drop=True)


def feedback_ratings(fb: pd.DataFrame, scale) -> pd.DataFrame:
    """Rating rows from feedback: DataFrame[user_id, item_id, rating, timestamp]."""
    d = latest_feedback(fb)
    rows = []
    for r in d.itertuples(index=False):
        val = action_rating(r.action, getattr(r, "value", None), scale)
        if val is not None:
            rows.append(
                {"user_id": r.user_id, "item_id": r.item_id, "rating": val, "timestamp": getattr(r, "ts", pd.NaT)}
            )
    out = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    out["rating"] = out["rating"].astype(float)
    out["timestamp"] = pd.to_datetime(out["timestamp"]).astype("datetime64[ns]")
    return out


def excluded_items(fb: pd.DataFrame, user_id=None) -> dict[str, set[str]] | set[str]:
    """Films marked "not interested" (as the latest event): {user: {items}}, or one user's set."""
    d = latest_feedback(fb)
    d = d[d["action"] == "not_interested"]
    out: dict[str, set[str]] = {}
    for u, i in zip(d["user_id"], d["item_id"], strict=False):
        out.setdefault(u, set()).add(i)
    if user_id is not None:
        return out.get(str(user_id), set())
    return out


def training_frame(ratings: pd.DataFrame, fb: pd.DataFrame, scale) -> pd.DataFrame:
    """Dataset ratings plus feedback ratings (feedback replaces the same user-film pair).

    Returns canonical columns user_id, item_id, rating, timestamp, text.
    """
    base = ratings[ratings["rating"].notna()][["user_id", "item_id", "rating", "timestamp"]].copy()
    base["user_id"] = base["user_id"].astype(str)
    base["item_id"] = base["item_id"].astype(str)
    extra = feedback_ratings(fb, scale)
    if not extra.empty:
        key = pd.MultiIndex.from_frame(extra[["user_id", "item_id"]])
        drop = pd.MultiIndex.from_frame(base[["user_id", "item_id"]]).isin(key)
        base = pd.concat([base[~drop], extra], ignore_index=True)
    base["timestamp"] = pd.to_datetime(base["timestamp"]).astype("datetime64[ns]")
    base["text"] = None
    return base.reset_index(drop=True)


def supports_fold_in(model) -> bool:
    """True when the model folds feedback in without a refit (it declares
    :class:`~recsys_core.models.capabilities.FoldsInFeedback`; today plain biased SVD). SVD++ and NMF
    score differently from the plain factor product, so they refit."""
    return isinstance(model, FoldsInFeedback)


def fold_in_update(model, new_ts: Trainset, users, reg: float = 0.5):
    """A copy of a fitted model whose trainset is ``new_ts`` and whose ``users`` (raw ids) were
    re-solved by fold-in; items and other users are unchanged.

    Needs the same item catalogue in the same order (feedback only on known films).
    """
    model.check_fitted()
    if not supports_fold_in(model):
        raise ValueError(f"{getattr(model, 'name', type(model).__name__)} has no factors to fold in; refit it")
    return model.fold_in_users(new_ts, users, reg=reg)


def retrain(model, ratings: pd.DataFrame, fb: pd.DataFrame, scale, items_meta=None, mode: str = "refit"):
    """(new fitted model, training frame, n feedback events used).

    ``mode="refit"`` fits a clone of ``model`` on dataset + feedback; ``mode="fold-in"`` keeps the
    item factors and re-solves only the users with feedback (factor models only).
    """
    frame = training_frame(ratings, fb, scale)
    ts = Trainset.from_frame(frame, scale, items_meta=items_meta)
    n_used = len(latest_feedback(fb))
    if mode == "fold-in":
        users = latest_feedback(fb)["user_id"].unique().tolist()
        return fold_in_update(model, ts, users), frame, n_used
    if mode != "refit":
        raise ValueError("mode must be 'refit' or 'fold-in'")
    return model.clone().fit(ts), frame, n_used


def list_changes(before: list[str], after: list[str]) -> pd.DataFrame:
    """How a top-N list changed: one row per film in either list.

    Columns item_id, before (rank or NaN), after (rank or NaN), change in
    {"entered", "left", "up", "down", "same"}, move (before - after; positive = moved up).
    """
    b = {x: r for r, x in enumerate(before, start=1)}
    a = {x: r for r, x in enumerate(after, start=1)}
    rows = []
    for x in list(dict.fromkeys([*after, *before])):
        rb, ra = b.get(x), a.get(x)
        if rb is None:
            ch = "entered"
        elif ra is None:
            ch = "left"
        elif ra < rb:
            ch = "up"
        elif ra > rb:
            ch = "down"
        else:
            ch = "same"
        rows.append(
            {
                "item_id": x,
                "before": float(rb) if rb else np.nan,
                "after": float(ra) if ra else np.nan,
                "change": ch,
                "move": float(rb - ra) if (rb and ra) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["item_id", "before", "after", "change", "move"])
