"""A dataset: canonical interactions plus optional item and user metadata."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from .schema import conform_interactions, conform_items, conform_users


@dataclass(frozen=True)
class Dataset:
    interactions: pd.DataFrame
    items: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    rating_scale: tuple[float, float] = (1.0, 5.0)
    name: str = "dataset"
    sources: tuple[str, ...] = ()
    version: str | None = None
    meta: dict = field(default_factory=dict)
    # what is derived from the (immutable) tables, computed once per Dataset: pages ask for the rated rows and the
    # reviews on every rerun, and a pass over a 10M-row table costs seconds
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _once(self, key: str, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @classmethod
    def from_frames(cls, interactions, items=None, users=None, rating_scale=None, **kw) -> "Dataset":
        inter = conform_interactions(interactions)
        if rating_scale is None:
            rating_scale = infer_rating_scale(inter["rating"])
        return cls(inter, conform_items(items), conform_users(users), tuple(float(x) for x in rating_scale), **kw)

    def with_version(self, version: str) -> "Dataset":
        return replace(self, version=version)

    @property
    def ratings(self) -> pd.DataFrame:
        """Rows that carry a rating (the input to rating models). A shallow copy of a frame computed once: with
        copy-on-write a caller's change never reaches the dataset."""
        return self._once("ratings", self._rated_rows).copy(deep=False)

    @property
    def reviews(self) -> pd.DataFrame:
        """Rows with a non-blank review text (computed once, returned as a shallow copy like :attr:`ratings`)."""
        return self._once("reviews", self._reviewed_rows).copy(deep=False)

    def _rated_rows(self) -> pd.DataFrame:
        keep = self.interactions["rating"].notna()
        return self.interactions if keep.all() else self.interactions[keep]

    def _reviewed_rows(self) -> pd.DataFrame:
        t = self.interactions["text"]
        keep = t.notna()
        if keep.any():  # only present texts are spelt out and stripped (most rows of a rating log have none)
            keep[keep] = t[keep].astype(str).str.strip() != ""
        return self.interactions[keep]

    def rating_shape(self) -> tuple[int, int, int]:
        """(users, films, ratings) among the rated rows: what a model's cost envelope is checked against."""

        def shape():
            r = self.ratings
            return int(r["user_id"].nunique()), int(r["item_id"].nunique()), int(len(r))

        return self._once("rating_shape", shape)

    @property
    def relevance_threshold(self) -> float:
        return relevance_threshold(self.rating_scale)

    def item_titles(self) -> dict[str, str]:
        if self.items is None:
            return {}
        return dict(zip(self.items["item_id"], self.items["title"].fillna(self.items["item_id"])))

    def summary(self) -> dict:
        return {k: list(v) if isinstance(v, list) else v for k, v in self._once("summary", self._summary).items()}

    def _summary(self) -> dict:
        r = self.ratings
        n_users = self.interactions["user_id"].nunique()
        n_items = self.interactions["item_id"].nunique()
        n_ratings = len(r)
        density = n_ratings / (r["user_id"].nunique() * r["item_id"].nunique()) if n_ratings else 0.0
        ts = self.interactions["timestamp"].dropna()
        return {
            "name": self.name,
            "version": self.version,
            "users": int(n_users),
            "items": int(n_items),
            "interactions": int(len(self.interactions)),
            "ratings": int(n_ratings),
            "reviews": int(len(self.reviews)),
            "rating_scale": [float(x) for x in self.rating_scale],
            "mean_rating": float(r["rating"].mean()) if n_ratings else None,
            "sparsity": float(1.0 - density) if n_ratings else None,
            "first_time": ts.min().isoformat() if len(ts) else None,
            "last_time": ts.max().isoformat() if len(ts) else None,
            "has_items": self.items is not None,
            "has_users": self.users is not None,
        }


def infer_rating_scale(ratings: pd.Series) -> tuple[float, float]:
    """Guess the declared scale from observed values (1-5, 0.5-5, 1-10, 0-5, 0-100...)."""
    r = pd.to_numeric(ratings, errors="coerce").dropna()
    if r.empty:
        return (1.0, 5.0)
    lo, hi = float(r.min()), float(r.max())
    if hi <= 5:
        if lo < 0.5:
            return (0.0, 5.0)
        if lo < 1 or (r % 1 != 0).any():
            return (0.5, 5.0)
        return (1.0, 5.0)
    if hi <= 10:
        return (0.0, 10.0) if lo < 1 else (1.0, 10.0)
    if hi <= 100:
        return (0.0, 100.0)
    return (lo, hi)


def relevance_threshold(scale: tuple[float, float]) -> float:
    """4 on a 1-5 scale, scaled linearly for other scales (8.5 on 1-10)."""
    lo, hi = scale
    return float(lo + (4.0 - 1.0) / (5.0 - 1.0) * (hi - lo))
