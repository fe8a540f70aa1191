"""AppTest of the Recommend page on a tiny dataset in a temporary workspace (browse, feedback, retrain, cold start)."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.recommend import Engine, Filters, cold_scores
from recsys_core.store import open_workspace
from tests.pages import seek
from ui.markup import md_text
from ui.sentences import reason_sentence
from ui.state import K

from ..pages import open_tab, page_app
from .fixtures import tiny_dataset

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "5_recommend.py")


@pytest.fixture
def env(tmp_path, monkeypatch):
    at, ws, _ = page_app("5_recommend.py", tmp_path, monkeypatch, tiny_dataset(), timeout=120)
    return at, ws


def _fit(at, name="svd"):
    seek(at, K.REC_TABS, lambda: at.selectbox(key="rec_new_model"), 4).set_value(name)
    seek(at, K.REC_TABS, lambda: at.button(key="rec_fit"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]


def _cards(at):
    """(rank, title) of the recommendation cards, in order."""
    out = []
    for m in at.markdown:
        v = m.value
        if v.startswith("**") and ". " in v.split("**")[1]:
            rank, title = v.split("**")[1].split(". ", 1)
            out.append((int(rank), title))
    return out


def _expected(ws, user, n=10, **kw):
    model_id = ws.list_models().sort_values("created")["model_id"].iloc[-1]
    eng = Engine(ws.load_model(model_id))
    return eng, model_id, eng.recommend(user, n, **kw)


def test_browse_lists_top_n_with_reasons_filters_and_segments(env):
    at, ws = env
    assert "还没有模型" in " ".join(i.value for i in at.info)
    _fit(at)
    models = ws.list_models()
    assert models["name"].tolist() == ["svd"] and models["data_version"].tolist() == ["v1"]
    user = seek(at, K.REC_TABS, lambda: at.text_input(key="rec_user_id"), 4).value
    assert user == "u01"
    _, _, exp = _expected(ws, "u01")
    assert [title for _, title in _cards(at)] == exp["title"].tolist()
    captions = " ".join(c.value for c in at.caption)
    assert (
        md_text(reason_sentence(exp["reason"].iloc[0], "zh")) in captions and f"{exp['score'].iloc[0]:.2f}" in captions
    )
    # history cards show the user's top-rated film
    top = tiny_dataset().ratings.query("user_id == 'u01'").sort_values("rating", ascending=False)
    assert any("影片" in m.value and "★" in m.value for m in at.markdown)
    assert str(int(top["rating"].iloc[0])) in " ".join(m.value for m in at.markdown if "★" in m.value)

    seek(at, K.REC_TABS, lambda: at.text_input(key="rec_user_id"), 4).input("u02").run()
    _, _, exp2 = _expected(ws, "u02")
    assert [title for _, title in _cards(at)] == exp2["title"].tolist()

    seek(at, K.REC_TABS, lambda: at.multiselect(key="rec_genres"), 4).select("科幻").run()
    _, _, exp3 = _expected(ws, "u02", filters=Filters(genres=("科幻",)))
    cards = _cards(at)
    assert [title for _, title in cards] == exp3["title"].tolist() and len(cards) > 0
    assert all("科幻" in g for g in exp3["genres"])

    # every list produced was logged once
    served = ws.events(kind="recommendations_served")
    assert len(served) == 3 and set(p["user_id"] for p in served["payload"]) == {"u01", "u02"}

    seek(at, K.REC_TABS, lambda: at.text_input(key="rec_user_id"), 4).input("nobody").run()
    assert "找不到用户 nobody" in " ".join(w.value for w in at.warning)

    # segments saved by the Audience page make the segment picker appear
    ws.save_segments(
        "v1",
        pd.DataFrame({"user_id": ["u03", "u05", "u04"], "segment": [0, 0, 1]}),
        [{"segment": 0, "name_zh": "剧情迷", "name_en": "Drama fans"}, {"segment": 1}],
        {},
    )
    at.run()
    seek(at, K.REC_TABS, lambda: at.radio(key="rec_find"), 4).set_value("segment").run()
    assert seek(at, K.REC_TABS, lambda: at.selectbox(key="rec_segment_user"), 4).options == ["u03", "u05"]
    _, _, exp4 = _expected(ws, "u03", filters=Filters(genres=("科幻",)))  # the genre filter is still on
    assert [title for _, title in _cards(at)] == exp4["title"].tolist()


def test_feedback_is_stored_and_retrain_registers_a_new_version_and_shows_changes(env):
    at, ws = env
    _fit(at)
    _, model_id, exp = _expected(ws, "u01")
    liked, hidden, rated = exp["item_id"].iloc[:3]
    at.button(key=f"rec_fb_like_{liked}").click().run()
    at.button(key=f"rec_fb_ni_{hidden}").click().run()
    at.selectbox(key=f"rec_fb_rate_{rated}").set_value(2.0).run()
    assert not at.exception
    fb = ws.feedback()
    assert fb["action"].tolist() == ["like", "not_interested", "rate"]
    assert fb["item_id"].tolist() == [liked, hidden, rated] and fb["value"].iloc[2] == 2.0
    assert set(fb["model_id"]) == {model_id} and set(fb["data_version"]) == {"v1"}
    assert fb["session"].iloc[0] == at.session_state["session_id"]
    assert any("反馈记录（3 条）" in s.value for s in at.subheader)
    table = next(d.value for d in at.dataframe if "动作" in d.value.columns)
    assert table["分数"].tolist() == ["2", "—", "—"]  # newest first; only the rating has a value, never "None"
    assert table["动作"].tolist() == ["打分", "不感兴趣", "喜欢"]
    shown = [t for _, t in _cards(at)]
    titles = dict(zip(exp["item_id"], exp["title"], strict=True))
    assert titles[hidden] not in shown  # "not interested" drops it at once

    seek(at, K.REC_TABS, lambda: at.button(key="rec_retrain"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    models = ws.list_models().sort_values("created")
    assert len(models) == 2
    new = models.iloc[-1]
    assert new["note"] == "retrained:3" and new["metrics"] == {"feedback_events": 3}
    assert seek(at, K.REC_TABS, lambda: at.selectbox(key="rec_model"), 4).value == new["model_id"]
    assert any("列表变化" in s.value for s in at.subheader)
    shown = [t for _, t in _cards(at)]
    assert titles[liked] not in shown and titles[rated] not in shown  # now part of the user's history
    changes = next(d.value for d in at.dataframe if "变化" in d.value.columns)
    assert not changes.isin(["None", "nan", "<NA>"]).any().any()
    assert "—" in set(changes.iloc[:, 1]) | set(changes.iloc[:, 2])  # entered or left: a dash, not NaN
    ch = at.session_state["rec_changes"]
    assert ch["before"][0] == liked and hidden not in ch["before"]  # the list as shown when retraining
    assert ch["from"] == model_id and ch["to"] == new["model_id"]
    assert {liked, rated} <= set(ch["before"]) - set(ch["after"])
    table = next(d.value for d in at.dataframe if "变化" in d.value.columns)
    assert "移出" in set(table["变化"]) and set(table["片名"]) >= {titles[liked], titles[rated]}


def test_cold_start_visitor_gets_a_list_and_is_saved(env):
    at, ws = env
    _fit(at)
    open_tab(at, K.REC_TABS, 1).run()
    cold_keys = [s.key for s in at.selectbox if s.key and s.key.startswith("rec_cold_rate_")]
    assert len(cold_keys) == 10
    items = [k.removeprefix("rec_cold_rate_") for k in cold_keys]
    seek(at, K.REC_TABS, lambda: at.multiselect(key="rec_cold_genres"), 4).select("科幻").run()
    open_tab(at, K.REC_TABS, 1).run()
    cold_keys = [s.key for s in at.selectbox if s.key and s.key.startswith("rec_cold_rate_")]
    items = [k.removeprefix("rec_cold_rate_") for k in cold_keys]
    first_genres = tiny_dataset().items.set_index("item_id").loc[items[0], "genres"]
    assert "科幻" in first_genres  # favourite genre's most popular film comes first
    ratings = dict(zip(items[:4], [5.0, 5.0, 1.0, 1.0], strict=True))
    for i, v in ratings.items():
        at.selectbox(key=f"rec_cold_rate_{i}").set_value(v)
    seek(at, K.REC_TABS, lambda: at.button(key="rec_cold_go"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    msg = " ".join(s.value for s in at.success)
    assert "new\\-" in msg  # shown as Markdown text: "new-..."
    uid = at.session_state["rec_cold_user"]["user"]
    fb = ws.feedback(user_id=uid)
    assert fb["action"].tolist() == ["rate"] * 4 and dict(zip(fb["item_id"], fb["value"], strict=True)) == ratings
    model_id = ws.list_models()["model_id"].iloc[0]
    eng = Engine(ws.load_model(model_id))
    cs = cold_scores(eng.model, eng.cat, ratings, ["科幻"])
    exp = eng.recommend(
        uid, 10, Filters(exclude_items=frozenset(ratings)), scores=cs.scores, liked=cs.liked, pref_genres=["科幻"]
    )
    cold_like = [
        b.key.removeprefix("rec_cold_fb_like_") for b in at.button if b.key and b.key.startswith("rec_cold_fb_like_")
    ]
    assert cold_like == exp["item_id"].tolist()
    assert not set(ratings) & set(cold_like)
    # the visitor can be browsed by id afterwards
    seek(at, K.REC_TABS, lambda: at.text_input(key="rec_user_id"), 4).input(uid).run()
    assert any(uid in c.value and "冷启动" in c.value for c in at.caption)
    browse = [b.key.removeprefix("rec_fb_like_") for b in at.button if b.key and b.key.startswith("rec_fb_like_")]
    assert len(browse) == 10 and not set(ratings) & set(browse)


def test_english_page_has_every_string_translated(env):
    import re

    _, ws = env
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    _fit(at)
    at.button(key=f"rec_fb_like_{_expected(ws, 'u01')[2]['item_id'].iloc[0]}").click().run()
    texts = [
        e.value
        for kind in ("title", "subheader", "caption", "info", "markdown", "success", "warning")
        for e in getattr(at, kind)
    ]
    texts += [
        w.label
        for kind in ("button", "selectbox", "multiselect", "slider", "text_input", "checkbox", "number_input", "toggle")
        for w in getattr(at, kind)
    ]
    texts += [tab.label for tab in at.tabs]
    assert "Recommend" in " ".join(texts) and "Top 10 recommendations" in texts
    leaked = [s for s in texts if re.search(r"\brec\.[a-z_]+", str(s))]
    assert leaked == []
    data_words = (
        "影片",
        "影",
        "剧情",
        "喜剧",
        "科幻",
        "动作",
        "中国",
        "美国",
        "日本",
        "导演",
    )  # titles, genres, regions
    chinese = [s for s in texts if re.search(r"[\u4e00-\u9fff]", re.sub("|".join(data_words), "", str(s)))]
    assert chinese == []


def test_models_registered_elsewhere_without_item_metadata_still_show_titles(env):
    from recsys_core.models import make_model
    from recsys_core.trainset import Trainset

    at, ws = env
    ds = tiny_dataset()
    model = make_model("bias").fit(Trainset.from_frame(ds.ratings, ds.rating_scale))  # no items_meta
    ws.register_model(model, "bias", {"rmse": 0.9}, "v1", note="from the Models page")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    exp = [ds.items.set_index("item_id").loc[i, "title"] for i, _ in model.recommend("u01", 10)]
    assert [t for _, t in _cards(at)] == exp


def test_diversity_slider_and_vector_choice_rerank_the_list(env):
    at, ws = env
    _fit(at)
    seek(at, K.REC_TABS, lambda: at.slider(key="rec_diversity"), 4).set_value(0.7)
    seek(at, K.REC_TABS, lambda: at.selectbox(key="rec_div_features"), 4).set_value("latent").run()
    assert not at.exception, [e.value for e in at.exception]
    _, _, exp = _expected(ws, "u01", diversity=0.7, features="latent")
    _, _, plain = _expected(ws, "u01")
    assert [t for _, t in _cards(at)] == exp["title"].tolist()
    assert exp["item_id"].tolist() != plain["item_id"].tolist()
    assert any("原排名" in c.value for c in at.caption)  # re-ranked items say where they came from


def test_ratings_only_dataset_without_item_metadata(tmp_path, monkeypatch):
    from recsys_core.data.dataset import Dataset

    path = tmp_path / "ws2"
    monkeypatch.setenv("CINELENS_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    ws = open_workspace(path)
    ws.add_version(Dataset.from_frames(tiny_dataset().ratings, rating_scale=(1, 5), name="bare"), kind="raw")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    _fit(at, "bias")
    cards = _cards(at)
    assert len(cards) == 10 and all(title.startswith("m") for _, title in cards)  # ids stand in for titles
    open_tab(at, K.REC_TABS, 1).run()
    cold = [s.key for s in at.selectbox if s.key and s.key.startswith("rec_cold_rate_")]
    assert len(cold) == 10  # the most-rated films when there are no genres
    for k, v in zip(cold[:3], [5.0, 4.0, 1.0], strict=True):
        seek(at, K.REC_TABS, lambda k=k: at.selectbox(key=k), 4).set_value(v)
    seek(at, K.REC_TABS, lambda: at.button(key="rec_cold_go"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "new\\-" in " ".join(s.value for s in at.success)


def test_genre_chips_follow_the_ui_language(env):
    at, _ = env
    _fit(at)
    cards = [m.value for m in at.markdown if m.value.startswith("**1. ")]
    assert cards and any(g in cards[0] for g in ("剧情", "喜剧", "科幻", "动作"))
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    cards = [m.value for m in at.markdown if m.value.startswith("**1. ")]
    assert cards and any(g in cards[0] for g in (">drama<", ">comedy<", ">sci-fi<", ">action<"))
    assert not any(g in cards[0] for g in ("剧情", "喜剧", "科幻", "动作"))


def test_dislike_removes_the_film_at_once_and_a_like_marks_the_card(env):
    """Issue 12 defect 5: feedback leaves a visible trace at once (filtering, no retraining)."""
    at, ws = env
    _fit(at, "bias")
    _, _, exp = _expected(ws, "u01")
    titles = dict(zip(exp["item_id"], exp["title"], strict=True))
    first, second = exp["item_id"].iloc[:2]
    at.button(key=f"rec_fb_dislike_{second}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [t for _, t in _cards(at)]
    assert titles[second] not in shown and len(shown) == 10
    assert shown[:1] == [titles[first]] and shown[1] == exp["title"].iloc[2]  # the next film moves up
    notes = " ".join(i.value for i in at.info)
    assert f"《{titles[second]}》已从列表中移除" in notes and "过滤" in notes
    assert any("新进入列表" in c.value for c in at.caption)  # the film that came in at #10 is named
    at.button(key=f"rec_fb_like_{first}").click().run()
    card = next(m.value for m in at.markdown if m.value.startswith(f"**1. {titles[first]}**"))
    assert "已喜欢" in card
    assert any(f"已标记喜欢《{titles[first]}》" in i.value for i in at.info)
    assert [a for a in ws.feedback()["action"]] == ["dislike", "like"]


def test_models_have_readable_names_that_can_be_changed(env):
    """Issue 12 defect 4: a generated name (model, key parameters, version, date), renameable, no JSON."""
    at, ws = env
    _fit(at, "bias")
    model_id = ws.list_models()["model_id"].iloc[0]
    label = at.selectbox(key="rec_model").format_func(model_id)
    assert label.startswith("bias · ") and " · v1 · " in label and "{" not in label
    box = at.text_input(key=f"rec_rename_{model_id}")
    assert box.value == label
    box.set_value("周末基线")
    at.button(key="rec_rename_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert ws.list_models()["label"].tolist() == ["周末基线"]
    assert at.selectbox(key="rec_model").format_func(model_id) == "周末基线"
    registry = seek(at, K.REC_TABS, lambda: next(d.value for d in at.dataframe if "模型名称" in d.value.columns), 4)
    assert registry["模型名称"].tolist() == ["周末基线"]
