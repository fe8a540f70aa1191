"""AppTest of the Recommend page's A/B and monitoring tabs on a tiny dataset in a temporary workspace."""

from pathlib import Path

import pytest

from recsys_core.models import make_model
from recsys_core.recommend import assign_arm
from recsys_core.recommend.abtest import offline_ab
from ui.sentences import model_name, offline_diff_sentence
from ui.state import K

from ..pages import open_tab, page_app
from .fixtures import tiny_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "5_recommend.py")


@pytest.fixture
def at_ws(tmp_path, monkeypatch):
    at, ws, _ = page_app("5_recommend.py", tmp_path, monkeypatch, tiny_dataset(), timeout=120)
    for name in ("bias", "popularity"):
        at.selectbox(key="rec_new_model").set_value(name)
        at.button(key="rec_fit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at, ws


def test_side_by_side_online_arms_and_monitoring(at_ws):
    at, ws = at_ws
    models = ws.list_models().sort_values("created")
    bias_id, pop_id = models["model_id"].tolist()
    # side by side: Jaccard of the two lists for the browsed user
    la = [i for i, _ in ws.load_model(bias_id).recommend("u01", 10)]
    lb = [i for i, _ in ws.load_model(pop_id).recommend("u01", 10)]
    open_tab(at, K.REC_TABS, 2).run()
    at.selectbox(key="rec_sbs_a").set_value(bias_id)
    at.selectbox(key="rec_sbs_b").set_value(pop_id).run()
    jac = len(set(la) & set(lb)) / len(set(la) | set(lb))
    assert any(m.value == f"{jac:.2f}" for m in at.metric)

    # online A/B: the visitor's arm picks the model; feedback carries arm and model id
    at.selectbox(key="rec_ab_a").set_value(bias_id)
    at.selectbox(key="rec_ab_b").set_value(pop_id)
    at.toggle(key="rec_ab_on").set_value(True).run()
    arm = assign_arm("u01")
    served = bias_id if arm == "A" else pop_id
    open_tab(at, K.REC_TABS, 0).run()
    like = [b.key for b in at.button if b.key and b.key.startswith("rec_fb_like_")]
    at.button(key=like[0]).click().run()
    fb = ws.feedback()
    open_tab(at, K.REC_TABS, 2).run()
    assert fb[["arm", "model_id", "action"]].values.tolist() == [[arm, served, "like"]]
    table = next(d.value for d in at.dataframe if "正向反馈" in d.value.columns).set_index("组")
    assert table.loc[arm, "反馈数"] == 1 and table.loc[arm, "正向反馈"] == 1
    other = "B" if arm == "A" else "A"
    assert table.loc[arm, "喜欢率"] == "100.0%" and table.loc[other, "喜欢率"] == "—"  # no events: a dash, not None
    assert any("还没有足够的反馈" in i.value for i in at.info)
    at.number_input(key="rec_ab_base").set_value(0.1)
    at.number_input(key="rec_ab_lift2").set_value(0.2).run()
    assert any(m.value == "3,841" for m in at.metric)

    # monitoring: served lists and feedback counted per model
    open_tab(at, K.REC_TABS, 3).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["反馈事件"] == "1" and metrics["已登记模型"] == "2"
    assert int(metrics["已生成推荐列表"]) == len(ws.events(kind="recommendations_served"))
    registry = next(d.value for d in at.dataframe if "备注" in d.value.columns)
    assert set(registry["备注"]) == {"在推荐页训练"}  # stored as a code, shown in the UI language


def test_a_like_on_the_browse_tab_computes_no_other_tab(at_ws):
    """Lazy tabs: with Browse open, a like reruns the page without the A/B lists or the monitoring scans."""
    at, ws = at_ws
    runs = dict(at.session_state[K.TAB_RUNS])
    like = [b.key for b in at.button if b.key and b.key.startswith("rec_fb_like_")]
    at.button(key=like[0]).click().run()
    assert len(ws.feedback()) == 1
    after = at.session_state[K.TAB_RUNS]
    assert after[f"{K.REC_TABS}:0"] == runs[f"{K.REC_TABS}:0"] + 1
    for closed in (1, 2, 3):
        assert after.get(f"{K.REC_TABS}:{closed}", 0) == 0
    labels = {m.label for m in at.metric}
    assert "已生成推荐列表" not in labels and not any("Jaccard" in x for x in labels)
    open_tab(at, K.REC_TABS, 3).run()
    assert at.session_state[K.TAB_RUNS][f"{K.REC_TABS}:3"] == 1
    assert "已生成推荐列表" in {m.label for m in at.metric}


def test_offline_ab_shows_the_same_numbers_as_the_library(at_ws):
    at, _ = at_ws
    open_tab(at, K.REC_TABS, 2).run()
    at.selectbox(key="rec_off_a").set_value("popularity")
    at.selectbox(key="rec_off_b").set_value("bias")
    at.number_input(key="rec_off_k").set_value(5)
    at.button(key="rec_off_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    ds = tiny_dataset()
    exp = offline_ab(
        ds.ratings,
        ds.rating_scale,
        make_model("popularity"),
        make_model("bias"),
        names=("popularity", "bias"),
        k=5,
        test_size=0.2,
        seed=0,
        items_meta=ds.items,
    )
    table = next(d.value for d in at.dataframe if "95% 下限" in d.value.columns)
    assert table["均值"].tolist() == pytest.approx(exp.summary["mean"].tolist())
    assert table["95% 下限"].tolist() == pytest.approx(exp.summary["ci_lo"].tolist())
    texts = " ".join(m.value for m in [*at.info, *at.success])
    for row in exp.diffs.to_dict("records"):
        assert offline_diff_sentence(row, model_name("popularity", "zh"), model_name("bias", "zh"), 5, "zh") in texts
