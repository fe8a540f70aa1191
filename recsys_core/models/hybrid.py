"""Hybrid: a weighted blend of rating models, weights learned on a validation split.

1. A seeded ``val_fraction`` of the training ratings is held out.
2. Every member is fitted on the rest and predicts the held-out ratings.
3. Non-negative weights and a free intercept are fitted by ridge-regularised non-negative least
   squares: min |y - c - P w|^2 + ridge |w|^2, w >= 0 (see :func:`learn_blend_weights`).
4. Members are refitted on the full training data; the blend is
   ``c + sum_m w_m * member_m``, for rating estimates and for top-N scores alike.

``weights_`` ({member: weight}) and ``intercept_`` report the blend; ``val_rmse_`` the members'
and the blend's RMSE on the validation split.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from ..trainset import Trainset
from .base import Recommender
from .cost import Cost, base_memory
from .shared_fits import fit_shared

DEFAULT_MEMBERS = ("svd", "itemcf", "bias", "autorec-i")


def learn_blend_weights(P: np.ndarray, y: np.ndarray, ridge: float = 1e-3) -> tuple[np.ndarray, float]:
    """Non-negative blend weights and intercept for member predictions ``P`` (n x m) of targets ``y``."""
    P = np.asarray(P, dtype=float)
    y = np.asarray(y, dtype=float)
    if P.ndim != 2 or P.shape[0] != len(y) or P.shape[0] == 0:
        raise ValueError("P must be (n_ratings, n_members) with one row per target")
    pm, ym = P.mean(axis=0), y.mean()
    A, b = P - pm, y - ym
    if ridge > 0:
        A = np.vstack([A, np.sqrt(ridge * len(y)) * np.eye(P.shape[1])])
        b = np.concatenate([b, np.zeros(P.shape[1])])
    w, _ = nnls(A, b)
    return w, float(ym - pm @ w)


class Hybrid(Recommender):
    """Weighted blend of fitted member models (rating predictors only)."""

    name = "hybrid"

    def __init__(
        self,
        members=DEFAULT_MEMBERS,
        member_params: dict | None = None,
        val_fraction: float = 0.1,
        ridge: float = 1e-3,
        random_state: int | None = 0,
    ):
        self.members = members
        self.member_params = member_params
        self.val_fraction = val_fraction
        self.ridge = ridge
        self.random_state = random_state

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, members=DEFAULT_MEMBERS, member_params=None, **params):
        """Every member is fitted twice (on the blend's training part, then on everything) and kept."""
        from . import REGISTRY

        base = base_memory(n_users, n_items, n_ratings)
        mem, secs = 2 * base, 0.0
        names = [str(m).strip().lower() for m in (members or ())]
        for n in names:
            if n not in REGISTRY or n == "hybrid":
                continue
            c = REGISTRY[n].cost(n_users, n_items, n_ratings, **dict((member_params or {}).get(n, {})))
            mem += max(c.memory_bytes - base, 0)
            secs += 2 * c.fit_seconds
        return Cost(int(mem), secs, "members: " + ", ".join(names))

    def _make_members(self):
        from . import make_model

        names = [str(m).strip().lower() for m in (self.members or ())]
        if not names:
            raise ValueError("hybrid needs at least one member model, e.g. members=['svd', 'itemcf']")
        if len(set(names)) != len(names):
            raise ValueError(f"hybrid members must be distinct (got {names})")
        if "hybrid" in names:
            raise ValueError("a hybrid cannot contain another hybrid")
        params = dict(self.member_params or {})
        unknown = set(params) - set(names)
        if unknown:
            raise ValueError(f"member_params for models that are not members: {sorted(unknown)}")
        models = [make_model(n, **params.get(n, {})) for n in names]
        for n, m in zip(names, models):
            if not m.predicts_ratings:
                raise ValueError(f"hybrid blends rating predictors; {n!r} only ranks items")
        return names, models

    def _fit(self, ts):
        if not 0 < float(self.val_fraction) < 0.5:
            raise ValueError("val_fraction must be between 0 and 0.5")
        names, models = self._make_members()
        rng = np.random.default_rng(self.random_state)
        n_val = max(1, int(round(ts.n_ratings * float(self.val_fraction))))
        if ts.n_ratings - n_val < 2:
            raise ValueError("too few ratings to carve a validation split for the hybrid")
        perm = rng.permutation(ts.n_ratings)
        val, tr = perm[:n_val], perm[n_val:]
        frame = ts.to_frame()
        sub = Trainset.from_frame(frame.iloc[tr], ts.rating_scale, items_meta=ts.items_meta)
        vu = frame["user_id"].to_numpy()[val]
        vi = frame["item_id"].to_numpy()[val]
        y = ts.r[val]
        tag = self._val_tag()
        P = np.column_stack([fit_shared(m, sub, parent=ts, tag=tag).predict_many(vu, vi)[0] for m in models])
        w, c = learn_blend_weights(P, y, float(self.ridge))
        self.weights_ = dict(zip(names, (float(x) for x in w)))
        self.intercept_ = c
        lo, hi = ts.rating_scale
        blend = np.clip(c + P @ w, lo, hi)
        self.val_rmse_ = {n: float(np.sqrt(np.mean((P[:, k] - y) ** 2))) for k, n in enumerate(names)}
        self.val_rmse_["hybrid"] = float(np.sqrt(np.mean((blend - y) ** 2)))
        # refit on the full training data (in an experiment, a member compared in the same fold is fitted once)
        self.members_ = {n: fit_shared(m, ts) for n, m in zip(names, models)}

    def _val_tag(self) -> tuple | None:
        """Names the blend's validation split of a training set (it depends on these two parameters only);
        None when the split is not seeded (each fit draws its own, so nothing is shared)."""
        if self.random_state is None:
            return None
        return ("hybrid-val", float(self.val_fraction), self.random_state)

    def shared_fit_requests(self) -> list[tuple]:
        """The member fits :meth:`_fit` asks for: each member on the validation split's training part,
        then on the whole training set (see :mod:`recsys_core.models.shared_fits`)."""
        _, models = self._make_members()
        tag = self._val_tag()
        return ([(m, tag) for m in models] if tag is not None else []) + [(m, ()) for m in models]

    def _active(self):
        return [(self.members_[n], w) for n, w in self.weights_.items() if w > 0]

    @staticmethod
    def _member_pairs(m, u, i):
        e = np.asarray(m._estimate_pairs(u, i), dtype=float)
        bad = ~np.isfinite(e)
        if bad.any():
            e[bad] = m._fallback_pairs(u[bad], i[bad])
        return e

    def _estimate_pairs(self, u, i):
        u = np.asarray(u, dtype=np.int64)
        i = np.asarray(i, dtype=np.int64)
        out = np.full(len(u), self.intercept_)
        for m, w in self._active():
            out += w * self._member_pairs(m, u, i)
        return out

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        out = np.full((len(u), self.trainset_.n_items), self.intercept_)
        for m, w in self._active():
            s = np.asarray(m._score_users(u), dtype=float)
            out += w * np.where(np.isfinite(s), s, self.fallback_mu_)
        return out

    def _cold_scores(self):
        out = np.full(self.trainset_.n_items, self.intercept_)
        for m, w in self._active():
            out += w * np.asarray(m._cold_scores(), dtype=float)
        return out
