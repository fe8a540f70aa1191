"""The faster paths for sparse, wide catalogues give the answers of the paths they replace."""

import numpy as np
import pytest

from recsys_core.models import ItemCF, UserCF
from recsys_core.models.base import top_n
from recsys_core.models.knn import topk_rows
from recsys_core.models.mf import to_surprise_trainset
from recsys_core.trainset import Trainset

from .contract import planted_frame


def test_top_n_ties_at_the_cut_take_the_lowest_indices():
    S = np.array(
        [
            [1.0, 3.0, 3.0, 3.0, 0.0, 3.0],  # four 3s for the last two places after none above: indices 1, 2
            [5.0, 2.0, 2.0, 4.0, 2.0, -np.inf],  # 5 and 4 above the cut, then the first 2 (index 1)
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # everything tied: the first three
            [-np.inf, 9.0, -np.inf, -np.inf, -np.inf, -np.inf],  # one finite score: padded
        ]
    )
    idx, vals = top_n(S, 3)
    assert idx.tolist() == [[1, 2, 3], [0, 3, 1], [0, 1, 2], [1, -1, -1]]
    assert vals[1].tolist() == [5.0, 4.0, 2.0] and vals[3, 1] == -np.inf


def test_top_n_matches_a_stable_sort_on_random_ties():
    rng = np.random.default_rng(3)
    for _ in range(200):
        S = rng.integers(0, 4, (rng.integers(1, 12), rng.integers(2, 40))).astype(float)
        S[rng.random(S.shape) < 0.2] = -np.inf
        k = int(rng.integers(1, S.shape[1]))
        idx, _ = top_n(S, k)
        for r in range(len(S)):
            want = [j for j in np.argsort(-S[r], kind="stable")[:k] if np.isfinite(S[r, j])]
            assert idx[r][: len(want)].tolist() == want


