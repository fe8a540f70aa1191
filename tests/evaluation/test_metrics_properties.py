"""Properties of the vectorised metrics: they agree with the one-list definitions and stay in range."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_core.evaluation import metrics as M

n_items = 12
lists = st.lists(st.lists(st.integers(0, n_items - 1), min_size=1, max_size=6, unique=True), min_size=1, max_size=8)
rels = st.lists(st.sets(st.integers(0, n_items - 1), max_size=5), min_size=8, max_size=8)


@settings(max_examples=60, deadline=None)
@given(lists, rels, st.integers(1, 6))
def test_matrix_metrics_match_list_definitions(lsts, rel_sets, k):
    top = M._as_top(lsts)
    rel_sets = rel_sets[: len(lsts)]
    per = M.ranking_metrics_matrix(top, rel_sets, k)
    for row, (lst, rel) in enumerate(zip(lsts, rel_sets, strict=True)):
        if not rel:
            assert all(np.isnan(per[name][row]) for name in M.RANKING_NAMES)
            continue
        assert np.isclose(per["precision"][row], M.precision_at_k(lst, rel, k))
        assert np.isclose(per["recall"][row], M.recall_at_k(lst, rel, k))
        assert np.isclose(per["ndcg"][row], M.ndcg_at_k(lst, rel, k))
        assert np.isclose(per["map"][row], M.average_precision_at_k(lst, rel, k))
        assert per["hit_rate"][row] == M.hit_rate_at_k(lst, rel, k)
        for name in M.RANKING_NAMES:
            assert 0.0 <= per[name][row] <= 1.0 + 1e-12


@settings(max_examples=40, deadline=None)
@given(lists, st.integers(0, 3))
def test_beyond_accuracy_ranges(lsts, seed):
    rng = np.random.default_rng(seed)
    F = rng.random((n_items, 4))
    div = M.intra_list_diversity(lsts, F)
    assert np.all(np.isnan(div) | ((div >= -1e-12) & (div <= 1 + 1e-12)))
    pop = rng.integers(1, 20, n_items)
    nov = M.novelty(lsts, pop, 20)
    assert np.all(nov >= -1e-12)
    p = M.personalization(lsts)
    assert np.isnan(p) or -1e-12 <= p <= 1 + 1e-12
    assert 0 <= M.coverage(lsts, n_items) <= 1
