"""Neighbourhood collaborative filtering (user-based and item-based), vectorised on scipy.sparse.

Both models follow Surprise's ``KNNBaseline`` estimate (Koren 2010, eq. 3)::

    r_ui = b_ui + sum_{j in N^k_i(u)} s_ij (r_uj - b_uj) / sum_{j in N^k_i(u)} s_ij

where ``b_ui = mu + b_u + b_i`` are ALS baselines and ``N^k_i(u)`` are the ``k`` entities most
similar to the target among those with a rating in the same context (items the user rated for
item-based CF, users who rated the item for user-based CF); only positive similarities contribute.
With fewer than ``min_k`` contributing neighbours the estimate is the baseline alone.

``damping`` (default 0.5) is added to the denominator, shrinking deviations that rest on little
similarity mass towards the baseline. ``damping=0`` is exactly Surprise's estimate; 0.5 lowers
RMSE on MovieLens 100K (item-based 0.914 -> 0.912, user-based 0.920 -> 0.915 on fold 0) and lifts
NDCG@10 from ~0.001-0.05 to ~0.10, because items with one enthusiastic neighbour no longer top
every list.

Similarities are computed for all pairs at once from sparse/dense matrix products
(co-support counts are ``B.T @ B`` of the binary matrix), never by looping over pairs:

* ``cosine``          sum x_i x_j / sqrt(sum x_i^2 * sum x_j^2), sums over common raters
* ``pearson``         Pearson correlation over common raters (means over the common raters)
* ``adjusted_cosine`` cosine of ratings centred on the *rater's* mean (user mean for item-based CF)
* ``pearson_baseline`` cosine of baseline residuals r - b_ui (Surprise's ``pearson_baseline``)

``shrinkage`` multiplies every similarity by (n - 1) / (n - 1 + shrinkage), n = co-support
(0 disables it); pairs with co-support below ``min_support`` get similarity 0.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Recommender
from .baselines import BiasBaseline

SIMILARITIES = ("pearson", "cosine", "adjusted_cosine", "pearson_baseline")


# ---------------------------------------------------------------------------- similarity
def _gram(A: sp.spmatrix, B: sp.spmatrix) -> np.ndarray:
    """Dense ``A.T @ B`` for two sparse (raters x entities) matrices (one sparse product)."""
    return np.asarray((A.T.tocsr() @ B).toarray())


def _with_data(pattern: sp.csr_matrix, data: np.ndarray) -> sp.csr_matrix:
    """A csr matrix with the sparsity pattern of ``pattern`` and new values (explicit zeros kept)."""
    return sp.csr_matrix(
        (np.asarray(data, dtype=float), pattern.indices.copy(), pattern.indptr.copy()), shape=pattern.shape
    )


def similarity_matrix(
    X, kind: str = "pearson", min_support: int = 1, shrinkage: float = 0.0, residuals=None
) -> np.ndarray:
    """All-pairs similarity between the *columns* (entities) of a sparse raters x entities matrix.

    ``residuals`` (same sparsity pattern as ``X``) is required for ``pearson_baseline``; for
    ``adjusted_cosine`` the ratings are centred on each row's (rater's) mean when it is None.
    Returns a dense (n_entities x n_entities) float64 matrix with a zero diagonal.
    """
    if kind not in SIMILARITIES:
        raise ValueError(f"unknown similarity {kind!r}; choose from: {', '.join(SIMILARITIES)}")
    X = sp.csr_matrix(X, dtype=float)
    X.sum_duplicates()
    B = _with_data(X, np.ones_like(X.data))
    freq = _gram(B, B)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "pearson":
            X2 = _with_data(X, X.data**2)
            prods = _gram(X, X)
            si = _gram(X, B)  # si[i, j] = sum of i's values over raters of both i and j
            sqi = _gram(X2, B)
            num = freq * prods - si * si.T
            den = np.sqrt(np.clip(freq * sqi - si**2, 0, None) * np.clip(freq * sqi.T - si.T**2, 0, None))
        else:
            if kind == "cosine":
                V = X
            elif kind == "adjusted_cosine" and residuals is None:
                counts = np.diff(X.indptr)
                means = np.asarray(X.sum(axis=1)).ravel() / np.maximum(counts, 1)
                V = _with_data(X, X.data - np.repeat(means, counts))
            else:
                if residuals is None:
                    raise ValueError("pearson_baseline needs baseline residuals")
                V = sp.csr_matrix(residuals, dtype=float)
            V2 = _with_data(V, V.data**2)
            num = _gram(V, V)
            sq = _gram(V2, B)
            den = np.sqrt(sq * sq.T)
        sim = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        if shrinkage and shrinkage > 0:
            n1 = np.clip(freq - 1, 0, None)
            sim *= n1 / (n1 + float(shrinkage))
    sim[freq < max(int(min_support), 1)] = 0.0
    np.fill_diagonal(sim, 0.0)
    return sim


# ---------------------------------------------------------------------------- prediction engine
def _knn_deviation(M: np.ndarray, rv: np.ndarray, k: int, min_k: int, damping: float = 0.0) -> np.ndarray:
    """Weighted mean residual of the k most similar neighbours, one row of ``M`` per target.

    M : (targets, neighbours) similarities; rv : (neighbours,) residuals of the neighbours.
    Only positive similarities contribute (as in Surprise); rows with more than ``k`` positive
    similarities keep those >= their k-th largest (ties at the k-th value are all kept).
    """
    t, n = M.shape
    if n == 0:
        return np.zeros(t)
    W = np.maximum(M, 0.0)
    if n > k:
        need = np.count_nonzero(W, axis=1) > k
        if need.any():
            sub = W[need]
            thr = np.partition(sub, n - k, axis=1)[:, n - k]
            sub[sub < thr[:, None]] = 0.0
            W[need] = sub
    den = W.sum(axis=1, dtype=np.float64)
    num = W @ rv.astype(W.dtype)
    cnt = np.count_nonzero(W, axis=1)
    ok = (cnt >= max(min_k, 1)) & (den > 0)
    return np.where(ok, num / np.where(den > 0, den + damping, 1.0), 0.0)


class _Neighbourhood:
    """S: (entities x entities) similarities; R: (contexts x entities) csr residuals."""

    def __init__(self, S: np.ndarray, R: sp.csr_matrix, k: int, min_k: int, damping: float = 0.0):
        self.S, self.R, self.k, self.min_k, self.damping = S, R, int(k), int(min_k), float(damping)

    def neighbours_in(self, c: int):
        R = self.R
        sl = slice(R.indptr[c], R.indptr[c + 1])
        return R.indices[sl], R.data[sl]

    def deviation(self, ent: np.ndarray, ctx: np.ndarray) -> np.ndarray:
        """Neighbourhood deviation for (entity, context) pairs, one loop step per distinct context."""
        ent = np.asarray(ent, dtype=np.int64)
        ctx = np.asarray(ctx, dtype=np.int64)
        out = np.zeros(len(ent))
        if not len(ent):
            return out
        order = np.argsort(ctx, kind="stable")
        cs = ctx[order]
        starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
        ends = np.r_[starts[1:], len(cs)]
        for a, b in zip(starts, ends):
            pos = order[a:b]
            nb, rv = self.neighbours_in(int(cs[a]))
            targets = ent[pos]
            out[pos] = _knn_deviation(self.S[targets[:, None], nb[None, :]], rv, self.k, self.min_k, self.damping)
        return out

    def deviation_all_targets(self, c: int) -> np.ndarray:
        """Deviations of every entity in context ``c`` (item-based scoring of one user)."""
        nb, rv = self.neighbours_in(c)
        # S is symmetric: gathering rows and transposing is ~10x faster than gathering columns
        return _knn_deviation(np.ascontiguousarray(self.S[nb].T), rv, self.k, self.min_k, self.damping)

    def deviation_all_contexts(self, targets: np.ndarray) -> np.ndarray:
        """(len(targets), n_contexts) deviations (user-based scoring of a batch of users)."""
        targets = np.asarray(targets, dtype=np.int64)
        out = np.zeros((len(targets), self.R.shape[0]))
        for c in range(self.R.shape[0]):
            nb, rv = self.neighbours_in(c)
            if len(nb):
                out[:, c] = _knn_deviation(self.S[targets[:, None], nb[None, :]], rv, self.k, self.min_k, self.damping)
        return out


# ---------------------------------------------------------------------------- models
class _NeighbourCF(Recommender):
    user_based: bool = True

    def __init__(
        self,
        sim: str = "pearson_baseline",
        k: int = 40,
        min_k: int = 1,
        min_support: int = 1,
        shrinkage: float = 100.0,
        damping: float = 0.5,
        reg_u: float = 15.0,
        reg_i: float = 10.0,
        bsl_epochs: int = 10,
    ):
        self.sim = sim
        self.k = k
        self.min_k = min_k
        self.min_support = min_support
        self.shrinkage = shrinkage
        self.damping = damping
        self.reg_u = reg_u
        self.reg_i = reg_i
        self.bsl_epochs = bsl_epochs

    # -------------------------------------------------------------- fitting
    def _validate(self):
        if self.sim not in SIMILARITIES:
            raise ValueError(f"sim must be one of {', '.join(SIMILARITIES)} (got {self.sim!r})")
        if int(self.k) < 1 or int(self.min_k) < 0 or int(self.min_support) < 0 or float(self.shrinkage) < 0:
            raise ValueError("k must be >= 1; min_k, min_support and shrinkage must be >= 0")

    def _fit(self, ts):
        self._validate()
        bsl = BiasBaseline(reg_u=self.reg_u, reg_i=self.reg_i, n_epochs=self.bsl_epochs)
        bsl._fit(ts)
        self.mu_, self.bu_, self.bi_ = bsl.mu_, bsl.bu_, bsl.bi_
        csr = ts.csr
        rows = np.repeat(np.arange(ts.n_users), np.diff(csr.indptr))
        resid = _with_data(csr, csr.data - (self.mu_ + self.bu_[rows] + self.bi_[csr.indices]))  # users x items
        if self.user_based:
            X = csr.T.tocsr()  # raters (items) x entities (users)
            Rx = resid.T.tocsr()
        else:
            X, Rx = csr, resid
        S = similarity_matrix(
            X, self.sim, self.min_support, self.shrinkage, residuals=Rx if self.sim == "pearson_baseline" else None
        )
        self.sim_ = S.astype(np.float32)
        # contexts x entities residuals: items x users for user-based, users x items for item-based
        self._nb = _Neighbourhood(self.sim_, Rx if self.user_based else resid, self.k, self.min_k, self.damping)
        self.resid_ = resid

    # -------------------------------------------------------------- scoring
    def _baseline(self, u, i):
        return self.mu_ + self.bu_[u] + self.bi_[i]

    def _estimate_pairs(self, u, i):
        u = np.asarray(u, dtype=np.int64)
        i = np.asarray(i, dtype=np.int64)
        dev = self._nb.deviation(u, i) if self.user_based else self._nb.deviation(i, u)
        return self._baseline(u, i) + dev

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        base = self.mu_ + self.bu_[u][:, None] + self.bi_[None, :]
        if self.user_based:
            return base + self._nb.deviation_all_contexts(u)
        dev = np.vstack([self._nb.deviation_all_targets(int(x)) for x in u]) if len(u) else np.zeros_like(base)
        return base + dev

    def _cold_scores(self):
        return self.mu_ + self.bi_

    # -------------------------------------------------------------- inspection
    def neighbours(self, raw_id, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` most similar users (usercf) or items (itemcf) to ``raw_id``: [(raw id, sim)]."""
        ts = self.check_fitted()
        raws = ts.users_raw if self.user_based else ts.items_raw
        e = ts.inner_user(raw_id) if self.user_based else ts.inner_item(raw_id)
        if e < 0:
            return []
        s = self.sim_[e].astype(float)
        s[e] = -np.inf
        k = min(int(n), len(s) - 1)
        if k <= 0:
            return []
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.lexsort((top, -s[top]))]
        return [(raws[j], float(s[j])) for j in top if np.isfinite(s[j]) and s[j] > 0]


