"""Matrix factorisation from Surprise, wrapped so that top-N uses the learned factors directly."""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from .base import Recommender
from .cost import Cost, base_memory
from .fast_top_n import FactorTopN

#: Surprise's trainset built by :func:`to_surprise_trainset`: two (id, rating) tuples per rating in
#: per-user and per-item lists (measured about 230 B per rating)
SURPRISE_BYTES_PER_RATING = 260


#: up to this many ratings, the Surprise trainset keeps its (user, item, rating) triples in one list
#: (about 72 B per rating), so each SGD epoch iterates a list instead of Surprise's nested generator
LISTED_RATINGS_UP_TO = 2_000_000


def _listed_trainset_class():
    from surprise import Trainset as STrainset

    class ListedTrainset(STrainset):
        """Surprise's Trainset whose ``all_ratings`` returns the triples Surprise's own generator yields,
        in the same order, from a list made once (algorithms iterate it every epoch)."""

        def all_ratings(self):
            if getattr(self, "_all", None) is None:
                self._all = [(u, i, r) for u, u_ratings in self.ur.items() for i, r in u_ratings]
            return self._all

    return ListedTrainset


def to_surprise_trainset(ts):
    """A surprise.Trainset whose raw ids *are* our inner ids, so factors line up 1:1."""
    from surprise import Trainset as STrainset

    ur = defaultdict(list)
    ir = defaultdict(list)
    for u, i, r in zip(ts.u.tolist(), ts.i.tolist(), ts.r.tolist()):
        ur[u].append((i, r))
        ir[i].append((u, r))
    cls = _listed_trainset_class() if ts.n_ratings <= LISTED_RATINGS_UP_TO else STrainset
    return cls(
        ur,
        ir,
        ts.n_users,
        ts.n_items,
        ts.n_ratings,
        ts.rating_scale,
        {u: u for u in range(ts.n_users)},
        {i: i for i in range(ts.n_items)},
    )


def fold_in_user(
    qi: np.ndarray, bi: np.ndarray, mu: float, items, ratings, reg: float = 0.5
) -> tuple[float, np.ndarray]:
    """(b_u, p_u) for a user with ``ratings`` of inner ``items`` under fixed item factors: the ridge
    regression  min sum_j (r_j - mu - b_j - b_u - q_j . p_u)^2 + reg (b_u^2 + |p_u|^2)."""
    items = np.asarray(items, dtype=np.int64)
    r = np.asarray(ratings, dtype=float)
    f = qi.shape[1]
    if len(items) == 0:
        return 0.0, np.zeros(f)
    A = np.hstack([np.ones((len(items), 1)), qi[items]])
    y = r - mu - bi[items]
    x = np.linalg.solve(A.T @ A + float(reg) * np.eye(f + 1), A.T @ y)
    return float(x[0]), x[1:]


class FactorFoldIn:
    """:class:`~recsys_core.models.capabilities.FoldsIn` for biased factor models
    (score = mu + b_i + b_u + q_i . p_u with learned ``mu_``, ``bi_``, ``qi_``)."""

    def fold_in(self, items, ratings, reg: float = 0.5) -> np.ndarray:
        bu, pu = fold_in_user(self.qi_, self.bi_, self.mu_, items, ratings, reg=reg)
        return self.mu_ + bu + self.bi_ + self.qi_ @ pu


