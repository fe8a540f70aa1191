"""Implicit-feedback rankers: EASE (closed form), ALS (Hu, Koren & Volinsky 2008), BPR (Rendle et
al. 2009) and logistic MF (Johnson 2014).

All learn from *which* items a user interacted with (every rated item, or only ratings at or
above ``threshold``), so they rank items but do not predict ratings (``predicts_ratings = False``;
rating metrics are N/A for them). Unknown users get the popularity ranking.

ALS, BPR and LMF are fitted by the ``implicit`` package (multi-threaded C++; it takes a users x
items CSR of confidences). Its thread count is ``num_threads`` (0 = every core) and BLAS is pinned
to one thread while it runs, as ``implicit`` asks. ALS solves each user's system independently, so
it gives the same factors on any number of threads; BPR and LMF run lock-free SGD, reproducible
only on one thread, so by default (``num_threads=None``) they use one thread below
:data:`PARALLEL_SGD_RATINGS` ratings and every core from there (a 25M-rating BPR fit takes about 20 CPU
minutes: bit-for-bit reproducibility is given up for half the wall time). ALS also keeps our own numpy solver
(``engine="numpy"``): each half-step solves every user's (item's) weighted least-squares system
with a few conjugate-gradient steps run for all users at once on sparse matrices, warm-started
from the previous iterate -- the same objective and the same solver as ``implicit``'s.

EASE keeps a dense films x films matrix: its cost envelope says so, and it is refused where that
matrix does not fit the memory budget.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .base import Recommender
from .cost import DECLARED_CORES, Cost, base_memory
from .fast_top_n import FactorTopN

#: ratings from which BPR and LMF run their SGD on every core when ``num_threads`` is left at None
PARALLEL_SGD_RATINGS = 2_000_000
#: ratings up to which BPR runs its full 100 epochs by default
FEWER_EPOCHS_RATINGS = 1_000_000


def sgd_threads(num_threads, n_ratings: int) -> int:
    """The thread count BPR / LMF use: ``num_threads`` when set (0 = every core), else one thread below
    :data:`PARALLEL_SGD_RATINGS` ratings (reproducible) and every core from there."""
    if num_threads is None:
        return 0 if int(n_ratings) >= PARALLEL_SGD_RATINGS else 1
    return int(num_threads)


def _sgd_seconds(one_thread: float, num_threads, n_ratings: int) -> float:
    """Declared fit time of an SGD ranker from its one-thread time, for the threads it will use."""
    threads = sgd_threads(num_threads, n_ratings)
    return one_thread / (DECLARED_CORES if threads == 0 else max(1, min(threads, DECLARED_CORES)))


def interaction_matrix(ts, threshold: float | None = None) -> sp.csr_matrix:
    """Binary users x items matrix: 1 where the user rated the item (at or above ``threshold``)."""
    csr = ts.csr
    keep = np.ones(len(csr.data), dtype=bool) if threshold is None else csr.data >= float(threshold)
    X = sp.csr_matrix(
        (keep.astype(float), csr.indices.copy(), csr.indptr.copy()), shape=csr.shape
    )  # never share the trainset's arrays
    X.eliminate_zeros()
    return X


class _Ranker(Recommender):
    predicts_ratings = False

    def _cold_scores(self):
        return self.popularity_

    def _set_popularity(self, X):
        self.popularity_ = np.asarray(X.sum(axis=0), dtype=float).ravel()


class EASE(_Ranker):
    """EASE^R (Steck 2019): B = I - P diagMat(1 / diag(P)), P = (X^T X + reg I)^-1; scores = X_u B."""

    name = "ease"

    def __init__(self, reg: float = 500.0, threshold: float | None = None, max_items: int = 20000):
        self.reg = reg
        self.threshold = threshold
        self.max_items = max_items

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, **params):
        # Gram matrix, its inverse, the identity it is solved against and B: four films x films float64
        mem = base_memory(n_users, n_items, n_ratings) + 4 * 8 * n_items * n_items
        secs = 1.5 * n_items**3 / 1e10 + 2e-6 * n_ratings
        return Cost(int(mem), secs, "dense films x films inverse")

    def _fit(self, ts):
        if float(self.reg) <= 0:
            raise ValueError("reg (the L2 penalty lambda) must be > 0")
        if ts.n_items > int(self.max_items):
            raise ValueError(
                f"EASE needs an items x items matrix; {ts.n_items} items exceed max_items="
                f"{self.max_items} (raise it if you have the memory, or use ALS)"
            )
        X = interaction_matrix(ts, self.threshold)
        self._set_popularity(X)
        G = np.asarray((X.T @ X).toarray(), dtype=float)
        G[np.diag_indices_from(G)] += float(self.reg)
        P = sla.cho_solve(sla.cho_factor(G, lower=False, check_finite=False), np.eye(len(G)), check_finite=False)
        B = -P / np.diag(P)[None, :]
        np.fill_diagonal(B, 0.0)
        self.B_ = B
        self.X_ = X

    def _score_users(self, u):
        return np.asarray(self.X_[np.asarray(u)] @ self.B_)

    def score_users_for_item(self, inner_item: int) -> np.ndarray:
        """ScoresUsersForItem: every user's score for one item is one sparse product, X B[:, j]."""
        return np.asarray(self.X_ @ np.asarray(self.B_)[:, int(inner_item)], dtype=float).ravel()

    def item_vectors(self) -> np.ndarray:
        return self.B_


