"""The model contract.

A model implements ``_fit(trainset)`` and at least one of

* ``_score_users(inner_uids) -> ndarray (len(inner_uids), n_items)``  (scores over all items)
* ``_estimate_pairs(inner_uids, inner_iids) -> ndarray``             (both ids known)

Everything else (``predict``, ``score``/``score_users``, ``recommend``, unknown-id fallbacks,
clipping, batch top-N) is written once here, on top of those two. Top-N has one path,
:func:`top_n`, used by ``recommend``, the blockwise ``top_n_inner`` / ``recommend_many`` (batch
lists, evaluation, the CLI) and the Recommend page's listing engine.

Optional capabilities (fold-in, reasons, audience scoring, cost envelope) are declared in
:mod:`recsys_core.models.capabilities`.

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
from .cost import Cost, base_memory, block_threads, check_trainset
from .threads import ordered_map

_BIAS_DAMPING = 10.0
#: users scored at once by batch top-N (a block of a few thousand users, never all of them)
TOP_N_BLOCK = 2048
#: upper bound on one block's users x items score array (the block shrinks for large catalogues)
TOP_N_BLOCK_BYTES = 64 * 1024 * 1024
#: batch top-N over more users x items than this scores its blocks of users on every core
PARALLEL_TOP_N_ELEMENTS = 20_000_000
#: ``details['reason']`` of a ranking-only model's ``predict``
RANKS_ONLY = "model ranks but does not predict ratings; estimate is the bias baseline"


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

    # ------------------------------------------------------------------ cost envelope
    @classmethod
    def cost(cls, n_users: int, n_items: int, n_ratings: int, **params) -> Cost:
        """Memory and fit time for a dataset shape (see :mod:`recsys_core.models.cost`).

        The default covers models whose state is a few vectors per user and film: the data
        structures every fit builds plus one block of top-N scores. Models with larger state
        override it; unknown keyword parameters are ignored.
        """
        return Cost(base_memory(n_users, n_items, n_ratings), 2e-6 * n_ratings + 1e-6 * (n_users + n_items))

    # ------------------------------------------------------------------ fitting
    def fit(self, trainset: Trainset) -> "Recommender":
        if not isinstance(trainset, Trainset):
            raise TypeError("fit() expects a recsys_core.Trainset; build one with Trainset.from_frame(df)")
        if trainset.n_ratings == 0:
            raise ValueError("cannot fit on an empty training set (no rated rows)")
        check_trainset(self, trainset)  # ModelTooLarge before any work when the envelope exceeds the budget
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

    def check_fitted(self) -> Trainset:
        """The training set the model was fitted on; RuntimeError when it is not fitted yet."""
        ts = getattr(self, "trainset_", None)
        if ts is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit(trainset) first")
        return ts

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "trainset_", None) is not None

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

    def _same_scores_for_every_user(self) -> np.ndarray | None:
        """The score vector over all items when every known user's row of :meth:`_score_users` is exactly
        this vector (non-personalised models), else None. Batch top-N then ranks the items once and skips
        each user's seen items, instead of scoring users x items."""
        return None

    def _clip(self, est: np.ndarray) -> np.ndarray:
        lo, hi = self.trainset_.rating_scale
        return np.clip(est, lo, hi)

    # ------------------------------------------------------------------ public API
    def predict(self, user, item, r_ui: float | None = None, clip: bool = True) -> Prediction:
        """Estimate one rating; unknown user/item falls back with ``details['was_impossible']``."""
        ts = self.check_fitted()
        user, item = str(user), str(item)
        u = ts.inner_user(user)
        i = ts.inner_item(item)
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
                details["reason"] = RANKS_ONLY
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
        ts = self.check_fitted()
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

    def score_users(self, inner_uids) -> np.ndarray:
        """Scores over all trainset items for known users (inner ids): a fresh
        ``(len(inner_uids), n_items)`` float array, -inf where the model cannot score a pair.

        Callers pass blocks of users (see :meth:`top_n_inner`), never every user at once.
        """
        self.check_fitted()
        S = np.array(self._score_users(np.asarray(inner_uids, dtype=np.int64)), dtype=float, ndmin=2)
        S[~np.isfinite(S)] = -np.inf
        return S

    def score(self, user) -> np.ndarray:
        """Scores over all trainset items (in inner-id order); cold scores for unknown users."""
        ts = self.check_fitted()
        u = ts.inner_user(user)
        if u < 0:
            return np.asarray(self._cold_scores(), dtype=float).copy()
        return self.score_users([u])[0]

    def recommend(self, user, n: int = 10, exclude_seen: bool = True, candidates=None) -> list[tuple[str, float]]:
        """Top-n (raw item id, score) for one user, written once on top of :meth:`score`."""
        ts = self.check_fitted()
        s = self.score(user)
        u = ts.inner_user(user)
        if exclude_seen and u >= 0:
            s[ts.seen_items(u)] = -np.inf
        if candidates is not None:
            mask = np.zeros(ts.n_items, dtype=bool)
            idx = ts.inner_iids([str(c) for c in candidates])
            mask[idx[idx >= 0]] = True
            s[~mask] = -np.inf
        top, vals = top_n(s, n)
        return [(ts.items_raw[i], float(v)) for i, v in zip(top, vals)]

    def top_n_inner(
        self,
        inner_uids: np.ndarray,
        n: int,
        exclude_seen: bool = True,
        block: int = TOP_N_BLOCK,
        return_scores: bool = False,
    ):
        """Top-n inner item ids for many known users: ``(len(inner_uids), n)``, -1 padded.

        Users are scored in blocks of at most ``block`` users (fewer when the catalogue is large,
        so one block's scores stay under :data:`TOP_N_BLOCK_BYTES`); the full users x items score
        matrix never exists. With ``return_scores`` also returns the matching ``(len, n)`` scores
        (-inf where padded).
        """
        ts = self.check_fitted()
        inner_uids = np.asarray(inner_uids, dtype=np.int64)
        shared = self._same_scores_for_every_user()
        if shared is not None:
            out, scores = _top_n_one_order(np.asarray(shared, dtype=float), ts.csr, inner_uids, n, exclude_seen)
            return (out, scores) if return_scores else out
        out = np.full((len(inner_uids), n), -1, dtype=np.int64)
        scores = np.full((len(inner_uids), n), -np.inf) if return_scores else None
        csr = ts.csr
        rows = max(1, min(int(block), TOP_N_BLOCK_BYTES // max(8 * ts.n_items, 1)))

        def one_block(start: int):
            us = inner_uids[start : start + rows]
            S = self.score_users(us)
            if exclude_seen:
                sub = csr[us]
                S[np.repeat(np.arange(len(us)), np.diff(sub.indptr)), sub.indices] = -np.inf
            return start, top_n(S, n)

        big = len(inner_uids) * ts.n_items > PARALLEL_TOP_N_ELEMENTS
        for start, (idx, vals) in ordered_map(
            one_block, range(0, len(inner_uids), rows), block_threads() if big else 1
        ):
            out[start : start + len(idx)] = idx
            if return_scores:
                scores[start : start + len(idx)] = vals
        return (out, scores) if return_scores else out

    def recommend_many(self, users, n: int = 10, exclude_seen: bool = True) -> dict:
        """{raw user: [(raw item, score), ...]} for many users, through :meth:`top_n_inner`."""
        ts = self.check_fitted()
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


def _first_k_by_score_then_index(S: np.ndarray, kth: np.ndarray, k: int) -> np.ndarray:
    """For rows whose ``k``-th best score ``kth`` is shared beyond the cut: the ``k`` indices a stable
    sort by descending score would put first (every score above ``kth``, then the lowest indices
    scoring exactly ``kth``), in increasing index order. One vectorised pass instead of a sort per row."""
    above = S > kth[:, None]
    tied = S == kth[:, None]
    need = k - above.sum(axis=1)
    take = above | (tied & (np.cumsum(tied, axis=1) <= need[:, None]))
    return np.nonzero(take)[1].reshape(len(S), k)


#: users whose seen items are placed at once by :func:`_top_n_one_order`
_ONE_ORDER_BLOCK = 65_536


def _top_n_one_order(g: np.ndarray, csr, inner_uids: np.ndarray, n: int, exclude_seen: bool):
    """:meth:`Recommender.top_n_inner` when every user's scores are the vector ``g``: the same lists as
    scoring each user (the ``n`` best finite scores not seen by the user, ties by lower index, -1 / -inf
    padded), from one ranking of the items. Costs O(ratings of these users), not users x items.

    With the items in ranked order and a user's seen items at sorted ranks s_0 < s_1 < ..., the j-th
    unseen rank is ``j + #{t : s_t - t <= j}``; only seen ranks with ``s_t - t < n`` can move it, so only
    the seen items ranked within a user's first (n + seen count) items are sorted."""
    g = np.where(np.isfinite(g), g, -np.inf)
    n_items = len(g)
    m = len(inner_uids)
    n = max(int(n), 0)
    k = min(n, n_items)
    order = np.lexsort((np.arange(n_items), -g))  # best first, ties by lower index; -inf last
    n_finite = int(np.isfinite(g).sum())
    pos = np.broadcast_to(np.arange(k, dtype=np.int64), (m, k)).copy()  # ranks of the list entries
    if exclude_seen and k and m:
        rank = np.empty(n_items, dtype=np.int64)
        rank[order] = np.arange(n_items)
        for start in range(0, m, _ONE_ORDER_BLOCK):
            us = inner_uids[start : start + _ONE_ORDER_BLOCK]
            sub = csr[us]
            if not sub.has_canonical_format:  # one entry per seen item
                sub = sub.copy()
                sub.sum_duplicates()
            lengths = np.diff(sub.indptr)
            rows = np.repeat(np.arange(len(us), dtype=np.int64), lengths)
            seen_rank = rank[sub.indices]
            # a seen rank s_t >= n + (user's seen count) > n + t cannot move the list: drop it before sorting
            near = seen_rank < k + lengths[rows]
            key = np.sort(rows[near] * n_items + seen_rank[near])  # by (user, rank)
            rows, seen_rank = np.divmod(key, n_items)
            first = np.searchsorted(rows, np.arange(len(us)))
            gap = seen_rank - (np.arange(len(key)) - first[rows])
            near = gap < k
            moved = np.bincount(rows[near] * k + gap[near], minlength=len(us) * k).reshape(len(us), k)
            pos[start : start + len(us)] += np.cumsum(moved, axis=1)
    out = np.full((m, n), -1, dtype=np.int64)
    scores = np.full((m, n), -np.inf)
    valid = pos < n_finite
    items = order[np.minimum(pos, n_items - 1)] if n_items else pos
    out[:, :k] = np.where(valid, items, -1)
    scores[:, :k] = np.where(valid, g[items] if n_items else -np.inf, -np.inf)
    return out, scores


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The one top-N selection: the ``n`` best finite scores, best first, ties by lower index.

    ``scores`` is one row ``(n_items,)`` or a block of rows ``(rows, n_items)``; NaN counts as -inf.
    For a block, returns ``(rows, n)`` indices and scores, padded with -1 / -inf where a row has
    fewer than ``n`` finite scores. For one row, returns only the finite entries (length <= n).
    """
    S = np.asarray(scores, dtype=float)
    one = S.ndim == 1
    S = np.atleast_2d(S)
    n = max(int(n), 0)
    n_rows, n_items = S.shape
    k = min(n, n_items)
    if k and n_items >= _BOUND_MIN_ITEMS and n_items // (_BOUND_STRIDE * _BOUND_RUN) * _BOUND_RUN >= 4 * k:
        idx, vals = _top_k_bounded(S, k)
    else:
        idx, vals = _top_k_partition(S, k)
    finite = np.isfinite(vals)
    if one:
        return idx[0][finite[0]].astype(np.int64), vals[0][finite[0]]
    idx = np.where(finite, idx, -1).astype(np.int64)
    vals = np.where(finite, vals, -np.inf)
    if k < n:
        idx = np.hstack([idx, np.full((n_rows, n - k), -1, dtype=np.int64)])
        vals = np.hstack([vals, np.full((n_rows, n - k), -np.inf)])
    return idx, vals


#: wide blocks (at least this many items, and a sample of 4 k or more) take :func:`_top_k_bounded`
_BOUND_MIN_ITEMS = 4096
#: one run of _BOUND_RUN items in this many bounds a row's k-th best score
_BOUND_STRIDE = 16
_BOUND_RUN = 64
#: a row with more candidates than this (per list entry) at or above its bound takes the partition path
_BOUND_MAX_CANDIDATES = 64


def _top_k_partition(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, k) indices and scores of each row's ``k`` best (NaN as -inf), best first, ties by lower
    index; non-finite scores may fill the tail of a row with fewer than ``k`` finite ones."""
    if np.isnan(S).any():
        S = np.where(np.isnan(S), -np.inf, S)
    n_rows, n_items = S.shape
    if k == 0:
        idx = np.zeros((n_rows, 0), dtype=np.int64)
    elif k < n_items:
        idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(S, idx, axis=1).min(axis=1)
        # rows where equal scores straddle the cut: pick the lower indices (a stable sort of that row)
        crowded = np.isfinite(kth) & ((S >= kth[:, None]).sum(axis=1) > k)
        if crowded.any():
            idx[crowded] = _first_k_by_score_then_index(S[crowded], kth[crowded], k)
    else:
        idx = np.tile(np.arange(n_items), (n_rows, 1))
    vals = np.take_along_axis(S, idx, axis=1)
    order = np.lexsort((idx, -vals), axis=1)
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)


def _top_k_bounded(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_top_k_partition` for a wide block, ranking only a few scores per row.

    The ``k``-th best score among a sample of a row's items (one run of items in :data:`_BOUND_STRIDE`)
    is a lower bound on the row's own ``k``-th best, so the row's list (ties at the cut included) lies
    among its scores at or above it: about ``stride x k`` of them, found in one comparison over the
    block. Rows the bound cannot serve (fewer than ``k`` finite sampled scores, an infinite candidate,
    or too many candidates from ties) take the partition path; the lists are the same either way."""
    n_rows, n_items = S.shape
    # the sample: every stride-th run of _BOUND_RUN items (contiguous runs copy far faster than single items)
    step = _BOUND_STRIDE * _BOUND_RUN
    runs = n_items // step
    sample = S[:, : runs * step].reshape(n_rows, runs, step)[:, :, :_BOUND_RUN].reshape(n_rows, -1)
    if np.isnan(sample).any():
        sample = np.where(np.isnan(sample), -np.inf, sample)  # NaN counts as -inf; NaN >= bound is False below
    m = sample.shape[1]
    bound = np.partition(sample, m - k, axis=1)[:, m - k]
    usable = np.isfinite(bound)
    flat = np.flatnonzero(S >= np.where(usable, bound, np.inf)[:, None])
    rows, cols = np.divmod(flat, n_items)
    counts = np.bincount(rows, minlength=n_rows)
    crowded = counts > _BOUND_MAX_CANDIDATES * k
    if crowded.any():
        keep = ~crowded[rows]
        rows, cols = rows[keep], cols[keep]
    vals = S[rows, cols]
    order = np.lexsort((cols, -vals, rows))  # by row, then best first, then lower index
    cols, vals = cols[order], vals[order]
    served = usable & ~crowded
    first = np.concatenate(([0], np.cumsum(np.where(crowded, 0, counts))[:-1]))  # each row's start in cols
    take = first[served][:, None] + np.arange(k)
    idx = np.zeros((n_rows, k), dtype=np.int64)
    out = np.full((n_rows, k), -np.inf)
    idx[served], out[served] = cols[take], vals[take]
    served &= np.isfinite(out).all(axis=1)  # an infinite score among the best: the partition path decides
    rest = ~served
    if rest.any():
        idx[rest], out[rest] = _top_k_partition(S[rest], k)
    return idx, out
