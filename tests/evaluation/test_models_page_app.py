"""AppTest of the Models page: compare two fast models, read the numbers in the table, test, tune, save, reload."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.data.dataset import Dataset
from recsys_core.evaluation import KFold, evaluate
from recsys_core.models import BiasBaseline, GlobalMean
from recsys_core.store import open_workspace
from tests.models.contract import planted_frame
from tests.pages import page_app, seek
from ui.state import K

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "4_models.py")


@pytest.fixture
def page(tmp_path, monkeypatch):
    ds = Dataset.from_frames(planted_frame(), rating_scale=(1, 5), name="planted")
    at, ws, (v,) = page_app("4_models.py", tmp_path, monkeypatch, ds)
    return at, ws, v


def test_compare_baseline_and_bias_shows_the_computed_metrics(page):
    at, ws, v = page
    assert at.title[0].value == ":material/science: 模型对比"  # a Material icon, not an emoji
    assert any("点击「训练并对比」" in i.value for i in at.info)  # what to do before the first run
    seek(at, K.MODELS_TABS, lambda: at.multiselect(key="models_select"), 3).set_value(["baseline", "bias"])
    seek(at, K.MODELS_TABS, lambda: at.slider(key="models_folds"), 3).set_value(3)
    seek(at, K.MODELS_TABS, lambda: at.number_input(key="models_k"), 3).set_value(5)
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_train"), 3).click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = results(at)
    expected = (
        evaluate({"baseline": GlobalMean(), "bias": BiasBaseline()}, KFold(3, 0), ws.load_version(v), k=5)
        .summary(with_std=False)
        .set_index("model")
    )
    assert list(table.index) == ["全局均值 · baseline", "用户/影片偏置 · bias"]
    assert table["RMSE"].tolist() == pytest.approx(expected["rmse"].tolist())
    assert table["NDCG@5"].tolist() == pytest.approx(expected["ndcg@5"].tolist())
    assert table["覆盖率"].tolist() == pytest.approx(expected["coverage"].tolist())
    # the plain-language summary names the RMSE winner (bias beats the global mean on planted biases)
    summary = " ".join(m.value for m in at.markdown)
    assert "RMSE 最好的是 用户/影片偏置 · bias" in summary
    # significance sentence between the two models, across folds
    assert any("RMSE" in s.value and "p" in s.value for s in list(at.success) + list(at.info))


def test_tuning_and_use_best_parameters(page):
    at, ws, v = page
    seek(at, K.MODELS_TABS, lambda: at.selectbox(key="models_tune_model"), 3).set_value("bias")
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.text_input(key="models_tune__bias__reg_u__values"), 3).set_value("0, 1000")
    seek(at, K.MODELS_TABS, lambda: at.text_input(key="models_tune__bias__reg_i__values"), 3).set_value("10")
    seek(at, K.MODELS_TABS, lambda: at.slider(key="models_tune_folds"), 3).set_value(2)
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_tune_run"), 3).click().run()
    assert not at.exception, [e.value for e in at.exception]
    res = at.dataframe[-1].value
    assert sorted(res["reg_u"].tolist()) == [0, 1000]
    assert res["名次"].tolist() == [1, 2]
    best = at.session_state["models_tuning"]["result"].best_params
    assert best["reg_i"] == pytest.approx(10)
    assert any(s.value.startswith(f"最佳参数：reg_u = {best['reg_u']:g}, reg_i = 10（RMSE = ") for s in at.success)
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_tune_apply"), 3).click().run()
    assert not at.exception
    best = at.session_state["models_tuning"]["result"].best_params
    assert any(
        f"reg_u = {best['reg_u']:g}, reg_i = 10" in x.value and "用户/影片偏置 · bias" in x.value for x in at.toast
    )
    assert seek(at, K.MODELS_TABS, lambda: at.number_input(key="models_param__bias__reg_u"), 3).value == pytest.approx(
        best["reg_u"]
    )

    assert "bias" in seek(at, K.MODELS_TABS, lambda: at.multiselect(key="models_select"), 3).value


def test_save_and_reload_without_retraining(page):
    at, ws, v = page
    seek(at, K.MODELS_TABS, lambda: at.multiselect(key="models_select"), 3).set_value(["bias"])
    seek(at, K.MODELS_TABS, lambda: at.selectbox(key="models_split"), 3).set_value("random")
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_train"), 3).click().run()
    seek(at, K.MODELS_TABS, lambda: at.multiselect(key="models_save_pick"), 3).set_value(["bias"])
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_save"), 3).click().run()
    assert not at.exception, [e.value for e in at.exception]
    models = ws.list_models(data_version=v)
    assert models["name"].tolist() == ["bias"]
    assert models["metrics"].iloc[0]["rmse"] > 0
    label = models["label"].iloc[0]  # a readable generated name, no JSON (issue 12 defect 4)
    assert label.startswith(f"bias · reg_u=15 · {v} · ") and "{" not in label
    assert any(label in s.value for s in at.success)
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_registry_load"), 3).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("未重新训练" in s.value for s in at.success)
    reg = next(d.value for d in at.dataframe if "模型编号" in d.value.columns)
    assert reg["RMSE"].iloc[0] == pytest.approx(models["metrics"].iloc[0]["rmse"])
    assert reg["模型名称"].tolist() == [label]
    assert seek(at, K.MODELS_TABS, lambda: at.selectbox(key="models_registry_pick"), 3).options == [
        f"{m} · {label}" for m in models["model_id"]
    ]
    assert reg["模型编号"].tolist() == models["model_id"].tolist()
    assert reg["参数"].iloc[0] == ", ".join(f"{k} = {v:g}" for k, v in models["params"].iloc[0].items())
    recs = at.dataframe[-1].value
    assert list(recs.columns) == ["模型", "影片 ID", "片名", "得分"] and len(recs) == 5


def _no_times_page(tmp_path, monkeypatch, lang):
    ws_path = tmp_path / "ws"
    monkeypatch.setenv("CINELENS_WORKSPACE", str(ws_path))
    monkeypatch.chdir(ROOT)
    df = planted_frame().drop(columns="timestamp")  # no times: a temporal split is impossible
    ws = open_workspace(ws_path)
    ws.set_active(ws.add_version(Dataset.from_frames(df, rating_scale=(1, 5), name="no-times"), kind="raw"))
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["lang"] = lang
    at.session_state["models_select"] = ["baseline", "popularity"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_impossible_split_is_one_clear_line(tmp_path, monkeypatch):
    at = _no_times_page(tmp_path, monkeypatch, "zh")
    seek(at, K.MODELS_TABS, lambda: at.selectbox(key="models_split"), 3).set_value("temporal")
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_train"), 3).click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "timestamps" in errors[0] and "\n" not in errors[0]
    assert not at.dataframe  # no results table from a failed run


def test_english_labels_and_na_for_rankers(tmp_path, monkeypatch):
    # train in Chinese, then switch the language: the results re-render in English without retraining
    # (AppTest formats option labels in the test process, which always sees Chinese, so widgets are driven first)
    at = _no_times_page(tmp_path, monkeypatch, "zh")
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_train"), 3).click().run()
    assert not at.exception and not at.error
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value.endswith("Models")
    table = results(at)
    assert list(table.index) == ["Global mean · baseline", "Popularity"]
    assert table["RMSE"].isna().tolist() == [False, True]  # popularity ranks only: N/A
    assert {"Coverage", "Hit rate@10"} <= set(table.columns)  # English headers start with a capital
    # the choice of models survives the language switch (Streamlit matches choices by their labels)
    assert seek(at, K.MODELS_TABS, lambda: at.multiselect(key="models_select"), 3).value == ["baseline", "popularity"]
    assert not any("Choose at least one model" in i.value for i in at.info)
    summary = " ".join(m.value for m in at.markdown)
    assert "Popularity ranks films but does not predict ratings" in summary


def test_a_failing_model_is_skipped_with_a_warning(page):
    at, ws, v = page
    seek(at, K.MODELS_TABS, lambda: at.multiselect(key="models_select"), 3).set_value(["bias", "svd"])
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.number_input(key="models_param__svd__n_factors"), 3).set_value(0)
    seek(at, K.MODELS_TABS, lambda: at.slider(key="models_folds"), 3).set_value(2)
    at.run()
    seek(at, K.MODELS_TABS, lambda: at.button(key="models_train"), 3).click().run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "svd" in warnings[0] and "n_factors" in warnings[0]
    table = results(at)
    assert list(table.index) == ["用户/影片偏置 · bias"]
    assert not any("设置已改动" in i.value for i in at.info)


def results(at):
    """The results, shown as two tables (accuracy; coverage and beyond) side by side in one frame."""
    acc, beyond = at.dataframe[0].value, at.dataframe[1].value
    assert "RMSE" in acc.columns or "NDCG@5" in acc.columns or "NDCG@10" in acc.columns
    return pd.concat([acc, beyond], axis=1)


def test_log_ticks_are_written_in_full():
    from ui.models_page import log_ticks

    ticks = log_ticks(-1.5, 0.5)  # 0.0316 .. 3.16 seconds
    assert ticks["tickvals"] == pytest.approx([0.05, 0.1, 0.2, 0.5, 1, 2])
    assert ticks["ticktext"] == ["0.05", "0.1", "0.2", "0.5", "1", "2"]


def test_a_model_over_the_memory_budget_is_refused_and_the_others_run(page):
    """With the budget set on the page, an AutoRec configured with a huge hidden layer is refused up
    front (the message names it, its need, the budget and the models that fit) while the baseline is
    evaluated; nothing is saved."""
    from recsys_core.models import make_model
    from recsys_core.models.cost import base_memory, format_bytes

    at, ws, v = page
    ds = ws.load_version(v)
    shape = (ds.interactions["user_id"].nunique(), ds.interactions["item_id"].nunique(), len(ds.interactions))
    assert base_memory(*shape) < 0.5 * 1024**3
    models_before = ws.list_models()
    at.multiselect(key="models_select").set_value(["baseline", "autorec-i"])
    at.slider(key="models_folds").set_value(2)
    at.run()
    at.number_input(key="models_param__autorec-i__hidden").set_value(2_000_000)
    at.number_input(key="memory_budget_gb").set_value(0.5)
    at.run()
    budget = int(0.5 * 1024**3)
    need = type(make_model("autorec-i")).cost(*shape, hidden=2_000_000).memory_bytes
    assert need > budget  # the test's premise: AutoRec's envelope is over this budget
    at.button(key="models_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert "AutoRec（影片） · autorec-i" in errors[0] and format_bytes(need) in errors[0]
    assert format_bytes(budget) in errors[0] and "全局均值 · baseline" in errors[0]
    table = at.dataframe[0].value
    assert list(table.index) == ["全局均值 · baseline"]
    assert len(ws.list_models()) == len(models_before)
    # the summary says the run went on without it, and still says so on the next rerun
    summary = " ".join(m.value for m in at.markdown)
    assert "AutoRec（影片） · autorec-i 已跳过，其余模型照常运行：" in summary and format_bytes(need) in summary
    at.run()
    assert "AutoRec（影片） · autorec-i 已跳过" in " ".join(m.value for m in at.markdown)
    assert not at.error  # the red refusal belongs to the click; the summary line stays


def test_a_model_over_the_time_budget_is_refused_and_the_others_run(page):
    """The time budget beside the memory budget: an AutoRec whose declared fit time is over it is refused
    up front (its declared time, the budget and the models that fit, in Chinese) and the baseline runs."""
    from recsys_core.models import make_model
    from recsys_core.models.cost import format_bytes, models_that_fit
    from ui import sentences

    at, ws, v = page
    ds = ws.load_version(v)
    shape = (ds.interactions["user_id"].nunique(), ds.interactions["item_id"].nunique(), len(ds.interactions))
    models_before = ws.list_models()
    at.multiselect(key="models_select").set_value(["baseline", "autorec-i"])
    at.slider(key="models_folds").set_value(2)
    at.run()
    assert at.number_input(key="time_budget_min").value == pytest.approx(30.0)  # the default: 30 minutes a fit
    assert at.number_input(key="time_budget_min").label == "时间预算（分钟/次训练）"
    at.number_input(key="models_param__autorec-i__hidden").set_value(100_000)
    at.number_input(key="time_budget_min").set_value(0.1)  # 6 seconds
    at.run()
    cost = type(make_model("autorec-i")).cost(*shape, hidden=100_000)
    assert cost.fit_seconds == pytest.approx(26.64108) and cost.memory_bytes < 0.5 * 1024**3  # the premise
    at.button(key="models_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    (err,) = [e.value for e in at.error]
    assert err.startswith(
        "AutoRec（影片） · autorec-i 在这个数据集上训练一次约需 27 秒（双核），超出时间预算 6 秒，未训练。"
    )
    fits = models_that_fit(*shape, budget=int(at.session_state["memory_budget"] * 1024**3), time_budget=6)
    assert "可在预算内运行的模型：" + ", ".join(sentences.model_name(n, "zh") for n in fits) in err
    assert "全局均值 · baseline" in err and "CINELENS_TIME_BUDGET" in err
    assert format_bytes(cost.memory_bytes) not in err  # the memory fits: the refusal is about time
    assert list(at.dataframe[0].value.index) == ["全局均值 · baseline"]
    assert len(ws.list_models()) == len(models_before)
    summary = " ".join(m.value for m in at.markdown)
    assert "AutoRec（影片） · autorec-i 已跳过，其余模型照常运行：" in summary and "超出时间预算 6 秒" in summary
    # the session keeps the setting; English switches the words
    at.session_state["lang"] = "en"
    at.run()
    assert at.number_input(key="time_budget_min").value == pytest.approx(0.1)
    assert at.number_input(key="time_budget_min").label == "Time budget (minutes per fit)"


def test_a_search_with_a_candidate_over_the_budget_is_refused_before_it_starts(page):
    """The tuning tab checks every candidate against the session's budget before fitting anything."""
    from recsys_core.models import make_model
    from recsys_core.models.cost import format_bytes

    at, ws, v = page
    ds = ws.load_version(v)
    shape = (ds.interactions["user_id"].nunique(), ds.interactions["item_id"].nunique(), len(ds.interactions))
    seek(at, K.MODELS_TABS, lambda: at.number_input(key="memory_budget_gb"), 3).set_value(0.5)
    at.run()  # the budget is set on the compare tab and holds for the session
    seek(at, K.MODELS_TABS, lambda: at.selectbox(key="models_tune_model"), 3).set_value("autorec-i")
    at.run()
    at.checkbox(key="models_tune__autorec-i__hidden__on").check()
    at.text_input(key="models_tune__autorec-i__hidden__values").set_value("8, 2000000")
    at.slider(key="models_tune_folds").set_value(2)
    at.run()
    at.button(key="models_tune_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    need = type(make_model("autorec-i")).cost(*shape, hidden=2_000_000).memory_bytes
    (err,) = [e.value for e in at.error]
    assert err.startswith("搜索未开始：候选参数 ") and "hidden = 2e+06" in err
    assert format_bytes(need) in err and format_bytes(int(0.5 * 1024**3)) in err and "全局均值 · baseline" in err
    assert at.session_state["models_tuning"] is None  # nothing ran
    assert not at.status  # no progress box: the search never started
