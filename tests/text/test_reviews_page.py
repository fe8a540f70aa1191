"""AppTest of the Reviews page on the small Chinese fixture in a temporary workspace."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.store import open_workspace
from recsys_core.text import sentiment as S
from tests.pages import seek
from ui.state import K

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "3_reviews.py")


@pytest.fixture
def env(tmp_path, monkeypatch, zh_dataset):
    path = tmp_path / "ws"
    monkeypatch.setenv("CINELENS_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    ws = open_workspace(path)
    version = ws.add_version(zh_dataset, kind="raw")
    ws.set_active(version)
    ws.save_segments(
        version,
        pd.DataFrame({"user_id": [f"u{i:02d}" for i in range(1, 21)], "segment": [i % 2 for i in range(1, 21)]}),
        [],
        {},
    )
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, ws, ws.load_version(version)


def _df(at, column):
    return seek(at, K.REV_TABS, lambda: next(d.value for d in at.dataframe if column in d.value.columns), 5)


def test_run_sentiment_and_read_the_views(env):
    at, ws, ds = env
    assert any("运行情感分析" in i.value for i in at.info)
    assert seek(at, K.REV_TABS, lambda: at.radio(key="rev_method__zh"), 5).value == "stars"
    seek(at, K.REV_TABS, lambda: at.button(key="rev_run"), 5).click().run()
    assert not at.exception, [e.value for e in at.exception]
    expected = S.score_dataset(ds, "stars", workspace=ws)  # cached by the page run: same numbers
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["准确率"] == f"{expected.metrics['accuracy']:.3f}"
    assert metrics["平衡准确率"] == f"{expected.metrics['balanced_accuracy']:.3f}"
    assert metrics["参与评估的短评（1–2 / 4–5 星）"] == "44"
    assert metrics["星级为正面的比例"] == f"{24 / 44:.3f}"
    films = _df(at, "平均情感分")
    assert sorted(films["影片"].tolist()) == ["M1", "M2", "M3"]
    assert films["短评数"].sum() == 46
    row = films[films["影片"] == "M1"].iloc[0]
    assert row["片名"] == "神域之心"
    assert row["平均情感分"] == pytest.approx(
        round(expected.frame.loc[expected.frame.item_id == "M1", "score"].mean(), 3)
    )
    m1 = expected.frame[expected.frame.item_id == "M2"]  # the film with most reviews is selected first
    film_metrics = {m.label: m.value for m in at.metric}  # the Films tab is open now
    assert film_metrics["短评数"] == str(len(m1))
    assert film_metrics["平均情感分"] == f"{m1['score'].mean():.3f}"
    seg = _df(at, "人群")
    assert seg["短评数"].sum() == 46
    kw = _df(at, "关键词")
    assert "剧情" in kw["关键词"].tolist()
    aspects = _df(at, "提及次数")
    assert aspects.iloc[0]["方面"] == "剧情"

    # complaints side, for one film
    seek(at, K.REV_TABS, lambda: at.radio(key="rev_kw_side__zh"), 5).set_value("negative").run()
    kw = _df(at, "关键词")
    assert "无聊" in kw["关键词"].tolist()
    seek(at, K.REV_TABS, lambda: at.radio(key="rev_kw_scope__zh"), 5).set_value("film").run()
    seek(at, K.REV_TABS, lambda: at.selectbox(key="rev_kw_item"), 5).set_value("M1").run()
    assert not at.exception, [e.value for e in at.exception]
    seek(at, K.REV_TABS, lambda: at.radio(key="rev_kw_chart__zh"), 5).set_value("cloud").run()
    assert not at.exception, [e.value for e in at.exception]

    # the SnowNLP baseline is shown as such
    seek(at, K.REV_TABS, lambda: at.radio(key="rev_method__zh"), 5).set_value("snownlp").run()
    seek(at, K.REV_TABS, lambda: at.button(key="rev_run"), 5).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("基线" in w.value for w in at.warning)

    # switching the UI language keeps the chosen method and its results
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert seek(at, K.REV_TABS, lambda: at.radio(key="rev_method__en"), 5).value == "snownlp"
    assert any("baseline" in w.value for w in at.warning)

    # a new session (another browser, or after a restart) shows the saved results without a new run
    again = AppTest.from_file(PAGE, default_timeout=240)
    again.run()
    assert not again.exception, [e.value for e in again.exception]
    assert not any("运行情感分析" in i.value for i in again.info)
    assert {m.label: m.value for m in again.metric}["准确率"] == metrics["准确率"]


def test_dataset_without_review_text_says_what_to_do(tmp_path, monkeypatch):
    from recsys_core.data.dataset import Dataset

    path = tmp_path / "ws"
    monkeypatch.setenv("CINELENS_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    ws = open_workspace(path)
    ds = Dataset.from_frames(pd.DataFrame({"user_id": ["a", "b"], "item_id": ["m", "m"], "rating": [4.0, 2.0]}))
    ws.set_active(ws.add_version(ds, kind="raw"))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("没有短评文本" in i.value for i in at.info)
    assert not at.button  # nothing to run
