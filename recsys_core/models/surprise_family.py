"""The rest of Surprise's algorithms, wrapped so that scoring never loops over ``predict``.

Every wrapper fits the Surprise algorithm on ``to_surprise_trainset(ts)`` (whose raw ids *are*
our inner ids) and then scores from the learned state with matrix operations:

* ``svdpp``        mu + b_u + b_i + (p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j) . q_i  -- one matrix product
* ``nmf``          p_u . q_i (+ mu + b_u + b_i when ``biased``)                   -- one matrix product
* ``slopeone``     user mean + (B_u @ dev.T) / (B_u @ [freq > 0].T)                -- two matrix products
* ``coclustering`` co-cluster mean + user and item offsets from their cluster means -- array lookups
* ``knnbaseline``  Surprise's similarities and baselines, predicted by our vectorised
                    neighbourhood engine (the same estimate as ``KNNBaseline.estimate``)

None of them falls back to per-pair ``predict`` calls.
"""

from __future__ import annotations

import numpy as np

from .base import Recommender
from .cost import Cost, base_memory
from .knn import DEFAULT_MAX_NEIGHBOURS, _NeighbourCF, _Neighbourhood, _with_data, topk_from_dense
from .mf import SURPRISE_BYTES_PER_RATING, FactorFoldIn, to_surprise_trainset


def _check_positive_ints(**values):
    for k, v in values.items():
        if int(v) < 1:
            raise ValueError(f"{k} must be >= 1 (got {v})")


class _ByUserBlocks:
    """Pair estimates from ``_score_users`` on blocks of distinct users (for dense-score models)."""

    _block = 256

    def _estimate_pairs(self, u, i):
        u = np.asarray(u, dtype=np.int64)
        i = np.asarray(i, dtype=np.int64)
        out = np.empty(len(u))
        users, inv = np.unique(u, return_inverse=True)
        for a in range(0, len(users), self._block):
            block = users[a : a + self._block]
            S = self._score_users(block)
            sel = (inv >= a) & (inv < a + len(block))
            out[sel] = S[inv[sel] - a, i[sel]]
        return out


class SVDpp(FactorFoldIn, Recommender):
    """SVD++ (Koren 2008) from Surprise: factors plus implicit feedback of the items a user rated."""

    name = "svdpp"

    def __init__(
        self,
        n_factors: int = 20,
        n_epochs: int = 20,
        lr_all: float = 0.007,
        reg_all: float = 0.02,
        init_std_dev: float = 0.1,
        cache_ratings: bool = True,
        random_state: int | None = 0,
    ):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr_all = lr_all
        self.reg_all = reg_all
        self.init_std_dev = init_std_dev
        self.cache_ratings = cache_ratings
        self.random_state = random_state

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, n_factors=20, n_epochs=20, **params):
        f, e = int(n_factors), int(n_epochs)
        mem = base_memory(n_users, n_items, n_ratings) + SURPRISE_BYTES_PER_RATING * n_ratings
        mem += 5 * 8 * f * (n_users + 2 * n_items)
        # each rating's update touches the y_j of every item its user rated
        mean_deg = n_ratings / max(n_users, 1)
        secs = 2e-8 * n_ratings * e * max(f, 10) * (1 + mean_deg / 4) + 4e-6 * n_ratings
        return Cost(int(mem), secs, "SVD++ time grows with ratings x items per user")

    def _fit(self, ts):
        from surprise import SVDpp as SSVDpp

        _check_positive_ints(n_factors=self.n_factors, n_epochs=self.n_epochs)
        algo = SSVDpp(
            n_factors=int(self.n_factors),
            n_epochs=int(self.n_epochs),
            lr_all=float(self.lr_all),
            reg_all=float(self.reg_all),
            init_std_dev=float(self.init_std_dev),
            cache_ratings=bool(self.cache_ratings),
            random_state=self.random_state,
        )
        algo.fit(to_surprise_trainset(ts))
        self.mu_ = ts.global_mean
        self.bu_ = np.asarray(algo.bu, dtype=float)
        self.bi_ = np.asarray(algo.bi, dtype=float)
        self.qi_ = np.asarray(algo.qi, dtype=float)
        self.yj_ = np.asarray(algo.yj, dtype=float)
        pu = np.asarray(algo.pu, dtype=float)
        n_u = np.maximum(ts.user_counts, 1).astype(float)
        # implicit part of every user vector at once: |N(u)|^-1/2 * B @ Y
        self.user_vectors_ = pu + (ts.binary @ self.yj_) / np.sqrt(n_u)[:, None]

    def _estimate_pairs(self, u, i):
        return self.mu_ + self.bu_[u] + self.bi_[i] + np.einsum("ij,ij->i", self.user_vectors_[u], self.qi_[i])

    def _score_users(self, u):
        u = np.asarray(u)
        return self.mu_ + self.bu_[u][:, None] + self.bi_[None, :] + self.user_vectors_[u] @ self.qi_.T

    def _cold_scores(self):
        return self.mu_ + self.bi_

    def item_vectors(self) -> np.ndarray:
        return self.qi_


