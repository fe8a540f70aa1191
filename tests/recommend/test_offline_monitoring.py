import numpy as np
import pytest

from recsys_core.models import make_model
from recsys_core.recommend.abtest import offline_ab
from recsys_core.recommend.monitoring import (
    errors_table,
    feedback_counts,
    like_rate_over_time,
    registry_table,
    served_per_model,
    served_table,
)
from recsys_core.store import open_workspace
from ui.sentences import offline_diff_sentence

from .fixtures import tiny_dataset


def test_offline_ab_per_user_metrics_cis_and_words():
    ds = tiny_dataset()
    res = offline_ab(
        ds.ratings,
        ds.rating_scale,
        make_model("popularity"),
        make_model("bias"),
        names=("popularity", "bias"),
        k=5,
        n_boot=300,
        seed=3,
    )
    pu = res.per_user
    assert list(pu.columns) == ["user_id", "hit_rate_a", "hit_rate_b", "ndcg_a", "ndcg_b"]
    assert len(pu) == res.split["users"] >= 2
    assert set(np.unique(pu["hit_rate_a"])) <= {0.0, 1.0}
    s = res.summary.set_index(["arm", "metric"])
    assert s.loc[("A", "hit_rate"), "mean"] == pytest.approx(pu["hit_rate_a"].mean())
    assert s.loc[("B", "ndcg"), "mean"] == pytest.approx(pu["ndcg_b"].mean())
    assert (res.summary["ci_lo"] <= res.summary["mean"] + 1e-12).all()
    assert (res.summary["ci_hi"] >= res.summary["mean"] - 1e-12).all()
    d = res.diffs.set_index("metric")
    assert d.loc["ndcg", "diff"] == pytest.approx((pu["ndcg_b"] - pu["ndcg_a"]).mean())
    assert 0 <= d.loc["ndcg", "p_value"] <= 1
    assert d.loc["ndcg", "users"] == len(pu) and d.loc["ndcg", "test"] == "wilcoxon"
    row = d.reset_index().iloc[1].to_dict()
    en = offline_diff_sentence(row, "A", "B", 5, "en")
    assert f"a Wilcoxon signed-rank test over {len(pu)} users" in en and en.startswith("B's NDCG@5 is")
    assert f"{len(pu)} 位用户的 Wilcoxon 配对检验" in offline_diff_sentence(row, "A", "B", 5, "zh")


def test_offline_ab_identical_models_have_no_difference():
    ds = tiny_dataset()
    res = offline_ab(ds.ratings, ds.rating_scale, make_model("bias"), make_model("bias"), k=5, n_boot=100)
    d = res.diffs.set_index("metric")
    assert d.loc["hit_rate", "diff"] == 0.0 and d.loc["hit_rate", "p_value"] == 1.0
    assert (d["ci_lo"] == 0).all() and (d["ci_hi"] == 0).all()


def test_monitoring_tables_from_a_real_workspace(tmp_path):
    ws = open_workspace(tmp_path)
    ws.log_event("recommendations_served", {"model_id": "m1", "user_id": "u1", "n": 10, "source": "browse"})
    ws.log_event("recommendations_served", {"model_id": "m1", "user_id": "u2", "n": 10, "source": "browse"})
    ws.log_event("recommendations_served", {"model_id": "m2", "user_id": "u1", "n": 5, "source": "cold"})
    ws.log_event("retrain_failed", {"message": "boom"}, level="error")
    for u, i, a, v, m in [
        ("u1", "x", "like", None, "m1"),
        ("u1", "y", "dislike", None, "m1"),
        ("u2", "x", "rate", 5.0, "m1"),
        ("u2", "z", "not_interested", None, "m2"),
    ]:
        ws.add_feedback(u, i, a, v, model_id=m, data_version="v1")
    ev = ws.events()
    assert len(served_table(ev)) == 3
    spm = served_per_model(ev).set_index("model_id")
    assert spm.loc["m1", "lists"] == 2 and spm.loc["m1", "users"] == 2 and spm.loc["m2", "lists"] == 1
    fb = ws.feedback()
    fc = feedback_counts(fb).set_index("model_id")
    assert fc.loc["m1"].tolist() == [1, 1, 1, 0, 3] and fc.loc["m2", "total"] == 1
    lr = like_rate_over_time(fb, (1, 5)).set_index("model_id")
    assert lr.loc["m1", "like_rate"] == pytest.approx(2 / 3) and lr.loc["m2", "like_rate"] == 0.0
    err = errors_table(ws.events(level="error"))
    assert err["message"].tolist() == ["boom"]
    ws.register_model(
        make_model("bias"), "bias", {"ndcg@10": 0.1, "note": "x"}, "v1", note="retrained with 3 feedback events"
    )
    reg = registry_table(ws.list_models())
    assert reg.loc[0, "note"] == "retrained with 3 feedback events" and reg.loc[0, "ndcg@10"] == pytest.approx(0.1)
    ws.close()
