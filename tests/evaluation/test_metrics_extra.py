"""Hand-worked examples for the ranking and beyond-accuracy metrics."""

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_core.evaluation import metrics as M


def test_average_precision_hand_value():
    # hits at ranks 1 and 3, |rel| = 3, k = 4: (1/1 + 2/3) / min(3, 4) = (5/3) / 3
    assert M.average_precision_at_k(["a", "x", "b", "y"], {"a", "b", "c"}, 4) == pytest.approx(5 / 9)
    # k smaller than |rel|: denominator is k; hits at ranks 1, 2 -> (1 + 1) / 2
    assert M.average_precision_at_k(["a", "b", "z"], {"a", "b", "c"}, 2) == pytest.approx(1.0)
    assert M.average_precision_at_k(["x", "y"], {"a"}, 2) == 0.0
    assert np.isnan(M.average_precision_at_k(["x"], set(), 1))


def test_hit_rate_hand_value():
    assert M.hit_rate_at_k(["x", "y", "a"], {"a"}, 3) == 1.0
    assert M.hit_rate_at_k(["x", "y", "a"], {"a"}, 2) == 0.0
    assert np.isnan(M.hit_rate_at_k(["x"], set(), 1))


def test_matrix_version_matches_list_versions():
    top = np.array([[0, 5, 1, 6], [7, 8, 9, 2], [3, -1, -1, -1]])
    rel = [{0, 1, 2}, {2}, set()]
    per = M.ranking_metrics_matrix(top, rel, 4)
    assert per["map"][0] == pytest.approx(5 / 9)
    assert per["map"][1] == pytest.approx(1 / 4)  # one hit at rank 4: (1/4) / min(1, 4)
    assert per["hit_rate"][:2] == pytest.approx([1.0, 1.0])
    assert per["precision"][0] == pytest.approx(2 / 4)
    assert per["recall"][0] == pytest.approx(2 / 3)
    # ndcg user 0: hits at 1 and 3: (1 + 1/log2 4) / (1 + 1/log2 3 + 1/log2 4)
    assert per["ndcg"][0] == pytest.approx((1 + 0.5) / (1 + 1 / np.log2(3) + 0.5))
    assert all(np.isnan(per[n][2]) for n in M.RANKING_NAMES)
    for row in range(2):
        lst = top[row].tolist()
        assert per["ndcg"][row] == pytest.approx(M.ndcg_at_k(lst, rel[row], 4))
        assert per["map"][row] == pytest.approx(M.average_precision_at_k(lst, rel[row], 4))


def test_ranking_curves_from_one_list():
    top = np.array([[0, 5, 1, 6], [7, 8, 9, 2]])
    rel = [{0, 1, 2}, {2}]
    c = M.ranking_curves(top, rel, [1, 2, 4])
    assert c["k"].tolist() == [1, 2, 4]
    # K=1: user0 hit, user1 miss -> precision 0.5; K=2: 1/2 and 0 -> 0.25; K=4: 2/4 and 1/4 -> 0.375
    assert c["precision"].tolist() == pytest.approx([0.5, 0.25, 0.375])
    # recall K=4: 2/3 and 1 -> 5/6
    assert c["recall"].iloc[2] == pytest.approx(5 / 6)
    assert c["hit_rate"].tolist() == pytest.approx([0.5, 0.5, 1.0])
    with pytest.raises(ValueError):
        M.ranking_curves(top, rel, [5])


def test_intra_list_diversity_genres_hand_value():
    # items 0: [1,0], 1: [0,1], 2: [1,1]
    F = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # list (0,1,2): pairs (0,1) cos 0, (0,2) cos 1/sqrt2, (1,2) cos 1/sqrt2
    expected = ((1 - 0) + 2 * (1 - 1 / np.sqrt(2))) / 3
    d = M.intra_list_diversity([[0, 1, 2], [0, 0, -1], [1, -1, -1]], F)
    assert d[0] == pytest.approx(expected)
    assert d[1] == pytest.approx(0.0)  # the same vector twice
    assert np.isnan(d[2])  # a single item has no pairs
    ds = M.intra_list_diversity([[0, 1, 2]], sp.csr_matrix(F))
    assert ds[0] == pytest.approx(expected)


def test_novelty_hand_value():
    # 8 users; item 0 rated by 4 (info 1 bit), item 1 by 2 (2 bits), item 2 by 1 (3 bits)
    nov = M.novelty([[0, 1], [1, 2], [2, -1]], np.array([4, 2, 1]), 8)
    assert nov.tolist() == pytest.approx([1.5, 2.5, 3.0])


def test_personalization_hand_value():
    # k=2; overlaps: (A,B)=1 -> 1/2, (A,C)=0, (B,C)=0; mean overlap over 3 pairs = 1/6
    assert M.personalization([[0, 1], [1, 2], [3, 4]]) == pytest.approx(1 - 1 / 6)
    assert M.personalization([[0, 1], [0, 1]]) == pytest.approx(0.0)
    assert M.personalization([[0, 1], [2, 3]]) == pytest.approx(1.0)
    assert np.isnan(M.personalization([[0, 1]]))