class NMF(FactorFoldIn, Recommender):
    """Non-negative matrix factorisation (Luo et al. 2014) from Surprise."""

    name = "nmf"

    def __init__(
        self,
        n_factors: int = 15,
        n_epochs: int = 50,
        biased: bool = False,
        reg_pu: float = 0.06,
        reg_qi: float = 0.06,
        reg_bu: float = 0.02,
        reg_bi: float = 0.02,
        lr_bu: float = 0.005,
        lr_bi: float = 0.005,
        random_state: int | None = 0,
    ):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.biased = biased
        self.reg_pu = reg_pu
        self.reg_qi = reg_qi
        self.reg_bu = reg_bu
        self.reg_bi = reg_bi
        self.lr_bu = lr_bu
        self.lr_bi = lr_bi
        self.random_state = random_state

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, n_factors=15, n_epochs=50, **params):
        f, e = int(n_factors), int(n_epochs)
        mem = base_memory(n_users, n_items, n_ratings) + SURPRISE_BYTES_PER_RATING * n_ratings
        mem += 6 * 8 * f * (n_users + n_items)
        # one thread: 490.4 CPU s for 50 epochs x 15 factors on 25M synthetic ratings (162,540 x 59,047;
        # benchmarks/bench_scale_sparse.py), Surprise's trainset included
        return Cost(int(mem), 2e-8 * n_ratings * e * max(f, 10) + 5e-6 * n_ratings)

    def _fit(self, ts):
        from surprise import NMF as SNMF

        _check_positive_ints(n_factors=self.n_factors, n_epochs=self.n_epochs)
        algo = SNMF(
            n_factors=int(self.n_factors),
            n_epochs=int(self.n_epochs),
            biased=bool(self.biased),
            reg_pu=float(self.reg_pu),
            reg_qi=float(self.reg_qi),
            reg_bu=float(self.reg_bu),
            reg_bi=float(self.reg_bi),
            lr_bu=float(self.lr_bu),
            lr_bi=float(self.lr_bi),
            random_state=self.random_state,
        )
        algo.fit(to_surprise_trainset(ts))
        self.pu_ = np.asarray(algo.pu, dtype=float)
        self.qi_ = np.asarray(algo.qi, dtype=float)
        if self.biased:
            self.mu_ = ts.global_mean
            self.bu_ = np.asarray(algo.bu, dtype=float)
            self.bi_ = np.asarray(algo.bi, dtype=float)
        else:
            self.mu_ = 0.0
            self.bu_ = np.zeros(ts.n_users)
            self.bi_ = np.zeros(ts.n_items)

    def _estimate_pairs(self, u, i):
        return self.mu_ + self.bu_[u] + self.bi_[i] + np.einsum("ij,ij->i", self.pu_[u], self.qi_[i])

    def _score_users(self, u):
        u = np.asarray(u)
        return self.mu_ + self.bu_[u][:, None] + self.bi_[None, :] + self.pu_[u] @ self.qi_.T

    def item_vectors(self) -> np.ndarray:
        return self.qi_


