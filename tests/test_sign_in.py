"""The sign-in gate: with CINELENS_AUTH no page renders before a password is accepted; failures are rate-limited;
viewers browse but cannot upload or export; without the setting nothing changes. The CLI adds accounts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core import accounts
from recsys_core.store import open_workspace
from ui.state import K

from .pages import open_tab
from .store.test_workspace import small_dataset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ws_path(tmp_path, monkeypatch):
    path = tmp_path / "ws"
    ws = open_workspace(path)
    v = ws.add_version(small_dataset())
    ws.set_active(v)
    accounts.add_account(ws, "ana", "correct horse battery", "analyst")
    accounts.add_account(ws, "vic", "viewer password 1", "viewer")
    accounts.LIMITER.clear("ana")
    monkeypatch.setenv("CINELENS_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    return path


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _sign_in(at, name, password):
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.value for e in at.exception]


def test_without_the_setting_pages_render_as_before(ws_path, monkeypatch):
    monkeypatch.delenv("CINELENS_AUTH", raising=False)
    at = _app()
    assert not [ti for ti in at.text_input if ti.key == "auth_password"]
    assert at.sidebar.selectbox(key="sidebar_version_select").value == "v1"


def test_no_page_renders_before_sign_in_and_wrong_passwords_are_refused(ws_path, monkeypatch):
    monkeypatch.setenv("CINELENS_AUTH", "1")
    at = _app()
    assert [t.value for t in at.title] == ["登录 CineLens"]
    assert not at.sidebar.selectbox and not at.dataframe and not at.tabs  # nothing of the data shows
    _sign_in(at, "ana", "wrong")
    assert [e.value for e in at.error] == ["账号或密码不对。"]
    assert not at.sidebar.selectbox
    _sign_in(at, "ana", "correct horse battery")
    assert at.session_state["auth_role"] == "analyst"
    assert at.sidebar.selectbox(key="sidebar_version_select").value == "v1"
    assert any("已登录：ana（分析师）" in c.value for c in at.sidebar.caption)
    open_tab(at, K.DATA_TABS, 3).run()  # Export
    assert "data_export_raw" in [c.key for c in at.checkbox]  # an analyst may export


def test_failures_are_rate_limited(ws_path, monkeypatch):
    monkeypatch.setenv("CINELENS_AUTH", "1")
    at = _app()
    for _ in range(accounts.MAX_FAILURES):
        _sign_in(at, "ana", "nope nope")
    _sign_in(at, "ana", "correct horse battery")  # even the right password waits now
    assert [e.value for e in at.error] == ["失败次数太多，请 5 分钟后再试。"]
    assert "auth_role" not in at.session_state
    ev = open_workspace(ws_path).events(kind="sign_in_failed")
    assert len(ev) == accounts.MAX_FAILURES


def test_viewer_browses_but_cannot_upload_or_export(ws_path, monkeypatch):
    monkeypatch.setenv("CINELENS_AUTH", "1")
    at = _app()
    _sign_in(at, "vic", "viewer password 1")
    need = "这一部分需要「分析师」角色（上传、训练、导出）；你的账号只能浏览。"
    for position in (1, 3):  # Upload, Export
        open_tab(at, K.DATA_TABS, position).run()
        assert [i.value for i in at.info].count(need) == 1
        assert "data_export_raw" not in [c.key for c in at.checkbox]
    assert accounts.allowed("viewer", "browse") and not accounts.allowed("viewer", "train")


def test_passwords_are_argon2_hashes_and_the_cli_adds_accounts(ws_path, monkeypatch, capsys):
    from recsys_core.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "cli-user", "--role", "analyst", "--password-stdin", "--workspace", str(ws_path)]) == 0
    assert "account cli-user saved (analyst)" in capsys.readouterr().out
    row = open_workspace(ws_path).account("cli-user")
    assert row["hash"].startswith("$argon2id$") and "a long enough secret" not in row["hash"]
    assert accounts.sign_in(open_workspace(ws_path), "cli-user", "a long enough secret").role == "analyst"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "x", "--password-stdin", "--workspace", str(ws_path)]) == 2
    assert "too short" in capsys.readouterr().err