class SVD(FactorTopN, FactorFoldIn, Recommender):
    """Funk SVD with biases (Surprise's ``SVD``); ``score`` is one matrix product over its factors."""

    name = "svd"

    def __init__(
        self,
        n_factors: int = 100,
        n_epochs: int = 20,
        lr_all: float = 0.005,
        reg_all: float = 0.02,
        init_std_dev: float = 0.1,
        random_state: int | None = 0,
        learning_curve: bool = False,
    ):
        self.learning_curve = learning_curve
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr_all = lr_all
        self.reg_all = reg_all
        self.init_std_dev = init_std_dev
        self.random_state = random_state

    @classmethod
    def cost(cls, n_users, n_items, n_ratings, n_factors=100, n_epochs=20, learning_curve=False, **params):
        f, e = int(n_factors), int(n_epochs)
        mem = base_memory(n_users, n_items, n_ratings) + SURPRISE_BYTES_PER_RATING * n_ratings
        mem += 4 * 8 * f * (n_users + n_items)  # Surprise's factors and our float64 copies
        secs = 1.2e-8 * n_ratings * e * max(f, 10) + 4e-6 * n_ratings
        return Cost(int(mem), secs * (3.0 if learning_curve else 1.0), "Surprise SGD over the ratings")

    def _fit(self, ts):
        from surprise import SVD as SSVD

        if int(self.n_factors) < 1 or int(self.n_epochs) < 1:
            raise ValueError("n_factors and n_epochs must be >= 1")
        algo = SSVD(
            n_factors=int(self.n_factors),
            n_epochs=int(self.n_epochs),
            lr_all=float(self.lr_all),
            reg_all=float(self.reg_all),
            init_std_dev=float(self.init_std_dev),
            random_state=self.random_state,
        )
        algo.fit(to_surprise_trainset(ts))
        if self.learning_curve:
            self.loss_curve_ = self._epoch_curve(ts)
        self.mu_ = ts.global_mean
        self.bu_ = np.asarray(algo.bu, dtype=float)
        self.bi_ = np.asarray(algo.bi, dtype=float)
        self.pu_ = np.asarray(algo.pu, dtype=float)
        self.qi_ = np.asarray(algo.qi, dtype=float)

    def _estimate_pairs(self, u, i):
        return self.mu_ + self.bu_[u] + self.bi_[i] + np.einsum("ij,ij->i", self.pu_[u], self.qi_[i])

    def _epoch_curve(self, ts, val_share: float = 0.1) -> dict:
        """Train and validation RMSE after 1, 2, 3, 5, 8, 13, … epochs.

        Surprise's SGD visits the ratings in a fixed order from a seeded start, so a fit with e epochs
        is exactly the first e epochs of a longer fit; each checkpoint is one such fit on 90% of the
        training ratings, scored on them and on the held-back 10%.
        """
        from surprise import SVD as SSVD

        from ..trainset import Trainset

        n = int(self.n_epochs)
        marks, a, b = [], 1, 2
        while a < n:
            marks.append(a)
            a, b = b, a + b
        marks.append(n)
        rng = np.random.default_rng(0 if self.random_state is None else self.random_state)
        val = rng.random(ts.n_ratings) < val_share
        sub = Trainset(ts.u[~val], ts.i[~val], ts.r[~val], ts.users_raw, ts.items_raw, ts.rating_scale)
        lo, hi = ts.rating_scale
        curve = {"epoch": [], "train": [], "validation": []}
        strain = to_surprise_trainset(sub)
        for e in marks:
            algo = SSVD(
                n_factors=int(self.n_factors),
                n_epochs=e,
                lr_all=float(self.lr_all),
                reg_all=float(self.reg_all),
                init_std_dev=float(self.init_std_dev),
                random_state=self.random_state,
            )
            algo.fit(strain)
            pu, qi = np.asarray(algo.pu), np.asarray(algo.qi)
            bu, bi = np.asarray(algo.bu), np.asarray(algo.bi)

            def rmse(mask, bu=bu, bi=bi, pu=pu, qi=qi):
                u, i = ts.u[mask], ts.i[mask]
                est = np.clip(sub.global_mean + bu[u] + bi[i] + np.einsum("ij,ij->i", pu[u], qi[i]), lo, hi)
                return float(np.sqrt(np.mean((est - ts.r[mask]) ** 2)))

            curve["epoch"].append(e)
            curve["train"].append(rmse(~val))
            curve["validation"].append(rmse(val))
        return curve

    def _score_users(self, u):
        u = np.asarray(u)
        return self.mu_ + self.bu_[u][:, None] + self.bi_[None, :] + self.pu_[u] @ self.qi_.T

    def _cold_scores(self):
        return self.mu_ + self.bi_

    def item_vectors(self) -> np.ndarray:
        """Latent item factors (for latent-neighbour explanations)."""
        return self.qi_

    def _factor_parts(self):
        # score = (mu + b_u) + [p_u, 1] . [q_i, b_i]
        ones = np.ones((len(self.pu_), 1))
        return np.hstack([self.pu_, ones]), np.hstack([self.qi_, self.bi_[:, None]]), self.mu_ + self.bu_

    def fold_in_users(self, trainset, users, reg: float = 0.5) -> "SVD":
        """FoldsInFeedback: a copy fitted on ``trainset`` (the same films in the same order) whose raw
        ``users``, and every user new to the model, got (b_u, p_u) by :func:`fold_in_user`; item factors
        and the other users' factors are unchanged."""
        old = self.check_fitted()
        if list(trainset.items_raw) != list(old.items_raw):
            raise ValueError("feedback touched films outside the model's catalogue; refit instead of folding in")
        m = copy.copy(self)
        pu = np.zeros((trainset.n_users, self.pu_.shape[1]))
        bu = np.zeros(trainset.n_users)
        old_idx = old.inner_uids(list(trainset.users_raw))
        known = old_idx >= 0
        pu[known] = self.pu_[old_idx[known]]
        bu[known] = self.bu_[old_idx[known]]
        todo = {str(u) for u in users} | {str(u) for u, k in zip(trainset.users_raw, known) if not k}
        csr = trainset.csr
        for raw in todo:
            u = trainset.inner_user(raw)
            if u < 0:
                continue
            sl = slice(csr.indptr[u], csr.indptr[u + 1])
            bu[u], pu[u] = fold_in_user(self.qi_, self.bi_, self.mu_, csr.indices[sl], csr.data[sl], reg=reg)
        m.pu_, m.bu_ = pu, bu
        m.trainset_ = trainset
        m._fit_fallback(trainset)
        return m
