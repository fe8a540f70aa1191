"""Sessions are private: a session's dataset choice is its own; the workspace default changes only
through "make default"; after "Save as new version" every picker shows the new version (issue 12, defect 2)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core.store import open_workspace
from tests.pages import open_tab, seek
from ui.state import K

ROOT = Path(__file__).resolve().parents[1]
CSV = b"user_id,item_id,rating\n1,2,3\n1,3,4\n2,2,5\n"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(ROOT)
    return tmp_path / "ws"


def session():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def save_upload(at):
    open_tab(at, K.DATA_TABS, 1).run()  # Upload & clean
    at.file_uploader(key="data_upload").set_value(("r.csv", CSV, "text/csv")).run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_preview_btn"), 4).click().run()
    seek(at, K.DATA_TABS, lambda: at.button(key="data_save_btn"), 4).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_after_save_the_sidebar_and_versions_tab_show_the_new_version(env):
    at = session()
    assert at.sidebar.selectbox(key="sidebar_version_select").value == "v1"
    save_upload(at)
    # the sidebar, the page, the versions picker, the delete confirmation and the buttons agree
    assert at.sidebar.selectbox(key="sidebar_version_select").value == "v3"
    seek(at, K.DATA_TABS, lambda: next(s for s in at.subheader if "v3" in s.value), 4)
    assert seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_version_pick"), 4).value == "v3"
    assert seek(at, K.DATA_TABS, lambda: at.checkbox(key="data_delete_confirm"), 4).label == "确认删除 v3"
    assert seek(at, K.DATA_TABS, lambda: at.button(key="data_activate"), 4).disabled  # already this session's version
    assert not seek(at, K.DATA_TABS, lambda: at.button(key="data_make_default"), 4).disabled  # v1 is still the default
    save_upload(at)  # a second save moves every picker again
    assert at.sidebar.selectbox(key="sidebar_version_select").value == "v5"
    assert seek(at, K.DATA_TABS, lambda: at.selectbox(key="data_version_pick"), 4).value == "v5"
    assert seek(at, K.DATA_TABS, lambda: at.checkbox(key="data_delete_confirm"), 4).label == "确认删除 v5"


def test_a_session_choice_does_not_leak_into_other_sessions(env):
    a = session()
    save_upload(a)
    a.sidebar.selectbox(key="sidebar_version_select").set_value("v2").run()
    assert a.session_state["dataset_version"] == "v2"
    assert open_workspace(env).active_version() == "v1"
    b = session()  # a new session opens on the default, not on what session a picked
    assert b.sidebar.selectbox(key="sidebar_version_select").value == "v1"
    # "make default" is the one way to change what new sessions open on
    seek(a, K.DATA_TABS, lambda: a.selectbox(key="data_version_pick"), 4).set_value("v3").run()
    seek(a, K.DATA_TABS, lambda: a.button(key="data_make_default"), 4).click().run()
    assert open_workspace(env).active_version() == "v3"
    assert a.sidebar.selectbox(key="sidebar_version_select").value == "v2"  # a keeps its own choice
    b.run()
    assert b.sidebar.selectbox(key="sidebar_version_select").value == "v1"  # b too
    assert session().sidebar.selectbox(key="sidebar_version_select").value == "v3"


def test_leaving_the_recommend_page_keeps_the_sessions_model(env):
    """Issue 13 point 7: coming back to Recommend never switches to a model another session just fitted."""
    from recsys_core.models import make_model
    from recsys_core.trainset import Trainset

    at = session()
    at.switch_page("views/5_recommend.py").run()
    at.selectbox(key="rec_new_model").set_value("popularity")
    at.button(key="rec_fit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    mine = at.selectbox(key="rec_model").value
    ws = open_workspace(env)
    ds = ws.load_version("v1")
    other = ws.register_model(make_model("bias").fit(Trainset.from_dataset(ds)), "bias", {}, "v1")  # someone else
    at.switch_page("views/1_data.py").run()
    at.switch_page("views/5_recommend.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="rec_model").value == mine != other
    at.selectbox(key="rec_model").set_value(other).run()  # the session's own switch does change it
    at.switch_page("views/1_data.py").run()
    at.switch_page("views/5_recommend.py").run()
    assert at.selectbox(key="rec_model").value == other
