"""Satisfaction and buzz around release: daily review volume, sentiment and rating against daily
box office, in days relative to the release date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UserError


def release_buzz(
    ds,
    item_id: str,
    release_date=None,
    daily: pd.DataFrame | None = None,
    sentiment: pd.DataFrame | None = None,
    before: int = 14,
    after: int = 42,
) -> pd.DataFrame:
    """One row per day from ``before`` days before to ``after`` days after release: day (offset),
    date, reviews, ratings, mean_rating, mean_sentiment (from ``sentiment``: item_id, timestamp,
    score in [0, 1]) and gross (from the daily box-office table)."""
    item_id = str(item_id)
    inter = ds.interactions[ds.interactions["item_id"] == item_id]
    if release_date is None or pd.isna(release_date):
        if daily is not None and (daily["item_id"] == item_id).any():
            release_date = daily.loc[daily["item_id"] == item_id, "date"].min()
        elif inter["timestamp"].notna().any():
            release_date = inter["timestamp"].min()
        else:
            raise UserError(f"film {item_id}: no release date, daily box office or dated reviews to place the release")
    rel = pd.Timestamp(release_date).normalize()
    days = pd.date_range(rel - pd.Timedelta(days=before), rel + pd.Timedelta(days=after), freq="D")
    out = pd.DataFrame({"date": days, "day": np.arange(-before, after + 1)})
    d = inter.assign(date=inter["timestamp"].dt.normalize())
    texts = d["text"].notna() & (d["text"].astype(str).str.strip() != "")
    out["reviews"] = out["date"].map(d[texts].groupby("date").size()).fillna(0).astype(int)
    out["ratings"] = out["date"].map(d[d["rating"].notna()].groupby("date").size()).fillna(0).astype(int)
    out["mean_rating"] = out["date"].map(d.groupby("date")["rating"].mean())
    if sentiment is not None and len(sentiment):
        s = sentiment[sentiment["item_id"].astype(str) == item_id]
        s = s.assign(date=pd.to_datetime(s["timestamp"]).dt.normalize())
        out["mean_sentiment"] = out["date"].map(s.groupby("date")["score"].mean())
    else:
        out["mean_sentiment"] = np.nan
    if daily is not None and len(daily):
        g = daily[daily["item_id"].astype(str) == item_id].assign(
            date=lambda x: pd.to_datetime(x["date"]).dt.normalize()
        )
        out["gross"] = out["date"].map(g.groupby("date")["gross"].sum())
    else:
        out["gross"] = np.nan
    return out


def buzz_summary(frame: pd.DataFrame) -> dict:
    """Totals before / after release and the correlation of daily reviews with daily gross."""
    pre, post = frame[frame["day"] < 0], frame[frame["day"] >= 0]
    both = post.dropna(subset=["gross"])
    corr = float(both["reviews"].corr(both["gross"])) if len(both) > 2 and both["reviews"].std() > 0 else float("nan")
    return {
        "reviews_before": int(pre["reviews"].sum()),
        "reviews_after": int(post["reviews"].sum()),
        "mean_rating_after": float(post["mean_rating"].mean()) if post["mean_rating"].notna().any() else float("nan"),
        "gross_total": float(post["gross"].sum()) if post["gross"].notna().any() else float("nan"),
        "reviews_gross_corr": corr,
    }
