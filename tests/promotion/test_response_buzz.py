"""Ad-response model (lift, calibration, the four models) and buzz around release, with hand-made values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import Dataset
from recsys_core.promotion.buzz import buzz_summary, release_buzz
from recsys_core.promotion.response import ad_response, calibration, lift_at, score_users


def test_lift_at_by_hand():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(1, 0, 10)  # the two responders score highest
    assert lift_at(y, p, 0.1) == pytest.approx(1.0 / 0.2)
    assert lift_at(y, p, 0.2) == pytest.approx(1.0 / 0.2)
    assert lift_at(y, p[::-1], 0.2) == pytest.approx(0.0)


def test_calibration_bins_by_hand():
    p = np.array([0.1, 0.1, 0.2, 0.2, 0.9, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    c = calibration(y, p, bins=3)
    assert c["predicted"].tolist() == pytest.approx([0.1, 0.2, 0.9])
    assert c["observed"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert c["users"].tolist() == [2, 2, 2]


def test_four_models_and_scores_on_the_demo(demo_tables, demo_ds):
    from recsys_core.promotion.features import user_features

    feats = user_features(demo_ds)
    res = ad_response(demo_tables["exposures"].frame, feats, target="converted", folds=3)
    assert res.table["model"].tolist() == ["logistic", "gbdt", "tree", "forest"]
    assert res.table["auc"].between(0.5, 1.0).all()
    assert (
        res.table.set_index("model").loc[res.default, "auc"]
        == res.table.query("model in ['logistic', 'gbdt']")["auc"].max()
    )
    assert set(res.channels) == {"短视频", "社交", "搜索", "信息流", "开屏"}
    s = score_users(res, feats)
    assert len(s) == len(feats) and s.between(0, 1).all()
    assert s.nunique() > 50  # scores differ by user, so they can rank an audience


def test_release_buzz_by_hand():
    inter = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "item_id": ["F", "F", "F", "G"],
            "rating": [4.0, 2.0, 5.0, 3.0],
            "timestamp": pd.to_datetime(
                ["2024-03-01 10:00", "2024-03-01 20:00", "2024-03-03 09:00", "2024-03-01 08:00"]
            ),
            "text": ["好看", None, "很好", "一般"],
        }
    )
    ds = Dataset.from_frames(inter, rating_scale=(1, 5))
    daily = pd.DataFrame(
        {"item_id": ["F", "F"], "date": pd.to_datetime(["2024-03-01", "2024-03-02"]), "gross": [100.0, 50.0]}
    )
    sent = pd.DataFrame(
        {"item_id": ["F", "F"], "timestamp": pd.to_datetime(["2024-03-01", "2024-03-03"]), "score": [0.8, 0.6]}
    )
    f = release_buzz(ds, "F", daily=daily, sentiment=sent, before=1, after=3)
    assert f["day"].tolist() == [-1, 0, 1, 2, 3]
    assert f["reviews"].tolist() == [0, 1, 0, 1, 0]
    assert f["ratings"].tolist() == [0, 2, 0, 1, 0]
    assert f["mean_rating"].iloc[1] == pytest.approx(3.0)
    assert f["mean_sentiment"].iloc[3] == pytest.approx(0.6)
    assert f["gross"].iloc[1:3].tolist() == [100.0, 50.0]
    s = buzz_summary(f)
    assert s["reviews_after"] == 2 and s["gross_total"] == pytest.approx(150.0)
