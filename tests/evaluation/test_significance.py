import numpy as np
import pandas as pd
import pytest

from recsys_core.evaluation import KFold, evaluate, paired_test
from recsys_core.evaluation.significance import paired_test_values
from recsys_core.models import BiasBaseline, GlobalMean
from tests.models.contract import planted_frame
from ui.sentences import fmt_p, paired_sentence


def words(t):
    return paired_sentence(t, "zh"), paired_sentence(t, "en")


def folds_frame(a_vals, b_vals, metric="rmse"):
    n = len(a_vals)
    return pd.DataFrame(
        {"model": ["A"] * n + ["B"] * n, "fold": list(range(n)) * 2, metric: list(a_vals) + list(b_vals)}
    )


def test_identical_models_give_p_one():
    t = paired_test(folds_frame([0.9, 0.95, 0.92], [0.9, 0.95, 0.92]), "A", "B", "rmse")
    assert t.p_value == 1.0 and not t.significant and t.better is None
    zh, en = words(t)
    assert t.verdict == "identical" and "完全相同" in zh and "no difference" in en


def test_t_test_hand_value():
    # diffs -0.01, -0.03, -0.02: mean -0.02, sd 0.01, t = -0.02 / (0.01 / sqrt 3) = -3.4641; df 2 -> p = 0.0742
    t = paired_test(folds_frame([0.90, 0.90, 0.90], [0.91, 0.93, 0.92]), "A", "B", "rmse")
    assert t.statistic == pytest.approx(-2 * np.sqrt(3))
    assert t.p_value == pytest.approx(0.07418, abs=1e-4)
    assert not t.significant
    assert t.better == "A"
    zh, en = words(t)
    assert t.verdict == "chance"
    assert (
        zh
        == "A 的 RMSE 比 B 低 0.020（越低越好，即更好），但差异在统计上不显著（p=0.074，配对 t 检验，3 折），可能只是随机波动。"
    )
    assert en == (
        "A's RMSE is 0.020 lower than B's (lower is better, so better), but the difference could well be chance "
        "(p = 0.074, paired t-test over 3 folds)."
    )


def test_clearly_different_is_significant():
    rng = np.random.default_rng(0)
    base = rng.normal(0.9, 0.02, 10)
    t = paired_test(folds_frame(base, base + 0.05 + rng.normal(0, 0.005, 10)), "A", "B", "rmse")
    assert t.p_value < 0.05 and t.significant and t.better == "A"
    zh, en = words(t)
    assert t.verdict == "significant"
    assert "显著" in zh and "不显著" not in zh
    assert "unlikely to be chance" in en


def test_higher_is_better_wording():
    t = paired_test(folds_frame([0.30, 0.32, 0.31], [0.30, 0.30, 0.30], "ndcg@10"), "A", "B", "ndcg", k=10)
    assert t.metric == "ndcg@10" and t.better == "A"
    zh, _ = words(t)
    assert zh.startswith("A 的 NDCG@10 比 B 高 0.010（越高越好，即更好）")


def test_single_fold_explains_why_no_test():
    t = paired_test(folds_frame([0.9], [0.95]), "A", "B", "rmse")
    assert np.isnan(t.p_value)
    assert t.verdict == "untestable" and "too few" in words(t)[1]


def test_wilcoxon_across_users_on_real_evaluation():
    df = planted_frame()
    ev = evaluate(
        {"mean": GlobalMean(), "bias": BiasBaseline()}, KFold(3, seed=0), df, metrics=("rmse", "mae", "ndcg"), k=5
    )
    t = paired_test(ev, "bias", "mean", "rmse", by="user")
    assert t.test == "wilcoxon" and t.n == df["user_id"].nunique()
    assert t.p_value < 0.05 and t.better == "bias"
    zh, en = words(t)
    assert zh.startswith("按用户平均，用户/影片偏置 · bias 的 RMSE 比 mean 低")
    assert en.startswith("User/item bias · bias's mean per-user RMSE is") and "Wilcoxon" in en
    same = paired_test(ev, "bias", "bias", "ndcg", by="user")
    assert same.p_value == 1.0


def test_wilcoxon_values_match_scipy_hand_case():
    # diffs 1, 2, 3, 4, -5 -> W+ = 10, W- = 5, statistic = min = 5; exact two-sided p = 0.625
    stat, p = paired_test_values([2, 3, 4, 5, 0], [1, 1, 1, 1, 5], "wilcoxon")
    assert stat == 5 and p == pytest.approx(0.625)


def test_format_p():
    assert fmt_p(0.0004, "en") == "p < 0.001"
    assert fmt_p(0.003, "zh") == "p=0.003"
    assert fmt_p(0.21, "en") == "p = 0.21"