def test_wide_blocks_take_the_bounded_path_and_give_the_partition_paths_lists(monkeypatch):
    from recsys_core.models import base

    rng = np.random.default_rng(11)
    n_items = base._BOUND_MIN_ITEMS + 517
    rows = []
    for kind in range(12):
        row = rng.normal(size=n_items)
        if kind == 1:  # coarse scores: ties straddle the cut
            row = np.round(row, 1)
        elif kind == 2:  # everything tied: too many candidates for the bound
            row = np.full(n_items, 2.0)
        elif kind == 3:  # NaN and -inf count as -inf
            row[rng.random(n_items) < 0.5] = np.nan
            row[rng.random(n_items) < 0.3] = -np.inf
        elif kind == 4:  # fewer finite scores than the list: padded
            row = np.full(n_items, -np.inf)
            row[[5, 900, 4000]] = [1.0, 3.0, 2.0]
        elif kind == 5:  # an infinite score among the best
            row[77] = np.inf
        elif kind == 7:  # too few finite scores to bound, and an infinite one: a candidate of an unserved row
            row = np.full(n_items, -np.inf)
            row[[3, 4000]] = [np.inf, 1.0]
        elif kind == 6:  # every sampled item NaN
            step = base._BOUND_STRIDE * base._BOUND_RUN
            row[: n_items // step * step].reshape(-1, step)[:, : base._BOUND_RUN] = np.nan
        rows.append(row)
    S = np.array(rows)
    for k in (1, 10, 50):
        got_i, got_v = top_n(S, k)
        want_i, want_v = base._top_k_partition(S, k)
        finite = np.isfinite(want_v)
        assert np.array_equal(got_i, np.where(finite, want_i, -1))
        assert np.array_equal(got_v, np.where(finite, want_v, -np.inf))
    idx, vals = top_n(S, 10)
    assert idx[2].tolist() == list(range(10)) and idx[4].tolist() == [900, 4000, 5] + [-1] * 7
    assert vals[0].tolist() == sorted(S[0], reverse=True)[:10]

    # the bound served the other seven rows: only the tied, padded, infinite and unsampled ones fell back
    seen = []
    partition = base._top_k_partition

    def spy(block, k):
        seen.append(len(block))
        return partition(block, k)

    monkeypatch.setattr(base, "_top_k_partition", spy)
    assert np.array_equal(top_n(S, 10)[0], idx) and seen == [5]


def test_topk_rows_keeps_each_rows_largest_positives():
    block = np.array([[0.5, 0.0, 0.9, 0.1, -0.3], [0.2, 0.3, 0.0, 0.0, 0.0], [0.4, 0.8, 0.6, 0.7, 0.1]])
    r, c, v = topk_rows(block, 10, 5, 2)
    got = sorted(zip(r.tolist(), c.tolist(), v.tolist()))
    assert got == [(10, 0, 0.5), (10, 2, 0.9), (11, 0, 0.2), (11, 1, 0.3), (12, 1, 0.8), (12, 3, 0.7)]


@pytest.mark.parametrize("cls", [ItemCF, UserCF])
def test_sparse_pair_deviations_equal_the_per_context_path(cls):
    """Large catalogues have no dense copy of the neighbours: pairs whose context holds at most k of the
    target's neighbours are summed at once, the rest take the exact per-context path."""
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = cls(k=8, min_k=1).fit(ts)
    nb = model._nb
    rng = np.random.default_rng(0)
    n_ent, n_ctx = (ts.n_users, ts.n_items) if model.user_based else (ts.n_items, ts.n_users)
    ent, ctx = rng.integers(0, n_ent, 400), rng.integers(0, n_ctx, 400)
    dense = nb.deviation(ent, ctx)  # small catalogue: the dense copy
    nb.Sd = nb.SdT = None  # as on a catalogue too large for it
    nb._PAIR_CHUNK = 50  # several chunks of pairs
    sparse = nb.deviation(ent, ctx)
    assert sparse == pytest.approx(dense, abs=1e-5)
    assert (np.abs(dense) > 0).sum() > 100  # the pairs really have neighbours
    counts = np.asarray((nb.S[ent].multiply(nb.Rb[ctx]) != 0).sum(axis=1)).ravel()
    assert (counts > 8).any() and (counts <= 8).any()  # both paths were taken


def test_listed_surprise_trainset_yields_what_surprise_yields():
    from surprise import Trainset as STrainset

    ts = Trainset.from_frame(planted_frame(), (1, 5))
    st = to_surprise_trainset(ts)
    assert list(st.all_ratings()) == list(STrainset.all_ratings(st))
    assert st.global_mean == pytest.approx(float(ts.r.mean()))


@pytest.mark.parametrize("cls", [ItemCF, UserCF])
@pytest.mark.parametrize("kept,min_k", [(None, 1), (8, 1), (8, 2)], ids=["many", "k-kept", "k-kept-min2"])
def test_block_scoring_without_the_dense_copy_equals_the_dense_path(cls, kept, min_k):
    """Scoring a block of users (every target in each context) on a catalogue too large for a dense copy of
    the neighbours: sums over each pair's neighbours, the exact top-k where more than k are present (with only
    k neighbours kept and min_k 1 the neighbour counts are not needed and not computed)."""
    ts = Trainset.from_frame(planted_frame(), (1, 5))
    model = cls(k=8, min_k=min_k, max_neighbours=kept).fit(ts)
    assert model._nb._counts_needed == (kept is None or min_k > 1)
    users = np.arange(0, ts.n_users, 3)
    dense = model.score_users(users)
    nb = model._nb
    nb.Sd = nb.SdT = None
    sparse = model.score_users(users)
    np.testing.assert_allclose(sparse, dense, atol=1e-5)
    baseline = model.mu_ + model.bu_[users][:, None] + model.bi_[None, :]
    assert np.abs(dense - baseline).max() > 0.1  # the neighbours move the scores off the baseline
