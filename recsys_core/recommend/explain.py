"""Reasons for recommended items, for any model, as data (the UI words them).

The model decides which kind of reason comes first:

* ``item``    films the user liked that are similar (the model's ``neighbour_reasons`` when it declares
              item neighbours; for any other model a generic cosine over the rating matrix, from
              the :class:`Catalogue`)
* ``user``    similar users who liked it (a model declaring user neighbours)
* ``content`` shared features: the model's ``feature_reasons`` when it declares them, else shared
              genres or people with the films the user liked
* ``latent``  close in latent-factor space to a film the user liked (models with ``item_vectors()``)
* ``popular`` last resort: many people rated it

Which kinds a model offers comes from its declared capabilities
(:mod:`recsys_core.models.capabilities`), never from its name.

When the preferred kind has nothing to say for an item, the next one is tried, so every item gets
a reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..data.dataset import relevance_threshold
from ..models.capabilities import ExplainsByFeatures, ExplainsByNeighbours, HasItemVectors
from .catalogue import Catalogue

MIN_LATENT_COSINE = 0.1  # weaker latent neighbours do not make a convincing reason


@dataclass(frozen=True)
class Reason:
    """Why an item is recommended, as data; the UI words it from its catalogue.

    ``kind``: item | user | latent | content | popular. ``evidence``: [(raw id, title or None,
    similarity)] (films for item/latent, users for user, genres for content). ``count``: similar
    viewers (user) or raters (popular). ``features``: for content, ((feature kind, (values, ...)), ...)
    with kinds genre | person | keyword | year | region; ``source`` says whether they come from the
    content model's taste profile ("profile") or from films the user liked ("liked").
    """

    kind: str
    evidence: list = field(default_factory=list)
    count: int = 0
    features: tuple = ()
    source: str = ""

    @property
    def titles(self) -> list[str]:
        return [t for _, t, _ in self.evidence if t]

    @property
    def similarity(self) -> float:
        return float(self.evidence[0][2]) if self.evidence else float("nan")


def liked_items(cat: Catalogue, user, threshold: float | None = None) -> np.ndarray:
    """Inner ids of the items ``user`` liked in the catalogue's trainset.

    Liked = rated at or above the relevance threshold; when there is none, rated above the user's
    own mean; unknown users have none.
    """
    ts = cat.ts
    u = ts.inner_user(user)
    if u < 0:
        return np.array([], dtype=np.int64)
    c = ts.csr
    sl = slice(c.indptr[u], c.indptr[u + 1])
    items, r = c.indices[sl], c.data[sl]
    thr = relevance_threshold(ts.rating_scale) if threshold is None else threshold
    liked = items[r >= thr]
    if len(liked) == 0 and len(r):
        liked = items[r > r.mean()]
    return liked.astype(np.int64)


def _item_reason(evidence) -> Reason:
    return Reason("item", list(evidence))


def _user_reason(evidence, n_total: int) -> Reason:
    return Reason("user", list(evidence), count=int(n_total))


def _latent_reason(evidence) -> Reason:
    return Reason("latent", list(evidence))


def _popular_reason(count: int) -> Reason:
    return Reason("popular", [], count=int(count))


class Explainer:
    """Reasons for one model and catalogue; cheap to build, call :meth:`explain` per list."""

    def __init__(self, model, cat: Catalogue):
        self.model = model
        self.cat = cat
        vec = None
        if isinstance(model, HasItemVectors):
            try:
                vec = np.asarray(model.item_vectors(), dtype=float)
            except Exception:  # noqa: BLE001 - a model without factors simply has no latent reasons
                vec = None
        if vec is not None and vec.shape[0] == cat.n_items:
            norms = np.linalg.norm(vec, axis=1)
            self.latent = vec / np.where(norms > 0, norms, 1.0)[:, None]
        else:
            self.latent = None

    def _neighbour_kind(self) -> str | None:
        return self.model.neighbour_kind if isinstance(self.model, ExplainsByNeighbours) else None

    def order(self) -> list[str]:
        m = self.model
        if isinstance(m, ExplainsByFeatures):
            return ["content", "item", "popular"]
        if self._neighbour_kind() == "item":
            return ["item", "content", "popular"]
        if self._neighbour_kind() == "user":
            return ["user", "item", "content", "popular"]
        if self.latent is not None:
            return ["latent", "item", "content", "popular"]
        return ["item", "content", "popular"]

    # ------------------------------------------------------------------ kinds
    def _by_item(self, user, j: int, liked: np.ndarray, n: int, known: bool):
        cat = self.cat
        if known and self._neighbour_kind() == "item":
            pairs = self.model.neighbour_reasons(user, cat.item_ids[j], n)
            idx = cat.inner([p[0] for p in pairs])
            ev = [(str(p[0]), cat.titles[k], float(p[1])) for p, k in zip(pairs, idx, strict=False) if k >= 0]
            return _item_reason(ev) if ev else None
        cand = liked[liked != j]
        if not len(cand):
            return None
        sims = self.cat.item_cosine([j], cand)[0]
        order = np.argsort(-sims, kind="stable")[:n]
        ev = [(str(cat.item_ids[cand[o]]), cat.titles[cand[o]], float(sims[o])) for o in order if sims[o] > 0]
        return _item_reason(ev) if ev else None

    def _by_user(self, user, j: int, n: int, known: bool):
        if not known or self._neighbour_kind() != "user":
            return None
        pairs = self.model.neighbour_reasons(user, self.cat.item_ids[j], max(n, 20))
        if not pairs:
            return None
        return _user_reason([(str(p[0]), None, float(p[1])) for p in pairs[:n]], len(pairs))

    def _by_latent(self, j: int, liked: np.ndarray, n: int):
        if self.latent is None:
            return None
        cand = liked[liked != j]
        if not len(cand):
            return None
        sims = self.latent[cand] @ self.latent[j]
        order = np.argsort(-sims, kind="stable")[:n]
        ev = [
            (str(self.cat.item_ids[cand[o]]), self.cat.titles[cand[o]], float(sims[o]))
            for o in order
            if sims[o] >= MIN_LATENT_COSINE
        ]
        return _latent_reason(ev) if ev else None

    def _by_content_model(self, user, j: int, known: bool):
        """A content model's own feature reasons ("genre:…", "person:…", "keyword:…", "year:…", "region:…")."""
        if not known or not isinstance(self.model, ExplainsByFeatures):
            return None
        pairs = self.model.feature_reasons(user, self.cat.item_ids[j], 6)
        groups: dict[str, list[str]] = {}
        for label, _ in pairs:
            kind, _, value = str(label).partition(":")
            if value:
                groups.setdefault(kind, []).append(value)
        if not groups:
            return None
        return Reason(
            "content",
            [(label, None, float(w)) for label, w in pairs],
            features=tuple((k, tuple(v[:3])) for k, v in groups.items()),
            source="profile",
        )

    def _by_content(self, j: int, liked: np.ndarray, liked_genres: Counter, liked_people: Counter, pref_genres: tuple):
        cat = self.cat
        genres = cat.genres[j]
        shared = [g for g in genres if g in liked_genres or g in pref_genres]
        shared.sort(key=lambda g: (-liked_genres.get(g, 0), g))
        people = [p for p in cat.people[j] if p in liked_people]
        if not shared and not people:
            return None
        feats = []
        if shared:
            feats.append(("genre", tuple(shared[:3])))
        if people:
            feats.append(("person", tuple(people[:2])))
        ev = [(g, None, float(liked_genres.get(g, 0))) for g in shared[:3]]
        return Reason("content", ev, features=tuple(feats), source="liked")

    # ------------------------------------------------------------------ public
    def explain(self, user, items, liked=None, n: int = 2, pref_genres=()) -> dict[str, Reason]:
        """{raw item id: Reason} for the raw ``items`` recommended to ``user``.

        ``liked``: inner ids of the films the user liked (default: from the model's trainset);
        pass it for cold-start visitors. ``pref_genres``: genres the visitor said they like.
        """
        cat = self.cat
        known = cat.ts.knows_user(str(user))
        liked = liked_items(cat, user) if liked is None else np.asarray(liked, dtype=np.int64)
        liked_genres = Counter(g for k in liked for g in cat.genres[k])
        liked_people = Counter(p for k in liked for p in cat.people[k])
        out: dict[str, Reason] = {}
        for raw, j in zip(items, cat.inner(items), strict=False):
            reason = None
            if j >= 0:
                for kind in self.order():
                    if kind == "item":
                        reason = self._by_item(user, int(j), liked, n, known)
                    elif kind == "user":
                        reason = self._by_user(user, int(j), n, known)
                    elif kind == "latent":
                        reason = self._by_latent(int(j), liked, n)
                    elif kind == "content":
                        reason = self._by_content_model(user, int(j), known) or self._by_content(
                            int(j), liked, liked_genres, liked_people, tuple(pref_genres)
                        )
                    else:
                        reason = _popular_reason(int(cat.popularity[j]))
                    if reason is not None:
                        break
            out[str(raw)] = reason or _popular_reason(0)
        return out
