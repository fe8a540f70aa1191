"""Baselines: global mean, user/item bias, popularity."""

from __future__ import annotations

import numpy as np

from .base import Recommender


class GlobalMean(Recommender):
    """Predicts the training mean for every pair; ranks items by their damped mean."""

    name = "baseline"

    def __init__(self):
        pass

    def _fit(self, ts):
        self.mu_ = ts.global_mean

    def _estimate_pairs(self, u, i):
        return np.full(len(u), self.mu_)

    def _score_users(self, u):
        # every item gets the same rating estimate; break ties by the damped item mean
        return np.tile(self._same_scores_for_every_user(), (len(u), 1))

    def _same_scores_for_every_user(self):
        return self.mu_ + 1e-6 * self.fallback_bi_


class BiasBaseline(Recommender):
    """r_ui = mu + b_u + b_i, biases by alternating least squares (Koren 2010; Surprise's BaselineOnly)."""

    name = "bias"

    def __init__(self, reg_u: float = 15.0, reg_i: float = 10.0, n_epochs: int = 10):
        self.reg_u = reg_u
        self.reg_i = reg_i
        self.n_epochs = n_epochs

    def _fit(self, ts):
        if self.reg_u < 0 or self.reg_i < 0 or int(self.n_epochs) < 1:
            raise ValueError("reg_u and reg_i must be >= 0 and n_epochs >= 1")
        mu = ts.global_mean
        bu = np.zeros(ts.n_users)
        bi = np.zeros(ts.n_items)
        nu = np.bincount(ts.u, minlength=ts.n_users)
        ni = np.bincount(ts.i, minlength=ts.n_items)
        for _ in range(int(self.n_epochs)):
            bi = np.bincount(ts.i, weights=ts.r - mu - bu[ts.u], minlength=ts.n_items) / (self.reg_i + ni)
            bu = np.bincount(ts.u, weights=ts.r - mu - bi[ts.i], minlength=ts.n_users) / (self.reg_u + nu)
        self.mu_, self.bu_, self.bi_ = mu, bu, bi

    def _estimate_pairs(self, u, i):
        return self.mu_ + self.bu_[u] + self.bi_[i]

    def _score_users(self, u):
        return self.mu_ + self.bu_[np.asarray(u)][:, None] + self.bi_[None, :]

    def _cold_scores(self):
        return self.mu_ + self.bi_


class Popularity(Recommender):
    """Ranks items by how many users rated them. A ranker: it does not predict ratings."""

    name = "popularity"
    predicts_ratings = False

    def __init__(self):
        pass

    def _fit(self, ts):
        self.counts_ = ts.item_counts.astype(float)

    def _score_users(self, u):
        return np.tile(self.counts_, (len(u), 1))

    def _same_scores_for_every_user(self):
        return self.counts_

    def _cold_scores(self):
        return self.counts_