def _implicit_fit(make, X: sp.csr_matrix):
    """Build (``make()``) and fit an ``implicit`` model on a users x items CSR, BLAS pinned to one thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        model = make()
        model.fit(sp.csr_matrix(X, dtype=np.float32), show_progress=False)
    # float64 copies: scores then do not depend on how users are blocked in BLAS calls
    return np.asarray(model.user_factors, dtype=float), np.asarray(model.item_factors, dtype=float)


def _factor_cost(n_users, n_items, n_ratings, factors, note=""):
    """Base data, the factor matrices (float32 in the solver, float64 kept), the confidences both ways."""
    mem = base_memory(n_users, n_items, n_ratings) + 4 * 8 * int(factors) * (n_users + n_items) + 32 * n_ratings
    return mem


class _FactorRanker(FactorTopN, _Ranker):
    def _check_common(self):
        if int(self.factors) < 1 or (self.iterations is not None and int(self.iterations) < 1):
            raise ValueError("factors and iterations must be >= 1")
        if self.num_threads is not None and int(self.num_threads) < 0:
            raise ValueError("num_threads must be >= 0 (0 = every core) or None (chosen by data size)")

    def _score_users(self, u):
        return self.user_factors_[np.asarray(u)] @ self.item_factors_.T

    def item_vectors(self) -> np.ndarray:
        return self.item_factors_

    def _factor_parts(self):
        return self.user_factors_, self.item_factors_, None


class ALS(_FactorRanker):
    """Implicit ALS: minimise sum_ui c_ui (p_ui - x_u . y_i)^2 + reg (|x_u|^2 + |y_i|^2),
    p_ui = 1 for observed pairs (else 0), c_ui = 1 + alpha for observed pairs (else 1)."""

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        reg: float = 20.0,
        alpha: float = 1.0,
        iterations: int = 10,
        cg_steps: int = 3,
        threshold: float | None = None,
        random_state: int | None = 0,
        engine: str = "implicit",
        num_threads: int = 0,
    ):
        self.factors = factors
        self.reg = reg
        self.alpha = alpha
        self.iterations = iterations
        self.cg_steps = cg_steps
        self.threshold = threshold
        self.random_state = random_state
        self.engine = engine
        self.num_threads = num_threads

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, factors=64, iterations=10, cg_steps=3, **params):
        f, it = int(factors), int(iterations)
        mem = _factor_cost(n_users, n_items, n_ratings, f)
        secs = it * (2e-9 * n_ratings * f * (int(cg_steps) + 1) + 4e-9 * (n_users + n_items) * f * f) + 1e-6 * n_ratings
        return Cost(int(mem), secs)

    def _fit(self, ts):
        k = int(self.factors)
        self._check_common()
        if int(self.cg_steps) < 1:
            raise ValueError("factors, iterations and cg_steps must be >= 1")
        if float(self.reg) < 0 or float(self.alpha) <= 0:
            raise ValueError("reg must be >= 0 and alpha > 0")
        if self.engine not in ("implicit", "numpy"):
            raise ValueError(f"engine must be 'implicit' or 'numpy' (got {self.engine!r})")
        X = interaction_matrix(ts, self.threshold)
        self._set_popularity(X)
        if self.engine == "implicit":
            from implicit.cpu.als import AlternatingLeastSquares

            def make():
                model = AlternatingLeastSquares(
                    factors=k,
                    regularization=float(self.reg),
                    alpha=1.0,
                    iterations=int(self.iterations),
                    use_cg=True,
                    calculate_training_loss=False,
                    num_threads=int(self.num_threads),
                    random_state=self.random_state,
                )
                model.cg_steps = int(self.cg_steps)
                return model

            C = X.copy()
            C.data = np.full(len(C.data), 1.0 + float(self.alpha), dtype=np.float32)  # c_ui = 1 + alpha
            self.user_factors_, self.item_factors_ = _implicit_fit(make, C)
            return
        rng = np.random.default_rng(self.random_state)
        U = rng.normal(0, 0.01, (ts.n_users, k)).astype(np.float32)
        V = rng.normal(0, 0.01, (ts.n_items, k)).astype(np.float32)
        Cu = X.tocsr()
        Ci = X.T.tocsr()
        for _ in range(int(self.iterations)):
            U = self._cg_half_step(Cu, U, V)
            V = self._cg_half_step(Ci, V, U)
        self.user_factors_ = U.astype(float)
        self.item_factors_ = V.astype(float)

    def _cg_half_step(self, C: sp.csr_matrix, Xf: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """A few CG steps on every row's system (Y^T C_u Y + reg I) x_u = Y^T C_u p_u, all rows at once."""
        alpha, reg = float(self.alpha), float(self.reg)
        YtY = (Y.T @ Y + reg * np.eye(Y.shape[1], dtype=Y.dtype)).astype(Y.dtype)
        rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
        cols = C.indices

        def apply(Z):
            # Z @ (Y^T Y + reg I) + sum_{i in I_u} (c_ui - 1) (y_i . z_u) y_i
            out = Z @ YtY
            dots = np.empty(len(rows), dtype=Y.dtype)
            step = 200_000
            for a in range(0, len(rows), step):
                dots[a : a + step] = np.einsum("nk,nk->n", Z[rows[a : a + step]], Y[cols[a : a + step]])
            W = sp.csr_matrix((np.float32(alpha) * dots, cols, C.indptr), shape=C.shape)
            return out + W @ Y

        b = sp.csr_matrix((np.full(len(cols), 1.0 + alpha, dtype=Y.dtype), cols, C.indptr), shape=C.shape) @ Y
        x = Xf.copy()
        r = b - apply(x)
        p = r.copy()
        rs = np.einsum("ij,ij->i", r, r)
        for _ in range(int(self.cg_steps)):
            Ap = apply(p)
            pAp = np.einsum("ij,ij->i", p, Ap)
            step = np.where(pAp > 0, rs / np.where(pAp > 0, pAp, 1.0), 0.0)
            step = step.astype(x.dtype)
            x += step[:, None] * p
            r -= step[:, None] * Ap
            rs_new = np.einsum("ij,ij->i", r, r)
            beta = np.where(rs > 0, rs_new / np.where(rs > 0, rs, 1.0), 0.0)
            p = r + beta.astype(x.dtype)[:, None] * p
            rs = rs_new
        return x


