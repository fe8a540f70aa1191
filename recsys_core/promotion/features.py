"""Profile features per user for the ad-response and uplift models (numbers only, indexed by user_id)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def user_features(ds, segments: pd.DataFrame | None = None, max_genres: int = 16) -> pd.DataFrame:
    """age, one-hot gender / city, log ratings, mean rating, recency, genre shares of ratings,
    and one-hot segment (when ``segments`` has user_id, segment)."""
    r = ds.ratings
    users = pd.Index(sorted(set(ds.interactions["user_id"]) | set(ds.users["user_id"] if ds.users is not None else [])))
    out = pd.DataFrame(index=users)
    g = r.groupby("user_id")
    out["log_ratings"] = np.log1p(g.size().reindex(users).fillna(0))
    out["mean_rating"] = g["rating"].mean().reindex(users)
    last = ds.interactions.groupby("user_id")["timestamp"].max().reindex(users)
    end = ds.interactions["timestamp"].max()
    out["recency_days"] = (end - last).dt.days.astype("float64")
    if ds.users is not None:
        u = ds.users.set_index("user_id").reindex(users)
        out["age"] = pd.to_numeric(u["age"], errors="coerce").astype("float64")
        for c in ("gender", "city"):
            if c in u and u[c].notna().any():
                d = pd.get_dummies(u[c].astype(object).where(u[c].notna(), None), prefix=c, prefix_sep=":", dtype=float)
                out = out.join(d)
    if ds.items is not None and len(r):
        gi = ds.items.set_index("item_id")["genres"]
        ex = r[["user_id", "item_id"]].assign(genre=r["item_id"].map(gi)).explode("genre").dropna(subset=["genre"])
        top = ex["genre"].value_counts().index[:max_genres]
        share = pd.crosstab(ex["user_id"], ex["genre"], normalize="index").reindex(columns=top).reindex(users)
        share.columns = [f"genre:{c}" for c in share.columns]
        out = out.join(share)
    if segments is not None and len(segments):
        s = segments.drop_duplicates("user_id").set_index("user_id")["segment"].reindex(users)
        out = out.join(pd.get_dummies(s.astype("Int64").astype(object), prefix="segment", prefix_sep=":", dtype=float))
    out = out.astype("float64")
    return out.fillna(out.median(numeric_only=True)).fillna(0.0)


def describe_users(ds, segments: pd.DataFrame | None = None, names: dict | None = None) -> pd.DataFrame:
    """Readable traits per user for group tables: age band, gender, city, segment (name)."""
    users = pd.Index(sorted(set(ds.interactions["user_id"])))
    out = pd.DataFrame(index=users)
    if ds.users is not None:
        u = ds.users.set_index("user_id").reindex(users)
        for c in ("age_band", "gender", "city"):
            if c in u and u[c].notna().any():
                out[c] = u[c]
    if segments is not None and len(segments):
        s = segments.drop_duplicates("user_id").set_index("user_id")["segment"].reindex(users)
        out["segment"] = s.map(lambda v: (names or {}).get(int(v), f"#{int(v)}") if pd.notna(v) else None)
    return out