class SlopeOne(_ByUserBlocks, Recommender):
    """Slope One (Lemire & Maclachlan 2005) from Surprise, reconstructed by two matrix products."""

    name = "slopeone"

    def __init__(self):
        pass

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, **params):
        # Surprise keeps dense films x films deviations and co-rating counts (float64 + int64); we keep
        # a transposed copy of both for scoring
        mem = base_memory(n_users, n_items, n_ratings) + SURPRISE_BYTES_PER_RATING * n_ratings
        mem += 32 * n_items * n_items
        mean_deg = n_ratings / max(n_users, 1)
        secs = 1.5e-7 * n_ratings * mean_deg * 3 + 2e-9 * n_items * n_items + 4e-6 * n_ratings
        return Cost(int(mem), secs, "dense films x films deviation matrix")

    def _fit(self, ts):
        from surprise import SlopeOne as SSlopeOne

        algo = SSlopeOne()
        algo.fit(to_surprise_trainset(ts))
        self.dev_t_ = np.ascontiguousarray(
            np.nan_to_num(np.asarray(algo.dev, dtype=float)).T
        )  # dev_t_[j, i] = dev[i, j]; 0/0 -> 0
        self.support_t_ = np.ascontiguousarray((np.asarray(algo.freq) > 0).T.astype(float))
        self.user_mean_ = np.asarray(algo.user_mean, dtype=float)
        self._binary = ts.binary

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        Bu = self._binary[u]
        num = np.asarray(Bu @ self.dev_t_)
        cnt = np.asarray(Bu @ self.support_t_)
        return self.user_mean_[u][:, None] + np.where(cnt > 0, num / np.where(cnt > 0, cnt, 1.0), 0.0)


class CoClustering(_ByUserBlocks, Recommender):
    """Co-clustering (George & Merugu 2005) from Surprise, reconstructed from its cluster means."""

    name = "coclustering"

    def __init__(self, n_cltr_u: int = 3, n_cltr_i: int = 3, n_epochs: int = 20, random_state: int | None = 0):
        self.n_cltr_u = n_cltr_u
        self.n_cltr_i = n_cltr_i
        self.n_epochs = n_epochs
        self.random_state = random_state

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, n_epochs=20, **params):
        mem = base_memory(n_users, n_items, n_ratings) + SURPRISE_BYTES_PER_RATING * n_ratings
        # 10.7 and 12.7 CPU s for 20 epochs on 1M synthetic ratings (benchmarks/bench_cost_envelopes.py),
        # 565.8 CPU s on 25M (162,540 x 59,047; benchmarks/bench_scale_sparse.py): rounded up from 25M
        return Cost(int(mem), 1e-6 * n_ratings * int(n_epochs) + 4e-6 * n_ratings)

    def _fit(self, ts):
        from surprise import CoClustering as SCoClustering

        _check_positive_ints(n_cltr_u=self.n_cltr_u, n_cltr_i=self.n_cltr_i, n_epochs=self.n_epochs)
        algo = SCoClustering(
            n_cltr_u=int(self.n_cltr_u),
            n_cltr_i=int(self.n_cltr_i),
            n_epochs=int(self.n_epochs),
            random_state=self.random_state,
        )
        algo.fit(to_surprise_trainset(ts))
        cu = np.asarray(algo.cltr_u, dtype=np.int64)
        ci = np.asarray(algo.cltr_i, dtype=np.int64)
        self.user_cluster_, self.item_cluster_ = cu, ci
        self.cocluster_mean_ = np.asarray(algo.avg_cocltr, dtype=float)
        self.user_offset_ = np.asarray(algo.user_mean, dtype=float) - np.asarray(algo.avg_cltr_u, dtype=float)[cu]
        self.item_offset_ = np.asarray(algo.item_mean, dtype=float) - np.asarray(algo.avg_cltr_i, dtype=float)[ci]

    def _estimate_pairs(self, u, i):
        return (
            self.cocluster_mean_[self.user_cluster_[u], self.item_cluster_[i]]
            + self.user_offset_[u]
            + self.item_offset_[i]
        )

    def _score_users(self, u):
        u = np.asarray(u, dtype=np.int64)
        return (
            self.cocluster_mean_[self.user_cluster_[u]][:, self.item_cluster_]
            + self.user_offset_[u][:, None]
            + self.item_offset_[None, :]
        )


