"""Top-N for many users of models whose scores are ``offset[u] + query[u] . item[i]`` (ALS, BPR, LMF, SVD).

The generic path (:meth:`Recommender.top_n_inner`) scores blocks of users against every film in numpy, then
selects; at 160,000 users x 59,000 films that is about 10^10 scores through several array passes (283 CPU s for
ALS at 25M ratings). For requests over :data:`FAST_TOP_N_ELEMENTS` users x films these models select in
``implicit``'s top-k instead (C++ on every core: the dot products and the selection, no numpy score block).

It is asked for n + 1 films per user. A user whose n-th and (n+1)-th scores tie, or with fewer than n + 1 unseen
films, is redone on the generic path; ties inside a list are ordered by lower film index. So the lists are the
generic path's (for ALS, BPR and LMF bit for bit; for SVD, whose per-user offset ``mu + b_u`` is added after the
selection, up to rounding of scores equal in their last bits).
"""

from __future__ import annotations

import numpy as np

from .base import TOP_N_BLOCK, Recommender

#: users x films of one request above which the top-k path is taken (smaller ones: the generic path, whose
#: scores are bit-identical to ``score``)
FAST_TOP_N_ELEMENTS = 20_000_000
#: users per call into the top-k (bounds the seen-films slice and the candidate arrays)
_USERS_PER_CALL = 65_536
#: what ``implicit``'s top-k gives a filtered or missing film
_NO_SCORE = -1e308


class FactorTopN:
    """Mixin for a :class:`Recommender` whose scores are ``offset[u] + query[u] . item[i]``."""

    def _factor_parts(self):
        """(query vectors per user, item vectors, per-user offset or None), in inner ids."""
        raise NotImplementedError

    def top_n_inner(self, inner_uids, n, exclude_seen=True, block=TOP_N_BLOCK, return_scores=False):
        ts = self.check_fitted()
        uids = np.asarray(inner_uids, dtype=np.int64)
        n = int(n)
        if n < 1 or len(uids) * ts.n_items < FAST_TOP_N_ELEMENTS or ts.n_items <= n + 1:
            return Recommender.top_n_inner(self, uids, n, exclude_seen, block, return_scores)
        query, items, offset = self._factor_parts()
        out, vals, redo = implicit_top_n(query, items, ts.csr if exclude_seen else None, uids, n)
        if offset is not None:
            vals += np.asarray(offset, dtype=np.float64)[uids][:, None]
        if redo.any():
            o, v = Recommender.top_n_inner(self, uids[redo], n, exclude_seen, block, return_scores=True)
            out[redo], vals[redo] = o, v
        return (out, vals) if return_scores else out


def implicit_top_n(U, V, csr, uids, n):
    """(films, scores, rows to redo) of the n best films per user (scores ``U[u] . V[i]``) by ``implicit``'s
    multi-threaded top-k, ties within the list by lower film index; seen films (``csr``) excluded when given."""
    from implicit.cpu.topk import topk

    m = len(uids)
    out = np.full((m, n), -1, dtype=np.int64)
    vals = np.full((m, n), -np.inf)
    redo = np.zeros(m, dtype=bool)
    items = np.ascontiguousarray(V, dtype=np.float64)
    for start in range(0, m, _USERS_PER_CALL):
        us = uids[start : start + _USERS_PER_CALL]
        query = np.ascontiguousarray(U[us], dtype=np.float64)
        ids, sc = topk(items, query, n + 1, filter_query_items=None if csr is None else csr[us], num_threads=0)
        ids, sc = ids.astype(np.int64), np.asarray(sc, dtype=np.float64)
        bad = (sc[:, n] <= _NO_SCORE) | (sc[:, n - 1] == sc[:, n]) | ~np.isfinite(sc).all(axis=1)
        head_ids, head = ids[:, :n], sc[:, :n]
        order = np.lexsort((head_ids, -head), axis=1)  # best first, ties by lower index
        out[start : start + len(us)] = np.take_along_axis(head_ids, order, axis=1)
        vals[start : start + len(us)] = np.take_along_axis(head, order, axis=1)
        redo[start : start + len(us)] = bad
    return out, vals, redo
