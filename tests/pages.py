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


def open_tab(at: AppTest, tabs_key: str, position: int) -> AppTest:
    """Open the ``position``-th tab of the lazy tabs ``tabs_key`` on the next run (as a click would)."""
    at.session_state[tabs_key] = ""  # not a label: the page opens the tab remembered by position
    at.session_state[f"tab_at__{tabs_key}"] = position
    return at


def seek(at: AppTest, tabs_key: str, find, tabs: int = 5):
    """``find()`` on the page as it is, else after opening its lazy tabs one by one (a user looking
    for a widget or table clicks through the tabs the same way)."""
    for position in [None, *range(tabs)]:
        if position is not None:
            open_tab(at, tabs_key, position).run()
        try:
            return find()
        except (KeyError, StopIteration, IndexError):
            continue
    return find()
