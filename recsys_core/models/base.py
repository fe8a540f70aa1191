"""The model contract.

A model implements ``_fit(trainset)`` and at least one of

* ``_score_users(inner_uids) -> ndarray (len(inner_uids), n_items)``  (scores over all items)
* ``_estimate_pairs(inner_uids, inner_iids) -> ndarray``             (both ids known)

Everything else (``predict``, ``score``, ``recommend``, unknown-id fallbacks, clipping,
batch top-N) is written once here, on top of those two.

Conventions follow scikit-learn: ``__init__`` only stores keyword hyper-parameters;
validation happens in ``fit``; learned state ends in ``_``; ``random_state`` becomes an
RNG inside ``fit`` so fitting twice gives the same model.
"""

from __future__ import annotations

import copy
import inspect
from typing import Iterable

import numpy as np

from ..trainset import Prediction, Trainset

_BIAS_DAMPING = 10.0


class Recommender:
    #: short CLI / registry name
    name: str = "base"
    #: False for rankers (EASE, ALS, popularity): rating metrics are N/A for them
    predicts_ratings: bool = True

    # ------------------------------------------------------------------ params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

    def get_params(self) -> dict:
        return {p: getattr(self, p) for p in self._param_names()}

    def set_params(self, **params) -> "Recommender":
        valid = set(self._param_names())
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {k!r}; valid: {sorted(valid)}")
            setattr(self, k, v)
        return self

    def clone(self) -> "Recommender":
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------------ fitting
    def fit(self, trainset: Trainset) -> "Recommender":
        if not isinstance(trainset, Trainset):
            raise TypeError("fit() expects a recsys_core.Trainset; build one with Trainset.from_frame(df)")
        if trainset.n_ratings == 0:
            raise ValueError("cannot fit on an empty training set (no rated rows)")
        self.trainset_ = trainset
        self._fit_fallback(trainset)
        self._fit(trainset)
        return self

    def _fit(self, trainset: Trainset) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_fallback(self, ts: Trainset) -> None:
        """Damped user/item mean offsets used when a pair cannot be estimated."""
        mu = ts.global_mean
        n_i = np.bincount(ts.i, minlength=ts.n_items)
        bi = np.bincount(ts.i, weights=ts.r - mu, minlength=ts.n_items) / (n_i + _BIAS_DAMPING)
        n_u = np.bincount(ts.u, minlength=ts.n_users)
        bu = np.bincount(ts.u, weights=ts.r - mu - bi[ts.i], minlength=ts.n_users) / (n_u + _BIAS_DAMPING)
        self.fallback_mu_ = mu
        self.fallback_bu_ = bu
        self.fallback_bi_ = bi

    def _check_fitted(self) -> Trainset:
        ts = getattr(self, "trainset_", None)
        if ts is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit(trainset) first")
        return ts

    # ------------------------------------------------------------------ scoring primitives
    def _score_users(self, inner_uids: np.ndarray) -> np.ndarray:
        ts = self.trainset_
        uu = np.repeat(np.asarray(inner_uids), ts.n_items)
        ii = np.tile(np.arange(ts.n_items), len(inner_uids))
        return self._estimate_pairs(uu, ii).reshape(len(inner_uids), ts.n_items)

    def _estimate_pairs(self, inner_uids: np.ndarray, inner_iids: np.ndarray) -> np.ndarray:
        out = np.empty(len(inner_uids), dtype=float)
        inner_uids = np.asarray(inner_uids)
        inner_iids = np.asarray(inner_iids)
        for u in np.unique(inner_uids):
            m = inner_uids == u
            out[m] = self._score_users(np.array([u]))[0, inner_iids[m]]
        return out

    def _fallback_pairs(self, inner_uids: np.ndarray, inner_iids: np.ndarray) -> np.ndarray:
        est = np.full(len(inner_uids), self.fallback_mu_, dtype=float)
        ku = inner_uids >= 0
        ki = inner_iids >= 0
        est[ku] += self.fallback_bu_[inner_uids[ku]]
        est[ki] += self.fallback_bi_[inner_iids[ki]]
        return est

    def _cold_scores(self) -> np.ndarray:
        """Scores over all items for a user the model has never seen."""
        return self.fallback_mu_ + self.fallback_bi_

    def _clip(self, est: np.ndarray) -> np.ndarray:
        lo, hi = self.trainset_.rating_scale
        return np.clip(est, lo, hi)

    # ------------------------------------------------------------------ public API
    def predict(self, user, item, r_ui: float | None = None, clip: bool = True) -> Prediction:
        """Estimate one rating; unknown user/item falls back with ``details['was_impossible']``."""
        ts = self._check_fitted()
        user, item = str(user), str(item)
        u = ts._uid.get(user, -1)
        i = ts._iid.get(item, -1)
        details: dict = {"was_impossible": False}
        if u < 0 or i < 0 or not self.predicts_ratings:
            est = float(self._fallback_pairs(np.array([u]), np.array([i]))[0])
            if u < 0 or i < 0:
                details["was_impossible"] = True
                details["reason"] = (
                    "user and item are unknown"
                    if (u < 0 and i < 0)
                    else ("user is unknown" if u < 0 else "item is unknown")
                )
            else:
                details["score"] = float(self._score_users(np.array([u]))[0, i])
                details["reason"] = "model ranks but does not predict ratings; estimate is the bias baseline"
        else:
            est = float(self._estimate_pairs(np.array([u]), np.array([i]))[0])
            if not np.isfinite(est):
                est = float(self._fallback_pairs(np.array([u]), np.array([i]))[0])
                details["was_impossible"] = True
                details["reason"] = "not enough neighbours"
        if clip:
            est = float(self._clip(np.array([est]))[0])
        return Prediction(user, item, None if r_ui is None else float(r_ui), est, details)

    def predict_many(self, users: Iterable, items: Iterable, clip: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised predictions for raw (user, item) pairs.

        Returns (estimates, was_impossible). Non-rating models return the bias baseline.
        """
        ts = self._check_fitted()
        uu = ts.inner_uids([str(x) for x in users])
        ii = ts.inner_iids([str(x) for x in items])
        known = (uu >= 0) & (ii >= 0)
        est = self._fallback_pairs(uu, ii)
        if self.predicts_ratings and known.any():
            e = self._estimate_pairs(uu[known], ii[known])
            good = np.isfinite(e)
            sub = est[known]
            sub[good] = e[good]
            est[known] = sub
            impossible = ~known
            impossible[np.flatnonzero(known)[~good]] = True
        else:
            impossible = ~known
        if clip:
            est = self._clip(est)
        return est, impossible

    def score(self, user) -> np.ndarray:
        """Scores over all trainset items (in inner-id order); cold scores for unknown users."""
        ts = self._check_fitted()
        u = ts._uid.get(str(user), -1)
        if u < 0:
            return np.asarray(self._cold_scores(), dtype=float).copy()
        s = np.asarray(self._score_users(np.array([u]))[0], dtype=float)
        return np.where(np.isfinite(s), s, -np.inf)

    def recommend(self, user, n: int = 10, exclude_seen: bool = True, candidates=None) -> list[tuple[str, float]]:
        """Top-n (raw item id, score) for one user, written once on top of :meth:`score`."""
        ts = self._check_fitted()
        s = self.score(user).copy()
        u = ts._uid.get(str(user), -1)
        if exclude_seen and u >= 0:
            s[ts.seen_items(u)] = -np.inf
        if candidates is not None:
            mask = np.zeros(ts.n_items, dtype=bool)
            idx = ts.inner_iids([str(c) for c in candidates])
            mask[idx[idx >= 0]] = True
            s[~mask] = -np.inf
        top = _top_n(s, n)
        return [(ts.items_raw[i], float(s[i])) for i in top if np.isfinite(s[i])]

    def top_n_inner(
        self, inner_uids: np.ndarray, n: int, exclude_seen: bool = True, batch: int = 1024, return_scores: bool = False
    ):
        """Top-n inner item ids for many known users at once: (len(inner_uids), n), -1 padded.

        With ``return_scores`` also returns the matching (len, n) score matrix (-inf where padded).
        """
        ts = self._check_fitted()
        inner_uids = np.asarray(inner_uids, dtype=np.int64)
        out = np.full((len(inner_uids), n), -1, dtype=np.int64)
        scores = np.full((len(inner_uids), n), -np.inf) if return_scores else None
        csr = ts.csr
        for start in range(0, len(inner_uids), batch):
            us = inner_uids[start : start + batch]
            S = np.array(self._score_users(us), dtype=float)  # a copy: models may return their own arrays
            S[~np.isfinite(S)] = -np.inf
            if exclude_seen:
                sub = csr[us]
                rows = np.repeat(np.arange(len(us)), np.diff(sub.indptr))
                S[rows, sub.indices] = -np.inf
            idx, vals = _top_n_rows(S, n)
            out[start : start + len(us)] = idx
            if return_scores:
                scores[start : start + len(us)] = vals
        return (out, scores) if return_scores else out

    def recommend_many(self, users, n: int = 10, exclude_seen: bool = True) -> dict:
        """{raw user: [(raw item, score), ...]} for many users, batched."""
        ts = self._check_fitted()
        users = [str(x) for x in users]
        inner = ts.inner_uids(users)
        result: dict = {}
        known = inner >= 0
        if known.any():
            top, vals = self.top_n_inner(inner[known], n, exclude_seen, return_scores=True)
            items_raw = ts.items_raw
            kusers = [u for u, k in zip(users, known) if k]
            for row, uraw in enumerate(kusers):
                ok = top[row] >= 0
                result[uraw] = list(zip(items_raw[top[row][ok]].tolist(), vals[row][ok].tolist()))
        for uraw, k in zip(users, known):
            if not k:
                result[uraw] = self.recommend(uraw, n, exclude_seen)
        return result


def _top_n(s: np.ndarray, n: int) -> np.ndarray:
    n = min(n, len(s))
    if n <= 0:
        return np.array([], dtype=np.int64)
    idx = np.argpartition(-s, n - 1)[:n]
    return idx[np.lexsort((idx, -s[idx]))]


def _top_n_rows(S: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-n (indices, scores), best first, ties by lower index; -1 / -inf where padded."""
    n_items = S.shape[1]
    k = min(n, n_items)
    idx = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < n_items else np.tile(np.arange(n_items), (S.shape[0], 1))
    vals = np.take_along_axis(S, idx, axis=1)
    order = np.lexsort((idx, -vals), axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    idx = np.where(np.isfinite(vals), idx, -1)
    if k < n:
        pad = n - k
        idx = np.hstack([idx, np.full((S.shape[0], pad), -1)])
        vals = np.hstack([vals, np.full((S.shape[0], pad), -np.inf)])
    return idx, vals
