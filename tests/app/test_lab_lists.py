"""The Recommend page's other use cases in the application layer: retrain modes, the online test's
numbers from its feedback, monitoring tables, and an audience export recorded in the log."""

import pandas as pd
import pytest

from recsys_core.app import lists as L


def test_retrain_modes_follow_the_declared_capability(lab):
    ds = lab.ws.load_version("v1")
    svd = lab.engine(lab.fit_and_register(ds, "svd", {"n_factors": 2, "n_epochs": 2}).model_id)
    pop = lab.engine(lab.fit_and_register(ds, "popularity").model_id)
    assert L.retrain_modes(svd.model) == ["refit", "fold-in"]
    assert L.retrain_modes(pop.model) == ["refit"]
    assert "svd" in L.model_names() and "popularity" in L.model_names()


def test_online_test_counts_only_feedback_with_an_arm(lab):
    for user, item, action, arm in [
        ("u1", "i1", "like", "A"),
        ("u2", "i2", "dislike", "A"),
        ("u3", "i1", "like", "B"),
        ("u4", "i3", "like", None),  # outside the test
    ]:
        lab.record_feedback(user, item, action, arm=arm, version="v1")
    summary, verdict = L.online_test(lab.ws.feedback(data_version="v1"), (1.0, 5.0), lift=0.1)
    by_arm = summary.set_index("arm")
    assert by_arm.loc["A", "events"] == 2 and by_arm.loc["A", "likes"] == 1
    assert by_arm.loc["B", "events"] == 1 and by_arm.loc["B", "like_rate"] == pytest.approx(1.0)
    assert by_arm.loc["A", "like_rate"] == pytest.approx(0.5)
    assert verdict["verdict"] in {"too_little", "chance", "significant"}
    empty_summary, _ = L.online_test(lab.ws.feedback(data_version="nope"), (1.0, 5.0))
    assert empty_summary["events"].sum() == 0


def test_monitoring_counts_feedback_and_likes(lab):
    lab.record_feedback("u1", "i1", "like", version="v1")
    lab.record_feedback("u1", "i2", "dislike", version="v1")
    mon = L.monitoring(lab.ws, lab.models(None), (1.0, 5.0))
    assert mon.feedback_events == 2 and mon.likes == 1
    assert mon.served.empty and mon.errors.empty


def test_audience_export_is_pseudonymised_and_logged(lab):
    audience = pd.DataFrame({"user_id": ["u1", "u2"], "score": [0.9, 0.5]})
    raw = lab.export_audience(audience, "ana", "audience of i1", pseudonymise=False).decode("utf-8-sig")
    assert "u1" in raw
    pseudo = lab.export_audience(audience, "ana", "audience of i1").decode("utf-8-sig")
    assert "u1" not in pseudo and "u2" not in pseudo
    log = lab.ws.exports()
    assert len(log) == 2 and set(log["who"]) == {"ana"}
    assert sorted(log["pseudonymised"].tolist()) == [False, True]
