"""Cold start: a new visitor rates a handful of films and gets a list at once.

* :func:`onboarding_items` draws a diverse popular set: the most-rated films of each genre in turn
  (the visitor's favourite genres first), without duplicates.
* fold-in (:func:`recsys_core.models.mf.fold_in_user` for factor models) solves a ridge regression
  for a new user's bias and factor vector given the item factors, without refitting anything::

      min_{b_u, p_u}  sum_j (r_j - mu - b_j - b_u - q_j . p_u)^2 + reg * (b_u^2 + |p_u|^2)

* :func:`cold_scores` scores every item for the visitor: the model's own fold-in when it declares
  :class:`~recsys_core.models.capabilities.FoldsIn`, else item-neighbour scoring (cosine over the
  rating matrix); both blended with genre affinity.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..models.capabilities import FoldsIn
from .catalogue import Catalogue


def onboarding_items(cat: Catalogue, genres=(), n: int = 10, min_ratings: int = 1) -> list[str]:
    """Raw ids of ``n`` popular films spread over genres (favourite ``genres`` first, then the rest).

    Round-robin over genres, each time taking that genre's most-rated film not yet taken.
    Catalogues without genres fall back to the most-rated films.
    """
    pop = cat.popularity
    order = np.lexsort((np.arange(cat.n_items), -pop))  # most popular first, ties by inner id
    order = [int(j) for j in order if pop[j] >= min_ratings]
    by_genre: dict[str, list[int]] = {}
    for j in order:
        for g in cat.genres[j]:
            by_genre.setdefault(g, []).append(j)
    fav = [g for g in genres if g in by_genre]
    rest = sorted((g for g in by_genre if g not in fav), key=lambda g: (-sum(pop[j] for j in by_genre[g][:5]), g))
    seq = fav + rest
    taken: list[int] = []
    seen: set[int] = set()
    pos = {g: 0 for g in seq}
    while len(taken) < n and seq:
        progressed = False
        for g in seq:
            lst = by_genre[g]
            while pos[g] < len(lst) and lst[pos[g]] in seen:
                pos[g] += 1
            if pos[g] < len(lst):
                j = lst[pos[g]]
                taken.append(j)
                seen.add(j)
                progressed = True
                if len(taken) >= n:
                    break
        if not progressed:
            break
    for j in order:  # top up with popular films when the genres run out
        if len(taken) >= n:
            break
        if j not in seen:
            taken.append(j)
            seen.add(j)
    return [str(cat.item_ids[j]) for j in taken[:n]]


@dataclass
class ColdStart:
    scores: np.ndarray  # over the catalogue's inner items
    method: str  # "fold-in" or "neighbours"
    liked: np.ndarray  # inner ids the visitor liked (for reasons)
    rated: np.ndarray  # inner ids the visitor rated (excluded from the list)


def genre_affinity(cat: Catalogue, pref_genres=(), rated=(), ratings=(), scale=(1.0, 5.0)) -> np.ndarray:
    """0..1 per item: share of the item's genres that the visitor picked or rated above the midpoint."""
    mid = (scale[0] + scale[1]) / 2.0
    liked_g = set(pref_genres)
    for j, r in zip(rated, ratings, strict=False):
        if r > mid:
            liked_g.update(cat.genres[int(j)])
    out = np.zeros(cat.n_items)
    if not liked_g:
        return out
    for j, gs in enumerate(cat.genres):
        if gs:
            out[j] = sum(g in liked_g for g in gs) / len(gs)
    return out


def cold_scores(
    model, cat: Catalogue, ratings: dict, pref_genres=(), reg: float = 0.5, genre_weight: float = 0.15
) -> ColdStart:
    """Scores over all items for a visitor who gave ``ratings`` ({raw item id: rating}).

    Models that declare :class:`FoldsIn` (SVD, SVD++, NMF): their fold-in scores
    (mu + b_i + b_u + q_i . p_u for the factor models). Others: the visitor's mean plus the similarity-weighted mean-centred ratings of the rated films
    (item-neighbour scoring). Both add ``genre_weight`` x (scale width) x genre affinity.
    """
    lo, hi = cat.ts.rating_scale
    raw = [str(k) for k in ratings]
    idx = cat.inner(raw)
    keep = idx >= 0
    items = idx[keep]
    r = np.array([float(ratings[k]) for k in raw], dtype=float)[keep]
    if isinstance(model, FoldsIn) and len(items):
        s = np.asarray(model.fold_in(items, r, reg=reg), dtype=float)
        method = "fold-in"
    else:
        mean = float(r.mean()) if len(r) else cat.ts.global_mean
        if len(items):
            S = cat.item_cosine(np.arange(cat.n_items), items)  # (n_items, rated)
            den = np.abs(S).sum(axis=1)
            num = S @ (r - mean)
            s = mean + np.divide(num, den, out=np.zeros_like(num), where=den > 0)
            # films nobody co-rated with the visitor's films: fall back to popularity-ish bias
            s = np.where(den > 0, s, mean - 0.1 * (hi - lo) * (1 - cat.pop_norm))
        else:
            s = np.full(cat.n_items, mean) + 0.1 * (hi - lo) * cat.pop_norm
        method = "neighbours"
    s = s + genre_weight * (hi - lo) * genre_affinity(cat, pref_genres, items, r, (lo, hi))
    liked = items[r >= lo + 0.75 * (hi - lo)] if len(items) else items
    if len(items) and not len(liked):
        liked = items[r >= r.mean()]
    return ColdStart(np.asarray(s, dtype=float), method, liked, items)


def new_user_id(seed: str) -> str:
    """A generated id for a new visitor, e.g. ``new-3f2a9c1b7e``."""
    return "new-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:10]
