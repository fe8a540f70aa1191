"""AppTest of the Promotion page on the shipped demo data (with its promotion tables)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from recsys_core.data import demo
from ui.state import K

from ..pages import open_tab, page_app

pytestmark = pytest.mark.skipif(
    not (demo.DEFAULT_FOLDER / demo.PROMOTION_FOLDER / "films.csv").exists(), reason="data/demo/promotion missing"
)


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def demo_ds():
    return demo.load()


def test_promotion_page_walk(tmp_path, monkeypatch, demo_ds):
    at, ws, (version,) = page_app("6_promotion.py", tmp_path, monkeypatch, demo_ds, timeout=600)
    status = next(d.value for d in at.dataframe if "来源" in d.value.columns)
    assert status["来源"].tolist() == ["演示数据"] * 4
    assert status["行数"].tolist() == [500, 6440, 992, 11651]

    # box-office forecast: out-of-fold metrics against the baseline, leakage guard, what-if
    open_tab(at, K.PROMO_TABS, 1).run()  # Box-office forecast
    at.button(key="promo_bo_go").click().run()
    _ok(at)
    metrics = {m.label: m.value for m in at.metric}
    r2 = float(metrics["样本外 R²（对数票房）"])
    assert r2 >= 0.75
    assert any("已排除上映后才有的列" in w.value and "votes（按列名）" in w.value for w in at.warning)
    assert any("若加入上映后的列，样本外 R² 会是" in i.value for i in at.info)
    at.button(key="FormSubmitter:promo_whatif-预测").click().run()
    _ok(at)
    assert any(s.value.startswith("预测票房") and "80% 区间" in s.value for s in at.success)

    # campaign lift: the randomised campaign, then the one without a control group
    open_tab(at, K.PROMO_TABS, 2).run()
    at.button(key="promo_camp_go").click().run()
    _ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["转化率提升"] == "+12.00%"  # 20.75% test vs 8.75% control on the demo log
    assert metrics["增量转化数"] == "48.0"
    at.selectbox(key="promo_camp__zh").set_value("C2").run()
    at.button(key="promo_camp_go").click().run()
    _ok(at)
    assert any("没有随机对照组" in w.value for w in at.warning)

    # ad response: four models, AUC in the table
    open_tab(at, K.PROMO_TABS, 3).run()
    at.button(key="promo_resp_go").click().run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "AUC" in d.value.columns)
    assert table["模型"].tolist() == ["逻辑回归", "梯度提升", "决策树（基线）", "随机森林（基线）"]
    assert table["AUC"].max() > 0.55

    # audience plan: persona only from standing-out traits, reach table, export
    open_tab(at, K.PROMO_TABS, 4).run()
    at.number_input(key="promo_plan_budget").set_value(12.0).run()
    at.button(key="promo_plan_go").click().run()
    _ok(at)
    assert any("受众：100 人" in m.value for m in at.markdown)
    reach = next(d.value for d in at.dataframe if "覆盖前" in d.value.columns)
    assert reach["覆盖前"].tolist() == ["1%", "5%", "10%", "20%", "50%"]
    persona = [m.value for m in at.markdown if m.value.startswith("受众画像")] + [
        i.value for i in at.info if "没有突出的特征" in i.value
    ]
    assert len(persona) == 1
    assert any("建议渠道" in s.value for s in at.success)

    # the language switch keeps the results and words them in English
    at.session_state["lang"] = "en"
    at.run()
    _ok(at)
    assert at.title[0].value.endswith("Promotion")
    assert any("Reach, cost and expected incremental conversions" in m.value for m in at.markdown)  # the open tab
    open_tab(at, K.PROMO_TABS, 2).run()
    _ok(at)
    assert any(m.label == "Conversion uplift" or m.label == "Change in weekly watches (DiD)" for m in at.metric)
    open_tab(at, K.PROMO_TABS, 1).run()  # the forecast is kept too
    assert any(m.label == "Out-of-fold R² (log gross)" for m in at.metric)


def test_plan_export_has_no_raw_ids(tmp_path, monkeypatch, demo_ds):
    from recsys_core.promotion import plan as P

    plan = P.build_plan(demo_ds, "M0339", audience_share=0.05)
    data = P.export_plan_csv(plan, b"k")
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(df) == plan.audience_size and not df["user_pseudonym"].str.startswith("U0").any()
