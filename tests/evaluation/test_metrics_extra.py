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
