"""Item side information aligned with a trainset's inner item ids, computed once per trainset.

A :class:`Catalogue` holds, for every item of a fitted model's trainset: title, year, region, genres
(and a multi-hot genre matrix), people, popularity, and the L2-normalised columns of the rating
matrix (so item-item cosine between any two sets of items is one small sparse product; no dense
n_items x n_items matrix is ever built). Everything the Recommend page lists, filters, re-ranks and
explains reads from it, so a list refresh is pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..trainset import Trainset


@dataclass(frozen=True)
class Filters:
    """Which items may be listed. Empty tuples / None mean "no constraint"."""

    genres: tuple[str, ...] = ()  # keep items with at least one of these genres
    year_min: int | None = None
    year_max: int | None = None
    regions: tuple[str, ...] = ()  # keep items from one of these regions
    exclude_items: frozenset = field(default_factory=frozenset)  # raw item ids never listed

    def is_empty(self) -> bool:
        return (
            not (self.genres or self.regions or self.exclude_items) and self.year_min is None and self.year_max is None
        )


def _as_list(v) -> list:
    if v is None:
        return []
    if isinstance(v, float) and v != v:
        return []
    if isinstance(v, str):
        return [x for x in v.split("|") if x]
    return [str(x) for x in v]


class Catalogue:
    def __init__(self, ts: Trainset, items_meta: pd.DataFrame | None = None):
        self.ts = ts
        n = ts.n_items
        self.item_ids = ts.items_raw
        meta = items_meta if items_meta is not None else getattr(ts, "items_meta", None)
        if meta is not None and len(meta):
            m = meta.drop_duplicates("item_id").set_index("item_id").reindex(list(ts.items_raw))
        else:
            m = pd.DataFrame(index=pd.Index(list(ts.items_raw), name="item_id"))
        self.has_meta = meta is not None and len(meta) > 0
        titles = m["title"] if "title" in m else pd.Series([None] * n, index=m.index)
        self.titles = np.array(
            [
                str(t) if isinstance(t, str) and t.strip() else str(i)
                for i, t in zip(ts.items_raw, titles, strict=False)
            ],
            dtype=object,
        )
        if "year" in m:
            self.years = pd.to_numeric(m["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        else:
            self.years = np.full(n, np.nan)
        if "region" in m:
            self.regions = np.array([r if isinstance(r, str) and r else "" for r in m["region"]], dtype=object)
        else:
            self.regions = np.full(n, "", dtype=object)
        self.genres = [_as_list(g) for g in (m["genres"] if "genres" in m else [None] * n)]
        self.people = [_as_list(p) for p in (m["people"] if "people" in m else [None] * n)]
        names = sorted({g for gs in self.genres for g in gs})
        self.genre_names = names
        gidx = {g: k for k, g in enumerate(names)}
        rows = [r for r, gs in enumerate(self.genres) for _ in gs]
        cols = [gidx[g] for gs in self.genres for g in gs]
        G = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, max(len(names), 1)))
        G.data[:] = 1.0
        self.G = G
        self.region_names = sorted({r for r in self.regions if r})
        # popularity (number of ratings) and a 0..1 log-scaled version for novelty penalties
        self.popularity = np.asarray(ts.item_counts, dtype=float)
        top = np.log1p(self.popularity.max()) if n else 1.0
        self.pop_norm = np.log1p(self.popularity) / (top if top > 0 else 1.0)
        # L2-normalised item columns of the rating matrix (users x items), for item-item cosine
        X = ts.csc.astype(float)
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=0)).ravel())
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self.Xn = (X @ sp.diags(inv)).tocsc()

    # ------------------------------------------------------------------ lookups
    @property
    def n_items(self) -> int:
        return self.ts.n_items

    def inner(self, raw_items) -> np.ndarray:
        return self.ts.inner_iids([str(x) for x in raw_items])

    def year_range(self) -> tuple[int, int] | None:
        y = self.years[np.isfinite(self.years)]
        return (int(y.min()), int(y.max())) if len(y) else None

    def item_row(self, j: int) -> dict:
        y = self.years[j]
        return {
            "item_id": str(self.item_ids[j]),
            "title": self.titles[j],
            "year": int(y) if np.isfinite(y) else None,
            "genres": list(self.genres[j]),
            "region": self.regions[j] or None,
            "ratings": int(self.popularity[j]),
        }

    # ------------------------------------------------------------------ similarities
    def item_cosine(self, a, b) -> np.ndarray:
        """(len(a), len(b)) cosine similarity of items' rating columns (co-rating users only)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        if len(a) == 0 or len(b) == 0:
            return np.zeros((len(a), len(b)))
        return np.asarray((self.Xn[:, a].T @ self.Xn[:, b]).toarray())

    def genre_vectors(self) -> sp.csr_matrix:
        return self.G

    # ------------------------------------------------------------------ filters
    def mask(self, filters: Filters | None) -> np.ndarray:
        """Boolean over inner items: True where the item passes the filters."""
        ok = np.ones(self.n_items, dtype=bool)
        if filters is None:
            return ok
        if filters.genres:
            want = set(filters.genres)
            ok &= np.array([bool(want.intersection(gs)) for gs in self.genres], dtype=bool)
        if filters.year_min is not None:
            ok &= np.nan_to_num(self.years, nan=-np.inf) >= filters.year_min
        if filters.year_max is not None:
            ok &= np.nan_to_num(self.years, nan=np.inf) <= filters.year_max
        if filters.regions:
            want_r = set(filters.regions)
            ok &= np.array([r in want_r for r in self.regions], dtype=bool)
        if filters.exclude_items:
            idx = self.inner(filters.exclude_items)
            ok[idx[idx >= 0]] = False
        return ok
