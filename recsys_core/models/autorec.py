"""AutoRec (Sedhain, Menon, Sanner & Xie, WWW 2015): I-AutoRec and U-AutoRec in numpy/scipy.

One hidden layer: h(r) = sigmoid(V r + mu), output W h + b (identity). I-AutoRec encodes each
*item* as its vector of user ratings; U-AutoRec encodes each *user* as its vector of item
ratings. The objective is the paper's masked squared error over observed ratings plus L2::

    sum_{observed (row, col)} (r - W_col . h(r_row) - b_col)^2 + reg/2 (|W|^2 + |V|^2)

minimised by mini-batch Adam. Inputs are sparse rows (missing = 0): the encoder is a sparse x
dense product, and the output is computed only at the observed entries of the mini-batch
(gathered decoder rows) -- or, when the ratings matrix is dense enough that BLAS wins, densely
for the mini-batch only. Adam updates only the rows of the weights whose columns the mini-batch
observes (lazy Adam), so an epoch costs the ratings, never a dense users x items pass.

A seeded validation split (``val_fraction`` of the training ratings) drives early stopping
(``patience`` epochs without improvement, or three epochs in a row more than 2% above the best
validation error; the best epoch's weights are kept). ``loss_history_``
holds one ``{"epoch", "train_rmse", "val_rmse"}`` dict per epoch; ``loss_curve_`` the same as
``{"train_rmse": [...], "val_rmse": [...]}`` (one value per epoch, the form the evaluation's
learning-curve table reads). After training, predictions encode the
full training rows (train + validation ratings). Output biases start at the damped column means,
so a column that never appeared in the training part predicts its baseline.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import Recommender
from .cost import Cost, base_memory

_DENSE_OUTPUT_DENSITY = 0.02
#: stop early once the validation error has stayed this far above its best for _DIVERGED_EPOCHS
#: epochs in a row (over-fitting, not a plateau; plateaus on MovieLens 100K stay within about 1%)
_DIVERGED = 0.02
_DIVERGED_EPOCHS = 3


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _AutoRec(Recommender):
    item_based: bool = True

    def __init__(
        self,
        hidden: int = 500,
        reg: float = 150.0,
        lr: float = 1e-3,
        epochs: int = 200,
        batch_size: int = 256,
        patience: int = 20,
        val_fraction: float = 0.1,
        random_state: int | None = 0,
    ):
        self.hidden = hidden
        self.reg = reg
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state

    # -------------------------------------------------------------- cost
    @classmethod
    def cost(cls, n_users, n_items, n_ratings, hidden=500, epochs=200, batch_size=256, **params):
        h = int(hidden)
        n_cols, n_rows = (n_users, n_items) if cls.item_based else (n_items, n_users)
        # encoder and decoder (float32), their Adam moments and the best epoch's copy; hidden codes
        # of every row (training, validation and the fitted model); sparse copies of the ratings
        mem = base_memory(n_users, n_items, n_ratings) + 8 * 4 * n_cols * h + 4 * 4 * n_rows * h + 60 * n_ratings
        per_epoch = 4e-9 * n_ratings * h + 2e-9 * min(n_cols, n_ratings) * h * max(n_rows / max(int(batch_size), 1), 1)
        secs = min(int(epochs), 60) * per_epoch + 1e-6 * n_ratings
        return Cost(int(mem), secs, "early stopping: time is for up to 60 epochs")

    # -------------------------------------------------------------- helpers
    def _rows_matrix(self, u, i, r, shape_ui):
        """(rows x cols) csr: items x users for I-AutoRec, users x items for U-AutoRec."""
        n_users, n_items = shape_ui
        if self.item_based:
            return sp.csr_matrix((r, (i, u)), shape=(n_items, n_users))
        return sp.csr_matrix((r, (u, i)), shape=(n_users, n_items))

    def _validate(self):
        if int(self.hidden) < 1 or int(self.epochs) < 1 or int(self.batch_size) < 1 or int(self.patience) < 1:
            raise ValueError("hidden, epochs, batch_size and patience must be >= 1")
        if float(self.reg) < 0 or float(self.lr) <= 0:
            raise ValueError("reg must be >= 0 and lr > 0")
        if not 0 <= float(self.val_fraction) < 0.5:
            raise ValueError("val_fraction must be in [0, 0.5)")

    # -------------------------------------------------------------- training
    def _fit(self, ts):
        self._validate()
        rng = np.random.default_rng(self.random_state)
        h = int(self.hidden)
        n = ts.n_ratings
        n_val = int(round(n * float(self.val_fraction))) if n >= 20 else 0
        perm = rng.permutation(n)
        val_idx, tr_idx = perm[:n_val], perm[n_val:]
        shape = (ts.n_users, ts.n_items)
        R = self._rows_matrix(ts.u[tr_idx], ts.i[tr_idx], ts.r[tr_idx], shape).astype(np.float32)
        n_rows, n_cols = R.shape
        if self.item_based:
            v_row, v_col = ts.i[val_idx], ts.u[val_idx]
        else:
            v_row, v_col = ts.u[val_idx], ts.i[val_idx]
        v_true = ts.r[val_idx]

        # damped column means as initial output biases (baseline for unseen columns)
        mu = float(ts.r[tr_idx].mean())
        Rcsc = R.tocsc()
        col_n = np.diff(Rcsc.indptr)
        col_sum = np.asarray(Rcsc.sum(axis=0)).ravel()
        b0 = mu + (col_sum - col_n * mu) / (col_n + 5.0)

        a_enc = np.sqrt(6.0 / (n_cols + h))
        f32 = np.float32
        params = {
            "V": rng.uniform(-a_enc, a_enc, (n_cols, h)).astype(f32),  # encoder (cols x hidden): z = r @ V + mu
            "mu": np.zeros(h, dtype=f32),
            "W": rng.uniform(-a_enc, a_enc, (n_cols, h)).astype(f32),  # decoder rows, one per output column
            "b": b0.astype(f32),
        }
        reg = float(self.reg)
        bs = int(self.batch_size)
        dense_out = R.nnz / max(n_rows * n_cols, 1) >= _DENSE_OUTPUT_DENSITY
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):  # small products: threads only contend
            params, curve, best = self._train(
                params, R, n_val, v_row, v_col, v_true, ts.rating_scale, rng, dense_out, reg, bs
            )
        self.loss_history_ = curve
        self.loss_curve_ = {"train_rmse": [c["train_rmse"] for c in curve], "val_rmse": [c["val_rmse"] for c in curve]}
        self.best_epoch_ = best
        self.params_ = params
        # encode the full training rows (train + validation ratings)
        Rfull = self._rows_matrix(ts.u, ts.i, ts.r, shape).astype(np.float32)
        self.hidden_ = _sigmoid(np.asarray(Rfull @ params["V"]) + params["mu"])  # rows x hidden

    def _train(self, params, R, n_val, v_row, v_col, v_true, scale, rng, dense_out, reg, bs):
        n_rows = R.shape[0]
        rows_all = np.arange(n_rows)
        m = {k: np.zeros_like(v) for k, v in params.items()}
        s = {k: np.zeros_like(v) for k, v in params.items()}
        beta1, beta2, eps, lr = 0.9, 0.999, 1e-8, float(self.lr)
        t = 0
        best = (np.inf, None, 0)
        curve = []
        bad = above = 0
        for epoch in range(1, int(self.epochs) + 1):
            order = rng.permutation(rows_all)
            sse, cnt = 0.0, 0
            for a in range(0, n_rows, bs):
                rows = order[a : a + bs]
                Rb = R[rows]
                if Rb.nnz == 0:
                    continue
                frac = len(rows) / n_rows
                # only the columns this mini-batch observes have a gradient in V, W and b: update
                # those rows alone (lazy Adam), so a step costs the batch's ratings, not all columns
                cols, inv = np.unique(Rb.indices, return_inverse=True)
                Rc = sp.csr_matrix((Rb.data, inv.astype(np.int32), Rb.indptr), shape=(Rb.shape[0], len(cols)))
                sub = {"V": params["V"][cols], "mu": params["mu"], "W": params["W"][cols], "b": params["b"][cols]}
                dense = dense_out and Rc.nnz >= _DENSE_OUTPUT_DENSITY * Rc.shape[0] * Rc.shape[1]
                grads, e2 = self._grads(sub, Rc, dense)
                sse += e2
                cnt += Rb.nnz
                grads["W"] += np.float32(reg * frac) * sub["W"]
                grads["V"] += np.float32(reg * frac) * sub["V"]
                t += 1
                step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
                for k, g in grads.items():  # Adam on the touched rows (in place: the same arithmetic)
                    g = g.astype(np.float32, copy=False)
                    idx = slice(None) if k == "mu" else cols
                    mk = m[k][idx]
                    mk *= beta1
                    mk += (1 - beta1) * g
                    g *= g
                    g *= 1 - beta2
                    sk = s[k][idx]
                    sk *= beta2
                    sk += g
                    if k != "mu":  # a gathered copy: write it back
                        m[k][idx] = mk
                        s[k][idx] = sk
                    np.sqrt(sk, out=g)
                    g += eps
                    upd = mk * step
                    upd /= g
                    if k == "mu":
                        params[k] -= upd.astype(np.float32, copy=False)
                    else:  # sub[k] holds params[k][cols] as they were before this step
                        p = sub[k]
                        p -= upd.astype(np.float32, copy=False)
                        params[k][idx] = p
            train_rmse = float(np.sqrt(sse / max(cnt, 1)))
            if n_val:
                H = _sigmoid(np.asarray(R @ params["V"]) + params["mu"])
                est = np.einsum("ij,ij->i", H[v_row], params["W"][v_col]) + params["b"][v_col]
                lo, hi = scale
                val_rmse = float(np.sqrt(np.mean((np.clip(est, lo, hi) - v_true) ** 2)))
            else:
                val_rmse = float("nan")
            curve.append({"epoch": epoch, "train_rmse": train_rmse, "val_rmse": val_rmse})
            score = val_rmse if n_val else train_rmse
            if score < best[0] - 1e-5:
                best = (score, {k: v.copy() for k, v in params.items()}, epoch)
                bad = above = 0
            else:
                bad += 1
                above = above + 1 if score > best[0] * (1 + _DIVERGED) else 0
                if bad >= int(self.patience) or above >= _DIVERGED_EPOCHS:
                    break
        return (best[1] if best[1] is not None else params), curve, best[2]

    @staticmethod
    def _grads(p, Rb: sp.csr_matrix, dense_out: bool):
        """Gradients of the masked squared error of one mini-batch (without L2) and its SSE."""
        Z = np.asarray(Rb @ p["V"]) + p["mu"]
        H = _sigmoid(Z)
        if dense_out:
            mask = Rb.copy()
            mask.data = np.ones_like(mask.data)
            O = H @ p["W"].T + p["b"]
            E = (O - Rb.toarray()) * mask.toarray()
            E = E.astype(p["W"].dtype, copy=False)
            e2 = float(np.sum(E * E))
            dO = 2.0 * E
            gW = dO.T @ H
            gb = dO.sum(axis=0)
            dH = dO @ p["W"]
        else:
            coo = Rb.tocoo()
            Wg = p["W"][coo.col]
            o = np.einsum("ij,ij->i", H[coo.row], Wg) + p["b"][coo.col]
            e = o - coo.data
            e2 = float(e @ e)
            dO = sp.csr_matrix(((2.0 * e).astype(p["W"].dtype), (coo.row, coo.col)), shape=Rb.shape)
            gW = np.asarray(dO.T @ H)
            gb = np.asarray(dO.sum(axis=0)).ravel()
            dH = np.asarray(dO @ p["W"])
        dZ = dH * H * (1.0 - H)
        gV = np.asarray(Rb.T @ dZ)
        gmu = dZ.sum(axis=0)
        return {"V": gV, "mu": gmu, "W": gW, "b": gb}, e2

    # -------------------------------------------------------------- scoring
    def _estimate_pairs(self, u, i):
        u = np.asarray(u, dtype=np.int64)
        i = np.asarray(i, dtype=np.int64)
        W, b, H = self.params_["W"], self.params_["b"], self.hidden_
        if self.item_based:
            return np.einsum("ij,ij->i", H[i], W[u]) + b[u]
        return np.einsum("ij,ij->i", H[u], W[i]) + b[i]

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        W, b, H = self.params_["W"], self.params_["b"], self.hidden_
        if self.item_based:
            return W[u] @ H.T + b[u][:, None]
        return H[u] @ W.T + b[None, :]


class IAutoRec(_AutoRec):
    """I-AutoRec: one autoencoder input per item (its ratings by every user)."""

    name = "autorec-i"
    item_based = True


class UAutoRec(_AutoRec):
    """U-AutoRec: one autoencoder input per user (their ratings of every item)."""

    name = "autorec-u"
    item_based = False