class _ImplicitSGD(_FactorRanker):
    """``implicit``'s SGD rankers (BPR, LMF) on the interaction matrix; subclasses name the estimator."""

    def _validate(self) -> None:
        if float(self.learning_rate) <= 0 or float(self.reg) < 0:
            raise ValueError("learning_rate must be > 0 and reg >= 0")

    def _estimator(self, **common):
        raise NotImplementedError

    def _epochs(self, n_ratings: int) -> int:
        return int(self.iterations)

    def _fit(self, ts):
        self._check_common()
        self._validate()
        X = interaction_matrix(ts, self.threshold)
        self._set_popularity(X)
        common = dict(
            factors=int(self.factors),
            learning_rate=float(self.learning_rate),
            regularization=float(self.reg),
            iterations=self._epochs(ts.n_ratings),
            num_threads=sgd_threads(self.num_threads, ts.n_ratings),
            random_state=self.random_state,
        )
        self.user_factors_, self.item_factors_ = _implicit_fit(lambda: self._estimator(**common), X)


def bpr_iterations(iterations: int | None, n_ratings: int) -> int:
    """BPR's epochs: ``iterations``, or when None 100 up to :data:`FEWER_EPOCHS_RATINGS` ratings and
    100 x that / ratings above, at least 30 (each epoch samples as many triples as there are
    ratings, so a 25M-rating epoch makes 25 times the updates of a 1M-rating one)."""
    if iterations is not None:
        return int(iterations)
    n = max(int(n_ratings), 1)
    return 100 if n <= FEWER_EPOCHS_RATINGS else max(30, round(100 * FEWER_EPOCHS_RATINGS / n))


