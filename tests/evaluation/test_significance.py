import numpy as np
import pandas as pd
import pytest

from recsys_core.evaluation import KFold, evaluate, paired_test
from recsys_core.evaluation.significance import format_p, paired_test_values
from recsys_core.models import BiasBaseline, GlobalMean
from tests.models.contract import planted_frame


def folds_frame(a_vals, b_vals, metric="rmse"):
    n = len(a_vals)
    return pd.DataFrame(
        {"model": ["A"] * n + ["B"] * n, "fold": list(range(n)) * 2, metric: list(a_vals) + list(b_vals)}
    )


def test_identical_models_give_p_one():
    t = paired_test(folds_frame([0.9, 0.95, 0.92], [0.9, 0.95, 0.92]), "A", "B", "rmse")
    assert t.p_value == 1.0 and not t.significant and t.better is None
    assert "完全相同" in t.text_zh and "no difference" in t.text_en


def test_t_test_hand_value():
    # diffs -0.01, -0.03, -0.02: mean -0.02, sd 0.01, t = -0.02 / (0.01 / sqrt 3) = -3.4641; df 2 -> p = 0.0742
    t = paired_test(folds_frame([0.90, 0.90, 0.90], [0.91, 0.93, 0.92]), "A", "B", "rmse")
    assert t.statistic == pytest.approx(-2 * np.sqrt(3))
    assert t.p_value == pytest.approx(0.07418, abs=1e-4)
    assert not t.significant
    assert t.better == "A"
    assert t.text_zh.startswith("A 的 RMSE 比 B 低 0.020") and "不显著" in t.text_zh
    assert "could well be chance" in t.text_en and "p = 0.074" in t.text_en


def test_clearly_different_is_significant():
    rng = np.random.default_rng(0)
    base = rng.normal(0.9, 0.02, 10)
    t = paired_test(folds_frame(base, base + 0.05 + rng.normal(0, 0.005, 10)), "A", "B", "rmse")
    assert t.p_value < 0.05 and t.significant and t.better == "A"
    assert "显著" in t.text_zh and "不显著" not in t.text_zh
    assert "unlikely to be chance" in t.text_en


def test_higher_is_better_wording():
    t = paired_test(folds_frame([0.30, 0.32, 0.31], [0.30, 0.30, 0.30], "ndcg@10"), "A", "B", "ndcg", k=10)
    assert t.metric == "ndcg@10" and t.better == "A"
    assert "高 0.010" in t.text_zh and "更好" in t.text_zh


def test_single_fold_explains_why_no_test():
    t = paired_test(folds_frame([0.9], [0.95]), "A", "B", "rmse")
    assert np.isnan(t.p_value)
    assert "too few" in t.text_en


def test_wilcoxon_across_users_on_real_evaluation():
    df = planted_frame()
    ev = evaluate(
        {"mean": GlobalMean(), "bias": BiasBaseline()}, KFold(3, seed=0), df, metrics=("rmse", "mae", "ndcg"), k=5
    )
    t = paired_test(ev, "bias", "mean", "rmse", by="user")
    assert t.test == "wilcoxon" and t.n == df["user_id"].nunique()
    assert t.p_value < 0.05 and t.better == "bias"
    assert (
        t.text_zh.startswith("按用户平均，bias 的 RMSE 比")
        and "mean per-user RMSE" in t.text_en
        and "Wilcoxon" in t.text_en
    )
    same = paired_test(ev, "bias", "bias", "ndcg", by="user")
    assert same.p_value == 1.0


def test_wilcoxon_values_match_scipy_hand_case():
    # diffs 1, 2, 3, 4, -5 -> W+ = 10, W- = 5, statistic = min = 5; exact two-sided p = 0.625
    stat, p = paired_test_values([2, 3, 4, 5, 0], [1, 1, 1, 1, 5], "wilcoxon")
    assert stat == 5 and p == pytest.approx(0.625)


def test_format_p():
    assert format_p(0.0004) == "p < 0.001"
    assert format_p(0.003, "zh") == "p=0.003"
    assert format_p(0.21) == "p = 0.21"