class KNNBaseline(_NeighbourCF):
    """Surprise's ``KNNBaseline``: its similarity matrix and ALS baselines, predicted by our
    vectorised neighbourhood engine (identical estimate; ties among equal similarities aside).

    Defaults follow Surprise except ``sim`` (pearson_baseline, Surprise's recommended measure for
    this algorithm, instead of its default msd). ``damping=0`` keeps Surprise's estimate; see
    :mod:`recsys_core.models.knn` for what a positive value does to top-N lists."""

    name = "knnbaseline"

    def __init__(
        self,
        k: int = 40,
        min_k: int = 1,
        sim: str = "pearson_baseline",
        user_based: bool = True,
        min_support: int = 1,
        shrinkage: float = 100.0,
        reg_u: float = 15.0,
        reg_i: float = 10.0,
        bsl_epochs: int = 10,
        damping: float = 0.0,
        max_neighbours: int = DEFAULT_MAX_NEIGHBOURS,
    ):
        self.max_neighbours = max_neighbours
        self.k = k
        self.min_k = min_k
        self.sim = sim
        self.user_based = user_based
        self.min_support = min_support
        self.shrinkage = shrinkage
        self.reg_u = reg_u
        self.reg_i = reg_i
        self.bsl_epochs = bsl_epochs
        self.damping = damping

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, user_based=True, max_neighbours=DEFAULT_MAX_NEIGHBOURS, **params):
        # Surprise's similarity code holds five dense n x n float64 arrays (n = users or films)
        n = int(n_users if user_based else n_items)
        mem = base_memory(n_users, n_items, n_ratings) + SURPRISE_BYTES_PER_RATING * n_ratings
        mem += 40 * n * n + 24 * n * min(int(max_neighbours), max(n - 1, 1))
        raters = n_items if user_based else n_users
        secs = 3e-8 * n_ratings * n_ratings / max(raters, 1) * 3 + 5e-9 * n * n + 4e-6 * n_ratings
        who = "users x users" if user_based else "films x films"
        return Cost(int(mem), secs, f"dense {who} similarity matrix")

    def _fit(self, ts):
        from surprise import KNNBaseline as SKNNBaseline

        names = {"pearson": "pearson", "cosine": "cosine", "msd": "msd", "pearson_baseline": "pearson_baseline"}
        if self.sim not in names:
            raise ValueError(f"sim must be one of {', '.join(names)} (got {self.sim!r})")
        if int(self.k) < 1 or int(self.min_k) < 0:
            raise ValueError("k must be >= 1 and min_k >= 0")
        sim_options = {
            "name": self.sim,
            "user_based": bool(self.user_based),
            "min_support": int(self.min_support),
            "shrinkage": float(self.shrinkage),
        }
        bsl_options = {
            "method": "als",
            "reg_u": float(self.reg_u),
            "reg_i": float(self.reg_i),
            "n_epochs": int(self.bsl_epochs),
        }
        algo = SKNNBaseline(
            k=int(self.k), min_k=int(self.min_k), sim_options=sim_options, bsl_options=bsl_options, verbose=False
        )
        algo.fit(to_surprise_trainset(ts))
        self.mu_ = ts.global_mean
        self.bu_ = np.asarray(algo.bu, dtype=float)
        self.bi_ = np.asarray(algo.bi, dtype=float)
        S = topk_from_dense(algo.sim, int(self.max_neighbours))
        del algo
        csr = ts.csr
        rows = np.repeat(np.arange(ts.n_users), np.diff(csr.indptr))
        resid = _with_data(csr, csr.data - (self.mu_ + self.bu_[rows] + self.bi_[csr.indices]))
        self.sim_ = S
        self.resid_ = resid
        self._nb = _Neighbourhood(
            S, resid.T.tocsr() if self.user_based else resid, self.k, self.min_k, float(self.damping)
        )


__all__ = ["SVDpp", "NMF", "SlopeOne", "CoClustering", "KNNBaseline"]