class UserCF(_NeighbourCF):
    """User-based k-NN with baselines; similarities between users."""

    name = "usercf"
    user_based = True
    neighbour_kind = "user"  # ExplainsByNeighbours

    def neighbour_reasons(self, user, item, n: int = 3) -> list[tuple[str, float]]:
        """Similar users who rated ``item`` above their baseline: [(raw user, sim)], most similar first."""
        ts = self.check_fitted()
        u, i = ts.inner_user(user), ts.inner_item(item)
        if u < 0 or i < 0:
            return []
        csc = self.resid_.tocsc()
        sl = slice(csc.indptr[i], csc.indptr[i + 1])
        raters, dev = csc.indices[sl], csc.data[sl]
        sims = self.sim_[u, raters].astype(float)
        keep = (dev > 0) & (sims > 0) & (raters != u)
        order = np.argsort(-sims[keep], kind="stable")[:n]
        return [(ts.users_raw[v], float(s)) for v, s in zip(raters[keep][order], sims[keep][order])]


class ItemCF(_NeighbourCF):
    """Item-based k-NN with baselines; similarities between items."""

    name = "itemcf"
    user_based = False
    neighbour_kind = "item"  # ExplainsByNeighbours

    def neighbour_reasons(self, user, item, n: int = 3) -> list[tuple[str, float]]:
        """Items the user liked (rated above baseline) most similar to ``item``: [(raw item, sim)]."""
        ts = self.check_fitted()
        u, i = ts.inner_user(user), ts.inner_item(item)
        if u < 0 or i < 0:
            return []
        R = self.resid_
        sl = slice(R.indptr[u], R.indptr[u + 1])
        rated, dev = R.indices[sl], R.data[sl]
        sims = self.sim_[i, rated].astype(float)
        keep = (dev > 0) & (sims > 0) & (rated != i)
        order = np.argsort(-sims[keep], kind="stable")[:n]
        return [(ts.items_raw[j], float(s)) for j, s in zip(rated[keep][order], sims[keep][order])]