def test_personalization_sampling_is_seeded():
    rng = np.random.default_rng(0)
    lists = np.array([rng.choice(50, 5, replace=False) for _ in range(300)])
    a = M.personalization(lists, max_users=100, seed=1)
    assert a == M.personalization(lists, max_users=100, seed=1)
    assert a == pytest.approx(M.personalization(lists), abs=0.02)


def test_coverage_hand_value():
    assert M.coverage([[0, 1], [1, 2], [-1, -1]], 10) == pytest.approx(0.3)


def test_rmse_mae_hand_values():
    # errors 1, -2, 0, 1 -> squared 1, 4, 0, 1 -> RMSE sqrt(6/4); MAE 4/4
    assert M.rmse([4, 3, 5, 2], [3, 5, 5, 1]) == pytest.approx(np.sqrt(1.5))
    assert M.mae([4, 3, 5, 2], [3, 5, 5, 1]) == pytest.approx(1.0)
    assert np.isnan(M.rmse([], []))


def test_precision_recall_ndcg_hand_values():
    rec, rel = ["a", "x", "b", "y"], {"a", "b", "c"}
    assert M.precision_at_k(rec, rel, 4) == pytest.approx(2 / 4)
    assert M.recall_at_k(rec, rel, 4) == pytest.approx(2 / 3)
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG (3 relevant) = 1 + 1/log2(3) + 1/2
    assert M.ndcg_at_k(rec, rel, 4) == pytest.approx(1.5 / (1.5 + 1 / np.log2(3)))
    assert M.ndcg_at_k(["a", "b"], {"a", "b"}, 2) == pytest.approx(1.0)


def test_list_diversity_counts_pairs_and_matches_the_pairwise_definition():
    # items 0: [1,0], 1: [0,1], 2: [1,1], 3: [0,0] (no vector: cosine 0 with everything)
    F = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]))
    d = M.list_diversity([[0, 1, 2], [2, 3, -1], [1, -1, -1]], F)
    assert d.pairs_total == 3 + 1 + 0 and d.pairs_used == 4 and d.lists_used == 2 and not d.sampled
    assert d.per_list[0] == pytest.approx(((1 - 0) + 2 * (1 - 1 / np.sqrt(2))) / 3)
    assert d.per_list[1] == pytest.approx(1.0)
    assert np.isnan(d.per_list[2])
    assert d.mean == pytest.approx((d.per_list[0] + 1.0) / 2)


def test_list_diversity_sampled_path_is_seeded_and_says_so():
    rng = np.random.default_rng(0)
    F = sp.random(200, 30, density=0.2, random_state=1, format="csr")
    lists = np.array([rng.choice(200, 5, replace=False) for _ in range(400)])
    full = M.list_diversity(lists, F, max_work=None)
    assert full.pairs_used == full.pairs_total == 400 * 10 and not full.sampled
    # each list costs its items' non-zeros (+1 each); a budget of ~a quarter of the total samples lists
    cost = int(np.diff(F.indptr)[lists].sum() + lists.size)
    part = M.list_diversity(lists, F, max_work=cost // 4, seed=3)
    assert part.sampled and 0 < part.lists_used < 400
    assert part.pairs_used == 10 * part.lists_used and part.pairs_total == 4000
    measured = ~np.isnan(part.per_list)
    assert measured.sum() == part.lists_used
    # the measured lists have exactly their exact values, and the sample mean is close to the full mean
    assert part.per_list[measured] == pytest.approx(full.per_list[measured])
    assert part.mean == pytest.approx(full.mean, abs=0.02)
    again = M.list_diversity(lists, F, max_work=cost // 4, seed=3)
    assert np.array_equal(np.isnan(again.per_list), ~measured)
    # the old per-list function is the exact path
    assert M.intra_list_diversity(lists, F) == pytest.approx(full.per_list)


def test_list_diversity_equals_pairwise_loop_on_dense_features():
    rng = np.random.default_rng(5)
    F = rng.random((12, 4))
    lists = [rng.choice(12, 4, replace=False) for _ in range(6)]
    Fn = F / np.linalg.norm(F, axis=1, keepdims=True)
    expected = [np.mean([1 - Fn[a] @ Fn[b] for x, a in enumerate(lst) for b in lst[x + 1 :]]) for lst in lists]
    assert M.list_diversity(lists, F).per_list == pytest.approx(expected)


def test_personalization_exact_without_users_by_users_matrix():
    rng = np.random.default_rng(2)
    lists = np.array([rng.choice(30, 4, replace=False) for _ in range(50)])
    pairs = [(a, b) for a in range(50) for b in range(a + 1, 50)]
    overlap = np.mean([len(set(lists[a]) & set(lists[b])) / 4 for a, b in pairs])
    assert M.personalization(lists) == pytest.approx(1 - overlap)
    # padding and a repeated item count as in the definition: -1 never overlaps, a repeat counts once
    assert M.personalization([[0, 0], [0, -1]]) == pytest.approx(1 - 1 / 2)
