"""Reasons in words for recommended items, for any model.

The model decides which kind of reason comes first:

* ``item``    films the user liked that are similar (ItemCF's ``item_reasons``; for any other model
              a generic cosine over the rating matrix, from the :class:`Catalogue`)
* ``user``    similar users who liked it (UserCF's ``user_reasons``)
* ``content`` shared genres or people with the films the user liked
* ``latent``  close in latent-factor space to a film the user liked (SVD-like ``item_vectors()``)
* ``popular`` last resort: many people rated it

When the preferred kind has nothing to say for an item, the next one is tried, so every item gets
a reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..data.dataset import relevance_threshold
from .catalogue import Catalogue

MIN_LATENT_COSINE = 0.1  # weaker latent neighbours do not make a convincing reason


@dataclass(frozen=True)
class Reason:
    kind: str
    text_zh: str
    text_en: str
    evidence: list = field(default_factory=list)  # [(raw id, title or None, similarity)]

    def text(self, lang: str = "zh") -> str:
        return self.text_zh if lang == "zh" else self.text_en


def liked_items(cat: Catalogue, user, threshold: float | None = None) -> np.ndarray:
    """Inner ids of the items ``user`` liked in the catalogue's trainset.

    Liked = rated at or above the relevance threshold; when there is none, rated above the user's
    own mean; unknown users have none.
    """
    ts = cat.ts
    u = ts._uid.get(str(user), -1)
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


def _quote(titles: list[str], lang: str) -> str:
    if lang == "zh":
        return "".join(f"《{t}》" for t in titles)
    return " and ".join(f"“{t}”" for t in titles)


def _item_reason(evidence) -> Reason:
    titles = [t for _, t, _ in evidence]
    s = evidence[0][2]
    return Reason(
        "item",
        f"因为你喜欢{_quote(titles, 'zh')}，它们和这部片很相似（相似度 {s:.2f}）",
        f"Because you liked {_quote(titles, 'en')}, which are similar (similarity {s:.2f})",
        list(evidence),
    )


def _user_reason(evidence, n_total: int) -> Reason:
    ex = evidence[0][0]
    return Reason(
        "user",
        f"和你口味相近的 {n_total} 位观众（如用户 {ex}）给了它高于预期的评分",
        f"{n_total} viewers with taste like yours (e.g. user {ex}) rated it above expectation",
        list(evidence),
    )


def _latent_reason(evidence) -> Reason:
    titles = [t for _, t, _ in evidence]
    s = evidence[0][2]
    return Reason(
        "latent",
        f"在潜在因子空间里接近你喜欢的{_quote(titles, 'zh')}（余弦 {s:.2f}）",
        f"Close in latent-factor space to {_quote(titles, 'en')}, which you liked (cosine {s:.2f})",
        list(evidence),
    )


def _popular_reason(count: int) -> Reason:
    return Reason("popular", f"很多观众看过（{count} 人评分）", f"Popular: rated by {count} viewers", [])


class Explainer:
    """Reasons for one model and catalogue; cheap to build, call :meth:`explain` per list."""

    def __init__(self, model, cat: Catalogue):
        self.model = model
        self.cat = cat
        vec = None
        if hasattr(model, "item_vectors"):
            try:
                vec = np.asarray(model.item_vectors(), dtype=float)
            except Exception:  # noqa: BLE001 - a model without factors simply has no latent reasons
                vec = None
        if vec is not None and vec.shape[0] == cat.n_items:
            norms = np.linalg.norm(vec, axis=1)
            self.latent = vec / np.where(norms > 0, norms, 1.0)[:, None]
        else:
            self.latent = None

    def order(self) -> list[str]:
        m = self.model
        if getattr(m, "name", "") == "content":
            return ["content", "item", "popular"]
        if hasattr(m, "item_reasons"):
            return ["item", "content", "popular"]
        if hasattr(m, "user_reasons"):
            return ["user", "item", "content", "popular"]
        if self.latent is not None:
            return ["latent", "item", "content", "popular"]
        return ["item", "content", "popular"]

    # ------------------------------------------------------------------ kinds
    def _by_item(self, user, j: int, liked: np.ndarray, n: int, known: bool):
        cat = self.cat
        if known and hasattr(self.model, "item_reasons"):
            pairs = self.model.item_reasons(user, cat.item_ids[j], n)
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
        if not known or not hasattr(self.model, "user_reasons"):
            return None
        pairs = self.model.user_reasons(user, self.cat.item_ids[j], max(n, 20))
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
        if not known or getattr(self.model, "name", "") != "content" or not hasattr(self.model, "item_reasons"):
            return None
        pairs = self.model.item_reasons(user, self.cat.item_ids[j], 6)
        groups: dict[str, list[str]] = {}
        for label, _ in pairs:
            kind, _, value = str(label).partition(":")
            if value:
                groups.setdefault(kind, []).append(value)
        if not groups:
            return None
        names = {
            "genre": ("类型", "genres"),
            "person": ("主创", "people"),
            "keyword": ("关键词", "keywords"),
            "year": ("年代", "era"),
            "region": ("地区", "region"),
        }
        zh = [f"{names.get(k, (k, k))[0]} {'、'.join(v[:3])}" for k, v in groups.items()]
        en = [f"{names.get(k, (k, k))[1]} {', '.join(v[:3])}" for k, v in groups.items()]
        return Reason(
            "content",
            "与你的口味画像相符：" + "；".join(zh),
            "Matches your taste profile: " + "; ".join(en),
            [(label, None, float(w)) for label, w in pairs],
        )

    def _by_content(self, j: int, liked: np.ndarray, liked_genres: Counter, liked_people: Counter, pref_genres: tuple):
        cat = self.cat
        genres = cat.genres[j]
        shared = [g for g in genres if g in liked_genres or g in pref_genres]
        shared.sort(key=lambda g: (-liked_genres.get(g, 0), g))
        people = [p for p in cat.people[j] if p in liked_people]
        if not shared and not people:
            return None
        zh, en = [], []
        if shared:
            zh.append(f"和你喜欢的影片同属{'、'.join(shared[:3])}")
            en.append(f"shares genres you like: {', '.join(shared[:3])}")
        if people:
            zh.append(f"有你看好的主创：{'、'.join(people[:2])}")
            en.append(f"features people from films you liked: {', '.join(people[:2])}")
        ev = [(g, None, float(liked_genres.get(g, 0))) for g in shared[:3]]
        return Reason("content", "；".join(zh), ("; ".join(en)).capitalize(), ev)

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
