"""Shared set-up for the page tests: a temporary workspace holding given datasets and an AppTest of one page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from recsys_core.store import open_workspace

ROOT = Path(__file__).resolve().parents[1]


def page_app(page: str, tmp_path, monkeypatch, *datasets, timeout: float = 180, run: bool = True):
    """(AppTest of ``views/<page>``, workspace, version ids). The last dataset is the active version.

    With ``run`` the page is run once and must not raise.
    """
    path = tmp_path / "ws"
    monkeypatch.setenv("CINELENS_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    ws = open_workspace(path)
    versions = [ws.add_version(d, kind="raw") for d in datasets]
    if versions:
        ws.set_active(versions[-1])
    at = AppTest.from_file(str(ROOT / "views" / page), default_timeout=timeout)
    if run:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at, ws, versions