class BPR(_ImplicitSGD):
    """Bayesian personalised ranking (``implicit``'s multi-threaded SGD): for sampled (user, seen
    item, unseen item) triples, maximise log sigmoid(x_u . y_i - x_u . y_j) with L2 ``reg``.

    ``iterations=None`` (the default) runs 100 epochs up to 1M ratings and fewer above, down to 30
    from 3.3M (:func:`bpr_iterations`)."""

    name = "bpr"

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.05,
        reg: float = 0.01,
        iterations: int | None = None,
        threshold: float | None = None,
        random_state: int | None = 0,
        num_threads: int | None = None,
    ):
        self.factors = factors
        self.learning_rate = learning_rate
        self.reg = reg
        self.iterations = iterations
        self.threshold = threshold
        self.random_state = random_state
        self.num_threads = num_threads

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, factors=64, iterations=None, **params):
        mem = _factor_cost(n_users, n_items, n_ratings, int(factors))
        # CPU seconds per rating, factor and iteration: ~6e-9 on 1M synthetic ratings (6,502 x 2,362;
        # 35.8 and 38.5 CPU s for 100 x 64, benchmarks/bench_cost_envelopes.py) and 1.46e-8 on 25M
        # (162,540 x 59,047, 30 x 64: 699.6 CPU s, benchmarks/bench_scale_sparse.py), where the
        # factors no longer stay in cache; the larger figure is declared, rounded up
        it = bpr_iterations(iterations, n_ratings)
        one = it * 1.5e-8 * n_ratings * int(factors) + 1e-6 * n_ratings
        return Cost(int(mem), _sgd_seconds(one, params.get("num_threads"), n_ratings))

    def _epochs(self, n_ratings: int) -> int:
        return bpr_iterations(self.iterations, n_ratings)

    def _estimator(self, **common):
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(**common)


class LMF(_ImplicitSGD):
    """Logistic matrix factorisation (``implicit``): p(u likes i) = sigmoid(x_u . y_i + b_u + b_i)."""

    name = "lmf"

    def __init__(
        self,
        factors: int = 30,
        learning_rate: float = 1.0,
        reg: float = 0.6,
        iterations: int = 30,
        neg_prop: int = 30,
        threshold: float | None = None,
        random_state: int | None = 0,
        num_threads: int | None = None,
    ):
        self.factors = factors
        self.learning_rate = learning_rate
        self.reg = reg
        self.iterations = iterations
        self.neg_prop = neg_prop
        self.threshold = threshold
        self.random_state = random_state
        self.num_threads = num_threads

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, factors=30, iterations=30, neg_prop=30, **params):
        mem = _factor_cost(n_users, n_items, n_ratings, int(factors))
        # CPU seconds per rating, factor, iteration and tenth of a negative: 3e-9, rounded up from 25M
        # synthetic ratings (30 x 30, neg_prop 30: 267.3 CPU s, benchmarks/bench_scale_sparse.py)
        one = int(iterations) * 3e-9 * n_ratings * int(factors) * (1 + int(neg_prop) / 10) + 1e-6 * n_ratings
        return Cost(int(mem), _sgd_seconds(one, params.get("num_threads"), n_ratings))

    def _validate(self) -> None:
        super()._validate()
        if int(self.neg_prop) < 1:
            raise ValueError("neg_prop must be >= 1")

    def _estimator(self, **common):
        from implicit.cpu.lmf import LogisticMatrixFactorization

        return LogisticMatrixFactorization(neg_prop=int(self.neg_prop), **common)
