"""Raw ids are mapped to contiguous inner ids once, here. Algorithms see integers only."""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp


class Prediction(NamedTuple):
    """An immutable prediction, as in Surprise: raw ids, true rating (or None), estimate, details."""

    user: str
    item: str
    true: float | None
    estimate: float
    details: dict


def _with_review_text(items: pd.DataFrame, interactions: pd.DataFrame, max_chars: int = 20000) -> pd.DataFrame:
    """Items with an ``item_text`` column: the reviews of *these* interactions joined per item (capped).

    A trainset is always built from training rows, so held-out reviews never reach item features.
    """
    t = interactions[interactions["text"].notna()]
    if t.empty:
        return items
    joined = t.groupby("item_id")["text"].agg(lambda s: " ".join(map(str, s))[:max_chars])
    out = items.copy()
    out["item_text"] = out["item_id"].map(joined)
    return out


class Trainset:
    """Ratings of a training split with raw <-> inner id maps and a sparse user x item matrix.

    Attributes
    ----------
    n_users, n_items, n_ratings
    users_raw, items_raw : arrays mapping inner id -> raw id
    u, i, r : arrays of inner user ids, inner item ids and ratings (one per rating)
    rating_scale : (lo, hi)
    global_mean : float
    """

    #: not saved by recsys_core.safestore (rebuilt from users_raw / items_raw on load)
    _state_skip = ("_uid", "_iid")

    def __init__(self, u, i, r, users_raw, items_raw, rating_scale, timestamps=None, items_meta=None):
        self.u = np.asarray(u, dtype=np.int32)
        self.i = np.asarray(i, dtype=np.int32)
        self.r = np.asarray(r, dtype=np.float64)
        self.users_raw = np.asarray(users_raw, dtype=object)
        self.items_raw = np.asarray(items_raw, dtype=object)
        self.rating_scale = (float(rating_scale[0]), float(rating_scale[1]))
        self.timestamps = timestamps
        self.items_meta = items_meta  # optional canonical items frame, used by content models
        self.n_users = len(self.users_raw)
        self.n_items = len(self.items_raw)
        self.n_ratings = len(self.r)
        self.global_mean = float(self.r.mean()) if self.n_ratings else float(np.mean(self.rating_scale))
        self._uid = {raw: k for k, raw in enumerate(self.users_raw)}
        self._iid = {raw: k for k, raw in enumerate(self.items_raw)}

    def _after_state_load(self) -> None:
        self._uid = {raw: k for k, raw in enumerate(self.users_raw)}
        self._iid = {raw: k for k, raw in enumerate(self.items_raw)}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(cls, df: pd.DataFrame, rating_scale=(1.0, 5.0), items_meta=None) -> "Trainset":
        """Build from canonical interactions; rows without a rating are ignored."""
        d = df[df["rating"].notna()]
        if items_meta is not None and "text" in df.columns and "item_text" not in items_meta.columns:
            items_meta = _with_review_text(items_meta, df)
        ucat = pd.Categorical(d["user_id"].astype(str))
        icat = pd.Categorical(d["item_id"].astype(str))
        ts = d["timestamp"].to_numpy() if "timestamp" in d else None
        return cls(
            ucat.codes,
            icat.codes,
            d["rating"].to_numpy(dtype=float),
            np.asarray(ucat.categories, dtype=object),
            np.asarray(icat.categories, dtype=object),
            rating_scale,
            timestamps=ts,
            items_meta=items_meta,
        )

    @classmethod
    def from_dataset(cls, ds) -> "Trainset":
        return cls.from_frame(ds.interactions, ds.rating_scale, items_meta=ds.items)

    # ------------------------------------------------------------------ id maps
    def knows_user(self, raw) -> bool:
        return raw in self._uid

    def knows_item(self, raw) -> bool:
        return raw in self._iid

    def inner_user(self, raw) -> int:
        """Inner id of a raw user id, -1 when the trainset does not know the user."""
        return self._uid.get(str(raw), -1)

    def inner_item(self, raw) -> int:
        """Inner id of a raw item id, -1 when the trainset does not know the item."""
        return self._iid.get(str(raw), -1)

    def to_inner_uid(self, raw) -> int:
        return self._uid[raw]

    def to_inner_iid(self, raw) -> int:
        return self._iid[raw]

    def inner_uids(self, raws) -> np.ndarray:
        """Inner ids for raw user ids, -1 where unknown."""
        return np.array([self._uid.get(x, -1) for x in raws], dtype=np.int64)

    def inner_iids(self, raws) -> np.ndarray:
        return np.array([self._iid.get(x, -1) for x in raws], dtype=np.int64)

    # ------------------------------------------------------------------ matrices
    @cached_property
    def csr(self) -> sp.csr_matrix:
        """users x items ratings (explicit zeros impossible: ratings are stored in .data)."""
        m = sp.csr_matrix((self.r, (self.u, self.i)), shape=(self.n_users, self.n_items))
        m.sum_duplicates()
        return m

    @cached_property
    def csc(self) -> sp.csc_matrix:
        return self.csr.tocsc()

    @cached_property
    def binary(self) -> sp.csr_matrix:
        b = self.csr.copy()
        b.data = np.ones_like(b.data)
        return b

    @cached_property
    def item_counts(self) -> np.ndarray:
        return np.bincount(self.i, minlength=self.n_items)

    @cached_property
    def user_counts(self) -> np.ndarray:
        return np.bincount(self.u, minlength=self.n_users)

    def seen_items(self, inner_u: int) -> np.ndarray:
        c = self.csr
        return c.indices[c.indptr[inner_u] : c.indptr[inner_u + 1]]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "user_id": self.users_raw[self.u],
                "item_id": self.items_raw[self.i],
                "rating": self.r,
            }
        )

    def __repr__(self) -> str:
        return (
            f"Trainset(users={self.n_users}, items={self.n_items}, ratings={self.n_ratings}, scale={self.rating_scale})"
        )
