"""Explicit ALS on one machine with MLlib's objective (numpy only): the parity reference for ``spark evaluate``.

MLlib's explicit ALS minimises ``sum (r_ui - x_u . y_i)^2 + reg * (n_u |x_u|^2 + n_i |y_i|^2)``
(ALS-WR: each factor's penalty is scaled by its number of ratings) with alternating exact least-squares
solves. The local ``als`` model of the registry is an implicit-feedback ranker with no RMSE, so the
``spark evaluate`` accuracy is checked against this, with the same rank, regParam and iterations.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _solve_side(R: sp.csr_matrix, Y: np.ndarray, reg: float) -> np.ndarray:
    k = Y.shape[1]
    X = np.zeros((R.shape[0], k))
    eye = np.eye(k)
    for u in range(R.shape[0]):
        lo, hi = R.indptr[u], R.indptr[u + 1]
        if hi == lo:
            continue
        idx, r = R.indices[lo:hi], R.data[lo:hi]
        Yu = Y[idx]
        X[u] = np.linalg.solve(Yu.T @ Yu + reg * (hi - lo) * eye, Yu.T @ r)
    return X


class ExplicitALS:
    """``fit(users, items, ratings)`` on integer ids; ``predict(users, items)`` (NaN for unseen ids)."""

    def __init__(self, rank: int = 10, reg: float = 0.1, iters: int = 10, seed: int = 0):
        self.rank, self.reg, self.iters, self.seed = int(rank), float(reg), int(iters), int(seed)

    def fit(self, u, i, r):
        u, i, r = np.asarray(u), np.asarray(i), np.asarray(r, dtype=float)
        self.n_users_, self.n_items_ = int(u.max()) + 1, int(i.max()) + 1
        R = sp.csr_matrix((r, (u, i)), shape=(self.n_users_, self.n_items_))
        Rt = R.T.tocsr()
        rng = np.random.default_rng(self.seed)
        Y = rng.normal(size=(self.n_items_, self.rank))
        Y /= np.linalg.norm(Y, axis=1, keepdims=True)
        for _ in range(self.iters):
            X = _solve_side(R, Y, self.reg)
            Y = _solve_side(Rt, X, self.reg)
        self.user_factors_, self.item_factors_ = X, Y
        self.seen_users_ = np.bincount(u, minlength=self.n_users_) > 0
        self.seen_items_ = np.bincount(i, minlength=self.n_items_) > 0
        return self

    def predict(self, u, i) -> np.ndarray:
        u, i = np.asarray(u), np.asarray(i)
        ok = (u < self.n_users_) & (i < self.n_items_)
        out = np.full(len(u), np.nan)
        uu, ii = u[ok], i[ok]
        known = self.seen_users_[uu] & self.seen_items_[ii]
        vals = np.einsum("ij,ij->i", self.user_factors_[uu], self.item_factors_[ii])
        out[np.flatnonzero(ok)] = np.where(known, vals, np.nan)
        return out
