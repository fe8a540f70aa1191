"""Sentences worded from structured results: the Models summary names each model once, correctly."""

from __future__ import annotations

import pandas as pd

from ui.sentences import model_name, models_summary


def _summary() -> pd.DataFrame:
    s = pd.DataFrame(
        {
            "rmse": [1.10, 0.95, 0.93],
            "ndcg@10": [0.01, 0.20, 0.12],
            "coverage": [0.001, 0.30, 0.40],
            "fit_seconds": [0.01, 0.50, 1.20],
            "test_seconds": [0.09, 0.40, 0.30],
        },
        index=["baseline", "knnbaseline", "svd"],
    )
    s["total_seconds"] = s["fit_seconds"] + s["test_seconds"]
    return s


def test_model_names_do_not_contain_each_other():
    assert model_name("baseline", "en") == "Global mean · baseline"
    assert model_name("knnbaseline", "en") == "KNN baseline · knnbaseline"
    assert model_name("knnbaseline", "zh") == "KNN 基线 · knnbaseline"
    assert model_name("svdpp", "en") == "SVD++ · svdpp"
    assert model_name("not-registered", "zh") == "not-registered"


def test_models_summary_in_english():
    out = models_summary(_summary(), "ndcg@10", "en")
    assert out == [
        "Best RMSE: SVD (0.930), ahead of KNN baseline · knnbaseline by 0.020.",
        "Best NDCG@10: KNN baseline · knnbaseline (0.200), ahead of SVD by 0.080.",
        "Best Coverage: SVD (40.0%), ahead of KNN baseline · knnbaseline by 10.0%.",
        "The most accurate rating predictor (SVD) is not the best ranker: "
        "KNN baseline · knnbaseline has the highest NDCG@10.",
        # fastest = lowest total_seconds (baseline, 0.10 s), the table's "Train + predict time" column
        "Trade-off: the most accurate, SVD, takes 1.50s to train and predict, about 15× the fastest, "
        "Global mean · baseline (0.10s).",
    ]


def test_models_summary_in_chinese_names_rankers_once():
    s = _summary()
    s.loc["knnbaseline", "rmse"] = float("nan")
    out = models_summary(s, "ndcg@10", "zh")
    assert out[0] == "RMSE 最好的是 SVD 矩阵分解 · svd（0.930），领先第二名 全局均值 · baseline 0.170。"
    assert "KNN 基线 · knnbaseline 只排序、不预测评分，所以 RMSE/MAE 显示为 N/A。" in out
    assert sum(line.count("baseline") for line in out) == sum(line.count("· baseline") for line in out) + sum(
        line.count("knnbaseline") for line in out
    )
