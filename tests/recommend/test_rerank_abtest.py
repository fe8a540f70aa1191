import hashlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recsys_core.recommend.abtest import (
    assign_arm,
    bootstrap_ci,
    min_sample_size,
    online_summary,
    online_verdict,
    overlap,
    two_proportion_ztest,
)
from recsys_core.recommend.rerank import cosine_matrix, minmax, mmr, novelty_adjusted
from ui.sentences import online_verdict_sentence

# ---------------------------------------------------------------------------- MMR
REL = [1.0, 0.9, 0.5]
SIM = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.0, 0.1, 1.0]])


def test_mmr_pure_relevance_keeps_the_order():
    assert mmr(REL, SIM, 3, lam=1.0) == [0, 1, 2]


def test_mmr_half_trades_relevance_for_difference():
    # step 1: item 0 (rel 1.0). step 2: item 1 -> 0.5*0.9 - 0.5*0.9 = 0.00; item 2 -> 0.5*0.5 - 0.5*0.0 = 0.25
    # so item 2 comes second; item 1 last.
    assert mmr(REL, SIM, 3, lam=0.5) == [0, 2, 1]
    assert mmr(REL, SIM, 2, lam=0.5) == [0, 2]


def test_mmr_tie_goes_to_lower_index_and_k_is_capped():
    assert mmr([0.5, 0.5], np.zeros((2, 2)), 5, lam=0.7) == [0, 1]
    assert mmr([], np.zeros((0, 0)), 3, lam=0.5) == []


def test_cosine_minmax_and_novelty_by_hand():
    C = cosine_matrix(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))
    assert C[0, 1] == pytest.approx(1 / np.sqrt(2))
    assert C[2].tolist() == [0.0, 0.0, 0.0]
    assert minmax(np.array([2.0, 4.0, -np.inf])).tolist()[:2] == [0.0, 1.0]
    adj = novelty_adjusted(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.5, 1.0]), 0.5)
    assert adj.tolist() == pytest.approx([0.0, 0.25, 0.5])


# ---------------------------------------------------------------------------- z-test, sample size
def test_two_proportion_ztest_by_hand_and_against_scipy_chi2():
    r = two_proportion_ztest(45, 100, 60, 100)
    # pooled p = 0.525, se = sqrt(0.525 * 0.475 * (1/100 + 1/100)) = 0.0706223
    assert r.z == pytest.approx(0.15 / np.sqrt(0.525 * 0.475 * 0.02))
    assert r.z == pytest.approx(2.12398, abs=1e-4)
    assert r.p_value == pytest.approx(0.033669, abs=1e-5)
    chi2, p, _, _ = stats.chi2_contingency([[45, 55], [60, 40]], correction=False)
    assert r.z**2 == pytest.approx(chi2)
    assert r.p_value == pytest.approx(p)


def test_ztest_degenerate_cases():
    assert np.isnan(two_proportion_ztest(0, 0, 3, 10).p_value)
    same = two_proportion_ztest(0, 10, 0, 10)
    assert (same.z, same.p_value) == (0.0, 1.0)


def test_min_sample_size_matches_the_textbook_value():
    # 10% -> 12% (20% relative lift), alpha 0.05 two-sided, power 0.8: 3,841 per arm (Fleiss formula)
    assert min_sample_size(0.10, 0.20) == 3841
    assert min_sample_size(0.10, 0.02, relative=False) == 3841
    assert min_sample_size(0.5, 0.1) < min_sample_size(0.5, 0.05)
    with pytest.raises(ValueError):
        min_sample_size(0.9, 0.2)  # 1.08 is not a rate


# ---------------------------------------------------------------------------- arms
def test_assign_arm_is_a_stable_sha256_hash():
    h = int(hashlib.sha256(b"cinelens-ab:u42").hexdigest()[:16], 16)
    assert assign_arm("u42") == ["A", "B"][h % 2]
    assert assign_arm("u42") == assign_arm("u42")
    arms = [assign_arm(f"user-{i}") for i in range(4000)]
    share = arms.count("A") / len(arms)
    assert 0.46 < share < 0.54
    three = {assign_arm(f"user-{i}", arms=("x", "y", "z")) for i in range(100)}
    assert three == {"x", "y", "z"}


def test_overlap_jaccard_and_shared_items():
    o = overlap(["a", "b", "c", "d"], ["c", "a", "e"])
    assert o["jaccard"] == pytest.approx(2 / 5)
    assert o["shared"] == ["a", "c"] and o["only_a"] == ["b", "d"] and o["only_b"] == ["e"]


def test_online_summary_counts_likes_per_arm_and_verdict_words():
    fb = pd.DataFrame(
        {
            "user_id": ["1", "1", "2", "3", "3", "4"],
            "action": ["like", "dislike", "rate", "rate", "not_interested", "like"],
            "value": [None, None, 5.0, 2.0, None, None],
            "model_id": ["ma", "ma", "ma", "mb", "mb", "mb"],
            "arm": ["A", "A", "A", "B", "B", "B"],
        }
    )
    s = online_summary(fb, scale=(1, 5))
    assert s["events"].tolist() == [3, 3]
    assert s["likes"].tolist() == [2, 1]  # a like and a 5-star rating; one like in B
    assert s["like_rate"].tolist() == pytest.approx([2 / 3, 1 / 3])
    v = online_verdict(s, lift=0.1)
    assert v["p_value"] == pytest.approx(two_proportion_ztest(2, 3, 1, 3).p_value)
    assert v["verdict"] == "chance" and v["better"] is None
    assert "could well be chance" in online_verdict_sentence(v, "en")
    assert "随机波动" in online_verdict_sentence(v, "zh")
    assert v["min_n"] == min_sample_size(2 / 3, 0.1)


def test_bootstrap_ci_of_a_constant_is_the_constant():
    lo, hi = bootstrap_ci(np.full(20, 0.3), n_boot=200)
    assert lo == pytest.approx(0.3) and hi == pytest.approx(0.3)
    lo, hi = bootstrap_ci(np.r_[np.zeros(50), np.ones(50)], n_boot=2000, seed=1)
    assert lo < 0.5 < hi and hi - lo == pytest.approx(2 * 1.96 * 0.05, abs=0.03)
