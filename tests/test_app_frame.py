"""The frame: app.py seeds a new workspace with the demo data, shows it in the sidebar, switches language."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_first_start_seeds_demo_and_labels_it_synthetic(app, tmp_path):
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "合成演示数据" in captions
    assert "用户 800" in captions
    from recsys_core.store import open_workspace

    versions = open_workspace(tmp_path / "ws").list_versions()
    assert versions["kind"].tolist() == ["demo"] and bool(versions["active"].iloc[0])
    assert app.sidebar.selectbox(key="sidebar_version_select").value == "v1"


def test_language_switch_to_english(app):
    app.sidebar.radio(key="lang").set_value("en").run()
    assert not app.exception
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "Synthetic demo data" in captions and "Users 800" in captions
    assert "Film audience & recommendation lab" in captions
